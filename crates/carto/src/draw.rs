//! Drawing primitives shared by single maps and atlas pages: context, choropleth, borders,
//! outlines, labels, scale bar, north arrow, inset and legend.
use geo::{Contains, InteriorPoint, Point};
use std::collections::BTreeSet;
use std::fmt::Write;
use zones::level::Zone;
use zones::topology::{TopoGeometry, arc_index};

use crate::classes::{Legend, break_decimals, interval_labels, method_label};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::font::{self, Weight};
use crate::labels::Placed;
use crate::layout::{Frame, Rect, bbox};
use crate::simplify::Arcs;
use crate::svg::{Anchor, Svg, TextStyle, escape, num, rings_d};

pub const BACKGROUND: &str = "#ffffff";
pub const CONTEXT_FILL: &str = "#f0f0f0";
pub const CONTEXT_STROKE: &str = "#ffffff";
pub const CONTEXT_TEXT: &str = "#9a9a9a";
pub const TERRITORY_STROKE: &str = "#3c3c3c";
pub const INNER_STROKE: &str = "#707070";
pub const ZONE_STROKE: &str = "#ffffff";
pub const TEXT: &str = "#1a1a1a";
pub const MUTED: &str = "#555555";
pub const WARNING: &str = "#a6430e";
pub const INSET_TERRITORY: &str = "#4d4d4d";
pub const INSET_OTHER: &str = "#d4d4d4";

/// Rings of a zone in page coordinates.
pub fn page_rings(frame: &Frame, arcs: &Arcs, g: &TopoGeometry) -> Vec<Vec<[f64; 2]>> {
    arcs.rings(g)
        .into_iter()
        .map(|r| r.into_iter().map(|p| frame.to_page(p)).collect())
        .collect()
}

/// Whether a Lambert-93 box meets the frame.
pub fn in_frame(frame: &Frame, min: [f64; 2], max: [f64; 2]) -> bool {
    let (fmin, fmax) = frame.l93_box();
    min[0] <= fmax[0] && max[0] >= fmin[0] && min[1] <= fmax[1] && max[1] >= fmin[1]
}

/// `<defs>` with a rectangular clip path.
pub fn clip(svg: &mut Svg, id: &str, r: Rect) {
    svg.raw(&format!(
        "<defs><clipPath id=\"{}\"><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/></clipPath></defs>",
        escape(id),
        num(r.x),
        num(r.y),
        num(r.w),
        num(r.h)
    ));
}

/// The frame's background and the neighbouring départements in grey, with their names.
/// `own` is the code of the territory's département (not named: it is the map's subject).
pub fn context(
    svg: &mut Svg,
    id: &str,
    frame: &Frame,
    ctx: &Context,
    own: &str,
    label_size: Option<f64>,
    avoid: &[Rect],
) -> Vec<Rect> {
    let r = frame.rect;
    svg.layer(id, "Contexte : départements voisins");
    svg.rect(r.x, r.y, r.w, r.h, &format!("fill=\"{CONTEXT_FILL}\""));
    let mut d = String::new();
    let mut names = Vec::new();
    // Only the part inside the frame (plus a margin) is written: the file stays small and an
    // editor finds no hidden geometry.
    let (fmin, fmax) = frame.l93_box();
    let (mx, my) = ((fmax[0] - fmin[0]) * 0.02, (fmax[1] - fmin[1]) * 0.02);
    let window = geo::MultiPolygon(vec![
        geo::Rect::new(
            geo::coord! { x: fmin[0] - mx, y: fmin[1] - my },
            geo::coord! { x: fmax[0] + mx, y: fmax[1] + my },
        )
        .to_polygon(),
    ]);
    for z in &ctx.zones {
        if !in_frame(frame, z.min, z.max) {
            continue;
        }
        let part = {
            use geo::BooleanOps;
            z.geometry.intersection(&window)
        };
        let rings: Vec<Vec<[f64; 2]>> = part
            .0
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .map(|ls| ls.0.iter().map(|c| frame.to_page([c.x, c.y])).collect())
            .collect();
        d.push_str(&rings_d(&rings));
        if z.code != own {
            names.push(z);
        }
    }
    if !d.is_empty() {
        svg.path(
            &d,
            &format!(
                "fill=\"{CONTEXT_FILL}\" stroke=\"{CONTEXT_STROKE}\" stroke-width=\"1.2\" stroke-linejoin=\"round\""
            ),
        );
    }
    let mut boxes = Vec::new();
    if let Some(size) = label_size {
        // Each neighbour is named at the interior point of its part inside the frame.
        let view = geo::Rect::new(
            geo::coord! { x: fmin[0], y: fmin[1] },
            geo::coord! { x: fmax[0], y: fmax[1] },
        )
        .to_polygon();
        let style = TextStyle::new(size)
            .italic()
            .fill(CONTEXT_TEXT)
            .anchor(Anchor::Middle);
        for z in names {
            use geo::{Area, BooleanOps};
            let part = z
                .geometry
                .intersection(&geo::MultiPolygon(vec![view.clone()]));
            let frame_area = (fmax[0] - fmin[0]) * (fmax[1] - fmin[1]);
            if part.unsigned_area() < 0.03 * frame_area {
                continue;
            }
            let Some(p) = part.interior_point() else {
                continue;
            };
            let at = frame.to_page([p.x(), p.y()]);
            let w = style.width(&z.name);
            let b = Rect::new(at[0] - w / 2.0, at[1] - size, w, size * 1.3);
            // Not over the territory (its zones are drawn above and would hide it), not under
            // a map item.
            let over_territory = ctx
                .zones
                .iter()
                .find(|o| o.code == own)
                .is_some_and(|o| coverage(frame, &o.geometry, b) > 0.0);
            if !r.inset(2.0).contains(&b)
                || over_territory
                || avoid.iter().any(|a| a.intersects(&b))
            {
                continue;
            }
            svg.text(at[0], at[1], &z.name, &style);
            boxes.push(b);
        }
    }
    svg.close();
    boxes
}

