//! GeoJSON reader: a FeatureCollection, a bare Feature or a bare geometry; WGS84 by default
//! (RFC 7946), or the CRS a legacy `crs` member names (e.g. `urn:ogc:def:crs:EPSG::2154`).
use geo::MultiPolygon;
use geojson::{GeoJson, Geometry, GeometryValue};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::Path;

use super::{Layer, ReadOptions, SourceFeature};
use crate::crs::Crs;
use crate::error::{Error, Result};

pub fn read(path: &Path, options: &ReadOptions) -> Result<Layer> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse(path, &text, options)
}

/// Parse GeoJSON text; `path` is only used in messages.
pub fn parse(path: &Path, text: &str, options: &ReadOptions) -> Result<Layer> {
    let err = |feature: Option<usize>, message: String| Error::GeoJson {
        path: path.to_path_buf(),
        feature,
        message,
    };
    let geojson: GeoJson = text
        .trim_start_matches('\u{feff}')
        .parse()
        .map_err(|e: geojson::Error| err(None, e.to_string()))?;
    let (items, foreign) = match geojson {
        GeoJson::FeatureCollection(fc) => (
            fc.features
                .into_iter()
                .map(|f| (f.geometry, f.properties))
                .collect::<Vec<_>>(),
            fc.foreign_members,
        ),
        GeoJson::Feature(f) => (vec![(f.geometry, f.properties)], f.foreign_members),
        GeoJson::Geometry(g) => (vec![(Some(g), None)], None),
    };
    let crs = match options.crs {
        Some(c) => c,
        None => legacy_crs(foreign.as_ref()).map_err(|m| Error::UnknownCrs {
            path: path.to_path_buf(),
            message: m,
        })?,
    };
    let mut features = Vec::with_capacity(items.len());
    for (i, (geometry, properties)) in items.into_iter().enumerate() {
        let record = i + 1;
        let geometry = geometry.ok_or_else(|| err(Some(record), "objet sans géométrie".into()))?;
        let geometry = to_multipolygon(geometry).map_err(|m| err(Some(record), m))?;
        features.push(SourceFeature {
            record,
            attributes: properties_text(properties),
            geometry,
        });
    }
    Ok(Layer {
        path: path.to_path_buf(),
        crs,
        encoding: None,
        features,
    })
}

fn legacy_crs(foreign: Option<&Map<String, Value>>) -> std::result::Result<Crs, String> {
    let Some(name) = foreign
        .and_then(|m| m.get("crs"))
        .and_then(|c| c.get("properties"))
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
    else {
        return Ok(Crs::Wgs84);
    };
    Crs::from_user(name).ok_or_else(|| format!("membre « crs » non pris en charge : {name}"))
}

/// Whether every position of `value` has at least two coordinates: the `geojson` crate reads
/// `[0]` or `[]` as a position, then panics converting it to a `geo` coordinate.
fn positions_complete(value: &GeometryValue) -> bool {
    let ok = |p: &geojson::Position| p.as_slice().len() >= 2;
    match value {
        GeometryValue::Point { coordinates } => ok(coordinates),
        GeometryValue::MultiPoint { coordinates } | GeometryValue::LineString { coordinates } => {
            coordinates.iter().all(ok)
        }
        GeometryValue::MultiLineString { coordinates } | GeometryValue::Polygon { coordinates } => {
            coordinates.iter().flatten().all(ok)
        }
        GeometryValue::MultiPolygon { coordinates } => {
            coordinates.iter().flatten().flatten().all(ok)
        }
        GeometryValue::GeometryCollection { geometries } => {
            geometries.iter().all(|g| positions_complete(&g.value))
        }
    }
}

fn to_multipolygon(geometry: Geometry) -> std::result::Result<MultiPolygon<f64>, String> {
    if !positions_complete(&geometry.value) {
        return Err(
            "position à moins de deux coordonnées (longitude et latitude attendues)".into(),
        );
    }
    let g: geo::Geometry<f64> = geometry
        .try_into()
        .map_err(|e: geojson::Error| e.to_string())?;
    let mp = match g {
        geo::Geometry::Polygon(p) => MultiPolygon(vec![p]),
        geo::Geometry::MultiPolygon(mp) => mp,
        geo::Geometry::GeometryCollection(gc) => {
            let mut polys = Vec::new();
            for g in gc {
                match g {
                    geo::Geometry::Polygon(p) => polys.push(p),
                    geo::Geometry::MultiPolygon(mp) => polys.extend(mp),
                    _ => return Err("collection contenant autre chose que des polygones".into()),
                }
            }
            MultiPolygon(polys)
        }
        _ => return Err("géométrie non surfacique : des polygones sont attendus".into()),
    };
    let finite = mp.0.iter().all(|p| {
        p.exterior()
            .0
            .iter()
            .chain(p.interiors().iter().flat_map(|r| r.0.iter()))
            .all(|c| c.x.is_finite() && c.y.is_finite())
    });
    if !finite {
        return Err("coordonnée non finie".into());
    }
    Ok(mp)
}

fn properties_text(properties: Option<Map<String, Value>>) -> BTreeMap<String, String> {
    properties
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(k, v)| {
            let text = match v {
                Value::Null => return None,
                Value::String(s) => s,
                Value::Bool(b) => b.to_string(),
                Value::Number(n) => n.to_string(),
                other => other.to_string(),
            };
            Some((k, text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `[0]` is not a position: an error naming the feature, not a panic in the conversion.
    #[test]
    fn positions_with_one_coordinate_are_errors() {
        for text in [
            r#"{"type":"MultiPoint","coordinates":[[0.0]]}"#,
            r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1],[0,0]]]}"#,
            r#"{"type":"Feature","properties":{},"geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[]}]}}"#,
        ] {
            let err = parse(Path::new("x.geojson"), text, &ReadOptions::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains("x.geojson"), "{err}");
            assert!(
                err.contains("deux coordonnées") || err.contains("two or more"),
                "{err}"
            );
        }
    }
}
