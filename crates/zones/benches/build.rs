//! `just bench` (criterion): the whole Val-de-Marne build (read, reproject, topology, unions,
//! checks and QPV), the unions alone on the 94 IRIS, and the unions of a deterministic
//! synthetic national-scale set of 50,176 IRIS-like cells generated here.
use criterion::{Criterion, criterion_group, criterion_main};
use std::path::PathBuf;
use std::time::Duration;
use zones::build::{Grouping, IrisRecord, Silent, assemble};

fn default_config() -> zones::Config {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../boundaries/val-de-marne/observatoire.toml");
    zones::Config::load(&path).expect("default configuration and ../shared/data")
}

/// The 94 IRIS and their grouping, as the build reads them.
fn real_inputs() -> (Vec<IrisRecord>, Grouping) {
    let bundle = zones::build(&default_config(), &Silent).expect("build").0;
    let iris = bundle.zones(zones::Level::Iris);
    let es_index = |code: &str| {
        bundle
            .es_directory
            .iter()
            .position(|e| e.code == code)
            .expect("known ES")
    };
    let records = iris
        .iter()
        .map(|z| IrisRecord {
            code: z.code.clone(),
            name: z.name.clone(),
            commune: z
                .parent(zones::Level::Commune)
                .unwrap_or_default()
                .to_string(),
            commune_name: String::new(),
            kind: None,
            geometry: bundle.topology.to_multipolygon(&z.geometry),
        })
        .collect();
    let grouping = Grouping {
        iris_es: iris
            .iter()
            .map(|z| es_index(z.parent(zones::Level::Es).unwrap_or_default()))
            .collect(),
        es: bundle.es_directory.clone(),
        territoires: bundle.territoires.clone(),
        departement: ("94".into(), "Val-de-Marne".into()),
    };
    (records, grouping)
}

fn bench(c: &mut Criterion) {
    let config = default_config();
    let mut g = c.benchmark_group("val-de-marne");
    g.bench_function("build (read + reproject + unions + checks + QPV)", |b| {
        b.iter(|| zones::build(&config, &Silent).expect("build"))
    });
    let (iris, grouping) = real_inputs();
    g.bench_function("topology + unions of the 5 levels", |b| {
        b.iter(|| assemble(&iris, &grouping, 0.001, &Silent))
    });
    g.finish();

    let (iris, grouping) = zones::synthetic::tiling(224, 6, 400.0);
    let mut g = c.benchmark_group("synthetic-50k");
    g.sample_size(10).measurement_time(Duration::from_secs(30));
    g.bench_function("topology + unions of the 5 levels", |b| {
        b.iter(|| assemble(&iris, &grouping, 0.001, &Silent))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
