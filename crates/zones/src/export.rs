//! Zones as a user gets them: RFC 7946 GeoJSON (WGS84, shells counter-clockwise, 7 decimals,
//! about 1 cm) and flat rows for CSV.
use geo::{Coord, MultiPolygon};
use serde_json::{Map, Value, json};

use crate::bundle::Bundle;
use crate::crs::{Crs, reproject_in_place};
use crate::error::Result;
use crate::level::Level;

/// Columns of a level's table (without geometry), in order.
pub fn columns(level: Level) -> Vec<&'static str> {
    let mut c = vec!["code", "name"];
    match level {
        Level::Iris => c.extend(["commune", "es", "territoire", "type"]),
        Level::Commune => c.push("es"),
        Level::Es => c.extend(["territoire", "address", "hours"]),
        Level::Qpv => c.push("iris"),
        Level::Territoire | Level::Departement => {}
    }
    c.push("area_km2");
    if matches!(level, Level::Iris | Level::Es | Level::Territoire) {
        c.push("illustrative");
    }
    c
}

/// One row of text per zone, matching [`columns`].
pub fn rows(bundle: &Bundle, level: Level) -> Vec<Vec<String>> {
    let illustrative = bundle.meta.illustrative_composition.to_string();
    let area = |a: f64| format!("{a:.6}");
    if level == Level::Qpv {
        return bundle
            .qpv
            .iter()
            .map(|q| {
                let iris: Vec<&str> = bundle
                    .qpv_overlay
                    .iter()
                    .filter(|o| o.qpv == q.code)
                    .map(|o| o.iris.as_str())
                    .collect();
                vec![
                    q.code.clone(),
                    q.name.clone(),
                    iris.join(","),
                    area(q.area_km2),
                ]
            })
            .collect();
    }
    bundle
        .zones(level)
        .iter()
        .map(|z| {
            let mut r = vec![z.code.clone(), z.name.clone()];
            let parent = |l: Level| z.parent(l).unwrap_or_default().to_string();
            let attr = |k: &str| z.attributes.get(k).cloned().unwrap_or_default();
            match level {
                Level::Iris => r.extend([
                    parent(Level::Commune),
                    parent(Level::Es),
                    parent(Level::Territoire),
                    attr("type"),
                ]),
                Level::Commune => r.push(attr("es")),
                Level::Es => r.extend([parent(Level::Territoire), attr("address"), attr("hours")]),
                _ => {}
            }
            r.push(area(z.area_km2));
            if matches!(level, Level::Iris | Level::Es | Level::Territoire) {
                r.push(illustrative.clone());
            }
            r
        })
        .collect()
}

/// A level as an RFC 7946 FeatureCollection in WGS84.
pub fn geojson(bundle: &Bundle, level: Level) -> Result<Value> {
    let cols = columns(level);
    let geometries: Vec<MultiPolygon<f64>> = if level == Level::Qpv {
        bundle.qpv.iter().map(|q| q.geometry.clone()).collect()
    } else {
        bundle
            .zones(level)
            .iter()
            .map(|z| bundle.topology.to_multipolygon(&z.geometry))
            .collect()
    };
    let mut features = Vec::with_capacity(geometries.len());
    for (mut g, row) in geometries.into_iter().zip(rows(bundle, level)) {
        reproject_in_place(&mut g, Crs::Lambert93, Crs::Wgs84)?;
        let mut props = Map::new();
        for (k, v) in cols.iter().zip(row) {
            let value = match *k {
                "area_km2" => v.parse::<f64>().map(|f| json!(f)).unwrap_or(Value::Null),
                "illustrative" => Value::Bool(v == "true"),
                _ if v.is_empty() => continue,
                _ => Value::String(v),
            };
            props.insert(k.to_string(), value);
        }
        features.push(
            json!({ "type": "Feature", "properties": props, "geometry": multipolygon_json(&g) }),
        );
    }
    Ok(json!({ "type": "FeatureCollection", "features": features }))
}

fn multipolygon_json(g: &MultiPolygon<f64>) -> Value {
    let ring = |r: &geo::LineString<f64>| Value::Array(r.0.iter().map(position).collect());
    let polys: Vec<Value> =
        g.0.iter()
            .map(|p| {
                Value::Array(
                    std::iter::once(ring(p.exterior()))
                        .chain(p.interiors().iter().map(ring))
                        .collect(),
                )
            })
            .collect();
    if polys.len() == 1 {
        json!({ "type": "Polygon", "coordinates": polys[0] })
    } else {
        json!({ "type": "MultiPolygon", "coordinates": polys })
    }
}

fn position(c: &Coord<f64>) -> Value {
    let round = |v: f64| (v * 1e7).round() / 1e7;
    json!([round(c.x), round(c.y)])
}

/// The neighbouring territories (grey context) as an RFC 7946 FeatureCollection.
pub fn context_geojson(bundle: &Bundle) -> Result<Value> {
    let mut features = Vec::with_capacity(bundle.context.len());
    for c in &bundle.context {
        let mut g = c.geometry.clone();
        reproject_in_place(&mut g, Crs::Lambert93, Crs::Wgs84)?;
        features.push(json!({ "type": "Feature", "properties": { "code": c.code, "name": c.name }, "geometry": multipolygon_json(&g) }));
    }
    Ok(json!({ "type": "FeatureCollection", "features": features }))
}
