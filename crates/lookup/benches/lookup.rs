//! Criterion benchmarks of the lookup library on the real Val-de-Marne bundle (built from
//! `../shared/data` at the start), single-threaded:
//! - point → IRIS in Lambert-93 on the 45,329 located points of the BPE 2019 (real spatial
//!   distribution of addresses) and on uniform random points of the département's bounding box
//!   (part of them outside, exercising the miss path); and through the R-tree alone, without
//!   the cell cache;
//! - the same points given in WGS84 lon/lat: one by one (the API path) and by batches of 4,096
//!   (the CSV batch path), reprojection included;
//! - search queries (prefix, typo, address).
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use geo::Coord;
use std::hint::black_box;
use std::path::PathBuf;
use zones::crs::{Crs, reproject_coords};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn bundle() -> zones::Bundle {
    let config = root().join("boundaries/val-de-marne/observatoire.toml");
    let config = zones::Config::load(&config).expect("configuration and ../shared/data");
    zones::build(&config, &zones::build::Silent)
        .expect("build")
        .0
}

/// Lambert-93 points of the BPE with coordinates.
fn bpe_points(config_data: &std::path::Path) -> Vec<(f64, f64)> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_path(config_data.join("bpe/bpe2019_94.csv"))
        .expect("bpe2019_94.csv");
    let h = rdr.headers().unwrap().clone();
    let cx = h.iter().position(|c| c == "LAMBERT_X").unwrap();
    let cy = h.iter().position(|c| c == "LAMBERT_Y").unwrap();
    rdr.records()
        .filter_map(|r| {
            let r = r.ok()?;
            Some((r[cx].parse().ok()?, r[cy].parse().ok()?))
        })
        .collect()
}

/// Deterministic uniform points (xorshift) in a box.
fn uniform(n: usize, [x0, y0, x1, y1]: [f64; 4]) -> Vec<(f64, f64)> {
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| (x0 + next() * (x1 - x0), y0 + next() * (y1 - y0)))
        .collect()
}

fn benches(c: &mut Criterion) {
    let data = std::env::var_os("OBSERVATOIRE_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared/data"));
    let bundle = bundle();
    let locator = lookup::Locator::new(&bundle);
    let bpe = bpe_points(&data);
    let inside = bpe
        .iter()
        .filter(|p| locator.locate_l93(p.0, p.1).is_some())
        .count();
    eprintln!(
        "BPE points with coordinates: {}, inside: {inside}",
        bpe.len()
    );
    // Bounding box of the département (Lambert-93).
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for &[x, y] in bundle.topology.arcs.iter().flatten() {
        let (x, y) = (
            x as f64 * bundle.topology.grid,
            y as f64 * bundle.topology.grid,
        );
        (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
    }
    let random = uniform(100_000, [x0, y0, x1, y1]);

    let mut g = c.benchmark_group("locate_l93");
    for (name, pts) in [("bpe_45k", &bpe), ("uniform_bbox_100k", &random)] {
        g.throughput(Throughput::Elements(pts.len() as u64));
        g.bench_with_input(BenchmarkId::from_parameter(name), pts, |b, pts| {
            b.iter(|| {
                let mut n = 0u32;
                for &(x, y) in pts {
                    if let Some(h) = locator.locate_l93(black_box(x), black_box(y)) {
                        n = n.wrapping_add(h.iris);
                    }
                }
                n
            })
        });
    }
    // The R-tree path alone, without the cell cache, for comparison.
    g.throughput(Throughput::Elements(bpe.len() as u64));
    g.bench_with_input(
        BenchmarkId::from_parameter("bpe_45k_rtree_only"),
        &bpe,
        |b, pts| {
            let index = locator.index();
            b.iter(|| {
                let mut n = 0u32;
                for &(x, y) in pts {
                    if let Some(h) = index.locate_uncached(black_box(x), black_box(y)) {
                        n = n.wrapping_add(h.iris);
                    }
                }
                n
            })
        },
    );
    g.finish();

    // The same BPE points in WGS84.
    let mut ll: Vec<Coord<f64>> = bpe.iter().map(|&(x, y)| Coord { x, y }).collect();
    reproject_coords(&mut ll, Crs::Lambert93, Crs::Wgs84).unwrap();
    let mut g = c.benchmark_group("lookup_lonlat");
    g.throughput(Throughput::Elements(ll.len() as u64));
    g.sample_size(20);
    g.bench_function("one_by_one_bpe_45k", |b| {
        b.iter(|| {
            let mut n = 0usize;
            for p in &ll {
                if let Ok(a) = locator.lookup_lonlat(black_box(p.x), black_box(p.y)) {
                    n += a.iris.code.len();
                }
            }
            n
        })
    });
    g.bench_function("batches_of_4096_bpe_45k", |b| {
        b.iter(|| {
            let mut n = 0u32;
            for chunk in ll.chunks(4096) {
                let mut c = chunk.to_vec();
                reproject_coords(&mut c, Crs::Wgs84, Crs::Lambert93).unwrap();
                for p in &c {
                    if let Some(h) = locator.locate_l93(p.x, p.y) {
                        n = n.wrapping_add(h.iris);
                    }
                }
            }
            n
        })
    });
    g.finish();

    let mairies =
        lookup::addresses::load_mairies(&lookup::mairies_path(&data, "94")).unwrap_or_default();
    let gazetteer = lookup::Gazetteer::new(&bundle, &mairies, None);
    let mut g = c.benchmark_group("search");
    for q in [
        "creteil",
        "Créteuil",
        "cre",
        "vitry sur seine",
        "champigny haut",
        "bords de marne creteil",
    ] {
        g.bench_with_input(BenchmarkId::from_parameter(q), q, |b, q| {
            b.iter(|| gazetteer.search(black_box(q), 10))
        });
    }
    g.finish();

    c.bench_function("index_build/val_de_marne", |b| {
        b.iter(|| lookup::Locator::new(black_box(&bundle)))
    });
}

criterion_group!(lookup_benches, benches);
criterion_main!(lookup_benches);
