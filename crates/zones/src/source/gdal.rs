//! Every other OGR format (GeoPackage, FlatGeobuf, MapInfo…) through GDAL, behind the `gdal`
//! feature so that the default build needs no system library.
use gdal::Dataset;
use gdal::vector::LayerAccess;
use std::collections::BTreeMap;
use std::path::Path;

use super::{Layer, ReadOptions, SourceFeature};
use crate::crs::{self, Crs};
use crate::error::{Error, Result};

pub fn read(path: &Path, options: &ReadOptions) -> Result<Layer> {
    let err = |feature: Option<usize>, message: String| Error::Shapefile {
        path: path.to_path_buf(),
        record: feature,
        message,
    };
    if !path.exists() {
        return Err(Error::MissingFile {
            path: path.to_path_buf(),
            hint: "vérifiez le chemin dans la configuration".into(),
        });
    }
    let dataset = Dataset::open(path).map_err(|e| err(None, e.to_string()))?;
    let mut layer = match &options.layer {
        Some(name) => dataset.layer_by_name(name),
        None => dataset.layer(0),
    }
    .map_err(|e| err(None, e.to_string()))?;
    let crs = match options.crs {
        Some(c) => c,
        None => {
            let srs = layer.spatial_ref().ok_or_else(|| Error::UnknownCrs {
                path: path.to_path_buf(),
                message: "la couche ne déclare pas de système de coordonnées".into(),
            })?;
            let by_code = srs
                .auth_code()
                .ok()
                .and_then(|c| Crs::from_user(&c.to_string()));
            match by_code {
                Some(c) => c,
                None => {
                    let wkt = srs.to_wkt().map_err(|e| err(None, e.to_string()))?;
                    crs::detect_wkt(&wkt).map_err(|message| Error::UnknownCrs {
                        path: path.to_path_buf(),
                        message,
                    })?
                }
            }
        }
    };
    let field_names: Vec<String> = layer.defn().fields().map(|f| f.name()).collect();
    let mut features = Vec::new();
    for (i, feature) in layer.features().enumerate() {
        let record = i + 1;
        let mut attributes = BTreeMap::new();
        for (idx, name) in field_names.iter().enumerate() {
            if let Ok(Some(value)) = feature.field_as_string(idx) {
                attributes.insert(name.clone(), value);
            }
        }
        let geometry = feature
            .geometry()
            .ok_or_else(|| err(Some(record), "objet sans géométrie".into()))?;
        let geometry = geometry
            .to_geo()
            .map_err(|e| err(Some(record), e.to_string()))?;
        let geometry = match geometry {
            geo::Geometry::Polygon(p) => geo::MultiPolygon(vec![p]),
            geo::Geometry::MultiPolygon(mp) => mp,
            _ => {
                return Err(err(
                    Some(record),
                    "géométrie non surfacique : des polygones sont attendus".into(),
                ));
            }
        };
        features.push(SourceFeature {
            record,
            attributes,
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
