//! Palettes, defined once in `styles/palettes.toml` and embedded in the binary, so that the web
//! map and the static maps colour the same classes the same way.
use serde::Deserialize;
use std::sync::OnceLock;

use crate::error::{Error, Result};

const PALETTES: &str = include_str!("../../../styles/palettes.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Palette {
    pub name: String,
    /// `sequential` or `diverging`.
    pub kind: String,
    pub colorblind_safe: bool,
    pub colors: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct Palettes {
    pub missing: String,
    pub outline: String,
    pub palette: Vec<Palette>,
}

pub fn all() -> &'static Palettes {
    static P: OnceLock<Palettes> = OnceLock::new();
    P.get_or_init(|| {
        toml::from_str(PALETTES).expect("styles/palettes.toml is valid (checked by a test)")
    })
}

/// Colour of missing or withheld values.
pub fn missing_color() -> &'static str {
    &all().missing
}

/// The palette for an indicator: reds for "higher is worse", blues for "higher is better",
/// purples when neither, RdBu around a reference.
pub fn default_for(higher_is_better: Option<bool>, diverging: bool) -> &'static str {
    match (diverging, higher_is_better) {
        (true, _) => "RdBu",
        (false, Some(false)) => "Reds",
        (false, Some(true)) => "Blues",
        (false, None) => "Purples",
    }
}

/// `k` colours of a palette, light to dark (sequential) or end to end (diverging), sampled
/// along its ramp and interpolated in RGB.
pub fn colors(name: &str, k: usize) -> Result<Vec<String>> {
    let p = all()
        .palette
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            Error::Classification(format!(
                "palette inconnue « {name} » ({})",
                all()
                    .palette
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
    if k == 0 {
        return Ok(Vec::new());
    }
    let ramp: Vec<[f64; 3]> = p.colors.iter().map(|c| parse_hex(c)).collect();
    // Sequential ramps skip their lightest tenth: a near-white class vanishes on a map.
    let (from, to) = if p.kind == "sequential" {
        (0.12, 1.0)
    } else {
        (0.0, 1.0)
    };
    Ok((0..k)
        .map(|i| {
            let t = if k == 1 {
                (from + to) / 2.0
            } else {
                from + (to - from) * i as f64 / (k - 1) as f64
            };
            let x = t * (ramp.len() - 1) as f64;
            let lo = x.floor() as usize;
            let hi = (lo + 1).min(ramp.len() - 1);
            let f = x - lo as f64;
            let c: Vec<u8> = (0..3)
                .map(|j| (ramp[lo][j] + (ramp[hi][j] - ramp[lo][j]) * f).round() as u8)
                .collect();
            format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
        })
        .collect())
}

fn parse_hex(c: &str) -> [f64; 3] {
    let h = c.trim_start_matches('#');
    let v = |i: usize| u8::from_str_radix(h.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0) as f64;
    [v(0), v(2), v(4)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palettes_load_and_sample() {
        assert!(all().palette.len() >= 10);
        for p in &all().palette {
            assert_eq!(p.colors.len(), 9, "{}", p.name);
            for k in 1..=9 {
                let c = colors(&p.name, k).unwrap();
                assert_eq!(c.len(), k);
                let mut d = c.clone();
                d.dedup();
                assert_eq!(d.len(), k, "{} k={k}: distinct colours", p.name);
            }
        }
        assert_eq!(
            colors("RdBu", 9).unwrap()[4],
            "#f7f7f7",
            "diverging centre is neutral"
        );
        assert!(colors("Rainbow", 3).is_err());
    }
}
