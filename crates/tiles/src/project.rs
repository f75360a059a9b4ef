//! Arcs of the shared topology in Web Mercator "world units": the whole world is a square of
//! `extent · 2^z` units at zoom `z`, x to the east, y to the south, as tile coordinates are. At
//! the pyramid's top zoom a unit is one tile unit; at zoom `z` world coordinates are divided by
//! `2^(max_zoom − z)` and rounded, so tile coordinates are world coordinates minus the tile's
//! origin, and every arc is quantised once per zoom, the same for every zone that uses it.
use geo::Coord;
use zones::crs::{Crs, reproject_coords, web_mercator};
use zones::topology::Topology;

use crate::error::Result;

/// Half the Web Mercator world width, metres.
const HALF_WORLD: f64 = std::f64::consts::PI * 6_378_137.0;

/// World coordinates at `scale` units per world width from WGS84 degrees.
pub fn lonlat_to_world(lon: f64, lat: f64, scale: f64) -> [f64; 2] {
    let (mx, my) = web_mercator(lon, lat);
    [
        (mx + HALF_WORLD) / (2.0 * HALF_WORLD) * scale,
        (HALF_WORLD - my) / (2.0 * HALF_WORLD) * scale,
    ]
}

/// WGS84 degrees of world coordinates at `scale` units per world width.
pub fn world_to_lonlat(x: f64, y: f64, scale: f64) -> (f64, f64) {
    let mx = x / scale * 2.0 * HALF_WORLD - HALF_WORLD;
    let my = HALF_WORLD - y / scale * 2.0 * HALF_WORLD;
    let lon = mx / HALF_WORLD * 180.0;
    let lat = (2.0 * (my / 6_378_137.0).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees();
    (lon, lat)
}

/// Every arc of `topology` (Lambert-93 on its grid) in world units at `scale`.
pub fn project_arcs(topology: &Topology, scale: f64) -> Result<Vec<Vec<[f64; 2]>>> {
    let mut coords: Vec<Coord<f64>> = topology
        .arcs
        .iter()
        .flatten()
        .map(|&[x, y]| Coord {
            x: x as f64 * topology.grid,
            y: y as f64 * topology.grid,
        })
        .collect();
    reproject_coords(&mut coords, Crs::Lambert93, Crs::Wgs84)?;
    let mut it = coords.into_iter();
    Ok(topology
        .arcs
        .iter()
        .map(|arc| {
            it.by_ref()
                .take(arc.len())
                .map(|c| lonlat_to_world(c.x, c.y, scale))
                .collect()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn world_round_trip_and_orientation() {
        let s = 4096.0 * 65536.0;
        let [x, y] = lonlat_to_world(2.4559, 48.7488, s);
        let (lon, lat) = world_to_lonlat(x, y, s);
        assert!((lon - 2.4559).abs() < 1e-12 && (lat - 48.7488).abs() < 1e-10);
        // North is up: a point further north has a smaller y.
        assert!(lonlat_to_world(2.4559, 48.8, s)[1] < y);
        // Null Island sits at the world's centre.
        let [cx, cy] = lonlat_to_world(0.0, 0.0, s);
        assert!((cx - s / 2.0).abs() < 1e-6 && (cy - s / 2.0).abs() < 1e-6);
    }
}
