//! A small SVG writer: layered groups with ids (Inkscape layers, so a report-maker can
//! post-edit), paths, text. Coordinates are page points (1/72 inch), written with two
//! decimals.
use std::fmt::Write;

use crate::font::{self, Weight};

/// Escape text for XML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// A number with at most two decimals, without trailing zeros (`12.5`, `3`, `-0.25`).
pub fn num(v: f64) -> String {
    let r = (v * 100.0).round() / 100.0;
    let r = if r == 0.0 { 0.0 } else { r };
    let mut s = format!("{r:.2}");
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.pop();
    }
    s
}

/// Horizontal anchor of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    fn css(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }
}

/// Style of a text.
#[derive(Debug, Clone)]
pub struct TextStyle {
    pub size: f64,
    pub weight: Weight,
    pub fill: String,
    pub anchor: Anchor,
    pub italic: bool,
    /// White outline drawn under the glyphs (width in points), for labels over the map.
    pub halo: Option<(String, f64)>,
}

impl TextStyle {
    pub fn new(size: f64) -> TextStyle {
        TextStyle {
            size,
            weight: Weight::Regular,
            fill: "#1a1a1a".into(),
            anchor: Anchor::Start,
            italic: false,
            halo: None,
        }
    }
    pub fn bold(mut self) -> Self {
        self.weight = Weight::Bold;
        self
    }
    pub fn fill(mut self, c: &str) -> Self {
        self.fill = c.to_string();
        self
    }
    pub fn anchor(mut self, a: Anchor) -> Self {
        self.anchor = a;
        self
    }
    pub fn italic(mut self) -> Self {
        self.italic = true;
        self
    }
    pub fn halo(mut self, color: &str, width: f64) -> Self {
        self.halo = Some((color.to_string(), width));
        self
    }
    pub fn width(&self, text: &str) -> f64 {
        font::text_width(text, self.size, self.weight)
    }
}

/// An SVG document being written.
pub struct Svg {
    buf: String,
    width_pt: f64,
    height_pt: f64,
    depth: usize,
}

impl Svg {
    /// A document of `width_pt` × `height_pt` points, written in millimetres for its size and
    /// in points for its user units.
    pub fn new(width_pt: f64, height_pt: f64, title: &str) -> Svg {
        let mut buf = String::with_capacity(256 * 1024);
        let mm = |pt: f64| num(pt / crate::page::PT_PER_MM);
        let _ = write!(
            buf,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:inkscape=\"http://www.inkscape.org/namespaces/inkscape\" version=\"1.1\" width=\"{}mm\" height=\"{}mm\" viewBox=\"0 0 {} {}\" font-family=\"{}\">\n<title>{}</title>\n",
            mm(width_pt),
            mm(height_pt),
            num(width_pt),
            num(height_pt),
            font::CSS_FAMILY,
            escape(title)
        );
        Svg {
            buf,
            width_pt,
            height_pt,
            depth: 0,
        }
    }

