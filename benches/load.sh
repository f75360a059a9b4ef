#!/usr/bin/env bash
# Load and soak test of `observatoire serve` (`just load`), loopback, release build, wrk:
#  1. load: 200 concurrent connections for LOAD_S seconds (default 60) of mixed traffic —
#     tiles, point lookups, search, indicator values, CSV export and SVG map export — with
#     0 errors (no socket error, no non-2xx answer) required;
#  2. soak: SOAK_S seconds (default 300) of the same mix at 50 connections while the server's
#     RSS is sampled every 5 s; RSS must stay within 10 % of its value after the first minute;
#     halfway, the bundle is republished (written beside, renamed over) and the server reloaded
#     with SIGHUP: 0 failed requests across the swap.
# Exits non-zero when a criterion fails. Prints the figures for docs/BENCHMARKS.md.
# Usage: bash benches/load.sh [LOAD_S] [SOAK_S]
set -euo pipefail
cd "$(dirname "$0")/.."
load_s="${1:-60}"
soak_s="${2:-300}"
work="$(mktemp -d)"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
sample="${OBSERVATOIRE_DATA_DIR:-../shared/data}/derived/bpe-94-lookup-sample.csv"
[ -f "$sample" ] || { echo "ERREUR : $sample introuvable" >&2; exit 1; }

cargo build --release --quiet -p observatoire
bin="$PWD/target/release/observatoire"
bundle="$work/val-de-marne.bundle"
"$bin" --bundle "$bundle" build -q

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
OBSERVATOIRE_LOG=info "$bin" --bundle "$bundle" serve --addr "127.0.0.1:$port" 2>"$work/server.log" &
server=$!
for _ in $(seq 600); do curl -fs -o /dev/null "$base/health" && break; sleep 0.2; done
curl -fs -o /dev/null "$base/health" || { echo "ERREUR : le serveur ne répond pas" >&2; cat "$work/server.log" >&2; exit 1; }

# The request mix: every path is valid and answers 200.
python3 - "$base" "$sample" > "$work/mix.lua" <<'PY'
import csv, json, math, sys, urllib.request
base, sample = sys.argv[1], sys.argv[2]
def get(p):
    return json.load(urllib.request.urlopen(base + p))
def tile_paths(level, zooms):
    tj = get(f"/tiles/{level}.json")
    template = tj["tiles"][0].split("://", 1)[1].split("/", 1)[1]
    w, s, e, n = tj["bounds"]
    out = []
    for z in zooms:
        def xy(lon, lat):
            x = int((lon + 180) / 360 * 2**z)
            y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * 2**z)
            return x, y
        x0, y0 = xy(w, n); x1, y1 = xy(e, s)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                out.append("/" + template.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y)))
    return out
tiles = tile_paths("iris", [10, 11, 12, 13, 14]) + tile_paths("commune", [9, 10, 11, 12])
lookups = []
with open(sample, newline="") as f:
    for row in csv.DictReader(f):
        lookups.append(f"/api/lookup?lon={row['lon']}&lat={row['lat']}")
searches = ["/api/search?limit=8&q=" + q for q in
            ["creteil", "Cr%C3%A9teuil", "vitry%20sur%20seine", "champigny%20haut", "ivry",
             "maisons-alfort", "es%20noiseau", "mairie%20de%20vincennes"]]
values = ["/api/indicators/chomage_15_64?level=" + l for l in ["iris", "commune", "es", "territoire"]]
values += ["/api/classify?indicator=chomage_15_64&level=commune&method=quantiles&k=5",
           "/export/indicators.csv?level=commune&indicator=chomage_15_64"]
exports = ["/export/map.svg?indicator=chomage_15_64&level=commune",
           "/export/map.svg?indicator=chomage_15_64&level=es&legend=horizontal"]
# Weights: mostly tiles (a map view asks for dozens), then lookups and search.
groups = [("tiles", tiles, 60), ("lookup", lookups, 20), ("search", searches, 10),
          ("values", values, 8), ("export", exports, 2)]
print("local groups = {")
for name, paths, weight in groups:
    print("  {weight = %d, paths = {%s}}," % (weight, ", ".join(json.dumps(p) for p in paths)))
