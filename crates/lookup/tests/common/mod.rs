//! Shared fixtures: the real Val-de-Marne bundle, the 436 expected lookups of
//! `derived/bpe-94-lookup-sample.csv`, and a small BAN-format file written by the tests.
#![allow(dead_code)]
use std::path::{Path, PathBuf};

pub mod ban;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn data_dir() -> PathBuf {
    std::env::var_os("OBSERVATOIRE_DATA_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/data"))
}

/// The bundle built from the default configuration (once per test binary).
pub fn bundle() -> &'static zones::Bundle {
    static B: std::sync::OnceLock<zones::Bundle> = std::sync::OnceLock::new();
    B.get_or_init(|| {
        let config = repo_root().join("boundaries/val-de-marne/observatoire.toml");
        let config = zones::Config::load(&config)
            .expect("default configuration (and ../shared/data beside the checkout)");
        zones::build(&config, &zones::build::Silent)
            .expect("build")
            .0
    })
}

/// One row of `bpe-94-lookup-sample.csv`.
#[derive(Debug, Clone)]
pub struct Expected {
    pub line: usize,
    pub x: f64,
    pub y: f64,
    pub lon: f64,
    pub lat: f64,
    pub iris: String,
    pub commune: String,
}

pub fn sample_path() -> PathBuf {
    data_dir().join("derived/bpe-94-lookup-sample.csv")
}

pub fn sample() -> Vec<Expected> {
    let mut rdr = csv::Reader::from_path(sample_path()).expect("bpe-94-lookup-sample.csv");
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let (cx, cy, clon, clat, ci, cc) = (
        col("x_l93"),
        col("y_l93"),
        col("lon"),
        col("lat"),
        col("iris_containing"),
        col("com_containing"),
    );
    rdr.records()
        .enumerate()
        .map(|(i, r)| {
            let r = r.unwrap();
            Expected {
                line: i + 2,
                x: r[cx].parse().unwrap(),
                y: r[cy].parse().unwrap(),
                lon: r[clon].parse().unwrap(),
                lat: r[clat].parse().unwrap(),
                iris: r[ci].to_string(),
                commune: r[cc].to_string(),
            }
        })
        .collect()
}

pub fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}
