//! The pyramid as one PMTiles v3 archive, for static hosting or a CDN: each tile holds one layer
//! per exported level (MVT layers of separate tiles concatenate into one valid tile, since a
//! tile is a repeated protobuf field of layers), gzip-compressed, in Hilbert order.
use pmtiles::{Compression, PmTilesWriter, TileCoord, TileId, TileType};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use zones::Level;

use crate::encode::{gunzip, gzip};
use crate::error::{Error, Result};
use crate::pyramid::{Tileset, key_coords};
use crate::tilejson::{attribution, vector_layer};

/// What was written.
#[derive(Debug, Clone, Copy)]
pub struct ExportReport {
    pub tiles: usize,
    pub bytes: usize,
}

/// Write the tiles of `levels` (all of the tileset's when empty) to `path`, atomically.
pub fn write_pmtiles(tileset: &Tileset, levels: &[Level], path: &Path) -> Result<ExportReport> {
    let bytes = pmtiles_bytes(tileset, levels, path)?;
    let report = ExportReport {
        tiles: bytes.1,
        bytes: bytes.0.len(),
    };
    zones::bundle::write_atomic(path, &bytes.0)?;
    Ok(report)
}

fn pmtiles_bytes(tileset: &Tileset, levels: &[Level], path: &Path) -> Result<(Vec<u8>, usize)> {
    let err = |message: String| Error::Pmtiles {
        path: path.to_path_buf(),
        message,
    };
    let chosen: Vec<_> = if levels.is_empty() {
        tileset.levels.iter().collect()
    } else {
        levels
            .iter()
            .map(|&l| {
                tileset
                    .level(l)
                    .ok_or_else(|| Error::MissingLevel(l.key().to_string()))
            })
            .collect::<Result<_>>()?
    };
    if chosen.is_empty() {
        return Err(err("aucun niveau à exporter".into()));
    }
    // Tiles by Hilbert id, each with the levels that have it.
    let mut by_id: BTreeMap<u64, (TileCoord, Vec<usize>)> = BTreeMap::new();
    for (i, lt) in chosen.iter().enumerate() {
        for &key in lt.tiles.keys() {
            let (z, x, y) = key_coords(key);
            let coord = TileCoord::new(z, x, y).map_err(|e| err(e.to_string()))?;
            by_id
                .entry(TileId::from(coord).value())
                .or_insert((coord, Vec::new()))
                .1
                .push(i);
        }
    }
    let bounds = chosen.iter().fold(
        [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ],
        |b, l| {
            [
                b[0].min(l.bounds[0]),
                b[1].min(l.bounds[1]),
                b[2].max(l.bounds[2]),
                b[3].max(l.bounds[3]),
            ]
        },
    );
    let o = &tileset.options;
    let names: Vec<&str> = chosen.iter().map(|l| l.level.key()).collect();
    let mut credits: Vec<&str> = chosen.iter().map(|l| attribution(l.level)).collect();
    credits.dedup();
    let metadata = json!({
        "name": format!("{} — {}", tileset.territory, names.join(", ")),
        "description": format!("Observatoire social, {} : zones en tuiles vectorielles, une couche par niveau ({}).", tileset.territory, names.join(", ")),
        "attribution": credits.join(" ; "),
        "type": "overlay",
        "version": "1.0.0",
        "format": "pbf",
        "vector_layers": chosen.iter().map(|l| vector_layer(l)).collect::<Vec<_>>(),
    });
    let center_zoom = 10u8.clamp(o.min_zoom, o.max_zoom);
    let mut cursor = std::io::Cursor::new(Vec::new());
    let mut writer = PmTilesWriter::new(TileType::Mvt)
        .precompressed(Compression::Gzip)
        .min_zoom(o.min_zoom)
        .max_zoom(o.max_zoom)
        .bounds(bounds[0], bounds[1], bounds[2], bounds[3])
        .center((bounds[0] + bounds[2]) / 2.0, (bounds[1] + bounds[3]) / 2.0)
        .center_zoom(center_zoom)
        .metadata(metadata.to_string())
        .create(&mut cursor)
        .map_err(|e| err(e.to_string()))?;
    let n = by_id.len();
    for (coord, present) in by_id.into_values() {
        let (z, x, y) = (coord.z(), coord.x(), coord.y());
        let tile = |i: usize| chosen[i].get(z, x, y).expect("key listed above");
        let data = if present.len() == 1 {
            tile(present[0]).gzip.to_vec()
        } else {
            let mut raw = Vec::new();
            for &i in &present {
                raw.extend(gunzip(&tile(i).gzip)?);
            }
            gzip(&raw)?
        };
        writer
            .add_tile(coord, &data)
            .map_err(|e| err(e.to_string()))?;
    }
    writer.finalize().map_err(|e| err(e.to_string()))?;
    Ok((cursor.into_inner(), n))
}
