//! Bad input: every broken source gives a clear error naming the file and the record, and
//! nothing panics. Broken copies of the real files are made in temporary folders.
mod common;

use common::{data_dir, default_config_path};
use std::fs;
use std::path::{Path, PathBuf};
use zones::Error;
use zones::source::{ReadOptions, read_layer};

/// Copy the IRIS shapefile parts into a temporary folder.
fn shapefile_copy(dir: &Path) -> PathBuf {
    for ext in ["shp", "shx", "dbf", "prj"] {
        fs::copy(
            data_dir().join(format!("iris-94-shp/map_iris.{ext}")),
            dir.join(format!("map_iris.{ext}")),
        )
        .unwrap();
    }
    dir.join("map_iris.shp")
}

#[test]
fn truncated_shp_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let shp = shapefile_copy(dir.path());
    let bytes = fs::read(&shp).unwrap();
    fs::write(&shp, &bytes[..bytes.len() / 2]).unwrap();
    let err = read_layer(&shp, &ReadOptions::default()).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, Error::Shapefile { .. } | Error::Dbf { .. }),
        "{msg}"
    );
    assert!(
        msg.contains("map_iris.shp") || msg.contains("map_iris.dbf"),
        "{msg}"
    );
}

#[test]
fn missing_parts_are_named() {
    for part in ["dbf", "shx"] {
        let dir = tempfile::tempdir().unwrap();
        let shp = shapefile_copy(dir.path());
        fs::remove_file(shp.with_extension(part)).unwrap();
        let err = read_layer(&shp, &ReadOptions::default()).unwrap_err();
        assert!(
            matches!(&err, Error::MissingFile { path, .. } if path.extension().unwrap() == part),
            "{err}"
        );
        assert!(err.to_string().contains(&format!("map_iris.{part}")));
    }
}

#[test]
fn unknown_or_missing_crs_is_an_error_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let shp = shapefile_copy(dir.path());
    fs::write(
        shp.with_extension("prj"),
        r#"PROJCS["WGS_1984_UTM_Zone_31N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]]],PROJECTION["Transverse_Mercator"],PARAMETER["Central_Meridian",3.0]]"#,
    )
    .unwrap();
    let err = read_layer(&shp, &ReadOptions::default()).unwrap_err();
    assert!(matches!(err, Error::UnknownCrs { .. }), "{err}");
    assert!(
        err.to_string().contains("crs = \"EPSG:2154\""),
        "the message says how to force it: {err}"
    );
    fs::remove_file(shp.with_extension("prj")).unwrap();
    assert!(matches!(
        read_layer(&shp, &ReadOptions::default()),
        Err(Error::UnknownCrs { .. })
    ));
    let forced = ReadOptions {
        crs: Some(zones::crs::Crs::Lambert93),
        ..Default::default()
    };
    assert_eq!(read_layer(&shp, &forced).unwrap().features.len(), 527);
}

#[test]
fn forced_encoding_wins_over_detection() {
    let dir = tempfile::tempdir().unwrap();
    let shp = shapefile_copy(dir.path());
    let utf8 = ReadOptions {
        encoding: Some("UTF-8".into()),
        ..Default::default()
    };
    let layer = read_layer(&shp, &utf8).unwrap();
    assert!(
        layer
            .features
            .iter()
            .any(|f| f.attributes["NOM_COM"].contains('\u{fffd}')),
        "Latin-1 read as UTF-8 shows replacement characters"
    );
    fs::write(shp.with_extension("cpg"), "ISO-8859-1").unwrap();
    let layer = read_layer(&shp, &ReadOptions::default()).unwrap();
    assert!(
        layer
            .features
            .iter()
            .any(|f| f.attributes["NOM_COM"] == "Créteil")
    );
    fs::write(shp.with_extension("cpg"), "EBCDIC-martian").unwrap();
    assert!(matches!(
        read_layer(&shp, &ReadOptions::default()),
        Err(Error::UnknownEncoding { .. })
    ));
}

/// A configuration in a temporary folder whose IRIS come from a GeoJSON we can break.
struct TempConfig {
    dir: tempfile::TempDir,
}

