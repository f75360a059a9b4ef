//! Coordinate reference systems: recognising Lambert-93 and WGS84 from `.prj` WKT (by name or by
//! parameters) and reprojecting between them in pure Rust (`proj4rs`).
//!
//! The working CRS of the observatory is Lambert-93 (EPSG:2154): areas, tolerances and the
//! shared topology are in metres. Output for the web and GeoJSON is WGS84 lon/lat.
use geo::{Coord, MultiPolygon};
use proj4rs::Proj;
use proj4rs::transform::{Transform, TransformClosure, transform};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

use crate::error::{Error, Result};

/// The CRS a source can be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Crs {
    /// RGF93 / Lambert-93, EPSG:2154.
    Lambert93,
    /// WGS84 longitude/latitude in degrees, EPSG:4326 (axis order lon, lat as in GeoJSON).
    Wgs84,
}

impl Crs {
    /// Parse a user-written CRS such as `EPSG:2154`, `2154`, `EPSG:4326`, `CRS84`.
    pub fn from_user(label: &str) -> Option<Crs> {
        let l = label.trim().to_ascii_uppercase();
        let digits = l.trim_start_matches("EPSG:").trim_start_matches("EPSG");
        match digits {
            "2154" => Some(Crs::Lambert93),
            "4326" | "CRS84" | "WGS84" => Some(Crs::Wgs84),
            _ if l.ends_with("CRS84") || l.ends_with("EPSG::4326") => Some(Crs::Wgs84),
            _ if l.ends_with("EPSG::2154") => Some(Crs::Lambert93),
            _ => None,
        }
    }

    pub fn epsg(self) -> u16 {
        match self {
            Crs::Lambert93 => 2154,
            Crs::Wgs84 => 4326,
        }
    }
}

/// Recognise the CRS of an ESRI or OGC WKT string (the content of a `.prj`).
///
/// Lambert-93 is recognised by its name (`RGF93_Lambert_93`, `RGF93 / Lambert-93`, EPSG 2154) or,
/// when the WKT only names a generic "Lambert_Conformal_Conic", by its defining parameters on
/// the GRS 1980 ellipsoid. Returns a French explanation when nothing matches.
pub fn detect_wkt(wkt: &str) -> std::result::Result<Crs, String> {
    let squashed: String = wkt
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    if squashed.contains("lambert93") || squashed.contains("epsg2154") || wkt.contains("\"2154\"") {
        return Ok(Crs::Lambert93);
    }
    let upper = wkt.to_ascii_uppercase();
    if upper.contains("PROJCS") || upper.contains("PROJCRS") {
        if upper.contains("LAMBERT_CONFORMAL_CONIC") || upper.contains("LAMBERT CONIC CONFORMAL") {
            let params = wkt_parameters(wkt);
            let get = |names: &[&str]| {
                params
                    .iter()
                    .find(|(n, _)| names.iter().any(|w| n == w))
                    .map(|(_, v)| *v)
            };
            let near = |v: Option<f64>, want: f64| v.is_some_and(|v| (v - want).abs() < 1e-6);
            let sp1 = get(&["standard_parallel_1", "latitude of 1st standard parallel"]);
            let sp2 = get(&["standard_parallel_2", "latitude of 2nd standard parallel"]);
            let parallels_ok =
                (near(sp1, 49.0) && near(sp2, 44.0)) || (near(sp1, 44.0) && near(sp2, 49.0));
            let grs80 = squashed.contains("grs1980")
                || squashed.contains("grs80")
                || squashed.contains("rgf93");
            if parallels_ok
                && grs80
                && near(
                    get(&["latitude_of_origin", "latitude of false origin"]),
                    46.5,
                )
                && near(get(&["central_meridian", "longitude of false origin"]), 3.0)
                && near(
                    get(&["false_easting", "easting at false origin"]),
                    700_000.0,
                )
                && near(
                    get(&["false_northing", "northing at false origin"]),
                    6_600_000.0,
                )
            {
                return Ok(Crs::Lambert93);
            }
            return Err("projection conique conforme de Lambert dont les paramètres ne sont pas ceux de Lambert-93".into());
        }
        return Err(format!(
            "projection non prise en charge ({})",
            wkt.chars().take(80).collect::<String>()
        ));
    }
    if (upper.contains("GEOGCS") || upper.contains("GEOGCRS"))
        && (squashed.contains("wgs84") || squashed.contains("wgs1984"))
    {
        return Ok(Crs::Wgs84);
    }
    Err(format!(
        "WKT non reconnu ({})",
        wkt.chars().take(80).collect::<String>()
    ))
}

