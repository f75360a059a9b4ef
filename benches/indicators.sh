#!/usr/bin/env bash
# Side-by-side indicator benchmark: criterion (compute + classify every indicator, every level)
# and the same census-rate work in pandas, same run. Usage: bash benches/indicators.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -c 'import pandas' 2>/dev/null || python3 -m pip install --quiet pandas
cargo run --release --quiet -- zones --level iris --format csv > "$tmp/iris.csv" 2>/dev/null
cargo bench -p indicators --bench compute -- --output-format bencher 2>/dev/null | grep '^test' | tee "$tmp/criterion.txt"
pandas_s=$(python3 benches/indicators_pandas.py "$runs" ../shared/data/insee/base-ic-activite-residents-2016-idf.csv "$tmp/iris.csv")
ours_ns=$(grep 'val-de-marne' "$tmp/criterion.txt" | sed -E 's/.*bench: *([0-9,]+) ns.*/\1/' | tr -d ,)
python3 - "$ours_ns" "$pandas_s" <<'PY'
import sys
ours = int(sys.argv[1]) / 1e9
pandas = float(sys.argv[2])
print(f"| Val-de-Marne | observatoire {ours*1000:.1f} ms (14 indicators, 6 levels, strata, ranks, Jenks) | pandas {pandas*1000:.1f} ms (8 census rates, 5 levels, quantiles) | ratio {ours/pandas:.2f} |")
PY
