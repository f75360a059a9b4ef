//! Page geometry: rectangles in page points and the map frame, which places Lambert-93
//! metres on the page (north up, one scale for both axes: Lambert-93 is conformal).

/// A rectangle in page points, `y` downwards.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn new(x: f64, y: f64, w: f64, h: f64) -> Rect {
        Rect { x, y, w, h }
    }
    pub fn right(&self) -> f64 {
        self.x + self.w
    }
    pub fn bottom(&self) -> f64 {
        self.y + self.h
    }
    pub fn intersects(&self, o: &Rect) -> bool {
        self.x < o.right() && o.x < self.right() && self.y < o.bottom() && o.y < self.bottom()
    }
    pub fn contains(&self, o: &Rect) -> bool {
        o.x >= self.x && o.y >= self.y && o.right() <= self.right() && o.bottom() <= self.bottom()
    }
    pub fn inset(&self, d: f64) -> Rect {
        Rect::new(
            self.x + d,
            self.y + d,
            (self.w - 2.0 * d).max(0.0),
            (self.h - 2.0 * d).max(0.0),
        )
    }
}

/// The map frame: a page rectangle showing Lambert-93 metres at `scale` points per metre, the
/// frame's top-left corner at Lambert-93 (`x0`, `y0`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub rect: Rect,
    /// Page points per Lambert-93 metre.
    pub scale: f64,
    pub x0: f64,
    pub y0: f64,
}

impl Frame {
    /// The frame `rect` showing the Lambert-93 box `[min, max]` whole, centred, with `padding`
    /// (fraction of the box) around it.
    pub fn fit(rect: Rect, min: [f64; 2], max: [f64; 2], padding: f64) -> Frame {
        let (bw, bh) = (
            (max[0] - min[0]).max(1.0) * (1.0 + 2.0 * padding),
            (max[1] - min[1]).max(1.0) * (1.0 + 2.0 * padding),
        );
        let scale = (rect.w / bw).min(rect.h / bh);
        let (cx, cy) = ((min[0] + max[0]) / 2.0, (min[1] + max[1]) / 2.0);
        Frame {
            rect,
            scale,
            x0: cx - rect.w / 2.0 / scale,
            y0: cy + rect.h / 2.0 / scale,
        }
    }

    /// Page point of a Lambert-93 point.
    #[inline]
    pub fn to_page(&self, p: [f64; 2]) -> [f64; 2] {
        [
            self.rect.x + (p[0] - self.x0) * self.scale,
            self.rect.y + (self.y0 - p[1]) * self.scale,
        ]
    }

    /// Lambert-93 point of a page point.
    pub fn to_l93(&self, p: [f64; 2]) -> [f64; 2] {
        [
            self.x0 + (p[0] - self.rect.x) / self.scale,
            self.y0 - (p[1] - self.rect.y) / self.scale,
        ]
    }

    /// Lambert-93 box shown: `(min, max)`.
    pub fn l93_box(&self) -> ([f64; 2], [f64; 2]) {
        let a = self.to_l93([self.rect.x, self.rect.bottom()]);
        let b = self.to_l93([self.rect.right(), self.rect.y]);
        (a, b)
    }

    /// Lambert-93 centre of the frame.
    pub fn center(&self) -> [f64; 2] {
        self.to_l93([
            self.rect.x + self.rect.w / 2.0,
            self.rect.y + self.rect.h / 2.0,
        ])
    }

    /// Shrink the frame's rectangle to the content box plus `padding` (fraction), keeping the
    /// scale and the top-left position (so what follows on the page moves up).
    pub fn shrink_to(&self, min: [f64; 2], max: [f64; 2], padding: f64) -> Frame {
        let pw = (max[0] - min[0]) * (1.0 + 2.0 * padding) * self.scale;
        let ph = (max[1] - min[1]) * (1.0 + 2.0 * padding) * self.scale;
        let rect = Rect::new(
            self.rect.x,
            self.rect.y,
            self.rect.w.min(pw.max(1.0)),
            self.rect.h.min(ph.max(1.0)),
        );
        let (cx, cy) = ((min[0] + max[0]) / 2.0, (min[1] + max[1]) / 2.0);
        Frame {
            rect,
            scale: self.scale,
            x0: cx - rect.w / 2.0 / self.scale,
            y0: cy + rect.h / 2.0 / self.scale,
        }
    }

    /// The page rectangle of a Lambert-93 box.
    pub fn page_rect(&self, min: [f64; 2], max: [f64; 2]) -> Rect {
        let a = self.to_page([min[0], max[1]]);
        let b = self.to_page([max[0], min[1]]);
        Rect::new(a[0], a[1], b[0] - a[0], b[1] - a[1])
    }
}

/// Bounding box of rings, `None` when empty.
pub fn bbox<'a>(
    rings: impl IntoIterator<Item = &'a Vec<[f64; 2]>>,
) -> Option<([f64; 2], [f64; 2])> {
    let mut min = [f64::INFINITY; 2];
    let mut max = [f64::NEG_INFINITY; 2];
    for r in rings {
        for p in r {
            min = [min[0].min(p[0]), min[1].min(p[1])];
            max = [max[0].max(p[0]), max[1].max(p[1])];
        }
    }
    min[0].is_finite().then_some((min, max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_round_trip_and_fit() {
        let f = Frame::fit(
            Rect::new(10.0, 20.0, 200.0, 100.0),
            [650_000.0, 6_840_000.0],
            [670_000.0, 6_860_000.0],
            0.0,
        );
        // The box is square; the frame is wide: height limits the scale.
        assert!((f.scale - 100.0 / 20_000.0).abs() < 1e-12);
        let p = f.to_page([660_000.0, 6_850_000.0]);
        assert!((p[0] - 110.0).abs() < 1e-9 && (p[1] - 70.0).abs() < 1e-9);
        let q = f.to_l93(p);
        assert!((q[0] - 660_000.0).abs() < 1e-6 && (q[1] - 6_850_000.0).abs() < 1e-6);
        let r = Rect::new(0.0, 0.0, 10.0, 10.0);
        assert!(r.intersects(&Rect::new(9.0, 9.0, 5.0, 5.0)));
        assert!(
            !r.intersects(&Rect::new(10.0, 0.0, 5.0, 5.0)),
            "touching is not overlapping"
        );
    }
}
