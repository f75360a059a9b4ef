#!/usr/bin/env bash
# Lookup benchmarks beyond criterion (`cargo bench -p lookup`), on loopback only:
#  1. batch mode end to end: `observatoire lookup --csv` on the 47,171 rows of
#     bpe/bpe2019_94.csv (Lambert-93), timed by hyperfine (release binary, bundle prebuilt);
#  2. HTTP: `observatoire serve` (release) under wrk, 50 connections, bounded duration,
#     --latency, cycling through the 436 sample points on /api/lookup, then search queries.
# Usage: bash benches/lookup.sh [SECONDS_PER_WRK_RUN]   (default 15)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-15}"
data="${OBSERVATOIRE_DATA_DIR:-../shared/data}"
for tool in hyperfine wrk; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$tool" >/dev/null
  fi
done
out="$(mktemp -d)"
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$out"
}
trap cleanup EXIT
cargo build --release --quiet -p observatoire
bin=./target/release/observatoire
"$bin" --bundle "$out/94.bundle" build --quiet

echo "== batch mode: lookup --csv bpe2019_94.csv (47 171 rows, Lambert-93) =="
hyperfine --warmup 2 --runs 10 --export-markdown "$out/batch.md" \
  "$bin --bundle $out/94.bundle lookup --quiet --csv $data/bpe/bpe2019_94.csv --x-col LAMBERT_X --y-col LAMBERT_Y --out $out/bpe-es.csv"
cat "$out/batch.md"
"$bin" --bundle "$out/94.bundle" lookup --csv "$data/bpe/bpe2019_94.csv" --x-col LAMBERT_X --y-col LAMBERT_Y --out "$out/bpe-es.csv" | sed -n '1,5p'

echo "== HTTP: /api/lookup, 50 connections, ${secs} s =="
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" --bundle "$out/94.bundle" serve --addr "127.0.0.1:$port" 2>"$out/serve.log" &
server=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/health" >/dev/null
export LOOKUP_SAMPLE="$data/derived/bpe-94-lookup-sample.csv"
for threads in 1 2; do
  echo "-- wrk -t$threads -c50 -d${secs}s --latency (lookup)"
  wrk -t"$threads" -c50 -d"${secs}s" --latency -s benches/lookup-wrk.lua "http://127.0.0.1:$port"
done
echo "-- wrk -t1 -c50 -d${secs}s --latency (search)"
LOOKUP_PATH=search wrk -t1 -c50 -d"${secs}s" --latency -s benches/lookup-wrk.lua "http://127.0.0.1:$port"

# 3. The same points at fixed offered rates (open loop: oha sends on a schedule and, with
#    --latency-correction, counts from the scheduled time, so a slow answer is not hidden by
#    the next request waiting), 50 connections: the latency users see when the server is not
#    saturated. With a closed loop (wrk above) the mean latency is 50 ÷ throughput whatever
#    the service time.
command -v oha >/dev/null || cargo install oha --locked --quiet
python3 - "$LOOKUP_SAMPLE" "http://127.0.0.1:$port" > "$out/urls.txt" <<'PY'
import csv, sys
for row in csv.DictReader(open(sys.argv[1], newline="")):
    print(f"{sys.argv[2]}/api/lookup?lon={row['lon']}&lat={row['lat']}")
PY
for rate in 1000 2000 5000; do
  oha --no-tui -z "${secs}s" -c 50 -q "$rate" --latency-correction --output-format json \
    --urls-from-file "$out/urls.txt" > "$out/oha.json"
  python3 - "$rate" "$out/oha.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[2]))
p = r["latencyPercentiles"]
codes = r.get("statusCodeDistribution", {})
print(f"-- oha -c50 -q{sys.argv[1]} (open loop, latency-corrected, lookup): "
      f"{r['summary']['requestsPerSec']:.0f} req/s, p50 {p['p50']*1000:.3f} ms, "
      f"p99 {p['p99']*1000:.3f} ms, p99.9 {p['p99.9']*1000:.3f} ms, answers {codes}")
PY
done
