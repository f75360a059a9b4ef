//! Which IRIS, commune, Espace de Solidarité and territoire hold a point: the index of
//! [`crate::index`] plus the names and the ES directory of the bundle.
use geo::{BoundingRect, Coord, InteriorPoint, MultiPolygon, Simplify};
use serde::Serialize;
use std::collections::HashMap;
use zones::crs::{Crs, reproject_coords};
use zones::{Bundle, Level};

use crate::error::PointError;
use crate::index::{Hit, PointIndex};

/// A zone's code and name.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ZoneRef {
    pub code: String,
    pub name: String,
}

/// An Espace de Solidarité with its office (illustrative directory of `boundaries/`).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct EsRef {
    pub code: String,
    pub name: String,
    pub address: String,
    pub hours: String,
}

/// The answer of a lookup, as the API and the CLI print it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Placement<'a> {
    pub iris: &'a ZoneRef,
    pub commune: &'a ZoneRef,
    pub es: &'a EsRef,
    pub territoire: &'a ZoneRef,
    /// The point lies on a border between IRIS: the IRIS with the smallest code was chosen.
    pub border: bool,
    /// The ES/territoire composition is illustrative, not the Département's real table.
    pub illustrative: bool,
    /// The point looked up, WGS84.
    pub point: LonLat,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq)]
pub struct LonLat {
    pub lon: f64,
    pub lat: f64,
}

/// An IRIS and the indices of its commune, ES and territoire in the locator's tables.
#[derive(Debug, Clone)]
struct IrisEntry {
    zone: ZoneRef,
    commune: usize,
    es: usize,
    territoire: usize,
}

/// An ES perimeter and its card, for the `/es` page.
#[derive(Debug, Clone, Serialize)]
pub struct EsCard {
    pub code: String,
    pub name: String,
    pub address: String,
    pub hours: String,
    pub territoire: ZoneRef,
    pub communes: Vec<ZoneRef>,
    /// Codes of the communes this ES covers only in part (split between several ES).
    pub partial_communes: Vec<String>,
    pub iris_count: usize,
    pub area_km2: f64,
    pub illustrative: bool,
    /// Simplified perimeter (5 m) in WGS84, as GeoJSON MultiPolygon coordinates.
    pub perimeter: Rings,
    /// `[west, south, east, north]`.
    pub bbox: [f64; 4],
}

/// One entry of the ES directory (a card without its perimeter).
#[derive(Debug, Clone, Serialize)]
pub struct EsSummary<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub address: &'a str,
    pub hours: &'a str,
    pub territoire: &'a ZoneRef,
    pub communes: &'a [ZoneRef],
    pub bbox: [f64; 4],
}

/// The ES directory, as `/api/es` serves it.
#[derive(Debug, Clone, Serialize)]
pub struct EsDirectory<'a> {
    pub territory: &'a str,
    pub illustrative: bool,
    pub es: Vec<EsSummary<'a>>,
}

/// Point → IRIS → commune, ES, territoire.
#[derive(Debug, Clone)]
pub struct Locator {
    index: PointIndex,
    iris: Vec<IrisEntry>,
    communes: Vec<ZoneRef>,
    es: Vec<EsRef>,
    territoires: Vec<ZoneRef>,
    cards: Vec<EsCard>,
    /// Territory name (`Val-de-Marne`) for messages.
    pub territory: String,
    pub illustrative: bool,
}

/// Lambert-93 → WGS84 for a few points; `None` if the projection fails.
pub(crate) fn to_wgs84(coords: &mut [Coord<f64>]) -> bool {
    reproject_coords(coords, Crs::Lambert93, Crs::Wgs84).is_ok()
}

/// Round to 7 decimals (about 1 cm), enough for display and stable JSON.
pub(crate) fn round7(v: f64) -> f64 {
    (v * 1e7).round() / 1e7
}

