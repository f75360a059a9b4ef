//! Vector tiles of the observatory: one MVT 2.1 layer per level (IRIS, commune, ES, territoire,
//! département, QPV), a pyramid precomputed from the shared topology so that neighbouring zones
//! stay seamless at every zoom, kept gzip-compressed in memory, with TileJSON 3.0.0 documents
//! and a PMTiles v3 export. No HTTP here: the server serves what this crate computed.
//!
//! The pipeline, per zoom: arcs projected to Web Mercator → simplified once (Douglas–Peucker,
//! junctions fixed) and quantised to the zoom's tile grid → zones assembled from arcs → cut into
//! buffered tiles → rings cleaned and oriented (exterior clockwise on screen) → `mvt` → gzip.
pub mod clip;
pub mod encode;
pub mod error;
pub mod geometry;
pub mod options;
pub mod pmtiles_export;
pub mod project;
pub mod pyramid;
pub mod simplify;
pub mod tilejson;

pub use error::{Error, Result};
pub use options::TileOptions;
pub use pyramid::{LevelTiles, StoredTile, Tileset, available_levels, key_coords, tile_key};
