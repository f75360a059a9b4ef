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

# Independent readers used by the tests (PyPI): PMTiles and MVT decoders for export-tiles.
if ! python3 -c 'import pmtiles, mapbox_vector_tile' 2>/dev/null; then
  python3 -m pip install --quiet pmtiles mapbox-vector-tile
fi

# poppler-utils (Debian) opens, renders and reads back the PDF maps of the carto tests
# (pdftoppm, pdftotext, pdfinfo, pdffonts): installed when missing, otherwise the run fails.
if ! command -v pdftoppm >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ERREUR : poppler-utils absent et installation impossible ici : installez-le (Debian : apt-get install -y poppler-utils)." >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends poppler-utils >/dev/null
fi

# Node.js and npm before the first cargo build: the server embeds MapLibre GL JS, which its
# build script (crates/server/build.rs) installs from package-lock.json with `npm ci` when
# node_modules lacks it.
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ERREUR : npm absent et installation impossible ici : installez Node.js et npm (Debian : apt-get install -y nodejs npm)." >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

# Property tests (every parser, every HTTP route): 256 cases per property here; `just fuzz`
# runs the same suites in release with 10,000.
export PROPTEST_CASES="${PROPTEST_CASES:-256}"
cargo test --workspace --no-fail-fast

# Browser end-to-end tests (tests/e2e/*.test.mjs, node's built-in runner): headless Chromium
# from Debian driven by playwright-core (pinned in package.json / package-lock.json) against
# the real `observatoire serve`. Missing tools are installed; if that is impossible, fail.
echo "== tests de bout en bout dans le navigateur (tests/e2e) =="
apt_install() {
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ERREUR : $* absent et installation impossible ici (apt-get en root requis) : installez-le (Debian : apt-get install -y $*)." >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt_install nodejs npm
fi
if [ ! -x /usr/bin/chromium ]; then
  apt_install chromium
fi
if [ ! -x /usr/bin/chromium ]; then
  echo "ERREUR : /usr/bin/chromium introuvable après installation." >&2
  exit 1
fi
# node_modules is installed from the lockfile when absent or older than the lockfile.
stamp=node_modules/.package-lock.sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -d node_modules/playwright-core ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi
cargo build -p observatoire
node --test tests/e2e/
