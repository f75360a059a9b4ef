//! Shared fixtures: the default Val-de-Marne bundle built from the real data of ../shared/data,
//! its pyramid with the default options, and an independent decoder (`mvt-reader`).
#![allow(dead_code)]
use geo::{Coord, LineString, MultiPolygon, Polygon};
use std::path::PathBuf;
use std::sync::OnceLock;
use tiles::{TileOptions, Tileset};
use zones::Bundle;

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The default bundle, built once per test binary; missing data fails loudly.
pub fn bundle() -> &'static Bundle {
    static B: OnceLock<Bundle> = OnceLock::new();
    B.get_or_init(|| {
        let config = repo_root().join("boundaries/val-de-marne/observatoire.toml");
        let config = zones::Config::load(&config)
            .expect("default configuration (and ../shared/data beside the checkout)");
        zones::build(&config, &zones::build::Silent)
            .expect("default build succeeds")
            .0
    })
}

/// The pyramid of every level with the default options (z0–16), built once per test binary.
pub fn tileset() -> &'static Tileset {
    static T: OnceLock<Tileset> = OnceLock::new();
    T.get_or_init(|| Tileset::build(bundle(), TileOptions::default()).expect("pyramid"))
}

/// One decoded feature: code, name, id and its polygons in tile coordinates.
pub struct Decoded {
    pub id: Option<u64>,
    pub code: String,
    pub name: String,
    pub geometry: MultiPolygon<f64>,
}

/// Decode a gzip-compressed tile with `mvt-reader` (not the encoder's code): the layers' names
/// and their features.
pub fn decode(gz: &[u8]) -> Vec<(String, Vec<Decoded>)> {
    use std::io::Read;
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut raw)
        .expect("gzip");
    decode_raw(raw)
}

pub fn decode_raw(raw: Vec<u8>) -> Vec<(String, Vec<Decoded>)> {
    let reader = mvt_reader::Reader::new(raw).expect("valid MVT");
    let names = reader.get_layer_names().expect("layer names");
    names
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let feats = reader
                .get_features_as::<f64>(i)
                .expect("features")
                .into_iter()
                .map(|f| {
                    let props = f.properties.unwrap_or_default();
                    let text = |k: &str| match props.get(k) {
                        Some(mvt_reader::feature::Value::String(s)) => s.clone(),
                        other => panic!("property {k}: {other:?}"),
                    };
                    let geometry = match f.geometry {
                        geo::Geometry::Polygon(p) => MultiPolygon(vec![p]),
                        geo::Geometry::MultiPolygon(mp) => mp,
                        other => panic!("not a polygon: {other:?}"),
                    };
                    Decoded {
                        id: f.id,
                        code: text("code"),
                        name: text("name"),
                        geometry,
                    }
                })
                .collect();
            (name, feats)
        })
        .collect()
}

/// The square of the visible tile, `[0, extent]²`.
pub fn tile_square(extent: f64) -> Polygon<f64> {
    Polygon::new(
        LineString(vec![
            Coord { x: 0.0, y: 0.0 },
            Coord { x: extent, y: 0.0 },
            Coord {
                x: extent,
                y: extent,
            },
            Coord { x: 0.0, y: extent },
            Coord { x: 0.0, y: 0.0 },
        ]),
        vec![],
    )
}