impl Locator {
    pub fn new(bundle: &Bundle) -> Locator {
        let table = |level: Level| -> (Vec<ZoneRef>, HashMap<String, usize>) {
            let zones = bundle.zones(level);
            let refs: Vec<ZoneRef> = zones
                .iter()
                .map(|z| ZoneRef {
                    code: z.code.clone(),
                    name: z.name.clone(),
                })
                .collect();
            let by_code = zones
                .iter()
                .enumerate()
                .map(|(i, z)| (z.code.clone(), i))
                .collect();
            (refs, by_code)
        };
        let (mut communes, commune_idx) = table(Level::Commune);
        let (mut territoires, terr_idx) = table(Level::Territoire);
        let es_zones = bundle.zones(Level::Es);
        let mut es: Vec<EsRef> = es_zones
            .iter()
            .map(|z| {
                let dir = bundle.es_directory.iter().find(|e| e.code == z.code);
                EsRef {
                    code: z.code.clone(),
                    name: z.name.clone(),
                    address: dir
                        .map(|d| d.address.clone())
                        .or_else(|| z.attributes.get("address").cloned())
                        .unwrap_or_default(),
                    hours: dir
                        .map(|d| d.hours.clone())
                        .or_else(|| z.attributes.get("hours").cloned())
                        .unwrap_or_default(),
                }
            })
            .collect();
        let es_idx: HashMap<String, usize> = es
            .iter()
            .enumerate()
            .map(|(i, e)| (e.code.clone(), i))
            .collect();
        // A missing parent (never produced by `zones::build`) points at an empty entry.
        let empty_commune = communes.len();
        communes.push(ZoneRef::default());
        let empty_es = es.len();
        es.push(EsRef::default());
        let empty_terr = territoires.len();
        territoires.push(ZoneRef::default());

        let iris_zones = bundle.zones(Level::Iris);
        let iris: Vec<IrisEntry> = iris_zones
            .iter()
            .map(|z| {
                let find = |level: Level, idx: &HashMap<String, usize>, empty: usize| {
                    z.parent(level)
                        .and_then(|c| idx.get(c).copied())
                        .unwrap_or(empty)
                };
                IrisEntry {
                    zone: ZoneRef {
                        code: z.code.clone(),
                        name: z.name.clone(),
                    },
                    commune: find(Level::Commune, &commune_idx, empty_commune),
                    es: find(Level::Es, &es_idx, empty_es),
                    territoire: find(Level::Territoire, &terr_idx, empty_terr),
                }
            })
            .collect();
        let geoms: Vec<_> = iris_zones.iter().map(|z| &z.geometry).collect();
        let codes: Vec<&str> = iris_zones.iter().map(|z| z.code.as_str()).collect();
        let index = PointIndex::new(&bundle.topology, &geoms, &codes);

        let cards = es_zones
            .iter()
            .enumerate()
            .map(|(i, z)| {
                let mp = bundle.topology.to_multipolygon(&z.geometry);
                let (perimeter, bbox) = wgs84_outline(&mp, 5.0);
                let territoire = z
                    .parent(Level::Territoire)
                    .and_then(|c| terr_idx.get(c))
                    .map(|&t| territoires[t].clone())
                    .unwrap_or_default();
                let mut member_communes: Vec<ZoneRef> = Vec::new();
                for &m in &z.iris {
                    if let Some(e) = iris.get(m as usize) {
                        let c = &communes[e.commune];
                        if !member_communes.iter().any(|x| x.code == c.code) {
                            member_communes.push(c.clone());
                        }
                    }
                }
                member_communes.sort_by(|a, b| a.name.cmp(&b.name));
                let partial_communes = member_communes
                    .iter()
                    .filter(|c| {
                        bundle
                            .zones(Level::Commune)
                            .iter()
                            .find(|z| z.code == c.code)
                            .and_then(|z| z.attributes.get("es"))
                            .is_some_and(|l| l.split(',').count() > 1)
                    })
                    .map(|c| c.code.clone())
                    .collect();
                EsCard {
                    code: z.code.clone(),
                    name: z.name.clone(),
                    address: es[i].address.clone(),
                    hours: es[i].hours.clone(),
                    territoire,
                    communes: member_communes,
                    partial_communes,
                    iris_count: z.iris.len(),
                    area_km2: z.area_km2,
                    illustrative: bundle.meta.illustrative_composition,
                    perimeter,
                    bbox,
                }
            })
            .collect();

        Locator {
            index,
            iris,
            communes,
            es,
            territoires,
            cards,
            territory: bundle.meta.name.clone(),
            illustrative: bundle.meta.illustrative_composition,
        }
    }

