//! The optional GDAL reader (`--features gdal`): the same IRIS through OGR as through the
//! native reader, and a GeoPackage made with `ogr2ogr` (Debian gdal-bin).
#![cfg(feature = "gdal")]
mod common;

use common::data_dir;
use geo::Area;
use std::process::Command;
use zones::crs::Crs;
use zones::source::{ReadOptions, read_layer};

#[test]
fn gdal_reads_the_shapefile_like_the_native_reader() {
    let shp = data_dir().join("iris-94-shp/map_iris.shp");
    let native = read_layer(&shp, &ReadOptions::default()).unwrap();
    let ogr = zones::source::gdal::read(&shp, &ReadOptions::default()).unwrap();
    assert_eq!(ogr.crs, Crs::Lambert93);
    assert_eq!(ogr.features.len(), native.features.len());
    for (a, b) in native.features.iter().zip(&ogr.features) {
        assert_eq!(a.attributes["CODE_IRIS"], b.attributes["CODE_IRIS"]);
        assert_eq!(
            a.attributes["NOM_COM"], b.attributes["NOM_COM"],
            "same decoding of Latin-1 names"
        );
        assert!((a.geometry.unsigned_area() - b.geometry.unsigned_area()).abs() < 1e-3);
    }
}

#[test]
fn geopackage_is_read_through_gdal() {
    let dir = tempfile::tempdir().unwrap();
    let gpkg = dir.path().join("iris.gpkg");
    let status = Command::new("ogr2ogr")
        .args([
            "-f",
            "GPKG",
            gpkg.to_str().unwrap(),
            data_dir()
                .join("iris-94-shp/map_iris.shp")
                .to_str()
                .unwrap(),
        ])
        .status()
        .expect("ogr2ogr (Debian gdal-bin) is installed by .ci/run for the gdal feature");
    assert!(status.success());
    let layer = read_layer(&gpkg, &ReadOptions::default()).unwrap();
    assert_eq!(layer.crs, Crs::Lambert93);
    assert_eq!(layer.features.len(), 527);
    assert!(
        layer
            .features
            .iter()
            .any(|f| f.attributes["NOM_COM"] == "Créteil")
    );
    let total: f64 = layer
        .features
        .iter()
        .map(|f| f.geometry.unsigned_area())
        .sum::<f64>()
        / 1e6;
    assert!((total - 244.86).abs() < 0.25, "{total}");
}
