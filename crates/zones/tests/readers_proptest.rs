//! Property tests: arbitrary bytes fed to every reader never panic (they may only return errors).
//! `PROPTEST_CASES` sets the number of cases (a larger run: `just fuzz`).
use proptest::prelude::*;
use std::path::Path;
use zones::source::{ReadOptions, geojson, read_layer};

fn write_shapefile(dir: &Path, shp: &[u8], shx: &[u8], dbf: &[u8]) -> std::path::PathBuf {
    std::fs::write(dir.join("x.shp"), shp).unwrap();
    std::fs::write(dir.join("x.shx"), shx).unwrap();
    std::fs::write(dir.join("x.dbf"), dbf).unwrap();
    std::fs::write(dir.join("x.prj"), "PROJCS[\"RGF93_Lambert_93\"]").unwrap();
    dir.join("x.shp")
}

/// A valid shapefile header (file code 9994, version 1000, polygon type 5) then arbitrary bytes.
fn shp_like() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..400).prop_map(|tail| {
        let mut h = vec![0u8; 100];
        h[..4].copy_from_slice(&9994i32.to_be_bytes());
        h[24..28].copy_from_slice(&(((100 + tail.len()) / 2) as i32).to_be_bytes());
        h[28..32].copy_from_slice(&1000i32.to_le_bytes());
        h[32..36].copy_from_slice(&5i32.to_le_bytes());
        h.extend(tail);
        h
    })
}

proptest! {
    #[test]
    fn shapefile_reader_never_panics(shp in shp_like(), shx in proptest::collection::vec(any::<u8>(), 0..200), dbf in proptest::collection::vec(any::<u8>(), 0..200)) {
        let dir = tempfile::tempdir().unwrap();
        let path = write_shapefile(dir.path(), &shp, &shx, &dbf);
        let _ = read_layer(&path, &ReadOptions::default());
    }

    #[test]
    fn shapefile_reader_never_panics_on_raw_bytes(shp in proptest::collection::vec(any::<u8>(), 0..300), dbf in proptest::collection::vec(any::<u8>(), 0..300)) {
        let dir = tempfile::tempdir().unwrap();
        let path = write_shapefile(dir.path(), &shp, &[], &dbf);
        let _ = read_layer(&path, &ReadOptions::default());
    }

    #[test]
    fn geojson_reader_never_panics(text in "\\PC*") {
        let _ = geojson::parse(Path::new("x.geojson"), &text, &ReadOptions::default());
    }

    #[test]
    fn geojson_reader_never_panics_on_near_json(coords in proptest::collection::vec((any::<f64>(), any::<f64>()), 0..8), kind in prop::sample::select(vec!["Polygon", "MultiPolygon", "Point", "LineString", "GeometryCollection"])) {
        let ring: Vec<String> = coords.iter().map(|(x, y)| format!("[{x:?},{y:?}]")).collect();
        let text = format!(r#"{{"type":"Feature","properties":{{"code":"1"}},"geometry":{{"type":"{kind}","coordinates":[[{}]]}}}}"#, ring.join(","));
        if let Ok(layer) = geojson::parse(Path::new("x.geojson"), &text, &ReadOptions::default()) {
            let _ = layer.into_crs(zones::crs::Crs::Lambert93);
        }
    }

    #[test]
    fn wkt_detection_never_panics(text in "\\PC*") {
        let _ = zones::crs::detect_wkt(&text);
    }

    #[test]
    fn encoding_sniff_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = zones::source::encoding::sniff(&bytes);
    }

    #[test]
    fn bundle_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut b = b"OBSVBNDL\x03\x00\x00\x00".to_vec();
        b.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        b.extend_from_slice(&[0u8; 32]);
        b.extend_from_slice(&bytes);
        let _ = zones::Bundle::from_bytes(Path::new("x"), &b);
    }
}