/// `PARAMETER["name",value]` pairs of a WKT string, names lower-cased.
fn wkt_parameters(wkt: &str) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    let upper = wkt.to_ascii_uppercase();
    let mut from = 0;
    while let Some(pos) = upper[from..].find("PARAMETER[") {
        let start = from + pos + "PARAMETER[".len();
        let Some(end) = wkt[start..].find(']') else {
            break;
        };
        let body = &wkt[start..start + end];
        let mut parts = body.splitn(3, ',');
        if let (Some(name), Some(value)) = (parts.next(), parts.next())
            && let Ok(v) = value.trim().parse::<f64>()
        {
            out.push((name.trim().trim_matches('"').to_ascii_lowercase(), v));
        }
        from = start + end;
    }
    out
}

const LAMBERT93: &str = "+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 +y_0=6600000 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs";
const WGS84: &str = "+proj=longlat +datum=WGS84 +no_defs";

fn projs() -> &'static (Proj, Proj) {
    static P: OnceLock<(Proj, Proj)> = OnceLock::new();
    P.get_or_init(|| {
        (
            Proj::from_proj_string(LAMBERT93).expect("static Lambert-93 definition"),
            Proj::from_proj_string(WGS84).expect("static WGS84 definition"),
        )
    })
}

/// Coordinates to transform in place; lon/lat travel in radians inside proj4rs.
struct Coords<'a>(&'a mut [Coord<f64>]);

impl Transform for Coords<'_> {
    fn transform_coordinates<F: TransformClosure>(
        &mut self,
        f: &mut F,
    ) -> proj4rs::errors::Result<()> {
        for c in self.0.iter_mut() {
            let (x, y, _) = f(c.x, c.y, 0.0)?;
            c.x = x;
            c.y = y;
        }
        Ok(())
    }
}

/// Reproject coordinates in place from `from` to `to`.
pub fn reproject_coords(coords: &mut [Coord<f64>], from: Crs, to: Crs) -> Result<()> {
    if from == to {
        return Ok(());
    }
    let (l93, wgs) = projs();
    match (from, to) {
        (Crs::Lambert93, Crs::Wgs84) => {
            transform(l93, wgs, &mut Coords(coords))
                .map_err(|e| Error::Projection(e.to_string()))?;
            for c in coords.iter_mut() {
                c.x = c.x.to_degrees();
                c.y = c.y.to_degrees();
            }
        }
        (Crs::Wgs84, Crs::Lambert93) => {
            for c in coords.iter_mut() {
                if !(-180.0..=180.0).contains(&c.x) || !(-90.0..=90.0).contains(&c.y) {
                    return Err(Error::Projection(format!(
                        "coordonnées ({}, {}) hors des bornes longitude/latitude",
                        c.x, c.y
                    )));
                }
                c.x = c.x.to_radians();
                c.y = c.y.to_radians();
            }
            transform(wgs, l93, &mut Coords(coords))
                .map_err(|e| Error::Projection(e.to_string()))?;
        }
        _ => unreachable!("from == to handled above"),
    }
    Ok(())
}

/// Reproject a multipolygon, returning a new one.
pub fn reproject(geom: &MultiPolygon<f64>, from: Crs, to: Crs) -> Result<MultiPolygon<f64>> {
    let mut out = geom.clone();
    reproject_in_place(&mut out, from, to)?;
    Ok(out)
}

/// Reproject a multipolygon in place.
pub fn reproject_in_place(geom: &mut MultiPolygon<f64>, from: Crs, to: Crs) -> Result<()> {
    if from == to {
        return Ok(());
    }
    for p in geom.0.iter_mut() {
        let mut result = Ok(());
        p.exterior_mut(|ring| result = reproject_coords(&mut ring.0, from, to));
        std::mem::replace(&mut result, Ok(()))?;
        p.interiors_mut(|rings| {
            for ring in rings.iter_mut() {
                if result.is_ok() {
                    result = reproject_coords(&mut ring.0, from, to);
                }
            }
        });
        result?;
    }
    Ok(())
}