    /// The underlying point index.
    pub fn index(&self) -> &PointIndex {
        &self.index
    }

    /// The IRIS holding a Lambert-93 point.
    #[inline]
    pub fn locate_l93(&self, x: f64, y: f64) -> Option<Hit> {
        self.index.locate(x, y)
    }

    /// Check WGS84 coordinates and project them to Lambert-93.
    pub fn lonlat_to_l93(lon: f64, lat: f64) -> Result<(f64, f64), PointError> {
        if !lon.is_finite() || !lat.is_finite() {
            return Err(PointError::Invalid(
                "longitude et latitude doivent être des nombres".into(),
            ));
        }
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            return Err(PointError::Invalid(format!(
                "longitude {lon} ou latitude {lat} hors des bornes (−180 à 180, −90 à 90)"
            )));
        }
        let mut c = [Coord { x: lon, y: lat }];
        reproject_coords(&mut c, Crs::Wgs84, Crs::Lambert93)
            .map_err(|e| PointError::Invalid(e.to_string()))?;
        if !c[0].x.is_finite() || !c[0].y.is_finite() {
            return Err(PointError::Invalid(format!(
                "le point ({lon}, {lat}) ne se projette pas en Lambert-93"
            )));
        }
        Ok((c[0].x, c[0].y))
    }

    /// Look a WGS84 point up: 400-type error for invalid coordinates, 404-type outside.
    pub fn lookup_lonlat(&self, lon: f64, lat: f64) -> Result<Placement<'_>, PointError> {
        let (x, y) = Self::lonlat_to_l93(lon, lat)?;
        let hit = self.locate_l93(x, y).ok_or_else(|| PointError::Outside {
            lon,
            lat,
            territory: self.territory.clone(),
        })?;
        Ok(self.placement(hit, LonLat { lon, lat }))
    }

    /// Look a Lambert-93 point up.
    pub fn lookup_l93(&self, x: f64, y: f64) -> Result<Placement<'_>, PointError> {
        if !x.is_finite() || !y.is_finite() {
            return Err(PointError::Invalid(
                "x et y doivent être des nombres".into(),
            ));
        }
        let mut c = [Coord { x, y }];
        let point = if to_wgs84(&mut c) {
            LonLat {
                lon: round7(c[0].x),
                lat: round7(c[0].y),
            }
        } else {
            return Err(PointError::Invalid(format!(
                "le point Lambert-93 ({x}, {y}) ne se projette pas en longitude/latitude"
            )));
        };
        let hit = self.locate_l93(x, y).ok_or_else(|| PointError::Outside {
            lon: point.lon,
            lat: point.lat,
            territory: self.territory.clone(),
        })?;
        Ok(self.placement(hit, point))
    }

    /// The full answer for a hit.
    pub fn placement(&self, hit: Hit, point: LonLat) -> Placement<'_> {
        let e = &self.iris[hit.iris as usize];
        Placement {
            iris: &e.zone,
            commune: &self.communes[e.commune],
            es: &self.es[e.es],
            territoire: &self.territoires[e.territoire],
            border: hit.border,
            illustrative: self.illustrative,
            point,
        }
    }

    /// IRIS, commune, ES and territoire codes of a hit (for batch output).
    pub fn codes(&self, hit: Hit) -> [&str; 4] {
        let e = &self.iris[hit.iris as usize];
        [
            &e.zone.code,
            &self.communes[e.commune].code,
            &self.es[e.es].code,
            &self.territoires[e.territoire].code,
        ]
    }

    /// The ES of a hit.
    pub fn es_of(&self, hit: Hit) -> &EsRef {
        &self.es[self.iris[hit.iris as usize].es]
    }

    /// The Espaces de Solidarité, in bundle order (the last entry is a sentinel for missing
    /// parents and is not returned).
    pub fn es_list(&self) -> &[EsRef] {
        &self.es[..self.es.len().saturating_sub(1)]
    }

    /// The card of an ES (perimeter, communes, office), by code.
    pub fn es_card(&self, code: &str) -> Option<&EsCard> {
        self.cards
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(code))
    }

    pub fn es_cards(&self) -> &[EsCard] {
        &self.cards
    }

    /// The directory of the ES (without perimeters).
    pub fn directory(&self) -> EsDirectory<'_> {
        EsDirectory {
            territory: &self.territory,
            illustrative: self.illustrative,
            es: self
                .cards
                .iter()
                .map(|c| EsSummary {
                    code: &c.code,
                    name: &c.name,
                    address: &c.address,
                    hours: &c.hours,
                    territoire: &c.territoire,
                    communes: &c.communes,
                    bbox: c.bbox,
                })
                .collect(),
        }
    }
}