/// Filled zones: one path per zone, with its code and class.
pub fn choropleth<'z>(
    svg: &mut Svg,
    id: &str,
    frame: &Frame,
    arcs: &Arcs,
    zones: impl IntoIterator<Item = (&'z Zone, &'z str, Option<usize>)>,
) {
    svg.layer(id, "Zones (aplats)");
    for (z, color, class) in zones {
        let rings = arcs.rings(&z.geometry);
        let Some((min, max)) = bbox(&rings) else {
            continue;
        };
        if !in_frame(frame, min, max) {
            continue;
        }
        let page: Vec<Vec<[f64; 2]>> = rings
            .into_iter()
            .map(|r| r.into_iter().map(|p| frame.to_page(p)).collect())
            .collect();
        let class = class.map(|c| c.to_string()).unwrap_or_else(|| "nd".into());
        svg.path(
            &rings_d(&page),
            &format!(
                "id=\"z-{}\" data-code=\"{}\" data-class=\"{class}\" fill=\"{color}\" fill-rule=\"evenodd\"",
                escape(&z.code),
                escape(&z.code)
            ),
        );
    }
    svg.close();
}

/// The arcs of `geometries`, each drawn once (shared borders are not doubled).
#[allow(clippy::too_many_arguments)]
pub fn borders<'g>(
    svg: &mut Svg,
    id: &str,
    label: &str,
    frame: &Frame,
    arcs: &Arcs,
    geometries: impl IntoIterator<Item = &'g TopoGeometry>,
    stroke: &str,
    width: f64,
) {
    let mut set = BTreeSet::new();
    for g in geometries {
        for p in &g.polygons {
            for r in &p.rings {
                for a in r {
                    set.insert(arc_index(*a));
                }
            }
        }
    }
    let (fmin, fmax) = frame.l93_box();
    let mut d = String::new();
    for i in set {
        let pts = &arcs.arcs[i];
        if pts.len() < 2
            || !pts
                .iter()
                .any(|p| p[0] >= fmin[0] && p[0] <= fmax[0] && p[1] >= fmin[1] && p[1] <= fmax[1])
        {
            continue;
        }
        for (k, p) in pts.iter().enumerate() {
            let q = frame.to_page(*p);
            d.push(if k == 0 { 'M' } else { 'L' });
            let _ = write!(d, "{} {}", num(q[0]), num(q[1]));
        }
    }
    svg.layer(id, label);
    if !d.is_empty() {
        svg.path(
            &d,
            &format!(
                "fill=\"none\" stroke=\"{stroke}\" stroke-width=\"{}\" stroke-linejoin=\"round\" stroke-linecap=\"round\"",
                num(width)
            ),
        );
    }
    svg.close();
}

