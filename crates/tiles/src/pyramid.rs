//! The pyramid: every tile of every level, encoded, gzip-compressed and kept in memory, keyed by
//! `(z, x, y)` per level, each with a strong content hash (its ETag) and a content version per
//! level (a hash of all its tiles and the options) for immutable, content-addressed URLs.
//!
//! Per zoom, every arc of the shared topology is simplified once (Douglas–Peucker, endpoints
//! fixed) and quantised once to the zoom's grid; each zone of each level is assembled from those
//! arcs, so neighbours share the same border vertex for vertex at every zoom and every level,
//! then cut into tiles (see [`crate::clip`]) and encoded (see [`crate::encode`]).
//!
//! # Feature identity: `promoteId: "code"` and feature-state
//! Each feature carries `code` and `name` properties and a stable numeric id
//! ([`feature_id`](crate::encode::feature_id)); no indicator value is written into the tiles.
//! The map page declares its source with `promoteId: "code"` and colours zones with
//! `setFeatureState({source, sourceLayer, id: code}, {value})` from the indicator API. Tiles
//! therefore depend only on the boundaries: changing the indicator, the year or the classes
//! never refetches a tile, and a data update that does not move a boundary keeps every tile URL
//! (and every browser or CDN cache of them) valid. Values in properties would instead make one
//! pyramid per indicator and year (hundreds of times the memory) and invalidate every tile at
//! each publication. `code` rather than the numeric id because INSEE codes are text (`2A004`,
//! leading zeros) and are what the indicator API returns.
use bytes::Bytes;
use rayon::prelude::*;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use zones::topology::{TopoGeometry, Topology, arc_index};
use zones::{Bundle, Level};

use crate::clip::{TilePolygons, distribute};
use crate::encode::{FNV_OFFSET, FeatureMeta, encode_error, encode_layer, feature_id, fnv1a, gzip};
use crate::error::Result;
use crate::geometry::{IPt, assemble};
use crate::options::TileOptions;
use crate::project::{project_arcs, world_to_lonlat};
use crate::simplify::{at_zoom, importance};

/// Version of the tiling algorithm, part of every content version: a change of the algorithm
/// changes every URL even when the data does not change.
pub const ALGORITHM_VERSION: u32 = 1;

/// One encoded tile.
#[derive(Debug, Clone)]
pub struct StoredTile {
    /// The MVT bytes, gzip-compressed (served as is with `Content-Encoding: gzip`).
    pub gzip: Bytes,
    /// FNV-1a of the compressed bytes: the strong ETag.
    pub etag: u64,
    /// Size of the uncompressed MVT.
    pub raw_len: u32,
    pub features: u32,
}

/// Every tile of one level.
#[derive(Debug, Clone)]
pub struct LevelTiles {
    pub level: Level,
    /// Keyed by [`tile_key`].
    pub tiles: HashMap<u64, StoredTile>,
    /// Content version (16 hex digits) of this level's tiles and options.
    pub version: String,
    /// West, south, east, north (WGS84 degrees).
    pub bounds: [f64; 4],
    pub min_zoom: u8,
    pub max_zoom: u8,
    /// Number of zones of the level.
    pub zones: usize,
    /// Whether the composition of this level is illustrative (ES, territoires).
    pub illustrative: bool,
}

impl LevelTiles {
    pub fn get(&self, z: u8, x: u32, y: u32) -> Option<&StoredTile> {
        self.tiles.get(&tile_key(z, x, y))
    }

    /// Compressed bytes of all tiles.
    pub fn gzip_bytes(&self) -> usize {
        self.tiles.values().map(|t| t.gzip.len()).sum()
    }

    /// Tiles of one zoom, sorted by `(x, y)`.
    pub fn tiles_at(&self, z: u8) -> Vec<(u32, u32, &StoredTile)> {
        let mut v: Vec<_> = self
            .tiles
            .iter()
            .filter_map(|(&k, t)| {
                let (tz, x, y) = key_coords(k);
                (tz == z).then_some((x, y, t))
            })
            .collect();
        v.sort_by_key(|(x, y, _)| (*x, *y));
        v
    }
}

/// The pyramids of every level of a bundle.
#[derive(Debug, Clone)]
pub struct Tileset {
    pub options: TileOptions,
    pub levels: Vec<LevelTiles>,
    /// Territory name (`Val-de-Marne`).
    pub territory: String,
    /// Time the pyramid took to build.
    pub elapsed: Duration,
}

/// Pack `(z, x, y)` into one integer (z on 6 bits, x and y on 29 bits each).
pub fn tile_key(z: u8, x: u32, y: u32) -> u64 {
    (u64::from(z) << 58) | (u64::from(x) << 29) | u64::from(y)
}

