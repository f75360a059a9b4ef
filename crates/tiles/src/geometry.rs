//! Rings on integer grids: assembling a zone's rings from simplified arcs, cleaning the
//! defects that rounding to a grid creates (repeated points, zero-width spikes, rings of no
//! area) and orienting rings as MVT wants them.
use geo::{BooleanOps, Coord, LineString, MultiPolygon, Polygon, Validation};
use zones::topology::{ArcRef, TopoGeometry, arc_index};

pub type IPt = [i64; 2];

/// Twice the signed area (shoelace) of an open ring. Positive is clockwise on screen (y down),
/// which MVT 2.1 requires of exterior rings.
pub fn double_area(ring: &[IPt]) -> i128 {
    let n = ring.len();
    if n < 3 {
        return 0;
    }
    let [ox, oy] = ring[0];
    let mut s: i128 = 0;
    for i in 0..n {
        let [x1, y1] = ring[i];
        let [x2, y2] = ring[(i + 1) % n];
        s += ((x1 - ox) as i128) * ((y2 - oy) as i128) - ((x2 - ox) as i128) * ((y1 - oy) as i128);
    }
    s
}

/// Drop the closing point, repeated points and zero-width spikes (`a, b, a`), also across the
/// ring's start; `None` when fewer than three points or no area remain.
pub fn clean_ring(pts: impl IntoIterator<Item = IPt>) -> Option<Vec<IPt>> {
    let mut out: Vec<IPt> = Vec::new();
    for p in pts {
        if out.last() == Some(&p) {
            continue;
        }
        if out.len() >= 2 && out[out.len() - 2] == p {
            out.pop();
            continue;
        }
        out.push(p);
    }
    loop {
        let n = out.len();
        if n < 3 {
            return None;
        }
        if out[n - 1] == out[0] {
            out.pop();
        } else if out[n - 2] == out[0] {
            out.truncate(n - 2);
        } else if out[n - 1] == out[1] {
            out.drain(0..2);
        } else {
            break;
        }
    }
    (double_area(&out) != 0).then_some(out)
}

/// Orient a ring: positive area (exterior in MVT) when `exterior`, negative otherwise.
pub fn orient(mut ring: Vec<IPt>, exterior: bool) -> Vec<IPt> {
    if (double_area(&ring) > 0) != exterior {
        ring.reverse();
    }
    ring
}

/// The points of a ring of arcs (each arc's first point skipped after the first arc).
fn ring_points<'a>(refs: &'a [ArcRef], arcs: &'a [Vec<IPt>]) -> impl Iterator<Item = IPt> + 'a {
    refs.iter().enumerate().flat_map(move |(k, &r)| {
        let arc = &arcs[arc_index(r)];
        let skip = usize::from(k > 0);
        let fwd = (r >= 0).then(|| arc.iter().copied().skip(skip));
        let rev = (r < 0).then(|| arc.iter().rev().copied().skip(skip));
        fwd.into_iter().flatten().chain(rev.into_iter().flatten())
    })
}

/// A zone at one zoom, from its arcs simplified and quantised for that zoom: cleaned, oriented
/// rings as polygons of integers (world units of the zoom). A polygon whose shell vanishes is
/// dropped with its holes.
pub fn assemble(geom: &TopoGeometry, arcs: &[Vec<IPt>]) -> Vec<Vec<Vec<IPt>>> {
    geom.polygons
        .iter()
        .filter_map(|p| {
            let shell = clean_ring(ring_points(p.rings.first()?, arcs))?;
            let mut rings = vec![orient(shell, true)];
            rings.extend(
                p.rings[1..]
                    .iter()
                    .filter_map(|r| clean_ring(ring_points(r, arcs)))
                    .map(|h| orient(h, false)),
            );
            Some(rings)
        })
        .collect()
}

