//! `cargo bench -p carto --bench maps` (criterion) on the real Val-de-Marne bundle: one A4
//! map as SVG (drawing only), as PNG at 150 dpi (drawing + resvg), as PDF, and the 20-page
//! atlas of the Espaces de Solidarité as one PDF.
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Duration;

use carto::{Context, Format, MapSpec};
use zones::Level;

fn data() -> (zones::Bundle, indicators::IndicatorSet, Context) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let config = zones::Config::load(&root.join("boundaries/val-de-marne/observatoire.toml"))
        .expect("default configuration and ../shared/data");
    let mut bundle = zones::build(&config, &zones::build::Silent)
        .expect("build")
        .0;
    let catalogue =
        indicators::Catalogue::load(&config.config_path(config.indicators.as_ref().unwrap()))
            .unwrap();
    let set = indicators::compute(&catalogue, &bundle, &config.data_dir()).unwrap();
    bundle.set_section(indicators::SECTION, &set).unwrap();
    let context = Context::from_bundle(&bundle);
    (bundle, set, context)
}

fn maps(c: &mut Criterion) {
    let (bundle, set, context) = data();
    let mut g = c.benchmark_group("static maps");
    g.sample_size(20).measurement_time(Duration::from_secs(10));
    for (name, level) in [("commune", Level::Commune), ("iris", Level::Iris)] {
        let mut spec = MapSpec::new("chomage_15_64", level);
        spec.labels = true;
        g.bench_function(format!("A4 SVG, {name}, labels"), |b| {
            b.iter(|| {
                black_box(
                    carto::render(&bundle, &set, &context, &spec)
                        .unwrap()
                        .svg
                        .len(),
                )
            })
        });
        g.bench_function(format!("A4 PNG 150 dpi, {name}, labels"), |b| {
            b.iter(|| {
                let map = carto::render(&bundle, &set, &context, &spec).unwrap();
                black_box(carto::encode(&map, Format::Png, 150.0).unwrap().len())
            })
        });
        g.bench_function(format!("A4 PDF, {name}, labels"), |b| {
            b.iter(|| {
                let map = carto::render(&bundle, &set, &context, &spec).unwrap();
                black_box(carto::encode(&map, Format::Pdf, 150.0).unwrap().len())
            })
        });
    }
    g.finish();
    let mut g = c.benchmark_group("atlas");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    let spec = carto::atlas::AtlasSpec {
        level: Level::Es,
        indicators: Vec::new(),
        page: carto::Page::a4_portrait(),
        internal: false,
    };
    g.bench_function("20 ES, 22 pages, PDF", |b| {
        b.iter(|| {
            let atlas = carto::atlas::render(&bundle, &set, &context, &spec).unwrap();
            black_box(carto::atlas::pdf(&atlas).unwrap().len())
        })
    });
    g.finish();
}

criterion_group!(benches, maps);
criterion_main!(benches);