impl TempConfig {
    /// IRIS from the real WGS84 GeoJSON, passed through `edit`; composition copied, passed
    /// through `edit_composition`.
    fn new(
        edit: impl FnOnce(&mut serde_json::Value),
        edit_composition: impl FnOnce(String) -> String,
    ) -> TempConfig {
        let dir = tempfile::tempdir().unwrap();
        let mut iris: serde_json::Value = serde_json::from_str(
            &fs::read_to_string(data_dir().join("derived/iris-94-wgs84.geojson")).unwrap(),
        )
        .unwrap();
        edit(&mut iris);
        fs::write(dir.path().join("iris.geojson"), iris.to_string()).unwrap();
        let src = default_config_path().parent().unwrap().to_path_buf();
        for f in ["es.csv", "territoires.csv"] {
            fs::copy(src.join(f), dir.path().join(f)).unwrap();
        }
        let comp = fs::read_to_string(src.join("composition.csv")).unwrap();
        fs::write(dir.path().join("composition.csv"), edit_composition(comp)).unwrap();
        let toml = format!(
            r#"name = "Essai"
code = "94"
data_dir = "{}"
[iris]
path = "iris.geojson"
code = "CODE_IRIS"
name = "NOM_IRIS"
commune = "INSEE_COM"
commune_name = "NOM_COM"
download = "IGN CONTOURS-IRIS"
[composition]
iris_to_es = "composition.csv"
es = "es.csv"
territoires = "territoires.csv"
"#,
            dir.path().display()
        );
        fs::write(dir.path().join("observatoire.toml"), toml).unwrap();
        TempConfig { dir }
    }

    fn build(&self) -> zones::Result<zones::Bundle> {
        let config = zones::Config::load(&self.dir.path().join("observatoire.toml"))?;
        zones::build(&config, &zones::build::Silent).map(|(b, _)| b)
    }
}

#[test]
fn geojson_iris_build_the_same_levels() {
    let b = TempConfig::new(|_| {}, |c| c).build().unwrap();
    assert_eq!(b.zones(zones::Level::Es).len(), 20);
    assert_eq!(b.meta.iris_crs, "EPSG:4326");
    let total: f64 = b
        .zones(zones::Level::Departement)
        .iter()
        .map(|z| z.area_km2)
        .sum();
    assert!((total - 244.86).abs() < 0.3, "{total}");
}

#[test]
fn invalid_ring_names_the_iris() {
    let t = TempConfig::new(
        |fc| {
            // A bow-tie: the ring crosses itself.
            fc["features"][3]["geometry"] = serde_json::json!({"type": "Polygon", "coordinates": [[[2.40, 48.79], [2.41, 48.80], [2.41, 48.79], [2.40, 48.80], [2.40, 48.79]]]});
        },
        |c| c,
    );
    let err = t.build().unwrap_err();
    let code = t.dir.path().join("iris.geojson");
    let _ = code;
    assert!(matches!(err, Error::InvalidGeometry { .. }), "{err}");
    assert!(err.to_string().contains("enregistrement 4"), "{err}");
}

#[test]
fn duplicate_iris_codes_are_listed() {
    let t = TempConfig::new(
        |fc| {
            let f = fc["features"][0].clone();
            fc["features"].as_array_mut().unwrap().push(f);
        },
        |c| c,
    );
    let err = t.build().unwrap_err().to_string();
    assert!(
        err.contains("[Z005]")
            && err.contains("en double")
            && err.contains("enregistrements 1 et 528"),
        "{err}"
    );
}

#[test]
fn composition_rows_naming_unknown_iris_are_errors_with_their_line() {
    let t = TempConfig::new(|_| {}, |c| format!("{c}949990101,ES01\n"));
    let err = t.build().unwrap_err().to_string();
    assert!(
        err.contains("[Z001]") && err.contains("949990101") && err.contains("ligne"),
        "{err}"
    );
}

#[test]
fn iris_missing_from_the_composition_are_errors() {
    let t = TempConfig::new(
        |_| {},
        |c| {
            c.lines()
                .filter(|l| !l.starts_with("94028"))
                .collect::<Vec<_>>()
                .join("\n")
                + "\n"
        },
    );
    let err = t.build().unwrap_err().to_string();
    assert!(
        err.contains("[Z003]") && err.contains("IRIS sans ES"),
        "{err}"
    );
}

#[test]
fn missing_data_file_says_where_to_download() {
    let t = TempConfig::new(|_| {}, |c| c);
    fs::remove_file(t.dir.path().join("iris.geojson")).unwrap();
    let err = t.build().unwrap_err().to_string();
    assert!(
        err.contains("iris.geojson") && err.contains("IGN CONTOURS-IRIS"),
        "{err}"
    );
}

#[test]
fn bad_configuration_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("c.toml");
    fs::write(
        &p,
        "name = \"x\"\ncode = \"94\"\ndata_dir = \".\"\n[iris]\npath = \"a.shp\"\n",
    )
    .unwrap();
    let err = zones::Config::load(&p).unwrap_err().to_string();
    assert!(err.contains("c.toml") && err.contains("code"), "{err}");
}

#[test]
fn truncated_or_foreign_bundle_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("b.bundle");
    common::bundle().save(&p).unwrap();
    let bytes = fs::read(&p).unwrap();
    assert!(zones::Bundle::load(&p).is_ok());
    fs::write(&p, &bytes[..bytes.len() - 10]).unwrap();
    assert!(
        zones::Bundle::load(&p)
            .unwrap_err()
            .to_string()
            .contains("tronqué")
    );
    fs::write(&p, b"not a bundle at all, definitely not").unwrap();
    assert!(zones::Bundle::load(&p).is_err());
}
