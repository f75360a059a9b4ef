//! What every map of one bundle needs and nothing about a map changes: the importance of every
//! arc vertex (simplification), the territory's outline for placing map items, and the label
//! points of each zone. Computed once per bundle and kept (one bundle at a time), so a server
//! drawing many maps, or an atlas drawing many pages, pays for it once.
use geo::{Area, InteriorPoint, MultiPolygon};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use zones::{Bundle, Level};

use crate::simplify::Simplifier;

pub struct Prepared {
    key: u64,
    pub simplifier: Simplifier,
    /// The département's outline, simplified at 20 m (Lambert-93): where the map items go.
    pub territory: MultiPolygon<f64>,
    /// Interior point (Lambert-93) of the largest part of each zone, by level and code.
    pub label_points: HashMap<(Level, String), [f64; 2]>,
}

/// A fingerprint of the bundle's geometry and identity (cheap: one pass over arc lengths).
fn key(bundle: &Bundle) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |v: u64| {
        h ^= v;
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    mix(bundle.meta.built_at);
    bundle.meta.code.bytes().for_each(|b| mix(u64::from(b)));
    mix(bundle.topology.grid.to_bits());
    for a in &bundle.topology.arcs {
        mix(a.len() as u64);
        if let Some(p) = a.first() {
            mix(p[0] as u64 ^ (p[1] as u64).rotate_left(32));
        }
    }
    for (l, zs) in &bundle.levels {
        mix(*l as u64);
        mix(zs.len() as u64);
    }
    h
}

impl Prepared {
    fn new(bundle: &Bundle, key: u64) -> Prepared {
        let simplifier = Simplifier::new(&bundle.topology);
        let arcs = simplifier.at(&bundle.topology, 20.0);
        let territory = bundle
            .zones(Level::Departement)
            .first()
            .map(|z| {
                MultiPolygon(
                    arcs.rings(&z.geometry)
                        .into_iter()
                        .map(|r| {
                            geo::Polygon::new(
                                geo::LineString::from(
                                    r.into_iter().map(|p| (p[0], p[1])).collect::<Vec<_>>(),
                                ),
                                vec![],
                            )
                        })
                        .collect(),
                )
            })
            .unwrap_or_else(|| MultiPolygon(vec![]));
        let mut label_points = HashMap::new();
        for level in [
            Level::Commune,
            Level::Es,
            Level::Territoire,
            Level::Departement,
        ] {
            for z in bundle.zones(level) {
                let mp = bundle.topology.to_multipolygon(&z.geometry);
                let largest =
                    mp.0.iter()
                        .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()));
                if let Some(p) = largest.and_then(|p| p.interior_point()) {
                    label_points.insert((level, z.code.clone()), [p.x(), p.y()]);
                }
            }
        }
        Prepared {
            key,
            simplifier,
            territory,
            label_points,
        }
    }

    pub fn label_point(&self, level: Level, code: &str) -> Option<[f64; 2]> {
        self.label_points.get(&(level, code.to_string())).copied()
    }
}

/// The prepared data of `bundle`, computed on first use and kept for the same bundle.
pub fn prepared(bundle: &Bundle) -> Arc<Prepared> {
    static CACHE: Mutex<Option<Arc<Prepared>>> = Mutex::new(None);
    let k = key(bundle);
    if let Ok(c) = CACHE.lock()
        && let Some(p) = c.as_ref()
        && p.key == k
    {
        return p.clone();
    }
    let p = Arc::new(Prepared::new(bundle, k));
    if let Ok(mut c) = CACHE.lock() {
        *c = Some(p.clone());
    }
    p
}
