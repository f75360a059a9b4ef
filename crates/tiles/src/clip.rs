//! Cutting one zone at one zoom into tiles. The zone descends the quadtree from the world tile:
//! at each step it is clipped to each child's buffered square, so a clip only ever works on the
//! part of the zone already inside the parent. A zone whose bounding box lies inside a child's
//! square passes down unclipped; one that crosses it is intersected with it by `geo`'s boolean
//! operations (i_overlay), which yield valid polygons — a rectangle clip of a concave polygon
//! with holes does not (Sutherland–Hodgman leaves zero-width bridges along the tile edge).
//!
//! Clipping only adds vertices on the buffered squares' edges, which lie in the buffer, outside
//! the visible tile: inside it, every shared border keeps the exact integer vertices of its
//! simplified arc, identical in both neighbours.
use geo::{BooleanOps, BoundingRect, MultiPolygon, Rect, coord};

use crate::geometry::{IPt, make_valid, to_geo, to_tile, translate};

/// Polygons of one zone in one tile, in tile coordinates.
pub type TilePolygons = Vec<Vec<Vec<IPt>>>;

/// Cut a zone's polygons (world units of zoom `z`) into the tiles of zoom `z` it touches,
/// calling `emit(x, y, polygons)` for each non-empty piece.
pub fn distribute(
    polys: &[Vec<Vec<IPt>>],
    z: u8,
    extent: u32,
    buffer: u32,
    emit: &mut dyn FnMut(u32, u32, TilePolygons),
) {
    let mp = to_geo(polys);
    let Some(bbox) = mp.bounding_rect() else {
        return;
    };
    let ctx = Ctx {
        z,
        extent: i64::from(extent),
        buffer: i64::from(buffer),
        polys,
    };
    ctx.descend(&mp, bbox, true, 0, 0, 0, emit);
}

struct Ctx<'a> {
    z: u8,
    extent: i64,
    buffer: i64,
    /// The unclipped polygons, emitted as they are when never clipped on the way down.
    polys: &'a [Vec<Vec<IPt>>],
}

impl Ctx<'_> {
    #[allow(clippy::too_many_arguments)]
    fn descend(
        &self,
        mp: &MultiPolygon<f64>,
        bbox: Rect<f64>,
        pristine: bool,
        k: u8,
        x: u32,
        y: u32,
        emit: &mut dyn FnMut(u32, u32, TilePolygons),
    ) {
        if k == self.z {
            let (ox, oy) = (i64::from(x) * self.extent, i64::from(y) * self.extent);
            let tile = make_valid(if pristine {
                translate(self.polys, ox, oy)
            } else {
                to_tile(mp, ox, oy)
            });
            if !tile.is_empty() {
                emit(x, y, tile);
            }
            return;
        }
        let size = self.extent << (self.z - k - 1);
        let n = 1i64 << (k + 1);
        let b = self.buffer;
        for (cx, cy) in [(0, 0), (1, 0), (0, 1), (1, 1)] {
            let (cx, cy) = (2 * i64::from(x) + cx, 2 * i64::from(y) + cy);
            if cx >= n || cy >= n {
                continue;
            }
            let (x0, y0) = ((cx * size - b) as f64, (cy * size - b) as f64);
            let (x1, y1) = (((cx + 1) * size + b) as f64, ((cy + 1) * size + b) as f64);
            let (lo, hi) = (bbox.min(), bbox.max());
            if hi.x <= x0 || lo.x >= x1 || hi.y <= y0 || lo.y >= y1 {
                continue;
            }
            let (cxu, cyu) = (cx as u32, cy as u32);
            if lo.x >= x0 && hi.x <= x1 && lo.y >= y0 && hi.y <= y1 {
                self.descend(mp, bbox, pristine, k + 1, cxu, cyu, emit);
                continue;
            }
            let square = Rect::new(coord! { x: x0, y: y0 }, coord! { x: x1, y: y1 }).to_polygon();
            let part = mp.intersection(&square);
            if let Some(pb) = part.bounding_rect() {
                self.descend(&part, pb, false, k + 1, cxu, cyu, emit);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::double_area;

    fn pieces(polys: &[Vec<Vec<IPt>>], z: u8) -> Vec<(u32, u32, TilePolygons)> {
        let mut out = Vec::new();
        distribute(polys, z, 4096, 64, &mut |x, y, p| out.push((x, y, p)));
        out.sort_by_key(|(x, y, _)| (*y, *x));
        out
    }

    #[test]
    fn a_square_across_four_tiles_is_cut_with_buffers() {
        // A square centred on the corner of tiles (0,0), (1,0), (0,1), (1,1) at zoom 1.
        let sq = vec![vec![vec![
            [3096, 3096],
            [5096, 3096],
            [5096, 5096],
            [3096, 5096],
        ]]];
        let got = pieces(&sq, 1);
        assert_eq!(got.len(), 4);
        for (x, y, p) in &got {
            assert_eq!(p.len(), 1);
            let ring = &p[0][0];
            assert!(double_area(ring) > 0, "exterior positive");
            // Each piece spans from the square's corner to the buffer line (64 past the edge).
            let xs: Vec<i64> = ring.iter().map(|q| q[0]).collect();
            let ys: Vec<i64> = ring.iter().map(|q| q[1]).collect();
            let (lo, hi) = if *x == 0 { (3096, 4160) } else { (-64, 1000) };
            assert_eq!(
                (*xs.iter().min().unwrap(), *xs.iter().max().unwrap()),
                (lo, hi)
            );
            let (lo, hi) = if *y == 0 { (3096, 4160) } else { (-64, 1000) };
            assert_eq!(
                (*ys.iter().min().unwrap(), *ys.iter().max().unwrap()),
                (lo, hi)
            );
        }
    }

    #[test]
    fn a_square_inside_one_tile_is_not_touched() {
        let sq = vec![vec![vec![[10, 10], [20, 10], [20, 20], [10, 20]]]];
        let got = pieces(&sq, 3);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].2, sq);
    }

    #[test]
    fn a_tile_inside_a_zone_becomes_its_buffered_square() {
        // A big square covering tile (1,1) of zoom 2 entirely.
        let big = vec![vec![vec![[0, 0], [16384, 0], [16384, 16384], [0, 16384]]]];
        let got = pieces(&big, 2);
        let inner = got.iter().find(|(x, y, _)| (*x, *y) == (1, 1)).unwrap();
        let ring = &inner.2[0][0];
        assert_eq!(ring.len(), 4);
        assert_eq!(double_area(ring), 2 * (4096 + 128) * (4096 + 128));
    }
}
