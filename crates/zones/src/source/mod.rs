//! Boundary sources: every reader yields a [`Layer`] of polygon features with text attributes,
//! in the CRS the source is in (detected, or forced by the configuration).
use geo::{Area, BoundingRect, MultiPolygon, Polygon};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::crs::{self, Crs};
use crate::error::{Error, Result};

pub mod encoding;
#[cfg(feature = "gdal")]
pub mod gdal;
pub mod geojson;
pub mod shapefile;

/// One polygon feature of a source, with its attributes as text (codes stay text).
#[derive(Debug, Clone)]
pub struct SourceFeature {
    /// Position in the source, from 1 (what an error names).
    pub record: usize,
    pub attributes: BTreeMap<String, String>,
    pub geometry: MultiPolygon<f64>,
}

/// What a reader found.
#[derive(Debug, Clone)]
pub struct Layer {
    pub path: PathBuf,
    pub crs: Crs,
    /// The text encoding used for attributes, when the format has a choice (DBF).
    pub encoding: Option<&'static str>,
    pub features: Vec<SourceFeature>,
}

impl Layer {
    /// Reproject every feature to `to`.
    pub fn into_crs(mut self, to: Crs) -> Result<Layer> {
        if self.crs != to {
            for f in &mut self.features {
                crs::reproject_in_place(&mut f.geometry, self.crs, to)?;
            }
            self.crs = to;
        }
        Ok(self)
    }

    /// Names of the attributes of the first feature, for error messages.
    pub fn field_names(&self) -> String {
        self.features
            .first()
            .map(|f| f.attributes.keys().cloned().collect::<Vec<_>>().join(", "))
            .unwrap_or_default()
    }

    /// The non-empty value of `field` in `feature`, or an error naming the record.
    pub fn attribute<'a>(&self, feature: &'a SourceFeature, field: &str) -> Result<&'a str> {
        match feature.attributes.get(field).map(|s| s.trim()) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(Error::MissingField {
                path: self.path.clone(),
                record: feature.record,
                field: field.to_string(),
                available: self.field_names(),
            }),
        }
    }
}

/// Options a configuration can force on a reader.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Text encoding label (`UTF-8`, `ISO-8859-1`, `windows-1252`…), overriding detection.
    pub encoding: Option<String>,
    /// CRS, overriding the `.prj` or the GeoJSON default.
    pub crs: Option<Crs>,
    /// Layer name for multi-layer formats (GDAL).
    pub layer: Option<String>,
}

/// Read any supported polygon source, chosen by file extension.
pub fn read_layer(path: &Path, options: &ReadOptions) -> Result<Layer> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match ext.as_str() {
        "shp" => shapefile::read(path, options),
        "geojson" | "json" => geojson::read(path, options),
        #[cfg(feature = "gdal")]
        _ => gdal::read(path, options),
        #[cfg(not(feature = "gdal"))]
        _ => Err(Error::UnsupportedFormat {
            path: path.to_path_buf(),
            hint: "seuls .shp et .geojson sont lus par défaut ; compilez avec `--features gdal` pour GeoPackage et les autres formats OGR".into(),
        }),
    }
}

/// Build polygons from rings of unknown role: rings are classified by containment (a ring
/// inside an odd number of other rings is a hole of the smallest ring containing it), which
/// does not trust the writer's ring order or orientation.
pub fn assemble_rings(rings: Vec<geo::LineString<f64>>) -> MultiPolygon<f64> {
    let rings: Vec<_> = rings
        .into_iter()
        .filter(|r| r.0.len() >= 4)
        .map(|r| {
            let p = Polygon::new(r, vec![]);
            let area = p.unsigned_area();
            (p, area)
        })
        .collect();
    if rings.len() == 1 {
        return MultiPolygon(rings.into_iter().map(|(p, _)| p).collect());
    }
    let bboxes: Vec<_> = rings.iter().map(|(p, _)| p.bounding_rect()).collect();
    // parent[i] = smallest ring that contains ring i; depth[i] = how many rings contain it.
    let mut depth = vec![0usize; rings.len()];
    let mut parent = vec![None; rings.len()];
    for i in 0..rings.len() {
        for j in 0..rings.len() {
            if i == j || rings[j].1 <= rings[i].1 {
                continue;
            }
            let (Some(bi), Some(bj)) = (bboxes[i], bboxes[j]) else {
                continue;
            };
            let inside_bbox = bi.min().x >= bj.min().x
                && bi.max().x <= bj.max().x
                && bi.min().y >= bj.min().y
                && bi.max().y <= bj.max().y;
            if inside_bbox && ring_inside(&rings[i].0, &rings[j].0) {
                depth[i] += 1;
                if parent[i].is_none_or(|p: usize| rings[j].1 < rings[p].1) {
                    parent[i] = Some(j);
                }
            }
        }
    }
    let mut polygons: Vec<Option<Polygon<f64>>> = Vec::with_capacity(rings.len());
    let mut holes: Vec<(usize, geo::LineString<f64>)> = Vec::new();
    for (i, (p, _)) in rings.into_iter().enumerate() {
        if depth[i] % 2 == 1 {
            if let Some(par) = parent[i] {
                holes.push((par, p.into_inner().0));
            }
            polygons.push(None);
        } else {
            polygons.push(Some(p));
        }
    }
    for (par, hole) in holes {
        if let Some(Some(p)) = polygons.get_mut(par) {
            p.interiors_push(hole);
        }
    }
    MultiPolygon(polygons.into_iter().flatten().collect())
}

/// Whether ring `inner` lies inside ring `outer`, judged at its first vertex not on `outer`'s
/// boundary (rings may touch at points).
fn ring_inside(inner: &Polygon<f64>, outer: &Polygon<f64>) -> bool {
    use geo::coordinate_position::{CoordPos, CoordinatePosition};
    for c in &inner.exterior().0 {
        match outer.coordinate_position(c) {
            CoordPos::Inside => return true,
            CoordPos::Outside => return false,
            CoordPos::OnBoundary => {}
        }
    }
    false
}