/// Web Mercator (EPSG:3857) metres from WGS84 degrees, for tiles.
pub fn web_mercator(lon: f64, lat: f64) -> (f64, f64) {
    const R: f64 = 6_378_137.0;
    let lat = lat.clamp(-85.051_128_78, 85.051_128_78);
    (
        R * lon.to_radians(),
        R * (std::f64::consts::FRAC_PI_4 + lat.to_radians() / 2.0)
            .tan()
            .ln(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const ESRI_L93: &str = r#"PROJCS["RGF93_Lambert_93",GEOGCS["GCS_RGF_1993",DATUM["D_RGF_1993",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Lambert_Conformal_Conic"],PARAMETER["False_Easting",700000.0],PARAMETER["False_Northing",6600000.0],PARAMETER["Central_Meridian",3.0],PARAMETER["Standard_Parallel_1",44.0],PARAMETER["Standard_Parallel_2",49.0],PARAMETER["Latitude_Of_Origin",46.5],UNIT["Meter",1.0]]"#;
    const GENERIC_LCC: &str = r#"PROJCS["Lambert_Conformal_Conic",GEOGCS["GCS_GRS 1980(IUGG, 1980)",DATUM["D_unknown",SPHEROID["GRS80",6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["Degree",0.017453292519943295]],PROJECTION["Lambert_Conformal_Conic"],PARAMETER["standard_parallel_1",49],PARAMETER["standard_parallel_2",44],PARAMETER["latitude_of_origin",46.5],PARAMETER["central_meridian",3],PARAMETER["false_easting",700000],PARAMETER["false_northing",6600000],UNIT["Meter",1]]"#;

    #[test]
    fn recognises_lambert93_by_name_and_by_parameters() {
        assert_eq!(detect_wkt(ESRI_L93), Ok(Crs::Lambert93));
        assert_eq!(detect_wkt(GENERIC_LCC), Ok(Crs::Lambert93));
        let other = GENERIC_LCC.replace("700000", "600000");
        assert!(detect_wkt(&other).is_err());
        assert_eq!(
            detect_wkt(
                r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137,298.257223563]]]"#
            ),
            Ok(Crs::Wgs84)
        );
        assert!(detect_wkt("garbage").is_err());
    }

    /// Reference values computed by PROJ 9.5.1 (pyproj `Transformer.from_crs(2154, 4326,
    /// always_xy=True)`, 10 decimals): the projection origin, central Paris, and the two corners
    /// of the Val-de-Marne IRIS extent.
    #[test]
    fn lambert93_to_wgs84_matches_proj_within_a_millimetre() {
        // (x, y) → (lon, lat); the first is the origin of the projection.
        let cases = [
            ((700_000.0, 6_600_000.0), (3.0, 46.5)),
            ((652_469.02, 6_862_035.26), (2.3521999630, 48.8566000050)),
            ((660_000.0, 6_850_000.0), (2.4559662801, 48.7488734207)),
            ((649_193.8, 6_843_215.3), (2.3098061065, 48.6870920116)),
            ((671_750.3, 6_862_508.6), (2.6149476090, 48.8619908113)),
        ];
        for ((x, y), (lon, lat)) in cases {
            let mut c = [Coord { x, y }];
            reproject_coords(&mut c, Crs::Lambert93, Crs::Wgs84).unwrap();
            // 1e-8 degree is about 1 mm at these latitudes.
            assert!((c[0].x - lon).abs() < 2e-8, "lon {} vs {}", c[0].x, lon);
            assert!((c[0].y - lat).abs() < 2e-8, "lat {} vs {}", c[0].y, lat);
            // And back.
            reproject_coords(&mut c, Crs::Wgs84, Crs::Lambert93).unwrap();
            assert!((c[0].x - x).abs() < 1e-3 && (c[0].y - y).abs() < 1e-3);
        }
    }

    #[test]
    fn user_labels() {
        assert_eq!(Crs::from_user("EPSG:2154"), Some(Crs::Lambert93));
        assert_eq!(
            Crs::from_user("urn:ogc:def:crs:OGC:1.3:CRS84"),
            Some(Crs::Wgs84)
        );
        assert_eq!(Crs::from_user("EPSG:3035"), None);
    }
}
