//! Facts of the Lambert-93 projection (EPSG:2154, Lambert conformal conic on GRS 80, standard
//! parallels 44° and 49° N, origin 46.5° N 3° E) that a correct map needs:
//! - the **scale factor** k(φ): a Lambert-93 length is the ground length × k, with k = 1 on
//!   the standard parallels, 0.99905 at its smallest (46.52° N) and 0.99985 over Val-de-Marne; a scale bar drawn in Lambert-93 metres
//!   is therefore corrected by k at the map's latitude;
//! - the **meridian convergence** γ(λ) = n·(λ − 3°): the angle between grid north (up on the
//!   map) and true north, which turns the north arrow.
//!
//! Formulas of the conformal conic on the ellipsoid (Snyder, *Map Projections — A Working
//! Manual*, USGS 1987, eqs. 14-15, 15-9, 15-10, 15-11).
use zones::crs::{Crs, reproject_coords};

const INV_F: f64 = 298.257_222_101;
const PHI1: f64 = 49.0;
const PHI2: f64 = 44.0;
const LON0: f64 = 3.0;

fn e() -> f64 {
    let f = 1.0 / INV_F;
    (2.0 * f - f * f).sqrt()
}

fn m(phi: f64) -> f64 {
    let e = e();
    phi.cos() / (1.0 - e * e * phi.sin().powi(2)).sqrt()
}

fn t(phi: f64) -> f64 {
    let e = e();
    let es = e * phi.sin();
    (std::f64::consts::FRAC_PI_4 - phi / 2.0).tan() / ((1.0 - es) / (1.0 + es)).powf(e / 2.0)
}

/// The cone constant n of Lambert-93 (≈ 0.7256).
pub fn cone_constant() -> f64 {
    let (p1, p2) = (PHI1.to_radians(), PHI2.to_radians());
    (m(p1).ln() - m(p2).ln()) / (t(p1).ln() - t(p2).ln())
}

/// Point scale factor of Lambert-93 at latitude `lat` (degrees).
pub fn scale_factor(lat: f64) -> f64 {
    let n = cone_constant();
    let p1 = PHI1.to_radians();
    let big_f = m(p1) / (n * t(p1).powf(n));
    let phi = lat.to_radians();
    big_f * n * t(phi).powf(n) / m(phi)
}

/// Angle (degrees, clockwise) from grid north to true north at longitude `lon`: true north
/// leans towards the central meridian, 3° E.
pub fn convergence(lon: f64) -> f64 {
    cone_constant() * (LON0 - lon)
}

/// WGS84 longitude and latitude (degrees) of a Lambert-93 point.
pub fn to_lonlat(x: f64, y: f64) -> Option<(f64, f64)> {
    let mut c = [geo::Coord { x, y }];
    reproject_coords(&mut c, Crs::Lambert93, Crs::Wgs84).ok()?;
    Some((c[0].x, c[0].y))
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Distance, Geodesic, Point};

    #[test]
    fn scale_factor_is_one_on_standard_parallels_and_published_at_origin() {
        assert!((scale_factor(44.0) - 1.0).abs() < 1e-12);
        assert!((scale_factor(49.0) - 1.0).abs() < 1e-12);
        // The equivalent one-parallel form of Lambert-93 has k0 = 0.999 051 03 on its central
        // parallel, 46°31'11.79" N (the parallel of smallest scale).
        assert!((scale_factor(46.519_943) - 0.999_051_03).abs() < 1e-8);
        assert!(scale_factor(46.519_943) < scale_factor(46.4));
        assert!(scale_factor(46.519_943) < scale_factor(46.6));
        assert!((cone_constant() - 0.725_607_765).abs() < 1e-8);
    }

    /// k measured: a short Lambert-93 segment against its geodesic length on the ellipsoid.
    #[test]
    fn scale_factor_matches_measured_distortion_in_val_de_marne() {
        let (x, y) = (660_000.0, 6_852_000.0);
        let (lon0, lat0) = to_lonlat(x, y).unwrap();
        let (lon1, lat1) = to_lonlat(x + 1000.0, y).unwrap();
        let ground = Geodesic.distance(Point::new(lon0, lat0), Point::new(lon1, lat1));
        let k = 1000.0 / ground;
        assert!(
            (k - scale_factor(lat0)).abs() < 2e-6,
            "{k} vs {}",
            scale_factor(lat0)
        );
    }

    #[test]
    fn convergence_matches_the_meridian_direction() {
        // Walk 1 km north along the meridian 2.45° E and look at the grid direction.
        let lon = 2.45;
        let mut a = [
            geo::Coord { x: lon, y: 48.78 },
            geo::Coord { x: lon, y: 48.789 },
        ];
        reproject_coords(&mut a, Crs::Wgs84, Crs::Lambert93).unwrap();
        let angle = (a[1].x - a[0].x).atan2(a[1].y - a[0].y).to_degrees();
        assert!(
            (angle - convergence(lon)).abs() < 1e-3,
            "{angle} vs {}",
            convergence(lon)
        );
        assert!(
            convergence(lon) > 0.0,
            "west of 3° E, true north leans east"
        );
    }
}
