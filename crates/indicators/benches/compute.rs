//! `cargo bench -p indicators`: join + aggregate + compare + classify every indicator for every
//! level — on the Val-de-Marne catalogue and tables (read once, outside the timing), and on a
//! deterministic synthetic set of 50,176 IRIS with the eight census rates and a count.
use criterion::{Criterion, criterion_group, criterion_main};
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;
use zones::Level;

use indicators::classify::{Method, classify, default_class_count};
use indicators::table::RawTable;
use indicators::{Catalogue, IndicatorSet};

/// Classify every indicator × year × level as a map would (Jenks, default class count).
fn classify_all(set: &IndicatorSet) -> usize {
    let mut groups: HashMap<(Level, &str, i32), Vec<f64>> = HashMap::new();
    for r in &set.records {
        if let Some(v) = r.value {
            groups
                .entry((r.level, r.indicator.as_str(), r.year))
                .or_default()
                .push(v);
        }
    }
    groups
        .values()
        .filter_map(|v| classify(v, &Method::Jenks, default_class_count(v.len()).min(9)).ok())
        .count()
}

fn real() -> (Catalogue, zones::Bundle, HashMap<String, RawTable>) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let config = zones::Config::load(&root.join("boundaries/val-de-marne/observatoire.toml"))
        .expect("config and ../shared/data");
    let bundle = zones::build(&config, &zones::build::Silent)
        .expect("build")
        .0;
    let catalogue =
        Catalogue::load(&config.config_path(config.indicators.as_ref().expect("catalogue")))
            .expect("catalogue");
    let tables = catalogue
        .sources
        .iter()
        .map(|s| {
            (
                s.id.clone(),
                indicators::table::read(&config.data_dir().join(&s.path), &Default::default())
                    .expect("table"),
            )
        })
        .collect();
    (catalogue, bundle, tables)
}

pub const RATES: [(&str, &str, &str); 8] = [
    ("chomage_15_64", "P16_CHOM1564", "P16_ACT1564"),
    ("chomage_15_24", "P16_CHOM1524", "P16_ACT1524"),
    ("activite_15_64", "P16_ACT1564", "P16_POP1564"),
    ("activite_femmes_15_64", "P16_FACT1564", "P16_F1564"),
    ("emploi_15_64", "P16_ACTOCC1564", "P16_POP1564"),
    ("emplois_precaires", "P16_SAL15P_CDD", "P16_SAL15P"),
    ("temps_partiel_salaries", "P16_SAL15P_TP", "P16_SAL15P"),
    ("ouvriers_employes", "C16_ACT1564_CS5", "C16_ACT1564"),
];

/// The synthetic territory, a table of plausible counts for its IRIS, and a catalogue.
fn synthetic() -> (Catalogue, zones::Bundle, HashMap<String, RawTable>) {
    let bundle = zones::synthetic::bundle(224);
    let mut cols: Vec<String> = vec!["IRIS".into(), "REG".into(), "COM".into()];
    for (_, n, d) in RATES {
        for c in [n, d] {
            if !cols.iter().any(|x| x == c) {
                cols.push(c.into());
            }
        }
    }
    let rows = bundle
        .zones(Level::Iris)
        .iter()
        .enumerate()
        .map(|(i, z)| {
            let mut row = vec![
                z.code.clone(),
                "11".into(),
                z.parent(Level::Commune).unwrap_or_default().to_string(),
            ];
            for (k, _) in cols.iter().enumerate().skip(3) {
                // Denominators ~1000–2000, numerators ~10–40 % of them: deterministic.
                let base = 1000.0 + ((i * 37 + k * 101) % 1000) as f64;
                row.push(format!(
                    "{:.1}",
                    if k % 2 == 1 {
                        base * (0.1 + ((i + k) % 30) as f64 / 100.0)
                    } else {
                        base
                    }
                ));
            }
            (i as u64 + 2, row)
        })
        .collect();
    let table = RawTable {
        path: "synthetic.csv".into(),
        header: cols,
        rows,
        geometries: None,
    };
    let mut toml = String::from(
        "region_code = \"11\"\nregion_name = \"Synthétique\"\n[[sources]]\nid = \"s\"\nproducer = \"bench\"\ntitle = \"synthetic\"\npath = \"synthetic.csv\"\ngeography = \"iris\"\nkey = \"IRIS\"\ncommune = \"COM\"\nregion = \"REG\"\n",
    );
    for (id, n, d) in RATES {
        toml.push_str(&format!("[[indicators]]\nid = \"{id}\"\nlabel = \"{id}\"\ndefinition = \"\"\ntheme = \"t\"\nkind = \"rate\"\nmin_denominator = 50\nsource = \"s\"\nyear = 2016\nnumerator = [\"{n}\"]\ndenominator = [\"{d}\"]\n"));
    }
    toml.push_str("[[indicators]]\nid = \"pop\"\nlabel = \"pop\"\ndefinition = \"\"\ntheme = \"t\"\nkind = \"count\"\nsource = \"s\"\nyear = 2016\nnumerator = [\"P16_POP1564\"]\n");
    let catalogue =
        Catalogue::parse(&PathBuf::from("synthetic.toml"), &toml).expect("synthetic catalogue");
    (catalogue, bundle, HashMap::from([("s".to_string(), table)]))
}

fn bench(c: &mut Criterion) {
    let (cat, bundle, tables) = real();
    c.bench_function(
        "val-de-marne: compute + classify all indicators, all levels",
        |b| {
            b.iter(|| {
                let set = indicators::compute::compute_with_tables(&cat, &bundle, &tables)
                    .expect("compute");
                classify_all(&set)
            })
        },
    );
    let (cat, bundle, tables) = synthetic();
    let mut g = c.benchmark_group("synthetic-50k");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("compute + classify 9 indicators, all levels", |b| {
        b.iter(|| {
            let set =
                indicators::compute::compute_with_tables(&cat, &bundle, &tables).expect("compute");
            classify_all(&set)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
