//! Quartiers prioritaires (QPV): a level that does not nest. Their own contours, and an overlay
//! table of which IRIS each QPV intersects, with the shared area, for apportioned estimates.
use geo::{Area, BooleanOps, BoundingRect, Intersects, MultiPolygon};
use rayon::prelude::*;
use rstar::{AABB, RTree, RTreeObject};
use serde::{Deserialize, Serialize};

/// A QPV with its geometry in Lambert-93.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QpvZone {
    pub code: String,
    pub name: String,
    pub area_km2: f64,
    pub geometry: MultiPolygon<f64>,
}

/// The part of a QPV that lies in an IRIS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QpvOverlap {
    pub qpv: String,
    pub iris: String,
    pub shared_km2: f64,
    /// Shared area / IRIS area: the share of an IRIS count to apportion to the QPV.
    pub share_of_iris: f64,
    /// Shared area / QPV area.
    pub share_of_qpv: f64,
}

struct Indexed {
    index: usize,
    envelope: AABB<[f64; 2]>,
}

impl RTreeObject for Indexed {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

fn envelope(g: &MultiPolygon<f64>) -> Option<AABB<[f64; 2]>> {
    g.bounding_rect()
        .map(|r| AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]))
}

/// Intersect every QPV with the IRIS (both Lambert-93); overlaps under 1 m² are dropped.
pub fn overlay(qpv: &[QpvZone], iris: &[(String, MultiPolygon<f64>)]) -> Vec<QpvOverlap> {
    let tree = RTree::bulk_load(
        iris.iter()
            .enumerate()
            .filter_map(|(index, (_, g))| envelope(g).map(|envelope| Indexed { index, envelope }))
            .collect(),
    );
    let mut out: Vec<QpvOverlap> = qpv
        .par_iter()
        .flat_map_iter(|q| {
            let Some(env) = envelope(&q.geometry) else {
                return Vec::new();
            };
            let q_area = q.geometry.unsigned_area();
            let mut rows = Vec::new();
            for cand in tree.locate_in_envelope_intersecting(&env) {
                let (code, g) = &iris[cand.index];
                if !g.intersects(&q.geometry) {
                    continue;
                }
                let shared = g.intersection(&q.geometry).unsigned_area();
                if shared < 1.0 {
                    continue;
                }
                rows.push(QpvOverlap {
                    qpv: q.code.clone(),
                    iris: code.clone(),
                    shared_km2: shared / 1e6,
                    share_of_iris: shared / g.unsigned_area(),
                    share_of_qpv: shared / q_area,
                });
            }
            rows
        })
        .collect();
    out.sort_by(|a, b| (&a.qpv, &a.iris).cmp(&(&b.qpv, &b.iris)));
    out
}
