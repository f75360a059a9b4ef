//! Where the time of one map goes (best of 10, robust to a busy machine):
//! `cargo run --release -p carto --example timing`.
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn best<T>(n: usize, mut f: impl FnMut() -> T) -> Duration {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let config =
        zones::Config::load(&root.join("boundaries/val-de-marne/observatoire.toml")).unwrap();
    let mut bundle = zones::build(&config, &zones::build::Silent).unwrap().0;
    let catalogue =
        indicators::Catalogue::load(&config.config_path(config.indicators.as_ref().unwrap()))
            .unwrap();
    let set = indicators::compute(&catalogue, &bundle, &config.data_dir()).unwrap();
    bundle.set_section(indicators::SECTION, &set).unwrap();
    let ctx = carto::Context::from_bundle(&bundle);
    let t = Instant::now();
    carto::prepared::prepared(&bundle);
    println!("prepare (once per bundle): {:?}", t.elapsed());
    for level in [zones::Level::Commune, zones::Level::Iris] {
        let mut spec = carto::MapSpec::new("chomage_15_64", level);
        spec.labels = true;
        let map = carto::render(&bundle, &set, &ctx, &spec).unwrap();
        println!("{level}: svg {} KB", map.svg.len() / 1024);
        println!(
            "  draw SVG      {:?}",
            best(10, || carto::render(&bundle, &set, &ctx, &spec).unwrap())
        );
        println!(
            "  usvg parse    {:?}",
            best(10, || carto::render::tree(&map.svg).unwrap())
        );
        let tree = carto::render::tree(&map.svg).unwrap();
        println!(
            "  resvg render  {:?}",
            best(10, || {
                let mut p = tiny_skia::Pixmap::new(1240, 1754).unwrap();
                let s = tree.size();
                resvg::render(
                    &tree,
                    tiny_skia::Transform::from_scale(1240.0 / s.width(), 1754.0 / s.height()),
                    &mut p.as_mut(),
                );
                p
            })
        );
        println!(
            "  PNG total     {:?}",
            best(10, || carto::encode(&map, carto::Format::Png, 150.0)
                .unwrap())
        );
        println!(
            "  PDF total     {:?}",
            best(5, || carto::encode(&map, carto::Format::Pdf, 150.0)
                .unwrap())
        );
    }
}