/// A zone outlined: a white casing under a dark line.
pub fn highlight(svg: &mut Svg, id: &str, frame: &Frame, arcs: &Arcs, z: &Zone, width: f64) {
    let d = rings_d(&page_rings(frame, arcs, &z.geometry));
    svg.layer(id, "Zone mise en évidence");
    svg.path(
        &d,
        &format!(
            "data-code=\"{}\" fill=\"none\" stroke=\"#ffffff\" stroke-width=\"{}\" stroke-linejoin=\"round\"",
            escape(&z.code),
            num(width * 2.2)
        ),
    );
    svg.path(
        &d,
        &format!(
            "fill=\"none\" stroke=\"#000000\" stroke-width=\"{}\" stroke-linejoin=\"round\"",
            num(width)
        ),
    );
    svg.close();
}

/// Placed labels, with a halo.
pub fn labels(svg: &mut Svg, id: &str, placed: &[Placed]) {
    let st = crate::labels::style();
    svg.layer(id, "Étiquettes");
    for p in placed {
        let mut style = TextStyle::new(p.size)
            .fill(&st.color)
            .anchor(Anchor::Middle)
            .halo(&st.halo, p.size * st.halo_ratio * 2.0);
        if p.weight == Weight::Bold {
            style = style.bold();
        }
        svg.text_lines(
            p.center[0],
            p.first_baseline(),
            &p.lines,
            p.leading(),
            &style,
            &format!("data-code=\"{}\"", escape(&p.code)),
        );
    }
    svg.close();
}

/// Corners of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corner {
    TopLeft,
    TopRight,
    BottomLeft,
    BottomRight,
}

impl Corner {
    pub const ALL: [Corner; 4] = [
        Corner::TopLeft,
        Corner::TopRight,
        Corner::BottomLeft,
        Corner::BottomRight,
    ];
    /// A `w` × `h` box in this corner of `r`, `m` from its edges.
    pub fn place(self, r: Rect, w: f64, h: f64, m: f64) -> Rect {
        let x = match self {
            Corner::TopLeft | Corner::BottomLeft => r.x + m,
            _ => r.right() - m - w,
        };
        let y = match self {
            Corner::TopLeft | Corner::TopRight => r.y + m,
            _ => r.bottom() - m - h,
        };
        Rect::new(x, y, w, h)
    }
}

/// Share of a page box covered by the territory (sampled on a 12 × 12 grid).
pub fn coverage(frame: &Frame, territory: &geo::MultiPolygon<f64>, b: Rect) -> f64 {
    let n = 12;
    let mut inside = 0;
    for i in 0..n {
        for j in 0..n {
            let p = frame.to_l93([
                b.x + b.w * (i as f64 + 0.5) / n as f64,
                b.y + b.h * (j as f64 + 0.5) / n as f64,
            ]);
            if territory.contains(&Point::new(p[0], p[1])) {
                inside += 1;
            }
        }
    }
    inside as f64 / (n * n) as f64
}

/// A scale bar, as drawn: its ground length and its ends on the page.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleBar {
    /// Ground length in metres (what the label says).
    pub ground_m: f64,
    pub label: String,
    /// Lambert-93 scale factor used (at the frame's latitude).
    pub k: f64,
    pub x0: f64,
    pub x1: f64,
    pub y: f64,
    pub bbox: Rect,
}

/// Size a scale bar for `frame`: about a fifth of its width, a round ground length, drawn at
/// ground length × k × scale, k being Lambert-93's scale factor at the frame's latitude.
pub fn scale_bar_size(frame: &Frame, f: f64) -> (f64, f64, f64, f64) {
    let c = frame.center();
    let lat = crate::proj::to_lonlat(c[0], c[1])
        .map(|p| p.1)
        .unwrap_or(46.5);
    let k = crate::proj::scale_factor(lat);
    let target = 0.2 * frame.rect.w / (k * frame.scale);
    let p = 10f64.powf(target.log10().floor());
    let ground = [5.0, 2.0, 1.0]
        .iter()
        .map(|m| m * p)
        .find(|g| *g <= target)
        .unwrap_or(p);
    let len = ground * k * frame.scale;
    let w = len + 2.0 * 6.0 * f + font::text_width("0000 km", 6.5 * f, Weight::Regular) / 2.0;
    let h = 20.0 * f;
    (ground, k, w, h)
}

