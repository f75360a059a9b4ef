#!/usr/bin/env bash
# Side-by-side union benchmark: our topology + unions of the five levels against GEOS
# (shapely.unary_union) on the same inputs, in the same run. Prints a Markdown table row per
# input with the ratio. Usage: bash benches/union.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
python3 -c 'import shapely' 2>/dev/null || python3 -m pip install --quiet shapely
cargo build --release --quiet -p zones --example union_inputs
./target/release/examples/union_inputs "$out" "$runs" > "$out/ours.jsonl"
RAYON_NUM_THREADS=1 ./target/release/examples/union_inputs "$out" "$runs" > "$out/ours-1.jsonl"
python3 benches/geos_union.py "$runs" "$out/val-de-marne.geojson" "$out/synthetic-50k.geojson" > "$out/geos.jsonl"
python3 - "$out" <<'PY'
import json, sys
d = sys.argv[1]
load = lambda f: {r["input"]: r for r in map(json.loads, open(f"{d}/{f}"))}
ours, one, geos = load("ours.jsonl"), load("ours-1.jsonl"), load("geos.jsonl")
print("| input | IRIS | observatoire, 2 threads (s) | observatoire, 1 thread (s) | GEOS %s unary_union (s) | ratio 2 threads / GEOS | ratio 1 thread / GEOS | peak RSS (MB) |" % next(iter(geos.values()))["geos"])
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for k in ours:
    o, s, g = ours[k], one[k], geos[k]
    print(f"| {k} | {o['iris']} | {o['best_s']:.3f} | {s['best_s']:.3f} | {g['best_s']:.3f} | {o['best_s']/g['best_s']:.2f} | {s['best_s']/g['best_s']:.2f} | {o['peak_rss_mb']:.0f} |")
PY
