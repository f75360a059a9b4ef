//! `observatoire export-tiles` end to end: the binary writes PMTiles archives from the real
//! bundle, and independent readers (PyPI `pmtiles` and `mapbox-vector-tile`, installed by
//! `.ci/run`) read them back: header, metadata, every tile, every IRIS code at z14.
use std::path::Path;
use std::process::Command;

fn observatoire(dir: &Path, args: &[&str]) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .current_dir(&root)
        .arg("--bundle")
        .arg(dir.join("test.bundle"))
        .args(args)
        .output()
        .expect("run observatoire");
    assert!(
        out.status.success(),
        "observatoire {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn read_back(archive: &Path, zoom: u8) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pmtiles_read.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(archive)
        .arg(zoom.to_string())
        .output()
        .expect(
            "python3 (with `pip install pmtiles mapbox-vector-tile`, which tests/all.sh installs)",
        );
    assert!(
        out.status.success(),
        "independent PMTiles reader failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn export_tiles_writes_archives_that_independent_readers_read() {
    let dir = tempfile::tempdir().unwrap();

    // Every level in one archive: one layer per level in each tile.
    let all = dir.path().join("val-de-marne.pmtiles");
    let summary = observatoire(
        dir.path(),
        &["export-tiles", "--out", all.to_str().unwrap()],
    );
    assert!(summary.contains("Archive écrite"), "{summary}");
    let r = read_back(&all, 14);
    assert_eq!(r["spec_version"], 3);
    assert_eq!(r["tile_type"], 1, "MVT");
    assert_eq!(r["tile_compression"], 2, "gzip");
    assert_eq!(
        (r["min_zoom"].as_u64(), r["max_zoom"].as_u64()),
        (Some(0), Some(16))
    );
    assert_eq!(r["clustered"], true);
    let layers: Vec<&str> = r["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        layers,
        ["iris", "commune", "es", "territoire", "departement", "qpv"]
    );
    assert_eq!(r["tiles_per_zoom"].as_object().unwrap().len(), 17);
    let codes = |layer: &str| r["codes"][layer].as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(codes("iris"), 527);
    assert_eq!(codes("commune"), 47);
    assert_eq!(codes("es"), 20);
    assert_eq!(codes("territoire"), 7);
    assert_eq!(codes("departement"), 1);
    assert_eq!(codes("qpv"), 47);

    // One level and a zoom range, as served to Martin in the benchmark.
    let iris = dir.path().join("iris.pmtiles");
    observatoire(
        dir.path(),
        &[
            "export-tiles",
            "--out",
            iris.to_str().unwrap(),
            "--level",
            "iris",
            "--zoom",
            "10-14",
            "-q",
        ],
    );
    let r = read_back(&iris, 14);
    assert_eq!(
        (r["min_zoom"].as_u64(), r["max_zoom"].as_u64()),
        (Some(10), Some(14))
    );
    assert_eq!(r["layers"], serde_json::json!(["iris"]));
    assert_eq!(r["tiles_per_zoom"].as_object().unwrap().len(), 5);
    assert_eq!(r["codes"]["iris"].as_array().unwrap().len(), 527);

    // A bad zoom range is refused in French, and no archive is left behind.
    let out = Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .arg("export-tiles")
        .arg("--out")
        .arg(dir.path().join("bad.pmtiles"))
        .arg("--zoom")
        .arg("12-3")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("plage de zooms invalide"));
    assert!(!dir.path().join("bad.pmtiles").exists());
}