    pub fn width(&self) -> f64 {
        self.width_pt
    }
    pub fn height(&self) -> f64 {
        self.height_pt
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.buf.push(' ');
        }
    }

    /// Raw markup (one element), indented.
    pub fn raw(&mut self, s: &str) {
        self.indent();
        self.buf.push_str(s);
        self.buf.push('\n');
    }

    /// Open a layer: a group with an id and an Inkscape layer label.
    pub fn layer(&mut self, id: &str, label: &str) {
        self.raw(&format!(
            "<g id=\"{}\" inkscape:groupmode=\"layer\" inkscape:label=\"{}\">",
            escape(id),
            escape(label)
        ));
        self.depth += 1;
    }

    /// Open a group with an id and extra attributes (already escaped).
    pub fn group(&mut self, id: &str, attrs: &str) {
        let sep = if attrs.is_empty() { "" } else { " " };
        self.raw(&format!("<g id=\"{}\"{sep}{attrs}>", escape(id)));
        self.depth += 1;
    }

    /// Open a group without id.
    pub fn group_attrs(&mut self, attrs: &str) {
        self.raw(&format!("<g {attrs}>"));
        self.depth += 1;
    }

    pub fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        self.raw("</g>");
    }

    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, attrs: &str) {
        self.raw(&format!(
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" {attrs}/>",
            num(x),
            num(y),
            num(w.max(0.0)),
            num(h.max(0.0))
        ));
    }

    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, attrs: &str) {
        self.raw(&format!(
            "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" {attrs}/>",
            num(x1),
            num(y1),
            num(x2),
            num(y2)
        ));
    }

    pub fn path(&mut self, d: &str, attrs: &str) {
        self.raw(&format!("<path d=\"{d}\" {attrs}/>"));
    }

    /// One text, one line per element of `lines`, the first baseline at `y`, lines `leading`
    /// apart.
    pub fn text_lines(
        &mut self,
        x: f64,
        y: f64,
        lines: &[String],
        leading: f64,
        style: &TextStyle,
        attrs: &str,
    ) {
        if lines.is_empty() {
            return;
        }
        let mut s = format!(
            "<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"{}\"",
            num(x),
            num(y),
            num(style.size),
            style.fill
        );
        if style.weight == Weight::Bold {
            s.push_str(" font-weight=\"bold\"");
        }
        if style.italic {
            s.push_str(" font-style=\"italic\"");
        }
        if style.anchor != Anchor::Start {
            let _ = write!(s, " text-anchor=\"{}\"", style.anchor.css());
        }
        if let Some((c, w)) = &style.halo {
            let _ = write!(
                s,
                " stroke=\"{c}\" stroke-width=\"{}\" stroke-linejoin=\"round\" paint-order=\"stroke\"",
                num(*w)
            );
        }
        if !attrs.is_empty() {
            s.push(' ');
            s.push_str(attrs);
        }
        s.push('>');
        if lines.len() == 1 {
            s.push_str(&escape(&lines[0]));
        } else {
            for (i, l) in lines.iter().enumerate() {
                let _ = write!(
                    s,
                    "<tspan x=\"{}\" y=\"{}\">{}</tspan>",
                    num(x),
                    num(y + leading * i as f64),
                    escape(l)
                );
            }
        }
        s.push_str("</text>");
        self.raw(&s);
    }

    pub fn text(&mut self, x: f64, y: f64, text: &str, style: &TextStyle) {
        self.text_lines(x, y, &[text.to_string()], 0.0, style, "");
    }

    pub fn finish(mut self) -> String {
        while self.depth > 0 {
            self.close();
        }
        self.buf.push_str("</svg>\n");
        self.buf
    }
}

/// Path data of rings (page coordinates), each closed with `Z`.
pub fn rings_d(rings: &[Vec<[f64; 2]>]) -> String {
    let mut d = String::new();
    for ring in rings {
        let n = ring.len();
        // A closed ring repeats its first point: `Z` closes it.
        let pts = if n > 1 && ring[0] == ring[n - 1] {
            &ring[..n - 1]
        } else {
            &ring[..]
        };
        let mut last = String::new();
        for (i, p) in pts.iter().enumerate() {
            let xy = format!("{} {}", num(p[0]), num(p[1]));
            if xy == last {
                continue;
            }
            d.push(if i == 0 { 'M' } else { 'L' });
            d.push_str(&xy);
            last = xy;
        }
        d.push('Z');
    }
    d
}

/// Path data of an open polyline.
pub fn line_d(pts: &[[f64; 2]]) -> String {
    let mut d = String::new();
    for (i, p) in pts.iter().enumerate() {
        d.push(if i == 0 { 'M' } else { 'L' });
        let _ = write!(d, "{} {}", num(p[0]), num(p[1]));
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_escaping() {
        assert_eq!(num(12.5), "12.5");
        assert_eq!(num(3.0), "3");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(1.005_1), "1.01");
        assert_eq!(escape("L'Haÿ <&>"), "L&apos;Haÿ &lt;&amp;&gt;");
        let d = rings_d(&[vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]]);
        assert_eq!(d, "M0 0L1 0L1 1Z");
    }
}