pub fn key_coords(key: u64) -> (u8, u32, u32) {
    (
        (key >> 58) as u8,
        ((key >> 29) & ((1 << 29) - 1)) as u32,
        (key & ((1 << 29) - 1)) as u32,
    )
}

/// The levels a bundle can be tiled at: the nested levels it has, and QPV when it has contours.
pub fn available_levels(bundle: &Bundle) -> Vec<Level> {
    let mut v: Vec<Level> = Level::NESTED
        .into_iter()
        .filter(|&l| !bundle.zones(l).is_empty())
        .collect();
    if !bundle.qpv.is_empty() {
        v.push(Level::Qpv);
    }
    v
}

/// Arcs projected to world units of the top zoom, with their vertex importance.
struct ArcSet {
    pts: Vec<Vec<[f64; 2]>>,
    imp: Vec<Vec<f64>>,
}

impl ArcSet {
    fn new(topology: &Topology, scale: f64) -> Result<ArcSet> {
        let pts = project_arcs(topology, scale)?;
        let imp = pts.par_iter().map(|a| importance(a)).collect();
        Ok(ArcSet { pts, imp })
    }

    /// Every arc simplified and quantised for zoom `z`.
    fn at_zoom(&self, z: u8, o: &TileOptions) -> Vec<Vec<IPt>> {
        let divisor = f64::from(1u32 << (o.max_zoom - z));
        let tol = o.tolerance * divisor;
        self.pts
            .iter()
            .zip(&self.imp)
            .map(|(p, w)| at_zoom(p, w, tol * tol, divisor))
            .collect()
    }

    /// Bounding box (world units of the top zoom) of the arcs of some geometries.
    fn bbox<'a>(&self, geoms: impl Iterator<Item = &'a TopoGeometry>) -> Option<[f64; 4]> {
        let mut b = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for r in geoms.flat_map(|g| g.polygons.iter().flat_map(|p| p.rings.iter()).flatten()) {
            for p in &self.pts[arc_index(*r)] {
                b = [
                    b[0].min(p[0]),
                    b[1].min(p[1]),
                    b[2].max(p[0]),
                    b[3].max(p[1]),
                ];
            }
        }
        b[0].is_finite().then_some(b)
    }
}

/// One level ready to be cut: its zones as arcs of an arc set, and what each feature carries.
struct LevelInput<'a> {
    level: Level,
    set: usize,
    geoms: Vec<&'a TopoGeometry>,
    meta: Vec<FeatureMeta>,
}

impl Tileset {
    /// The pyramid of every level of `bundle` (see [`available_levels`]).
    pub fn build(bundle: &Bundle, options: TileOptions) -> Result<Tileset> {
        Tileset::build_levels(bundle, options, &available_levels(bundle))
    }

