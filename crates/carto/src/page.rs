//! Page formats: ISO A sizes in either orientation, or any `WIDTHxHEIGHTmm`.
use crate::error::{Error, Result};

/// Points (1/72 inch) per millimetre.
pub const PT_PER_MM: f64 = 72.0 / 25.4;

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub width_mm: f64,
    pub height_mm: f64,
    /// As the user wrote it (`a4-portrait`, `180x120mm`).
    pub name: String,
}

impl Page {
    pub fn a4_portrait() -> Page {
        Page {
            width_mm: 210.0,
            height_mm: 297.0,
            name: "a4-portrait".into(),
        }
    }

    /// Parse `a4-portrait`, `a4-landscape`, `a3-…`, `a5-…`, `a4` (portrait), or `180x120mm`.
    pub fn parse(s: &str) -> Result<Page> {
        let l = s.trim().to_ascii_lowercase();
        let err = || Error::Page(s.to_string());
        let iso = |n: &str| -> Option<(f64, f64)> {
            Some(match n {
                "a0" => (841.0, 1189.0),
                "a1" => (594.0, 841.0),
                "a2" => (420.0, 594.0),
                "a3" => (297.0, 420.0),
                "a4" => (210.0, 297.0),
                "a5" => (148.0, 210.0),
                "a6" => (105.0, 148.0),
                _ => return None,
            })
        };
        let (w, h) = if let Some((size, orient)) = l.split_once('-') {
            let (w, h) = iso(size).ok_or_else(err)?;
            match orient {
                "portrait" | "p" => (w, h),
                "landscape" | "paysage" | "l" => (h, w),
                _ => return Err(err()),
            }
        } else if let Some((w, h)) = iso(&l) {
            (w, h)
        } else {
            let dims = l.strip_suffix("mm").unwrap_or(&l);
            let (w, h) = dims.split_once(['x', '×']).ok_or_else(err)?;
            let parse = |v: &str| v.trim().replace(',', ".").parse::<f64>().ok();
            let (w, h) = (parse(w).ok_or_else(err)?, parse(h).ok_or_else(err)?);
            if !(w.is_finite() && h.is_finite()) || w <= 0.0 || h <= 0.0 {
                return Err(err());
            }
            if w > 1189.0 || h > 1189.0 {
                return Err(Error::Page(format!(
                    "{s} (au plus 1189 mm de côté, le format A0)"
                )));
            }
            (w, h)
        };
        Ok(Page {
            width_mm: w,
            height_mm: h,
            name: l,
        })
    }

    pub fn width_pt(&self) -> f64 {
        self.width_mm * PT_PER_MM
    }
    pub fn height_pt(&self) -> f64 {
        self.height_mm * PT_PER_MM
    }
    pub fn is_landscape(&self) -> bool {
        self.width_mm > self.height_mm
    }

    /// Pixel size at `dpi`.
    pub fn pixels(&self, dpi: f64) -> (u32, u32) {
        (
            (self.width_mm / 25.4 * dpi).round() as u32,
            (self.height_mm / 25.4 * dpi).round() as u32,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let a4 = Page::parse("a4-portrait").unwrap();
        assert_eq!((a4.width_mm, a4.height_mm), (210.0, 297.0));
        assert_eq!(a4.pixels(150.0), (1240, 1754));
        let l = Page::parse("A3-landscape").unwrap();
        assert_eq!((l.width_mm, l.height_mm), (420.0, 297.0));
        assert!(l.is_landscape());
        let c = Page::parse("180x120mm").unwrap();
        assert_eq!((c.width_mm, c.height_mm), (180.0, 120.0));
        assert_eq!(Page::parse("a4").unwrap().height_mm, 297.0);
        for bad in [
            "",
            "a4-sideways",
            "b5",
            "0x100mm",
            "-3x4mm",
            "x",
            "nanx3mm",
            "2000x100mm",
        ] {
            assert!(Page::parse(bad).is_err(), "{bad}");
        }
    }
}
