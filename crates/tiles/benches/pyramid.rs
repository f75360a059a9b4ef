//! `cargo bench -p tiles --bench pyramid`: the whole pyramid (z0–16, every level and QPV) of
//! the real Val-de-Marne bundle, and the IRIS level alone.
use criterion::{Criterion, criterion_group, criterion_main};
use std::path::PathBuf;
use std::time::Duration;
use tiles::{TileOptions, Tileset};
use zones::Level;

fn bundle() -> zones::Bundle {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../boundaries/val-de-marne/observatoire.toml");
    let config = zones::Config::load(&path).expect("default configuration and ../shared/data");
    zones::build(&config, &zones::build::Silent)
        .expect("build")
        .0
}

fn pyramid(c: &mut Criterion) {
    let b = bundle();
    let mut g = c.benchmark_group("pyramid");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("val-de-marne, all levels + QPV, z0-16", |bench| {
        bench.iter(|| Tileset::build(&b, TileOptions::default()).expect("pyramid"))
    });
    g.bench_function("val-de-marne, IRIS, z0-16", |bench| {
        bench.iter(|| {
            Tileset::build_levels(&b, TileOptions::default(), &[Level::Iris]).expect("pyramid")
        })
    });
    g.finish();
}

criterion_group!(benches, pyramid);
criterion_main!(benches);