pub fn scale_bar(svg: &mut Svg, id: &str, frame: &Frame, at: Rect, f: f64) -> ScaleBar {
    let (ground, k, _, _) = scale_bar_size(frame, f);
    let len = ground * k * frame.scale;
    let label = if ground >= 1000.0 {
        format!("{} km", indicators::format::number(ground / 1000.0, 0))
    } else {
        format!("{} m", indicators::format::number(ground, 0))
    };
    let x0 = at.x + 6.0 * f;
    let x1 = x0 + len;
    let y = at.bottom() - 6.0 * f;
    let bh = 3.0 * f;
    svg.group(
        id,
        &format!(
            "data-ground-m=\"{}\" data-scale-factor=\"{:.8}\"",
            num(ground),
            k
        ),
    );
    svg.rect(
        at.x,
        at.y,
        at.w,
        at.h,
        "fill=\"#ffffff\" fill-opacity=\"0.8\" stroke=\"none\"",
    );
    let half = len / 2.0;
    svg.rect(x0, y - bh, half, bh, "fill=\"#1a1a1a\"");
    svg.rect(
        x0 + half,
        y - bh,
        half,
        bh,
        "fill=\"#ffffff\" stroke=\"#1a1a1a\" stroke-width=\"0.5\"",
    );
    svg.line(
        x0,
        y - bh,
        x1,
        y - bh,
        &format!("id=\"{id}-line\" stroke=\"#1a1a1a\" stroke-width=\"0.5\""),
    );
    let st = TextStyle::new(6.5 * f).anchor(Anchor::Middle).fill(TEXT);
    svg.text(x0, y - bh - 2.5 * f, "0", &st);
    svg.text(x1, y - bh - 2.5 * f, &label, &st);
    svg.close();
    ScaleBar {
        ground_m: ground,
        label,
        k,
        x0,
        x1,
        y: y - bh,
        bbox: at,
    }
}

/// North arrow turned towards true north (Lambert-93's meridian convergence at the frame's
/// centre).
pub fn north_arrow(svg: &mut Svg, id: &str, frame: &Frame, at: Rect, f: f64) {
    let c = frame.center();
    let angle = crate::proj::to_lonlat(c[0], c[1])
        .map(|(lon, _)| crate::proj::convergence(lon))
        .unwrap_or(0.0);
    let cx = at.x + at.w / 2.0;
    let cy = at.y + at.h * 0.62;
    let h = at.h * 0.55;
    let w = h * 0.42;
    svg.group(id, &format!("data-convergence-deg=\"{angle:.4}\""));
    svg.rect(
        at.x,
        at.y,
        at.w,
        at.h,
        "fill=\"#ffffff\" fill-opacity=\"0.8\" stroke=\"none\"",
    );
    svg.group_attrs(&format!(
        "transform=\"rotate({} {} {})\"",
        num(angle),
        num(cx),
        num(cy)
    ));
    let (tx, ty) = (cx, cy - h / 2.0);
    let by = cy + h / 2.0;
    svg.path(
        &format!(
            "M{} {}L{} {}L{} {}Z",
            num(tx),
            num(ty),
            num(cx),
            num(by - h * 0.22),
            num(cx - w / 2.0),
            num(by)
        ),
        "fill=\"#1a1a1a\"",
    );
    svg.path(
        &format!(
            "M{} {}L{} {}L{} {}Z",
            num(tx),
            num(ty),
            num(cx + w / 2.0),
            num(by),
            num(cx),
            num(by - h * 0.22)
        ),
        "fill=\"#ffffff\" stroke=\"#1a1a1a\" stroke-width=\"0.5\" stroke-linejoin=\"round\"",
    );
    svg.close();
    svg.text(
        cx,
        at.y + 2.0 * f + 7.0 * f * font::cap_height(),
        "N",
        &TextStyle::new(7.0 * f).bold().anchor(Anchor::Middle),
    );
    svg.close();
}

