//! Simplification of the shared topology for an output scale. Each arc of the topology is
//! simplified once (Douglas–Peucker with fixed endpoints), and every zone of every level is
//! drawn from the same simplified arcs: neighbours keep exactly the same border, so the map
//! has neither gaps nor slivers whatever the scale.
//!
//! Importance of each vertex is computed once per topology (the squared tolerance under which
//! Douglas–Peucker keeps it), so a map or an atlas page of any scale only thresholds it.
//! Limit: as any Douglas–Peucker, a simplified arc may cross a neighbouring arc when the
//! tolerance exceeds their distance; tolerances here are a fraction of a printed point
//! (0.15 pt), so such crossings are invisible.
use zones::topology::{ArcRef, TopoGeometry, Topology, arc_index};

/// The importance of every vertex of a topology's arcs.
pub struct Simplifier {
    importance: Vec<Vec<f64>>,
}

fn sq_seg_dist(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> f64 {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let (mut x, mut y) = (a[0], a[1]);
    if len2 > 0.0 {
        let t = ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2;
        if t > 1.0 {
            (x, y) = (b[0], b[1]);
        } else if t > 0.0 {
            (x, y) = (a[0] + dx * t, a[1] + dy * t);
        }
    }
    (p[0] - x).powi(2) + (p[1] - y).powi(2)
}

/// Importance of each vertex of a line (endpoints: infinite). A closed line (first point ==
/// last point) also keeps its point farthest from the start, so a ring never collapses to a
/// segment; its other points follow Douglas–Peucker on both halves.
fn importance(pts: &[[f64; 2]]) -> Vec<f64> {
    let n = pts.len();
    let mut imp = vec![0.0; n];
    if n == 0 {
        return imp;
    }
    imp[0] = f64::INFINITY;
    imp[n - 1] = f64::INFINITY;
    let mut stack: Vec<(usize, usize, f64)> = Vec::new();
    if n > 2 && pts[0] == pts[n - 1] {
        let far = (1..n - 1)
            .max_by(|&i, &j| {
                let di = (pts[i][0] - pts[0][0]).powi(2) + (pts[i][1] - pts[0][1]).powi(2);
                let dj = (pts[j][0] - pts[0][0]).powi(2) + (pts[j][1] - pts[0][1]).powi(2);
                di.total_cmp(&dj)
            })
            .unwrap_or(1);
        imp[far] = f64::INFINITY;
        stack.push((0, far, f64::INFINITY));
        stack.push((far, n - 1, f64::INFINITY));
    } else {
        stack.push((0, n - 1, f64::INFINITY));
    }
    while let Some((first, last, parent)) = stack.pop() {
        if last <= first + 1 {
            continue;
        }
        let (mut best, mut at) = (-1.0, first + 1);
        for (i, &p) in pts.iter().enumerate().take(last).skip(first + 1) {
            let d = sq_seg_dist(p, pts[first], pts[last]);
            if d > best {
                best = d;
                at = i;
            }
        }
        // A vertex never outranks the one that split its range: thresholds stay nested.
        let v = best.min(parent);
        imp[at] = v;
        stack.push((first, at, v));
        stack.push((at, last, v));
    }
    imp
}

impl Simplifier {
    pub fn new(topology: &Topology) -> Simplifier {
        let g = topology.grid;
        let importance = topology
            .arcs
            .iter()
            .map(|arc| {
                let pts: Vec<[f64; 2]> = arc
                    .iter()
                    .map(|p| [p[0] as f64 * g, p[1] as f64 * g])
                    .collect();
                importance(&pts)
            })
            .collect();
        Simplifier { importance }
    }

    /// Arcs of `topology` (the one given to [`Simplifier::new`]) simplified at `tolerance`
    /// metres, in Lambert-93 metres.
    pub fn at(&self, topology: &Topology, tolerance: f64) -> Arcs {
        let sq = tolerance * tolerance;
        let g = topology.grid;
        Arcs {
            arcs: topology
                .arcs
                .iter()
                .zip(&self.importance)
                .map(|(arc, imp)| {
                    arc.iter()
                        .zip(imp)
                        .filter(|(_, w)| **w > sq)
                        .map(|(p, _)| [p[0] as f64 * g, p[1] as f64 * g])
                        .collect()
                })
                .collect(),
        }
    }
}

/// Simplified arcs, indexed as the topology's.
pub struct Arcs {
    pub arcs: Vec<Vec<[f64; 2]>>,
}

impl Arcs {
    /// The points of a signed arc in its direction of use.
    fn points(&self, r: ArcRef) -> Box<dyn Iterator<Item = [f64; 2]> + '_> {
        let a = &self.arcs[arc_index(r)];
        if r >= 0 {
            Box::new(a.iter().copied())
        } else {
            Box::new(a.iter().rev().copied())
        }
    }

    /// A ring of arcs as points, closed; `None` when it has collapsed (fewer than 3 distinct
    /// points).
    pub fn ring(&self, ring: &[ArcRef]) -> Option<Vec<[f64; 2]>> {
        let mut pts: Vec<[f64; 2]> = Vec::new();
        for &r in ring {
            let mut it = self.points(r);
            if !pts.is_empty() {
                it.next();
            }
            pts.extend(it);
        }
        pts.dedup();
        (pts.len() >= 4).then_some(pts)
    }

    /// Rings of a geometry (shells and holes; an SVG path filled even-odd needs no more).
    pub fn rings(&self, g: &TopoGeometry) -> Vec<Vec<[f64; 2]>> {
        g.polygons
            .iter()
            .flat_map(|p| p.rings.iter())
            .filter_map(|r| self.ring(r))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_fixed_and_rings_never_collapse() {
        let line: Vec<[f64; 2]> = (0..40)
            .map(|i| [i as f64, (i as f64 * 0.5).sin()])
            .collect();
        let imp = importance(&line);
        assert!(imp[0].is_infinite() && imp[39].is_infinite());
        let mut ring: Vec<[f64; 2]> = (0..32)
            .map(|i| {
                let a = i as f64 / 32.0 * std::f64::consts::TAU;
                [a.cos(), a.sin()]
            })
            .collect();
        ring.push(ring[0]);
        let imp = importance(&ring);
        let kept = imp.iter().filter(|w| w.is_infinite()).count();
        assert_eq!(kept, 3, "start, farthest point, end");
    }
}