/// Integer polygons as a `geo` multipolygon (closed rings), for clipping.
pub fn to_geo(polys: &[Vec<Vec<IPt>>]) -> MultiPolygon<f64> {
    let ring = |r: &Vec<IPt>| {
        let mut ls: Vec<Coord<f64>> = r
            .iter()
            .map(|&[x, y]| Coord {
                x: x as f64,
                y: y as f64,
            })
            .collect();
        ls.push(ls[0]);
        LineString(ls)
    };
    MultiPolygon(
        polys
            .iter()
            .map(|p| Polygon::new(ring(&p[0]), p[1..].iter().map(ring).collect()))
            .collect(),
    )
}

/// A clipped `geo` multipolygon (world units of the zoom) in tile coordinates: translated by the
/// tile origin, rounded, cleaned and oriented.
pub fn to_tile(mp: &MultiPolygon<f64>, ox: i64, oy: i64) -> Vec<Vec<Vec<IPt>>> {
    let ring = |ls: &LineString<f64>| {
        clean_ring(
            ls.0.iter()
                .map(|c| [c.x.round() as i64 - ox, c.y.round() as i64 - oy]),
        )
    };
    mp.0.iter()
        .filter_map(|p| {
            let shell = ring(p.exterior())?;
            let mut rings = vec![orient(shell, true)];
            rings.extend(
                p.interiors()
                    .iter()
                    .filter_map(ring)
                    .map(|h| orient(h, false)),
            );
            Some(rings)
        })
        .collect()
}

/// The polygons unchanged when valid (OGC: simple rings, holes inside their shell, no
/// overlap), else repaired by an overlay with nothing (i_overlay, even-odd rule), which splits
/// self-intersecting rings at their crossings. Simplification and rounding to a coarse grid can
/// make a ring cross itself where it was narrower than the tolerance; the repair only touches
/// that sub-pixel spot, so the rest of the border stays identical to the neighbour's.
pub fn make_valid(polys: Vec<Vec<Vec<IPt>>>) -> Vec<Vec<Vec<IPt>>> {
    let mp = to_geo(&polys);
    if mp.is_valid() {
        return polys;
    }
    to_tile(&mp.union(&MultiPolygon::new(Vec::new())), 0, 0)
}

/// Integer polygons in tile coordinates, translated by the tile origin (no clipping needed).
pub fn translate(polys: &[Vec<Vec<IPt>>], ox: i64, oy: i64) -> Vec<Vec<Vec<IPt>>> {
    polys
        .iter()
        .map(|p| {
            p.iter()
                .map(|r| r.iter().map(|&[x, y]| [x - ox, y - oy]).collect())
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaning_removes_spikes_repeats_and_flat_rings() {
        // A square with a repeated point and a spike.
        let r = clean_ring([
            [0, 0],
            [4, 0],
            [4, 0],
            [6, 0],
            [4, 0],
            [4, 4],
            [0, 4],
            [0, 0],
        ]);
        assert_eq!(r, Some(vec![[0, 0], [4, 0], [4, 4], [0, 4]]));
        // A spike across the start.
        let r = clean_ring([[9, 0], [0, 0], [4, 0], [4, 4], [0, 4], [0, 0]]);
        assert_eq!(double_area(&r.clone().unwrap()).abs(), 32, "{r:?}");
        assert!(!r.unwrap().contains(&[9, 0]));
        // Collapsed rings.
        assert_eq!(clean_ring([[0, 0], [1, 1], [0, 0]]), None);
        assert_eq!(clean_ring([[0, 0], [1, 1], [2, 2]]), None);
    }

    #[test]
    fn orientation_follows_mvt() {
        // Clockwise on screen (y down): (0,0) → (4,0) → (4,4) → (0,4) has positive area.
        let cw = vec![[0, 0], [4, 0], [4, 4], [0, 4]];
        assert!(double_area(&cw) > 0);
        assert_eq!(orient(cw.clone(), true), cw);
        assert!(double_area(&orient(cw, false)) < 0);
    }
}
