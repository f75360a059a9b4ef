#!/usr/bin/env bash
# Every test suite of observatoire, on the real data of ../shared/data:
# unit tests, integration tests of each crate (real IGN/INSEE files, bad input, property
# tests of every parser) and end-to-end runs of the binary (tests/cli.rs).
# A suite that cannot run fails loudly: nothing here is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

data="${OBSERVATOIRE_DATA_DIR:-../shared/data}"
if [ ! -f "$data/iris-94-shp/map_iris.shp" ]; then
  echo "ERREUR : données réelles introuvables dans $data (../shared/data doit se trouver à côté du dépôt, ou définissez OBSERVATOIRE_DATA_DIR)." >&2
  exit 1
fi

# Property tests: a few hundred cases per parser here; `just fuzz` runs 10,000.
export PROPTEST_CASES="${PROPTEST_CASES:-256}"
cargo test --workspace --no-fail-fast