/// The inset: the région's départements, the territory's in dark grey.
pub fn inset(svg: &mut Svg, id: &str, ctx: &Context, own: &str, at: Rect) {
    let Some((min, max)) = ctx.extent() else {
        return;
    };
    let f = Frame::fit(at.inset(3.0), min, max, 0.02);
    svg.layer(id, "Carton de situation");
    svg.rect(
        at.x,
        at.y,
        at.w,
        at.h,
        "fill=\"#ffffff\" stroke=\"#8c8c8c\" stroke-width=\"0.5\"",
    );
    for z in &ctx.zones {
        let rings: Vec<Vec<[f64; 2]>> = z
            .geometry
            .0
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .map(|ls| ls.0.iter().map(|c| f.to_page([c.x, c.y])).collect())
            .collect();
        let fill = if z.code == own {
            INSET_TERRITORY
        } else {
            INSET_OTHER
        };
        svg.path(
            &rings_d(&rings),
            &format!(
                "data-code=\"{}\" fill=\"{fill}\" stroke=\"#ffffff\" stroke-width=\"0.4\" stroke-linejoin=\"round\"",
                escape(&z.code)
            ),
        );
    }
    svg.close();
}

/// Orientation of a legend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Orientation {
    Vertical,
    Horizontal,
}

impl Orientation {
    pub fn parse(s: &str) -> Result<Orientation> {
        match s.trim().to_ascii_lowercase().as_str() {
            "vertical" | "verticale" | "v" => Ok(Orientation::Vertical),
            "horizontal" | "horizontale" | "h" => Ok(Orientation::Horizontal),
            _ => Err(Error::Classes(format!(
                "légende « {s} » : vertical ou horizontal"
            ))),
        }
    }
}

/// Names of the references in the legend.
#[derive(Debug, Clone)]
pub struct RefNames {
    pub departement: String,
    pub region: String,
}

/// The legend's title: the unit of the values.
pub fn unit_title(unit: &str) -> String {
    match unit {
        "" => "Valeurs".into(),
        "€" => "En euros".into(),
        u => format!("En {u}"),
    }
}

fn luminance(hex: &str) -> f64 {
    let h = hex.trim_start_matches('#');
    let v = |i: usize| {
        u8::from_str_radix(h.get(i..i + 2).unwrap_or("00"), 16).unwrap_or(0) as f64 / 255.0
    };
    0.2126 * v(0) + 0.7152 * v(2) + 0.0722 * v(4)
}

/// Position of `v` along the classes, in class units from the lowest break (clamped).
fn position(breaks: &[f64], v: f64) -> f64 {
    let k = breaks.len() - 1;
    if v <= breaks[0] {
        return 0.0;
    }
    if v >= breaks[k] {
        return k as f64;
    }
    let i = breaks[1..k].partition_point(|&b| b <= v);
    let (a, b) = (breaks[i], breaks[i + 1]);
    i as f64 + if b > a { (v - a) / (b - a) } else { 0.5 }
}

/// Options of a legend drawing.
#[derive(Debug, Clone, Copy)]
pub struct LegendStyle {
    pub orientation: Orientation,
    /// Text scale (1 on A4).
    pub f: f64,
    pub max_width: f64,
    /// Show counts inside swatches.
    pub counts: bool,
    /// Show the reference markers and their list.
    pub references: bool,
    /// Show the title and method lines.
    pub title: bool,
}