/// GeoJSON MultiPolygon coordinates: polygons of rings of `[lon, lat]`.
pub type Rings = Vec<Vec<Vec<[f64; 2]>>>;

/// A Lambert-93 multipolygon simplified by `tolerance` metres and projected to WGS84 with
/// 6 decimals (10 cm), and its bounding box. Rings that collapse are dropped.
pub(crate) fn wgs84_outline(mp: &MultiPolygon<f64>, tolerance: f64) -> (Rings, [f64; 4]) {
    let simplified = mp.simplify(tolerance);
    let mut out = Vec::new();
    let mut bbox = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for poly in &simplified.0 {
        let mut rings = Vec::new();
        for ring in std::iter::once(poly.exterior()).chain(poly.interiors()) {
            if ring.0.len() < 4 {
                continue;
            }
            let mut coords = ring.0.clone();
            if !to_wgs84(&mut coords) {
                continue;
            }
            let r: Vec<[f64; 2]> = coords
                .iter()
                .map(|c| {
                    bbox[0] = bbox[0].min(c.x);
                    bbox[1] = bbox[1].min(c.y);
                    bbox[2] = bbox[2].max(c.x);
                    bbox[3] = bbox[3].max(c.y);
                    [(c.x * 1e6).round() / 1e6, (c.y * 1e6).round() / 1e6]
                })
                .collect();
            rings.push(r);
        }
        if !rings.is_empty() {
            out.push(rings);
        }
    }
    if !bbox[0].is_finite() {
        bbox = [0.0; 4];
    }
    (out, bbox.map(round7))
}

/// A point inside a Lambert-93 multipolygon and its bounding box, both in WGS84.
pub(crate) fn wgs84_anchor(mp: &MultiPolygon<f64>) -> Option<([f64; 2], [f64; 4])> {
    let p = mp.interior_point()?;
    let r = mp.bounding_rect()?;
    let mut c = [
        Coord { x: p.x(), y: p.y() },
        r.min(),
        r.max(),
        Coord {
            x: r.min().x,
            y: r.max().y,
        },
        Coord {
            x: r.max().x,
            y: r.min().y,
        },
    ];
    if !to_wgs84(&mut c) {
        return None;
    }
    let xs = c[1..].iter().map(|c| c.x);
    let ys = c[1..].iter().map(|c| c.y);
    let bbox = [
        xs.clone().fold(f64::INFINITY, f64::min),
        ys.clone().fold(f64::INFINITY, f64::min),
        xs.fold(f64::NEG_INFINITY, f64::max),
        ys.fold(f64::NEG_INFINITY, f64::max),
    ];
    Some(([round7(c[0].x), round7(c[0].y)], bbox.map(round7)))
}