print("}")
print("""
local total = 0
for _, g in ipairs(groups) do total = total + g.weight end
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
request = function()
  local r = math.random(total)
  for _, g in ipairs(groups) do
    if r <= g.weight then
      return wrk.format("GET", g.paths[math.random(#g.paths)], {["Accept-Encoding"] = "gzip"})
    end
    r = r - g.weight
  end
end
""")
PY

# wrk output → "requests rps p50 p99 errors" (errors = socket errors + non-2xx/3xx answers).
summary() {
  python3 - "$1" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
def ms(s):
    v, u = re.match(r"([\d.]+)(us|ms|s)", s).groups()
    return float(v) * {"us": 0.001, "ms": 1, "s": 1000}[u]
n = int(re.search(r"(\d+) requests in", t).group(1))
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
p50 = ms(re.search(r"50%\s+(\S+)", t).group(1))
p99 = ms(re.search(r"99%\s+(\S+)", t).group(1))
err = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", t))
m = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
err += int(m.group(1)) if m else 0
print(n, round(rps), round(p50, 2), round(p99, 2), err)
PY
}
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }

echo "== charge : 200 connexions, ${load_s} s =="
wrk -t2 -c200 -d"${load_s}s" --timeout 10s --latency -s "$work/mix.lua" "$base" > "$work/load.txt"
read -r n rps p50 p99 err < <(summary "$work/load.txt")
echo "load: $n requests, $rps req/s, p50 $p50 ms, p99 $p99 ms, errors $err, RSS $(( $(rss_kb) / 1024 )) MiB"
status=0
[ "$err" -eq 0 ] || { echo "ÉCHEC : $err erreurs sous charge" >&2; sed -n 1,40p "$work/load.txt" >&2; status=1; }

echo "== endurance : 50 connexions, ${soak_s} s, rechargement à mi-parcours =="
version_before=$(curl -fs "$base/health")
wrk -t2 -c50 -d"${soak_s}s" --timeout 10s --latency -s "$work/mix.lua" "$base" > "$work/soak.txt" &
wrk_pid=$!
: > "$work/rss.txt"
half=$(( soak_s / 2 ))
for t in $(seq 5 5 "$soak_s"); do
  sleep 5
  echo "$t $(rss_kb)" >> "$work/rss.txt"
  if [ "$t" -eq "$half" ]; then
    # Publish a new bundle the way `observatoire build` does (written beside, renamed over)
    # and reload the running server.
    cp "$bundle" "$bundle.new" && mv "$bundle.new" "$bundle"
    kill -HUP "$server"
    echo "rechargement (SIGHUP) à ${t} s"
  fi
done
wait "$wrk_pid"
read -r n rps p50 p99 err < <(summary "$work/soak.txt")
version_after=$(curl -fs "$base/health")
python3 - "$work/rss.txt" "$n" "$rps" "$p50" "$p99" "$err" <<'PY' || status=1
import sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
n, rps, p50, p99, err = sys.argv[2:7]
ref = next((kb for t, kb in rows if t >= 60), rows[-1][1])
after = [kb for t, kb in rows if t >= 60]
hi, lo, last = max(after), min(after), rows[-1][1]
drift = max(hi - ref, ref - lo) / ref * 100
print(f"soak: {n} requests, {rps} req/s, p50 {p50} ms, p99 {p99} ms, errors {err}")
print(f"RSS after 1 min {ref/1024:.0f} MiB, min {lo/1024:.0f}, max {hi/1024:.0f}, end {last/1024:.0f} MiB: drift {drift:.1f} % (limit 10 %)")
ok = int(err) == 0 and drift <= 10
if not ok:
    print("ÉCHEC : erreurs pendant l'endurance ou mémoire non stable", file=sys.stderr)
sys.exit(0 if ok else 1)
PY
grep -q "reload\|recharg" "$work/server.log" || { echo "ÉCHEC : le serveur n'a pas journalisé de rechargement" >&2; cat "$work/server.log" >&2; status=1; }
echo "health before: $version_before"
echo "health after:  $version_after"
exit "$status"