    /// The pyramid of some levels of `bundle` (levels it lacks are skipped).
    pub fn build_levels(
        bundle: &Bundle,
        options: TileOptions,
        levels: &[Level],
    ) -> Result<Tileset> {
        let started = Instant::now();
        options.validate()?;
        let scale = f64::from(options.extent) * f64::from(1u32 << options.max_zoom);
        let mut sets = vec![ArcSet::new(&bundle.topology, scale)?];
        let qpv_geoms: Vec<TopoGeometry> = if levels.contains(&Level::Qpv) && !bundle.qpv.is_empty()
        {
            let shapes: Vec<_> = bundle.qpv.iter().map(|q| q.geometry.clone()).collect();
            let (topo, geoms) = Topology::build(&shapes, bundle.topology.grid);
            sets.push(ArcSet::new(&topo, scale)?);
            geoms
        } else {
            Vec::new()
        };
        let meta = |code: &str, name: &str| FeatureMeta {
            id: feature_id(code),
            code: code.to_string(),
            name: name.to_string(),
        };
        let mut inputs: Vec<LevelInput> = Vec::new();
        for &level in levels {
            if level == Level::Qpv {
                if !qpv_geoms.is_empty() {
                    inputs.push(LevelInput {
                        level,
                        set: 1,
                        geoms: qpv_geoms.iter().collect(),
                        meta: bundle.qpv.iter().map(|q| meta(&q.code, &q.name)).collect(),
                    });
                }
            } else if !bundle.zones(level).is_empty() {
                let zones = bundle.zones(level);
                inputs.push(LevelInput {
                    level,
                    set: 0,
                    geoms: zones.iter().map(|z| &z.geometry).collect(),
                    meta: zones.iter().map(|z| meta(&z.code, &z.name)).collect(),
                });
            }
        }

        // Largest zooms first: they hold most tiles, and rayon then balances the rest.
        let zooms: Vec<u8> = (options.min_zoom..=options.max_zoom).rev().collect();
        let per_zoom: Vec<Vec<(usize, u64, StoredTile)>> = zooms
            .par_iter()
            .map(|&z| {
                let arcs: Vec<Vec<Vec<IPt>>> =
                    sets.iter().map(|s| s.at_zoom(z, &options)).collect();
                let per_level: Vec<Vec<(usize, u64, StoredTile)>> = inputs
                    .par_iter()
                    .enumerate()
                    .map(|(li, input)| {
                        Ok(level_tiles(input, &arcs[input.set], z, &options)?
                            .into_iter()
                            .map(|(k, t)| (li, k, t))
                            .collect())
                    })
                    .collect::<Result<_>>()?;
                Ok(per_level.into_iter().flatten().collect())
            })
            .collect::<Result<_>>()?;

        let mut out: Vec<LevelTiles> = inputs
            .iter()
            .map(|input| {
                let set = &sets[input.set];
                let bounds = set
                    .bbox(input.geoms.iter().copied())
                    .map(|[x0, y0, x1, y1]| {
                        let (w, n) = world_to_lonlat(x0, y0, scale);
                        let (e, s) = world_to_lonlat(x1, y1, scale);
                        [w, s, e, n]
                    })
                    .unwrap_or([-180.0, -85.051_128_78, 180.0, 85.051_128_78]);
                LevelTiles {
                    level: input.level,
                    tiles: HashMap::new(),
                    version: String::new(),
                    bounds,
                    min_zoom: options.min_zoom,
                    max_zoom: options.max_zoom,
                    zones: input.geoms.len(),
                    illustrative: bundle.meta.illustrative_composition
                        && matches!(input.level, Level::Es | Level::Territoire),
                }
            })
            .collect();
        for (li, key, tile) in per_zoom.into_iter().flatten() {
            out[li].tiles.insert(key, tile);
        }
        for lt in &mut out {
            let mut keys: Vec<(&u64, &StoredTile)> = lt.tiles.iter().collect();
            keys.sort_unstable_by_key(|(k, _)| **k);
            let mut h = fnv1a(lt.level.key().as_bytes(), FNV_OFFSET);
            h = fnv1a(options.fingerprint().as_bytes(), h);
            h = fnv1a(&ALGORITHM_VERSION.to_le_bytes(), h);
            for (k, t) in keys {
                h = fnv1a(&k.to_le_bytes(), h);
                h = fnv1a(&t.etag.to_le_bytes(), h);
            }
            lt.version = format!("{h:016x}");
        }
        Ok(Tileset {
            options,
            levels: out,
            territory: bundle.meta.name.clone(),
            elapsed: started.elapsed(),
        })
    }

    pub fn level(&self, level: Level) -> Option<&LevelTiles> {
        self.levels.iter().find(|l| l.level == level)
    }

    /// Number of tiles and compressed bytes of the whole pyramid.
    pub fn totals(&self) -> (usize, usize) {
        (
            self.levels.iter().map(|l| l.tiles.len()).sum(),
            self.levels.iter().map(LevelTiles::gzip_bytes).sum(),
        )
    }
}

/// The tiles of one level at one zoom.
fn level_tiles(
    input: &LevelInput,
    arcs: &[Vec<IPt>],
    z: u8,
    o: &TileOptions,
) -> Result<Vec<(u64, StoredTile)>> {
    let mut pieces: Vec<(u64, u32, TilePolygons)> = input
        .geoms
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, g)| {
            let polys = assemble(g, arcs);
            let mut out = Vec::new();
            if !polys.is_empty() {
                distribute(&polys, z, o.extent, o.buffer, &mut |x, y, p| {
                    out.push((tile_key(z, x, y), i as u32, p));
                });
            }
            out
        })
        .collect();
    pieces.sort_unstable_by_key(|(k, i, _)| (*k, *i));
    let groups: Vec<&[(u64, u32, TilePolygons)]> = pieces.chunk_by(|a, b| a.0 == b.0).collect();
    groups
        .par_iter()
        .map(|g| {
            let key = g[0].0;
            let raw = encode_layer(
                input.level.key(),
                o.extent,
                g.iter().map(|(_, i, p)| (*i, p)),
                &input.meta,
            )
            .map_err(|m| {
                let (z, x, y) = key_coords(key);
                encode_error(input.level.key(), z, x, y, m)
            })?;
            let gz = gzip(&raw)?;
            Ok((
                key,
                StoredTile {
                    etag: fnv1a(&gz, FNV_OFFSET),
                    gzip: Bytes::from(gz),
                    raw_len: raw.len() as u32,
                    features: g.len() as u32,
                },
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for (z, x, y) in [(0, 0, 0), (16, 33_000, 22_000), (22, (1 << 22) - 1, 5)] {
            assert_eq!(key_coords(tile_key(z, x, y)), (z, x, y));
        }
    }
}
