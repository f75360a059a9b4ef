//! ESRI shapefile reader: geometry from `.shp`/`.shx` (`shapefile` crate), attributes from `.dbf`
//! (`dbase` crate) decoded with the detected encoding, CRS from `.prj`.
use dbase::FieldValue;
use dbase::encoding::EncodingRs;
use geo::{Coord, LineString};
use shapefile::{Shape, ShapeReader};
use std::collections::BTreeMap;
use std::path::Path;

use super::{Layer, ReadOptions, SourceFeature, assemble_rings, encoding};
use crate::crs;
use crate::error::{Error, Result};

const PARTS_HINT: &str =
    "un shapefile comprend les fichiers .shp, .shx, .dbf et .prj de même nom ; copiez-les ensemble";

pub fn read(shp: &Path, options: &ReadOptions) -> Result<Layer> {
    for ext in ["shp", "shx", "dbf"] {
        let part = shp.with_extension(ext);
        if !part.is_file() {
            return Err(Error::MissingFile {
                path: part,
                hint: PARTS_HINT.into(),
            });
        }
    }
    let crs = match options.crs {
        Some(c) => c,
        None => {
            let prj = shp.with_extension("prj");
            let wkt = std::fs::read_to_string(&prj).map_err(|_| Error::UnknownCrs {
                path: prj.clone(),
                message: "fichier .prj absent ou illisible".into(),
            })?;
            crs::detect_wkt(&wkt).map_err(|message| Error::UnknownCrs { path: prj, message })?
        }
    };
    let features = read_geometries(shp)?;
    let dbf = shp.with_extension("dbf");
    let (enc, _how) = encoding::detect(&dbf, options.encoding.as_deref())?;
    let records = read_records(&dbf, enc)?;
    if records.len() != features.len() {
        return Err(Error::Dbf {
            path: dbf,
            record: None,
            message: format!(
                "{} enregistrements pour {} formes dans le .shp : les fichiers ne vont pas ensemble",
                records.len(),
                features.len()
            ),
        });
    }
    let features = features
        .into_iter()
        .zip(records)
        .enumerate()
        .map(|(i, (geometry, attributes))| SourceFeature {
            record: i + 1,
            attributes,
            geometry,
        })
        .collect();
    Ok(Layer {
        path: shp.to_path_buf(),
        crs,
        encoding: Some(enc.name()),
        features,
    })
}

fn read_geometries(shp: &Path) -> Result<Vec<geo::MultiPolygon<f64>>> {
    let err = |record: Option<usize>, message: String| Error::Shapefile {
        path: shp.to_path_buf(),
        record,
        message,
    };
    let mut reader = ShapeReader::from_path(shp).map_err(|e| err(None, e.to_string()))?;
    let mut out = Vec::new();
    for (i, shape) in reader.iter_shapes().enumerate() {
        let shape = shape.map_err(|e| err(Some(i + 1), e.to_string()))?;
        let rings: Vec<LineString<f64>> = match shape {
            Shape::Polygon(p) => p
                .rings()
                .iter()
                .map(|r| ring(r.points().iter().map(|p| (p.x, p.y))))
                .collect(),
            Shape::PolygonM(p) => p
                .rings()
                .iter()
                .map(|r| ring(r.points().iter().map(|p| (p.x, p.y))))
                .collect(),
            Shape::PolygonZ(p) => p
                .rings()
                .iter()
                .map(|r| ring(r.points().iter().map(|p| (p.x, p.y))))
                .collect(),
            Shape::NullShape => return Err(err(Some(i + 1), "forme vide (NullShape)".into())),
            other => {
                return Err(err(
                    Some(i + 1),
                    format!("type {} : des polygones sont attendus", other.shapetype()),
                ));
            }
        };
        if rings
            .iter()
            .flat_map(|r| r.0.iter())
            .any(|c| !c.x.is_finite() || !c.y.is_finite())
        {
            return Err(err(
                Some(i + 1),
                "coordonnée non finie (NaN ou infinie)".into(),
            ));
        }
        out.push(assemble_rings(rings));
    }
    Ok(out)
}

fn ring(points: impl Iterator<Item = (f64, f64)>) -> LineString<f64> {
    let mut coords: Vec<Coord<f64>> = points.map(|(x, y)| Coord { x, y }).collect();
    if coords.len() > 1 && coords.first() != coords.last() {
        coords.push(coords[0]);
    }
    LineString(coords)
}

fn read_records(
    dbf: &Path,
    enc: &'static encoding_rs::Encoding,
) -> Result<Vec<BTreeMap<String, String>>> {
    let err = |record: Option<usize>, message: String| Error::Dbf {
        path: dbf.to_path_buf(),
        record,
        message,
    };
    let mut reader = dbase::ReaderBuilder::new()
        .with_encoding(EncodingRs::from(enc))
        .open(dbf)
        .map_err(|e| err(None, e.to_string()))?;
    let mut out = Vec::new();
    for (i, record) in reader.iter_records().enumerate() {
        let record = record.map_err(|e| err(Some(i + 1), e.to_string()))?;
        let map: BTreeMap<String, String> = record
            .into_iter()
            .filter_map(|(name, value)| field_text(value).map(|v| (name, v)))
            .collect();
        out.push(map);
    }
    Ok(out)
}

/// A DBF value as text, keeping codes as written; `None` for empty values.
fn field_text(value: FieldValue) -> Option<String> {
    match value {
        FieldValue::Character(s) => s.map(|s| s.trim().to_string()),
        FieldValue::Memo(s) => Some(s),
        FieldValue::Numeric(n) => n.map(|n| n.to_string()),
        FieldValue::Float(n) => n.map(|n| n.to_string()),
        FieldValue::Double(n) | FieldValue::Currency(n) => Some(n.to_string()),
        FieldValue::Integer(n) => Some(n.to_string()),
        FieldValue::Logical(b) => b.map(|b| b.to_string()),
        FieldValue::Date(d) => {
            d.map(|d| format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
        }
        FieldValue::DateTime(_) => None,
    }
}
