//! Douglas–Peucker simplification of one arc, computed once as a per-vertex *importance* and
//! applied at every zoom by a threshold (as geojson-vt does). Endpoints — the junctions where
//! three zones meet, or the start of a closed ring — have infinite importance and never move, so
//! two neighbours that share an arc share the same simplified border at every zoom: no gap, no
//! overlap. Importance is clamped so that a vertex never outranks the vertex that split its
//! range; the vertices kept at a tolerance are then exactly those Douglas–Peucker keeps with it.
//!
//! Limit (documented, as `geo` does for its own simplifiers): like any Douglas–Peucker, this
//! does not prevent a simplified arc from crossing another arc when the tolerance exceeds the
//! distance between them. The tolerance is a fraction of a screen pixel, so such crossings are
//! sub-pixel; tiles are checked for validity in the tests.

/// Squared distance from `p` to the segment `a`–`b` (to `a` when the segment is a point).
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
    let (ex, ey) = (p[0] - x, p[1] - y);
    ex * ex + ey * ey
}

/// Importance of each vertex: the squared tolerance under which Douglas–Peucker keeps it.
/// Endpoints get `f64::INFINITY`.
pub fn importance(pts: &[[f64; 2]]) -> Vec<f64> {
    let n = pts.len();
    let mut imp = vec![0.0; n];
    if n == 0 {
        return imp;
    }
    imp[0] = f64::INFINITY;
    imp[n - 1] = f64::INFINITY;
    let mut stack: Vec<(usize, usize, f64)> = vec![(0, n - 1, f64::INFINITY)];
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
        let v = best.min(parent);
        imp[at] = v;
        stack.push((first, at, v));
        stack.push((at, last, v));
    }
    imp
}

/// The arc at one zoom: vertices whose importance exceeds `sq_tolerance` (world units of the
/// top zoom, squared), divided by `divisor` and rounded to the zoom's integer grid, without
/// consecutive repeats. Endpoints are always kept.
pub fn at_zoom(pts: &[[f64; 2]], imp: &[f64], sq_tolerance: f64, divisor: f64) -> Vec<[i64; 2]> {
    let mut out: Vec<[i64; 2]> = Vec::new();
    for (p, &w) in pts.iter().zip(imp) {
        if w <= sq_tolerance {
            continue;
        }
        let q = [
            (p[0] / divisor).round() as i64,
            (p[1] / divisor).round() as i64,
        ];
        // A vertex that rounds onto the previous one is the same point: one is enough (an
        // arc whose endpoints round together shrinks to one point and its ring may vanish).
        if out.last() != Some(&q) {
            out.push(q);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_fixed_and_thresholds_nested() {
        let pts: Vec<[f64; 2]> = (0..50)
            .map(|i| {
                let x = i as f64;
                [x, (x * 0.7).sin() * 3.0 + (x * 0.13).cos()]
            })
            .collect();
        let imp = importance(&pts);
        assert!(imp[0].is_infinite() && imp[49].is_infinite());
        let mut previous = usize::MAX;
        for tol in [0.0, 0.01, 0.1, 1.0, 4.0, 100.0] {
            let kept = at_zoom(&pts, &imp, tol, 1.0);
            assert_eq!(kept.first(), Some(&[0, 1]));
            assert_eq!(kept.last().map(|p| p[0]), Some(49));
            assert!(kept.len() <= previous);
            previous = kept.len();
        }
        assert_eq!(previous, 2, "a huge tolerance leaves the endpoints");
    }

    #[test]
    fn kept_vertices_are_within_tolerance() {
        // Every dropped vertex lies within the tolerance of the simplified line.
        let pts: Vec<[f64; 2]> = (0..200)
            .map(|i| {
                let t = i as f64 * 0.05;
                [t * 10.0, (t * 3.0).sin() * 5.0]
            })
            .collect();
        let imp = importance(&pts);
        let tol = 0.5_f64;
        let kept: Vec<usize> = (0..pts.len()).filter(|&i| imp[i] > tol * tol).collect();
        for w in kept.windows(2) {
            for i in w[0]..w[1] {
                assert!(sq_seg_dist(pts[i], pts[w[0]], pts[w[1]]) <= tol * tol + 1e-9);
            }
        }
    }

    #[test]
    fn closed_arc_keeps_its_far_side() {
        let ring: Vec<[f64; 2]> = vec![
            [0.0, 0.0],
            [10.0, 0.0],
            [10.0, 10.0],
            [0.0, 10.0],
            [0.0, 0.0],
        ];
        let imp = importance(&ring);
        let kept = at_zoom(&ring, &imp, 1.0, 1.0);
        assert_eq!(kept.len(), 5, "{kept:?}");
    }
}
