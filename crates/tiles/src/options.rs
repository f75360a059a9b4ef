//! What a pyramid is made with: zoom range, tile extent, buffer and simplification tolerance.
use crate::error::{Error, Result};

/// Environment variable read by [`TileOptions::from_env`]: the zoom range, e.g. `0-16`.
pub const ZOOM_ENV: &str = "OBSERVATOIRE_TILES_ZOOM";

/// Highest zoom a pyramid may go to (world coordinates at `extent · 2^z` stay far inside i64,
/// and tile keys pack x and y on 29 bits).
pub const MAX_ZOOM_LIMIT: u8 = 22;

/// Parameters of a pyramid. The defaults are those of the served pyramid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TileOptions {
    pub min_zoom: u8,
    pub max_zoom: u8,
    /// Tile grid size: MVT coordinates run from 0 to `extent` on each axis.
    pub extent: u32,
    /// Margin kept around each tile, in tile units (64 of 4096 = 4 screen pixels of a 256-pixel
    /// tile), so that strokes at tile edges join without seams.
    pub buffer: u32,
    /// Douglas–Peucker tolerance in tile units at every zoom (1 of 4096 = 1/16 of a screen pixel
    /// of a 256-pixel tile). Arcs are simplified once per zoom with this tolerance, endpoints
    /// (junctions) fixed.
    pub tolerance: f64,
}

impl Default for TileOptions {
    fn default() -> Self {
        TileOptions {
            min_zoom: 0,
            max_zoom: 16,
            extent: 4096,
            buffer: 64,
            tolerance: 1.0,
        }
    }
}

impl TileOptions {
    /// The defaults, with the zoom range of `OBSERVATOIRE_TILES_ZOOM` when it is set.
    pub fn from_env() -> Result<TileOptions> {
        let mut o = TileOptions::default();
        if let Ok(v) = std::env::var(ZOOM_ENV) {
            (o.min_zoom, o.max_zoom) = parse_zoom_range(&v)?;
        }
        Ok(o)
    }

    /// Check the options; every constructor of a pyramid calls it.
    pub fn validate(&self) -> Result<()> {
        if self.min_zoom > self.max_zoom || self.max_zoom > MAX_ZOOM_LIMIT {
            return Err(Error::ZoomRange {
                given: format!("{}-{}", self.min_zoom, self.max_zoom),
                max: MAX_ZOOM_LIMIT,
            });
        }
        if !(256..=65536).contains(&self.extent) || !self.extent.is_power_of_two() {
            return Err(Error::Options(format!(
                "étendue {} : une puissance de 2 entre 256 et 65536 est attendue",
                self.extent
            )));
        }
        if self.buffer > self.extent / 2 {
            return Err(Error::Options(format!(
                "marge {} supérieure à la moitié de l'étendue",
                self.buffer
            )));
        }
        if !(self.tolerance.is_finite() && self.tolerance >= 0.0) {
            return Err(Error::Options(format!("tolérance {}", self.tolerance)));
        }
        Ok(())
    }

    /// A short text naming every parameter, part of the pyramid's content version.
    pub fn fingerprint(&self) -> String {
        format!(
            "z{}-{} e{} b{} t{}",
            self.min_zoom, self.max_zoom, self.extent, self.buffer, self.tolerance
        )
    }
}

/// Parse `MIN-MAX` (or a single zoom `Z`).
pub fn parse_zoom_range(s: &str) -> Result<(u8, u8)> {
    let err = || Error::ZoomRange {
        given: s.to_string(),
        max: MAX_ZOOM_LIMIT,
    };
    let (a, b) = match s.trim().split_once('-') {
        Some((a, b)) => (a.trim(), b.trim()),
        None => (s.trim(), s.trim()),
    };
    let a: u8 = a.parse().map_err(|_| err())?;
    let b: u8 = b.parse().map_err(|_| err())?;
    if a > b || b > MAX_ZOOM_LIMIT {
        return Err(err());
    }
    Ok((a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zoom_ranges() {
        assert_eq!(parse_zoom_range("0-16").unwrap(), (0, 16));
        assert_eq!(parse_zoom_range(" 4 - 12 ").unwrap(), (4, 12));
        assert_eq!(parse_zoom_range("14").unwrap(), (14, 14));
        for bad in ["", "16-0", "0-99", "a-b", "-3", "0-16-2"] {
            assert!(parse_zoom_range(bad).is_err(), "{bad}");
        }
        assert!(TileOptions::default().validate().is_ok());
        let bad = TileOptions {
            extent: 1000,
            ..TileOptions::default()
        };
        assert!(bad.validate().is_err());
    }
}
