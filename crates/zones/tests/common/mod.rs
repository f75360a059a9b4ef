//! Shared fixtures: the default configuration and the real data of ../shared/data.
#![allow(dead_code)]
use std::path::PathBuf;
use std::sync::OnceLock;
use zones::{Bundle, Config};

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The real data folder; a missing folder fails the test loudly, it never skips.
pub fn data_dir() -> PathBuf {
    let dir = std::env::var_os(zones::config::DATA_DIR_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/data"));
    assert!(
        dir.join("iris-94-shp/map_iris.shp").is_file(),
        "real data not found in {} — the tests need ../shared/data beside the checkout (or OBSERVATOIRE_DATA_DIR)",
        dir.display()
    );
    dir
}

pub fn default_config_path() -> PathBuf {
    repo_root().join("boundaries/val-de-marne/observatoire.toml")
}

pub fn default_config() -> Config {
    data_dir();
    Config::load(&default_config_path()).expect("default configuration loads")
}

/// The default bundle, built once per test binary.
pub fn bundle() -> &'static Bundle {
    static B: OnceLock<Bundle> = OnceLock::new();
    B.get_or_init(|| {
        zones::build(&default_config(), &zones::build::Silent)
            .expect("default build succeeds")
            .0
    })
}
