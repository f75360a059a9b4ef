//! Labels: which names, shortened how, drawn how (`styles/labels.toml`, shared with the web
//! map), and a greedy placement without overlaps: zones are taken from the largest, each
//! label tries a few positions around the zone's interior point, on one line or two, and is
//! kept at the first position that overlaps neither a placed label nor a reserved box (legend,
//! inset, scale bar, north arrow) and stays inside the map frame. A label that fits nowhere is
//! left out rather than drawn over another.
use serde::Deserialize;
use std::sync::OnceLock;

use crate::font::{self, Weight};
use crate::layout::Rect;

const LABELS: &str = include_str!("../../../styles/labels.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct LevelStyle {
    pub level: String,
    pub names: String,
    pub size: f64,
    pub bold: bool,
    pub min_area_km2: f64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Shorten {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Style {
    pub color: String,
    pub halo: String,
    pub halo_ratio: f64,
    pub level: Vec<LevelStyle>,
    pub shorten: Vec<Shorten>,
}

/// The label style of `styles/labels.toml` (embedded at build time).
pub fn style() -> &'static Style {
    static S: OnceLock<Style> = OnceLock::new();
    S.get_or_init(|| {
        toml::from_str(LABELS).expect("styles/labels.toml is valid (checked by a test)")
    })
}

impl Style {
    pub fn for_level(&self, level: &str) -> Option<&LevelStyle> {
        self.level.iter().find(|l| l.level == level)
    }

    /// The name as written on a map (`Espace de Solidarité du Perreux-sur-Marne` →
    /// `Le Perreux-sur-Marne`).
    pub fn short_name(&self, name: &str) -> String {
        for s in &self.shorten {
            if let Some(rest) = name.strip_prefix(&s.from) {
                return format!("{}{rest}", s.to);
            }
        }
        name.to_string()
    }
}

/// A label to place.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub code: String,
    pub text: String,
    /// Interior point of the zone, page points.
    pub anchor: [f64; 2],
    /// Larger first (zone area).
    pub priority: f64,
}

/// A placed label.
#[derive(Debug, Clone)]
pub struct Placed {
    pub code: String,
    pub lines: Vec<String>,
    /// Centre of the text block.
    pub center: [f64; 2],
    pub size: f64,
    pub weight: Weight,
    /// Box covered by the text and its halo.
    pub bbox: Rect,
}

impl Placed {
    /// Baseline of the first line.
    pub fn first_baseline(&self) -> f64 {
        let leading = self.size * LEADING;
        let block = leading * (self.lines.len() as f64 - 1.0);
        self.center[1] - block / 2.0 + font::cap_height() * self.size / 2.0
    }
    pub fn leading(&self) -> f64 {
        self.size * LEADING
    }
}

const LEADING: f64 = 1.1;

/// The ways of writing `text`: one line, then two lines split at the hyphen or space nearest
/// the middle (a hyphen stays at the end of the first line).
fn layouts(text: &str) -> Vec<Vec<String>> {
    let mut out = vec![vec![text.to_string()]];
    let mid = text.chars().count() as f64 / 2.0;
    let best = text
        .char_indices()
        .filter(|(_, c)| *c == '-' || *c == ' ')
        .map(|(i, c)| (i, c, (text[..i].chars().count() as f64 - mid).abs()))
        .min_by(|a, b| a.2.total_cmp(&b.2));
    if let Some((i, c, _)) = best {
        let (a, b) = text.split_at(i);
        let (first, second) = if c == '-' {
            (format!("{a}-"), b[1..].to_string())
        } else {
            (a.to_string(), b[1..].to_string())
        };
        if !first.trim().is_empty() && !second.trim().is_empty() {
            out.push(vec![first, second]);
        }
    }
    out
}

/// Place `candidates` greedily (see the module documentation).
pub fn place(
    mut candidates: Vec<Candidate>,
    size: f64,
    weight: Weight,
    halo: f64,
    frame: Rect,
    obstacles: &[Rect],
) -> Vec<Placed> {
    candidates.sort_by(|a, b| b.priority.total_cmp(&a.priority).then(a.code.cmp(&b.code)));
    let inner = frame.inset(1.0);
    let mut placed: Vec<Placed> = Vec::new();
    for c in candidates {
        'layouts: for lines in layouts(&c.text) {
            let w = lines
                .iter()
                .map(|l| font::text_width(l, size, weight))
                .fold(0.0, f64::max)
                + 2.0 * halo;
            let h = size * LEADING * lines.len() as f64 + 2.0 * halo;
            let offsets = [
                [0.0, 0.0],
                [0.0, -0.6 * h],
                [0.0, 0.6 * h],
                [-0.3 * w, 0.0],
                [0.3 * w, 0.0],
            ];
            for o in offsets {
                let center = [c.anchor[0] + o[0], c.anchor[1] + o[1]];
                let bbox = Rect::new(center[0] - w / 2.0, center[1] - h / 2.0, w, h);
                if !inner.contains(&bbox)
                    || obstacles.iter().any(|r| r.intersects(&bbox))
                    || placed.iter().any(|p| p.bbox.intersects(&bbox))
                {
                    continue;
                }
                placed.push(Placed {
                    code: c.code.clone(),
                    lines,
                    center,
                    size,
                    weight,
                    bbox,
                });
                break 'layouts;
            }
        }
    }
    placed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn style_loads_and_shortens() {
        let s = style();
        assert!(s.for_level("commune").is_some() && s.for_level("es").is_some());
        assert_eq!(
            s.short_name("Espace de Solidarité du Perreux-sur-Marne"),
            "Le Perreux-sur-Marne"
        );
        assert_eq!(
            s.short_name("Espace de Solidarité d'Alfortville"),
            "Alfortville"
        );
        assert_eq!(s.short_name("Espace de Solidarité de Créteil"), "Créteil");
        assert_eq!(s.short_name("Créteil"), "Créteil");
    }

    #[test]
    fn two_line_layouts_split_at_the_middle_hyphen() {
        let l = layouts("Villeneuve-Saint-Georges");
        assert_eq!(
            l[1],
            vec!["Villeneuve-".to_string(), "Saint-Georges".to_string()]
        );
        assert_eq!(layouts("Orly").len(), 1);
    }

    #[test]
    fn crowded_labels_never_overlap() {
        // 200 labels on a 20 × 10 grid 12 pt apart: many must be dropped, none may overlap.
        let cands: Vec<Candidate> = (0..200)
            .map(|i| Candidate {
                code: format!("{i:03}"),
                text: format!("Commune-{i}"),
                anchor: [20.0 + (i % 20) as f64 * 12.0, 20.0 + (i / 20) as f64 * 12.0],
                priority: (i * 7 % 13) as f64,
            })
            .collect();
        let frame = Rect::new(0.0, 0.0, 270.0, 150.0);
        let obstacle = Rect::new(100.0, 50.0, 40.0, 40.0);
        let placed = place(cands, 6.0, Weight::Regular, 1.0, frame, &[obstacle]);
        assert!(placed.len() > 10 && placed.len() < 200);
        for (i, a) in placed.iter().enumerate() {
            assert!(frame.contains(&a.bbox));
            assert!(!a.bbox.intersects(&obstacle));
            for b in &placed[i + 1..] {
                assert!(!a.bbox.intersects(&b.bbox), "{} and {}", a.code, b.code);
            }
        }
    }
}