/// Lay out (and draw when `svg` is given) the legend at (`x`, `y`); returns its size. Errors
/// when the classes do not fit in `max_width`.
pub fn legend(
    svg: Option<&mut Svg>,
    id: &str,
    lg: &Legend,
    names: &RefNames,
    st: LegendStyle,
    x: f64,
    y: f64,
) -> Result<(f64, f64)> {
    let f = st.f;
    let s = 7.0 * f;
    let ts = 8.0 * f;
    let small = 6.3 * f;
    let k = lg.counts.len();
    let dec = break_decimals(&lg.breaks, lg.indicator.decimals);
    let labels = interval_labels(&lg.breaks, dec);
    let lw = |t: &str, size: f64| font::text_width(t, size, Weight::Regular);
    let counts: Vec<String> = lg.counts.iter().map(|c| c.to_string()).collect();
    let missing_text = "Données non disponibles / secret";
    let refs: Vec<(&str, String, f64)> = if st.references {
        [
            ("D", names.departement.clone(), lg.references.departement),
            ("R", names.region.clone(), lg.references.region),
            ("F", "France".to_string(), lg.references.france),
        ]
        .into_iter()
        .filter_map(|(l, n, v)| v.map(|v| (l, n, v)))
        .collect()
    } else {
        Vec::new()
    };
    let ref_lines: Vec<String> = refs
        .iter()
        .map(|(l, n, v)| {
            format!(
                "{l} : {n}, {}",
                indicators::format::with_unit(*v, lg.indicator.decimals, &lg.indicator.unit)
            )
        })
        .collect();
    let note = if !lg.approximations {
        None
    } else if lg.indicator.kind == indicators::Kind::Median {
        Some("Valeurs approchées : moyenne des médianes IRIS pondérée par la population.")
    } else {
        Some("Certaines valeurs sont approchées (répartition par surface).")
    };
    let title = unit_title(&lg.indicator.unit);
    let method = format!("Classes : {} ({})", method_label(&lg.method), k);
    let count_w = counts.iter().map(|c| lw(c, small)).fold(0.0, f64::max);
    let mut svg = svg;
    let mut draw = |f2: &mut dyn FnMut(&mut Svg)| {
        if let Some(s) = svg.as_deref_mut() {
            f2(s);
        }
    };
    draw(&mut |s: &mut Svg| {
        s.group(
            id,
            &format!(
                "data-classes=\"{k}\" data-method=\"{}\"",
                escape(&lg.method)
            ),
        )
    });
    let mut cy = y;
    let mut width: f64 = 0.0;
    if st.title {
        let tl = font::wrap(&title, ts, Weight::Bold, st.max_width);
        for l in &tl {
            let (l2, yy) = (l.clone(), cy + ts * font::cap_height());
            draw(&mut |s: &mut Svg| s.text(x, yy, &l2, &TextStyle::new(ts).bold()));
            width = width.max(font::text_width(l, ts, Weight::Bold));
            cy += ts * 1.25;
        }
        let yy = cy + small * font::cap_height();
        let m2 = method.clone();
        draw(&mut |s: &mut Svg| s.text(x, yy, &m2, &TextStyle::new(small).fill(MUTED)));
        width = width.max(lw(&method, small));
        cy += small * 1.25 + 3.0 * f;
    }
    let sh = 11.0 * f;
    let swatch_style = |c: &str| format!("fill=\"{c}\" stroke=\"#ffffff\" stroke-width=\"0.4\"");
    let count_color = |c: &str| if luminance(c) < 0.45 { "#ffffff" } else { TEXT };
    match st.orientation {
        Orientation::Vertical => {
            let sw = (count_w + 6.0 * f).max(18.0 * f);
            let mw = if refs.is_empty() {
                0.0
            } else {
                lw("D", s) + 9.0 * f
            };
            let label_x = x + mw + sw + 4.0 * f;
            let label_w = labels.iter().map(|l| lw(l, s)).fold(0.0, f64::max);
            let needed = mw + sw + 4.0 * f + label_w;
            if needed > st.max_width + 0.01 {
                return Err(Error::PageTooSmall(format!(
                    "la légende demande {:.0} mm de large, il en reste {:.0}",
                    needed / crate::page::PT_PER_MM,
                    st.max_width / crate::page::PT_PER_MM
                )));
            }
            width = width.max(needed);
            let top = cy;
            for i in 0..k {
                let ry = top + (k - 1 - i) as f64 * sh;
                let (c, cnt, lab) = (lg.colors[i].clone(), counts[i].clone(), labels[i].clone());
                draw(&mut |s2: &mut Svg| {
                    s2.rect(
                        x + mw,
                        ry,
                        sw,
                        sh,
                        &format!("data-class=\"{i}\" {}", swatch_style(&c)),
                    );
                    if st.counts {
                        s2.text(
                            x + mw + sw / 2.0,
                            ry + sh / 2.0 + small * font::cap_height() / 2.0,
                            &cnt,
                            &TextStyle::new(small)
                                .anchor(Anchor::Middle)
                                .fill(count_color(&c)),
                        );
                    }
                    s2.text(
                        label_x,
                        ry + sh / 2.0 + s * font::cap_height() / 2.0,
                        &lab,
                        &TextStyle::new(s),
                    );
                });
            }
            // Reference markers on the left of the ramp, letters pushed apart if close.
            let mut marks: Vec<(f64, &str)> = refs
                .iter()
                .map(|(l, _, v)| (top + (k as f64 - position(&lg.breaks, *v)) * sh, *l))
                .collect();
            marks.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut last = f64::NEG_INFINITY;
            for (my, l) in &marks {
                let ly = my.max(last + s * 0.95);
                last = ly;
                let (my, l) = (*my, l.to_string());
                draw(&mut |s2: &mut Svg| {
                    let tip = x + mw;
                    s2.path(
                        &format!(
                            "M{} {}L{} {}L{} {}Z",
                            num(tip),
                            num(my),
                            num(tip - 4.5 * f),
                            num(my - 2.6 * f),
                            num(tip - 4.5 * f),
                            num(my + 2.6 * f)
                        ),
                        &format!("class=\"reference\" data-reference=\"{l}\" fill=\"{TEXT}\""),
                    );
                    s2.text(
                        tip - 6.0 * f,
                        ly + s * font::cap_height() / 2.0,
                        &l,
                        &TextStyle::new(s).bold().anchor(Anchor::End),
                    );
                });
            }
            cy = top + k as f64 * sh + 5.0 * f;
            let (mc, mcount) = (lg.missing_color.clone(), lg.missing_count.to_string());
            let yy = cy;
            draw(&mut |s2: &mut Svg| {
                s2.rect(
                    x + mw,
                    yy,
                    sw,
                    sh,
                    &format!(
                        "id=\"{id}-missing\" fill=\"{mc}\" stroke=\"#ffffff\" stroke-width=\"0.4\""
                    ),
                );
                if st.counts {
                    s2.text(
                        x + mw + sw / 2.0,
                        yy + sh / 2.0 + small * font::cap_height() / 2.0,
                        &mcount,
                        &TextStyle::new(small).anchor(Anchor::Middle),
                    );
                }
            });
            let ml = font::wrap(
                missing_text,
                s,
                Weight::Regular,
                (st.max_width - mw - sw - 4.0 * f).max(40.0),
            );
            let ml2 = ml.clone();
            draw(&mut |s2: &mut Svg| {
                s2.text_lines(
                    label_x,
                    yy + sh / 2.0 + s * font::cap_height() / 2.0,
                    &ml2,
                    s * 1.15,
                    &TextStyle::new(s),
                    "",
                )
            });
            width = width.max(mw + sw + 4.0 * f + ml.iter().map(|l| lw(l, s)).fold(0.0, f64::max));
            cy += sh.max(s * 1.15 * ml.len() as f64) + 5.0 * f;
        }
        Orientation::Horizontal => {
            let label_w = labels.iter().map(|l| lw(l, small)).fold(0.0, f64::max);
            let cw = (label_w + 6.0 * f).max(count_w + 6.0 * f).max(22.0 * f);
            let ramp_w = k as f64 * cw;
            if ramp_w > st.max_width + 0.01 {
                return Err(Error::PageTooSmall(format!(
                    "la légende horizontale de {k} classes demande {:.0} mm de large, il en reste {:.0} (essayez --legend vertical ou moins de classes)",
                    ramp_w / crate::page::PT_PER_MM,
                    st.max_width / crate::page::PT_PER_MM
                )));
            }
            if !refs.is_empty() {
                cy += 8.0 * f;
            }
            let top = cy;
            for i in 0..k {
                let rx = x + i as f64 * cw;
                let (c, cnt, lab) = (lg.colors[i].clone(), counts[i].clone(), labels[i].clone());
                draw(&mut |s2: &mut Svg| {
                    s2.rect(
                        rx,
                        top,
                        cw,
                        sh,
                        &format!("data-class=\"{i}\" {}", swatch_style(&c)),
                    );
                    if st.counts {
                        s2.text(
                            rx + cw / 2.0,
                            top + sh / 2.0 + small * font::cap_height() / 2.0,
                            &cnt,
                            &TextStyle::new(small)
                                .anchor(Anchor::Middle)
                                .fill(count_color(&c)),
                        );
                    }
                    s2.text(
                        rx + cw / 2.0,
                        top + sh + 3.0 * f + small * font::cap_height(),
                        &lab,
                        &TextStyle::new(small).anchor(Anchor::Middle),
                    );
                });
            }
            let mut marks: Vec<(f64, &str)> = refs
                .iter()
                .map(|(l, _, v)| (x + position(&lg.breaks, *v) * cw, *l))
                .collect();
            marks.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut last = f64::NEG_INFINITY;
            for (mx, l) in &marks {
                let lx = mx.max(last + lw("D", s) + 2.0 * f);
                last = lx;
                let (mx, l) = (*mx, l.to_string());
                draw(&mut |s2: &mut Svg| {
                    s2.path(
                        &format!(
                            "M{} {}L{} {}L{} {}Z",
                            num(mx),
                            num(top),
                            num(mx - 2.6 * f),
                            num(top - 4.5 * f),
                            num(mx + 2.6 * f),
                            num(top - 4.5 * f)
                        ),
                        &format!("class=\"reference\" data-reference=\"{l}\" fill=\"{TEXT}\""),
                    );
                    s2.text(
                        lx,
                        top - 5.5 * f,
                        &l,
                        &TextStyle::new(s * 0.9).bold().anchor(Anchor::Middle),
                    );
                });
            }
            width = width.max(ramp_w);
            // The missing box beside the ramp, or under it when the page is narrow.
            let sw = (count_w + 6.0 * f).max(18.0 * f);
            let beside = ramp_w + 12.0 * f + sw + 4.0 * f + lw(missing_text, s);
            let (mx, my) = if beside <= st.max_width {
                width = width.max(beside);
                (x + ramp_w + 12.0 * f, top)
            } else {
                width = width.max(sw + 4.0 * f + lw(missing_text, s));
                (x, top + sh + 6.0 * f + small * 1.3)
            };
            let (mc, mcount) = (lg.missing_color.clone(), lg.missing_count.to_string());
            draw(&mut |s2: &mut Svg| {
                s2.rect(
                    mx,
                    my,
                    sw,
                    sh,
                    &format!(
                        "id=\"{id}-missing\" fill=\"{mc}\" stroke=\"#ffffff\" stroke-width=\"0.4\""
                    ),
                );
                if st.counts {
                    s2.text(
                        mx + sw / 2.0,
                        my + sh / 2.0 + small * font::cap_height() / 2.0,
                        &mcount,
                        &TextStyle::new(small).anchor(Anchor::Middle),
                    );
                }
                s2.text(
                    mx + sw + 4.0 * f,
                    my + sh / 2.0 + s * font::cap_height() / 2.0,
                    missing_text,
                    &TextStyle::new(s),
                );
            });
            cy = my.max(top) + sh + 6.0 * f + small * 1.3;
            if my > top {
                cy = my + sh + 4.0 * f;
            }
        }
    }
    if !ref_lines.is_empty() {
        // Horizontal: on one line when it fits (SVG collapses spaces: each its own text).
        let sep = 14.0 * f;
        let one_line: f64 =
            ref_lines.iter().map(|l| lw(l, s)).sum::<f64>() + sep * (ref_lines.len() - 1) as f64;
        if st.orientation == Orientation::Horizontal && one_line <= st.max_width {
            let mut lx = x;
            for l in &ref_lines {
                let (yy, l2, x2) = (cy + s * font::cap_height(), l.clone(), lx);
                draw(&mut |s2: &mut Svg| s2.text(x2, yy, &l2, &TextStyle::new(s).fill(TEXT)));
                lx += lw(l, s) + sep;
            }
            width = width.max(one_line);
            cy += s * 1.3;
        } else {
            for l in &ref_lines {
                let (yy, l2) = (cy + s * font::cap_height(), l.clone());
                draw(&mut |s2: &mut Svg| s2.text(x, yy, &l2, &TextStyle::new(s).fill(TEXT)));
                width = width.max(lw(l, s));
                cy += s * 1.3;
            }
        }
    }
    if let Some(n) = note {
        // Wrapped to the width of what is above it (not to the widest allowed).
        let lines = font::wrap(
            n,
            small,
            Weight::Regular,
            width.max(120.0 * f).min(st.max_width),
        );
        let (yy, l2) = (cy + 2.0 * f + small * font::cap_height(), lines.clone());
        draw(&mut |s2: &mut Svg| {
            s2.text_lines(
                x,
                yy,
                &l2,
                small * 1.2,
                &TextStyle::new(small).italic().fill(MUTED),
                "",
            )
        });
        width = width.max(lines.iter().map(|l| lw(l, small)).fold(0.0, f64::max));
        cy += 2.0 * f + small * 1.2 * lines.len() as f64;
    }
    draw(&mut |s2: &mut Svg| s2.close());
    Ok((width, cy - y))
}
