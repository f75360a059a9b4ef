//! Side-by-side union benchmark, our half: writes the inputs (94 IRIS and the synthetic 50k set,
//! Lambert-93 GeoJSON with `commune`, `es`, `territoire` properties) for the GEOS script, and
//! times our topology + unions of the same inputs.
//!
//! `cargo run --release -p zones --example union_inputs -- OUT_DIR [RUNS]`
//! prints one JSON line per input: `{"input":…,"iris":…,"best_s":…,"median_s":…,"peak_rss_mb":…}`.
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;
use zones::build::{Grouping, IrisRecord, Silent, assemble};

fn main() {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(args.next().expect("usage: union_inputs OUT_DIR [RUNS]"));
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(5);
    std::fs::create_dir_all(&out).expect("output folder");

    let config_path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../boundaries/val-de-marne/observatoire.toml");
    let config = zones::Config::load(&config_path).expect("default configuration");
    let bundle = zones::build(&config, &Silent).expect("build").0;
    let iris = bundle.zones(zones::Level::Iris);
    let real: Vec<IrisRecord> = iris
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
    let real_grouping = Grouping {
        iris_es: iris
            .iter()
            .map(|z| {
                bundle
                    .es_directory
                    .iter()
                    .position(|e| Some(e.code.as_str()) == z.parent(zones::Level::Es))
                    .expect("ES")
            })
            .collect(),
        es: bundle.es_directory.clone(),
        territoires: bundle.territoires.clone(),
        departement: ("94".into(), "Val-de-Marne".into()),
    };
    let (synth, synth_grouping) = zones::synthetic::tiling(224, 6, 400.0);

    for (name, records, grouping) in [
        ("val-de-marne", &real, &real_grouping),
        ("synthetic-50k", &synth, &synth_grouping),
    ] {
        write_geojson(&out.join(format!("{name}.geojson")), records, grouping);
        let mut times = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let a = assemble(records, grouping, 0.001, &Silent);
            times.push(t.elapsed().as_secs_f64());
            assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{{\"input\":\"{name}\",\"iris\":{},\"vertices\":{},\"best_s\":{:.4},\"median_s\":{:.4},\"peak_rss_mb\":{:.0}}}",
            records.len(),
            records
                .iter()
                .map(|r| r
                    .geometry
                    .0
                    .iter()
                    .map(|p| p.exterior().0.len())
                    .sum::<usize>())
                .sum::<usize>(),
            times[0],
            times[times.len() / 2],
            peak_rss_mb()
        );
    }
}

fn write_geojson(path: &std::path::Path, records: &[IrisRecord], grouping: &Grouping) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    write!(w, "{{\"type\":\"FeatureCollection\",\"features\":[").unwrap();
    for (i, r) in records.iter().enumerate() {
        let es = &grouping.es[grouping.iris_es[i]];
        let polys: Vec<String> = r
            .geometry
            .0
            .iter()
            .map(|p| {
                let ring = |l: &geo::LineString<f64>| {
                    format!(
                        "[{}]",
                        l.0.iter()
                            .map(|c| format!("[{:.3},{:.3}]", c.x, c.y))
                            .collect::<Vec<_>>()
                            .join(",")
                    )
                };
                format!(
                    "[{}]",
                    std::iter::once(ring(p.exterior()))
                        .chain(p.interiors().iter().map(ring))
                        .collect::<Vec<_>>()
                        .join(",")
                )
            })
            .collect();
        write!(
            w,
            "{}{{\"type\":\"Feature\",\"properties\":{{\"code\":\"{}\",\"commune\":\"{}\",\"es\":\"{}\",\"territoire\":\"{}\"}},\"geometry\":{{\"type\":\"MultiPolygon\",\"coordinates\":[{}]}}}}",
            if i == 0 { "" } else { "," },
            r.code,
            r.commune,
            es.code,
            es.territoire,
            polys.join(",")
        )
        .unwrap();
    }
    writeln!(w, "]}}").unwrap();
}

/// Peak resident memory of this process (VmHWM), MB.
fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}
