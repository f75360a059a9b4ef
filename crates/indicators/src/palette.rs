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

/// Suffix of a palette name that reverses its ramp (`RdBu_r`: blue to red).
pub const REVERSED_SUFFIX: &str = "_r";

/// The palette for an indicator. One convention on every map: red means unfavourable, blue
/// favourable. Sequential (light = low, dark = high): reds when higher is worse, blues when
/// higher is better, purples when neither. Diverging around a reference (low values first):
/// high values red and low ones blue when higher is worse (`RdBu_r`), the reverse when higher
/// is better (`RdBu`), and purple to orange, free of judgement, when neither (`PuOr`).
pub fn default_for(higher_is_better: Option<bool>, diverging: bool) -> &'static str {
    match (diverging, higher_is_better) {
        (true, Some(false)) => "RdBu_r",
        (true, Some(true)) => "RdBu",
        (true, None) => "PuOr",
        (false, Some(false)) => "Reds",
        (false, Some(true)) => "Blues",
        (false, None) => "Purples",
    }
}

/// `k` colours of a palette, light to dark (sequential) or end to end (diverging), sampled
/// along its ramp and interpolated in RGB; `<name>_r` reverses the ramp.
pub fn colors(name: &str, k: usize) -> Result<Vec<String>> {
    let (base, reversed) = match name.len().checked_sub(REVERSED_SUFFIX.len()) {
        Some(i) if name.is_char_boundary(i) && name[i..].eq_ignore_ascii_case(REVERSED_SUFFIX) => {
            (&name[..i], true)
        }
        _ => (name, false),
    };
    let p = all()
        .palette
        .iter()
        .find(|p| p.name.eq_ignore_ascii_case(base))
        .ok_or_else(|| {
            Error::Classification(
                format!(
                    "palette inconnue « {name} » ({})",
                    all()
                        .palette
                        .iter()
                        .map(|p| p.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ) + " ; suffixe « _r » pour l'inverser, par exemple « RdBu_r »",
            )
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
    let mut out: Vec<String> = (0..k)
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
        .collect();
    if reversed {
        // The same colours (a sequential ramp still skips its lightest tenth), in reverse order.
        out.reverse();
    }
    Ok(out)
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
        assert!(colors("Rainbow_r", 3).is_err());
        assert!(colors("_r", 3).is_err());
    }

    /// Redness minus blueness of a colour.
    fn red_minus_blue(c: &str) -> f64 {
        let [r, _, b] = parse_hex(c);
        r - b
    }

    /// Hue of a colour in degrees, 0–360 (red near 0, blue near 220).
    fn hue(c: &str) -> f64 {
        let [r, g, b] = parse_hex(c);
        let (max, min) = (r.max(g).max(b), r.min(g).min(b));
        if max == min {
            return 0.0;
        }
        let h = if max == r {
            (g - b) / (max - min)
        } else if max == g {
            2.0 + (b - r) / (max - min)
        } else {
            4.0 + (r - g) / (max - min)
        };
        (h * 60.0).rem_euclid(360.0)
    }

    #[test]
    fn reversed_palettes() {
        let mut r = colors("Reds", 5).unwrap();
        r.reverse();
        assert_eq!(colors("Reds_r", 5).unwrap(), r);
        let mut d = colors("RdBu", 6).unwrap();
        d.reverse();
        assert_eq!(colors("rdbu_R", 6).unwrap(), d);
    }

    #[test]
    fn red_is_unfavourable_on_every_default_palette() {
        for k in 2..=9 {
            // Classes go from low to high values: colours[0] is the lowest class.
            let worse = colors(default_for(Some(false), true), k).unwrap();
            assert!(
                red_minus_blue(&worse[k - 1]) > 0.0 && red_minus_blue(&worse[0]) < 0.0,
                "higher is worse (chômage), diverging, k={k}: high values red, low ones blue: {worse:?}"
            );
            let better = colors(default_for(Some(true), true), k).unwrap();
            assert!(
                red_minus_blue(&better[k - 1]) < 0.0 && red_minus_blue(&better[0]) > 0.0,
                "higher is better (revenu), diverging, k={k}: high values blue, low ones red: {better:?}"
            );
            let neutral = colors(default_for(None, true), k).unwrap();
            for c in [&neutral[0], &neutral[k - 1]] {
                let h = hue(c);
                assert!(
                    (20.0..190.0).contains(&h) || (250.0..340.0).contains(&h),
                    "neither: no red/blue judgement, k={k}: {c} (hue {h:.0}°) in {neutral:?}"
                );
            }
            // Sequential: darker is higher; the hue says whether high is bad (red) or good (blue).
            let worse = colors(default_for(Some(false), false), k).unwrap();
            assert!(worse.iter().all(|c| red_minus_blue(c) > 0.0), "{worse:?}");
            let better = colors(default_for(Some(true), false), k).unwrap();
            assert!(better.iter().all(|c| red_minus_blue(c) < 0.0), "{better:?}");
            for seq in [&worse, &better] {
                let lum = |c: &str| parse_hex(c).iter().sum::<f64>();
                assert!(
                    seq.windows(2).all(|w| lum(&w[0]) > lum(&w[1])),
                    "light to dark: {seq:?}"
                );
            }
        }
    }
}
