# Developer shortcuts. A new user needs none of them: see the two commands of README.md.

# Build the default bundle of Val-de-Marne and print its summary.
run:
    cargo run --release -- build

# Every test suite (the README's test command).
test:
    bash tests/all.sh

# Criterion benchmarks, then the side-by-side union benchmark against GEOS.
bench:
    cargo bench -p zones --bench build
    bash benches/union.sh

# Formatting and lints, as CI checks them.
lint:
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings

# Fuzzing without nightly: every property-test suite in release, 10,000 cases per property —
# the readers of each crate (shapefile, DBF, GeoJSON, CSV/XLSX, catalogue, BAN, bundle…) and
# every HTTP route's parameters (tests/all.sh runs the same suites with 256 cases).
fuzz:
    PROPTEST_CASES=10000 cargo test --release --no-fail-fast -p zones -p indicators -p lookup -p carto -p server --test readers_proptest --test parsers_proptest --test fuzz_routes --test tiles_http

# Tiles: pyramid generation against tippecanoe, cached-tile HTTP against Martin, server memory.
bench-http:
    cargo bench -p tiles --bench pyramid
    bash benches/tiles-http.sh

# Lookup: criterion on one core (point → IRIS, lon/lat, search), then batch mode (hyperfine)
# and /api/lookup under wrk (50 connections, loopback).
bench-lookup:
    taskset -c 0 cargo bench -p lookup --bench lookup
    bash benches/lookup.sh

# Map page: first choropleth paint and bytes transferred, headless Chromium (release server).
bench-map:
    cargo build --release -p observatoire
    node benches/map-page.mjs --runs 10

# Load and soak: 200 connections for 60 s of mixed traffic with 0 errors, then 5 minutes at
# 50 connections with RSS flat within 10 % and a SIGHUP reload halfway (0 failed requests).
load:
    bash benches/load.sh 60 300
