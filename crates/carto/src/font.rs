//! The bundled font: DejaVu Sans (Bitstream Vera licence, free), shipped by the `dejavu` crate
//! from crates.io and embedded in the binary, so that text is never dropped for want of a
//! system font and output is identical on every machine. Text is measured with the same font
//! the renderers draw with, so layout (legend widths, label boxes) matches what is drawn.
use std::sync::{Arc, OnceLock};
use usvg::fontdb;

/// The family name written in every SVG this crate produces.
pub const FAMILY: &str = "DejaVu Sans";
/// CSS value of `font-family` in the SVG (the generic fallback maps to the same font).
pub const CSS_FAMILY: &str = "'DejaVu Sans', sans-serif";

/// Font weight of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Regular,
    Bold,
}

/// The font database given to usvg: DejaVu Sans regular, bold, oblique and bold oblique,
/// also answering for the generic `sans-serif`.
pub fn database() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        db.load_font_data(dejavu::sans::regular().to_vec());
        db.load_font_data(dejavu::sans::bold().to_vec());
        db.load_font_data(dejavu::sans::oblique().to_vec());
        db.load_font_data(dejavu::sans::bold_oblique().to_vec());
        db.set_sans_serif_family(FAMILY);
        Arc::new(db)
    })
    .clone()
}

fn face(weight: Weight) -> Option<&'static ttf_parser::Face<'static>> {
    static REGULAR: OnceLock<Option<ttf_parser::Face<'static>>> = OnceLock::new();
    static BOLD: OnceLock<Option<ttf_parser::Face<'static>>> = OnceLock::new();
    match weight {
        Weight::Regular => REGULAR
            .get_or_init(|| ttf_parser::Face::parse(dejavu::sans::regular(), 0).ok())
            .as_ref(),
        Weight::Bold => BOLD
            .get_or_init(|| ttf_parser::Face::parse(dejavu::sans::bold(), 0).ok())
            .as_ref(),
    }
}

/// Advance width of `text` at `size` (same unit as the result), from the font's horizontal
/// metrics. Kerning is ignored (DejaVu's kerning changes widths by well under 2 %; label boxes
/// carry a margin larger than that).
pub fn text_width(text: &str, size: f64, weight: Weight) -> f64 {
    let Some(f) = face(weight) else {
        // Unreachable with the embedded font; a conservative estimate otherwise.
        return text.chars().count() as f64 * size * 0.65;
    };
    let upem = f64::from(f.units_per_em());
    let fallback = f
        .glyph_index('?')
        .and_then(|g| f.glyph_hor_advance(g))
        .unwrap_or(0);
    let units: u32 = text
        .chars()
        .map(|c| {
            u32::from(
                f.glyph_index(c)
                    .and_then(|g| f.glyph_hor_advance(g))
                    .unwrap_or(fallback),
            )
        })
        .sum();
    f64::from(units) / upem * size
}

/// Ascent (above the baseline) of capital letters, as a fraction of the font size.
pub fn cap_height() -> f64 {
    face(Weight::Regular)
        .and_then(|f| {
            f.capital_height()
                .map(|h| f64::from(h) / f64::from(f.units_per_em()))
        })
        .unwrap_or(0.73)
}

/// Split `text` into lines no wider than `max_width` at `size`, breaking at spaces (a word
/// longer than a line stays whole on its own line).
pub fn wrap(text: &str, size: f64, weight: Weight, max_width: f64) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if !current.is_empty() && text_width(&candidate, size, weight) > max_width {
            lines.push(std::mem::take(&mut current));
            current = word.to_string();
        } else {
            current = candidate;
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn font_is_embedded_and_answers_for_sans_serif() {
        let db = database();
        assert!(db.len() >= 4);
        let q = fontdb::Query {
            families: &[fontdb::Family::SansSerif],
            ..Default::default()
        };
        let id = db.query(&q).expect("sans-serif resolves");
        assert_eq!(db.face(id).unwrap().families[0].0, FAMILY);
    }

    #[test]
    fn widths_grow_with_text_and_weight() {
        let a = text_width("Créteil", 10.0, Weight::Regular);
        let b = text_width("Créteil", 10.0, Weight::Bold);
        assert!(a > 30.0 && a < 45.0, "{a}");
        assert!(b > a);
        assert_eq!(text_width("", 10.0, Weight::Regular), 0.0);
        let lines = wrap(
            "Taux de chômage des 15-64 ans (au sens du recensement)",
            10.0,
            Weight::Bold,
            150.0,
        );
        assert!(lines.len() >= 2);
        for l in &lines {
            assert!(text_width(l, 10.0, Weight::Bold) <= 150.0);
        }
    }
}
