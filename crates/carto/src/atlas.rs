//! The atlas: one portrait page per Espace de Solidarité (or territoire) — the zone within its
//! territory (or the département), a small-multiples grid of the indicators at IRIS level
//! zoomed on the zone, and a table of its values against the département, the région and
//! France, with gaps and evolution — plus a cover page (with the contents and, when it is so,
//! the warning that the ES composition is illustrative) and a page of definitions and sources.
//!
//! Small maps share one classification per indicator (quantiles in five classes over every IRIS
//! of the département), so colours compare from one page to the next.
use indicators::{IndicatorSet, Kind, Record, Status};
use zones::level::Zone;
use zones::{Bundle, Level};

use crate::classes::{self, ClassSpec, Legend};
use crate::context::Context;
use crate::draw::{self, LegendStyle, Orientation, RefNames};
use crate::error::{Error, Result};
use crate::font::{self, Weight};
use crate::labels::{self, Candidate};
use crate::layout::{Frame, Rect, bbox};
use crate::map::{ILLUSTRATIVE, level_phrase, producer};
use crate::page::{PT_PER_MM, Page};
use crate::simplify::Arcs;
use crate::svg::{Anchor, Svg, TextStyle, escape};

/// Indicators of an atlas when none are named (those present are used).
pub const DEFAULT_INDICATORS: [&str; 4] = [
    "chomage_15_64",
    "emplois_precaires",
    "revenu_median",
    "taux_pauvrete",
];

/// At most this many indicators per page.
pub const MAX_INDICATORS: usize = 6;

const ACCENT: &str = "#2f6690";
const NEIGHBOUR: &str = "#cfd8e0";
const OTHER: &str = "#ebebeb";

#[derive(Debug, Clone)]
pub struct AtlasSpec {
    pub level: Level,
    /// Empty: [`DEFAULT_INDICATORS`].
    pub indicators: Vec<String>,
    pub page: Page,
    pub internal: bool,
}

/// One page of the atlas.
#[derive(Debug, Clone)]
pub struct AtlasPage {
    /// File stem when written one file per page (`00-couverture`, `01-ES01`, …).
    pub name: String,
    pub svg: String,
    /// The zone of the page, for zone pages.
    pub zone: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Atlas {
    pub title: String,
    pub page: Page,
    pub pages: Vec<AtlasPage>,
}

/// One indicator of the atlas: its classes at the finest level published.
struct Theme<'a> {
    ind: &'a indicators::Indicator,
    year: i32,
    legend: Option<Legend>,
}

fn level_title(level: Level) -> &'static str {
    match level {
        Level::Es => "Espaces de Solidarité",
        _ => "territoires",
    }
}

/// Draw the atlas.
pub fn render(
    bundle: &Bundle,
    set: &IndicatorSet,
    ctx: &Context,
    spec: &AtlasSpec,
) -> Result<Atlas> {
    if !matches!(spec.level, Level::Es | Level::Territoire) {
        return Err(Error::Atlas(format!(
            "niveau « {} » : l'atlas se fait par es ou par territoire",
            spec.level.key()
        )));
    }
    let ids: Vec<String> = if spec.indicators.is_empty() {
        DEFAULT_INDICATORS
            .iter()
            .filter(|id| classes::find_indicator(set, id, spec.internal).is_ok())
            .map(|s| s.to_string())
            .collect()
    } else {
        spec.indicators.clone()
    };
    if ids.is_empty() {
        return Err(Error::Atlas(
            "aucun indicateur : précisez --indicators".into(),
        ));
    }
    if ids.len() > MAX_INDICATORS {
        return Err(Error::Atlas(format!(
            "{} indicateurs demandés : au plus {MAX_INDICATORS} par page",
            ids.len()
        )));
    }
    let mut themes = Vec::new();
    for id in &ids {
        let ind = classes::find_indicator(set, id, spec.internal)?;
        let year = classes::resolve_year(ind, None)?;
        // Counts go in the table only: a choropleth of counts misleads.
        let legend = if ind.kind == Kind::Count {
            None
        } else {
            [Level::Iris, Level::Commune, spec.level]
                .iter()
                .find_map(|&l| {
                    classes::legend(
                        set,
                        l,
                        id,
                        Some(year),
                        &ClassSpec::Method {
                            method: "quantiles".into(),
                            k: Some(5),
                        },
                        None,
                        spec.internal,
                    )
                    .ok()
                })
        };
        themes.push(Theme { ind, year, legend });
    }
    let zones_list = bundle.zones(spec.level);
    if zones_list.is_empty() {
        return Err(Error::Atlas(format!(
            "aucune zone au niveau {}",
            spec.level.key()
        )));
    }
    let territory = bundle
        .zones(Level::Departement)
        .first()
        .ok_or_else(|| Error::Render("paquet sans zone départementale".into()))?;
    let prep = crate::prepared::prepared(bundle);
    // The finest scale of the atlas (small maps of one zone) sets one tolerance for all.
    let arcs = prep.simplifier.at(&bundle.topology, 4.0);
    let title = format!(
        "Atlas des {} — {}",
        level_title(spec.level),
        bundle.meta.name
    );
    let total = zones_list.len() + 2;
    let mut pages = Vec::with_capacity(total);
    pages.push(AtlasPage {
        name: "00-couverture".into(),
        svg: cover(
            bundle, set, ctx, spec, &themes, &arcs, territory, &title, total,
        )?,
        zone: None,
    });
    let zone_pages: Vec<Result<AtlasPage>> = {
        use rayon::prelude::*;
        zones_list
            .par_iter()
            .enumerate()
            .map(|(i, z)| {
                Ok(AtlasPage {
                    name: format!("{:02}-{}", i + 1, z.code),
                    svg: zone_page(
                        bundle,
                        set,
                        ctx,
                        spec,
                        &themes,
                        &arcs,
                        territory,
                        z,
                        i + 2,
                        total,
                    )?,
                    zone: Some(z.code.clone()),
                })
            })
            .collect()
    };
    for p in zone_pages {
        pages.push(p?);
    }
    pages.push(AtlasPage {
        name: format!("{:02}-definitions", total - 1),
        svg: definitions(bundle, set, spec, &themes, total)?,
        zone: None,
    });
    Ok(Atlas {
        title,
        page: spec.page.clone(),
        pages,
    })
}

struct Sheet {
    svg: Svg,
    m: f64,
    f: f64,
    w: f64,
    h: f64,
}

impl Sheet {
    fn new(page: &Page, title: &str) -> Sheet {
        let (w, h) = (page.width_pt(), page.height_pt());
        let mut svg = Svg::new(w, h, title);
        svg.rect(
            0.0,
            0.0,
            w,
            h,
            &format!("id=\"background\" fill=\"{}\"", draw::BACKGROUND),
        );
        Sheet {
            svg,
            m: (10.0 * PT_PER_MM).min(0.05 * w.min(h)),
            f: crate::map::text_scale(page),
            w,
            h,
        }
    }
    fn inner_w(&self) -> f64 {
        self.w - 2.0 * self.m
    }

    /// Title, subtitle and optional warning; returns the y below them.
    fn header(&mut self, title: &str, subtitle: &str, warning: bool) -> f64 {
        let f = self.f;
        let (m, iw) = (self.m, self.inner_w());
        let ts = TextStyle::new(15.0 * f).bold();
        let ss = TextStyle::new(9.0 * f).fill(draw::MUTED);
        let ws = TextStyle::new(7.0 * f).italic().fill(draw::WARNING);
        let mut y = m;
        self.svg.layer("title", "Titre");
        let tl = font::wrap(title, ts.size, Weight::Bold, iw);
        self.svg.text_lines(
            m,
            y + ts.size * font::cap_height(),
            &tl,
            ts.size * 1.2,
            &ts,
            "id=\"title-text\"",
        );
        y += ts.size * 1.2 * tl.len() as f64;
        let sl = font::wrap(subtitle, ss.size, Weight::Regular, iw);
        self.svg
            .text_lines(m, y + ss.size, &sl, ss.size * 1.25, &ss, "id=\"subtitle\"");
        y += ss.size * 1.25 * sl.len() as f64 + 2.0 * f;
        if warning {
            let wl = font::wrap(ILLUSTRATIVE, ws.size, Weight::Regular, iw);
            self.svg.text_lines(
                m,
                y + ws.size,
                &wl,
                ws.size * 1.2,
                &ws,
                "id=\"illustrative\"",
            );
            y += ws.size * 1.2 * wl.len() as f64;
        }
        self.svg.close();
        y + 6.0 * f
    }

    /// Footer: source lines and page number; returns the y above it.
    fn footer(&mut self, text: &str, page_no: usize, total: usize) -> f64 {
        let f = self.f;
        let st = TextStyle::new(6.0 * f).fill(draw::MUTED);
        let num = format!("{page_no} / {total}");
        let nw = st.width(&num);
        let lines = font::wrap(
            text,
            st.size,
            Weight::Regular,
            self.inner_w() - nw - 12.0 * f,
        );
        let hgt = st.size * 1.25 * lines.len() as f64;
        let y = self.h - self.m - hgt;
        self.svg.layer("source", "Sources");
        self.svg.text_lines(
            self.m,
            y + st.size,
            &lines,
            st.size * 1.25,
            &st,
            "id=\"source-text\"",
        );
        self.svg.text(
            self.w - self.m,
            y + st.size,
            &num,
            &st.clone().anchor(Anchor::End),
        );
        self.svg.close();
        y - 6.0 * f
    }
}

/// The sources of the atlas's indicators, in one line.
fn sources_text(bundle: &Bundle, set: &IndicatorSet, themes: &[Theme<'_>]) -> String {
    let mut srcs: Vec<String> = Vec::new();
    for t in themes {
        if let Some(s) = t
            .ind
            .vintages
            .iter()
            .find(|v| v.year == t.year)
            .and_then(|v| set.sources.iter().find(|s| s.id == v.source))
        {
            let txt = format!("{}, {}", s.producer, s.title);
            if !srcs.contains(&txt) {
                srcs.push(txt);
            }
        }
    }
    format!(
        "Sources : {}. Fonds : IGN – INSEE, Contours IRIS. Traitement : {}.",
        srcs.join(" ; "),
        producer(bundle)
    )
}

/// A map panel: zones of `level` filled by `fill`, borders, the département outline, and
/// `focus` outlined; clipped to `frame`.
#[allow(clippy::too_many_arguments)]
fn panel(
    svg: &mut Svg,
    id: &str,
    frame: &Frame,
    bundle: &Bundle,
    arcs: &Arcs,
    ctx: &Context,
    level: Level,
    fill: &dyn Fn(&Zone) -> (String, Option<usize>),
    focus: Option<&Zone>,
) {
    let f = frame.rect.w / 260.0;
    draw::clip(svg, &format!("{id}-clip"), frame.rect);
    svg.group(id, &format!("clip-path=\"url(#{id}-clip)\""));
    draw::context(
        svg,
        &format!("{id}-context"),
        frame,
        ctx,
        &bundle.meta.code,
        None,
        &[],
    );
    let zones = bundle.zones(level);
    let fills: Vec<(String, Option<usize>)> = zones.iter().map(fill).collect();
    draw::choropleth(
        svg,
        &format!("{id}-zones"),
        frame,
        arcs,
        zones
            .iter()
            .zip(&fills)
            .map(|(z, (c, k))| (z, c.as_str(), *k)),
    );
    let bw = if level == Level::Iris { 0.25 } else { 0.5 };
    draw::borders(
        svg,
        &format!("{id}-borders"),
        "Limites",
        frame,
        arcs,
        zones.iter().map(|z| &z.geometry),
        draw::ZONE_STROKE,
        bw * f.clamp(0.6, 1.5),
    );
    if let Some(t) = bundle.zones(Level::Departement).first() {
        draw::borders(
            svg,
            &format!("{id}-territory"),
            "Département",
            frame,
            arcs,
            std::iter::once(&t.geometry),
            draw::TERRITORY_STROKE,
            0.7,
        );
    }
    if let Some(z) = focus {
        draw::highlight(svg, &format!("{id}-highlight"), frame, arcs, z, 1.2);
    }
    svg.close();
    svg.rect(
        frame.rect.x,
        frame.rect.y,
        frame.rect.w,
        frame.rect.h,
        "fill=\"none\" stroke=\"#8c8c8c\" stroke-width=\"0.5\"",
    );
}

fn zone_box(arcs: &Arcs, z: &Zone) -> Result<([f64; 2], [f64; 2])> {
    bbox(&arcs.rings(&z.geometry))
        .ok_or_else(|| Error::Render(format!("zone {} sans contour", z.code)))
}

#[allow(clippy::too_many_arguments)]
fn cover(
    bundle: &Bundle,
    set: &IndicatorSet,
    ctx: &Context,
    spec: &AtlasSpec,
    themes: &[Theme<'_>],
    arcs: &Arcs,
    territory: &Zone,
    title: &str,
    total: usize,
) -> Result<String> {
    let mut s = Sheet::new(&spec.page, title);
    let f = s.f;
    let zones_list = bundle.zones(spec.level);
    let y = s.header(
        title,
        &format!(
            "Portraits de territoire · {} {} · {}",
            zones_list.len(),
            level_title(spec.level),
            bundle.meta.name
        ),
        bundle.meta.illustrative_composition,
    );
    let bottom = s.footer(&sources_text(bundle, set, themes), 1, total);
    let (m, iw) = (s.m, s.inner_w());
    // Contents: zone list with page numbers, in two columns under the map.
    let row = 8.5 * f;
    let rows = zones_list.len().div_ceil(2);
    let notes_h = 60.0 * f;
    let contents_h = 14.0 * f + rows as f64 * row;
    let map_h = (bottom - y - contents_h - notes_h - 10.0 * f).max(80.0);
    if map_h <= 80.0 && bottom - y < 200.0 {
        return Err(Error::PageTooSmall(
            "la couverture de l'atlas ne tient pas sur cette page".into(),
        ));
    }
    let (min, max) = zone_box(arcs, territory)?;
    let frame = Frame::fit(Rect::new(m, y, iw, map_h), min, max, 0.03).shrink_to(min, max, 0.03);
    let frame = Frame {
        rect: Rect::new(
            m + (iw - frame.rect.w) / 2.0,
            frame.rect.y,
            frame.rect.w,
            frame.rect.h,
        ),
        ..frame
    };
    let frame = Frame::fit(frame.rect, min, max, 0.03);
    // Territoires are categories, not an order: light qualitative tints (ColorBrewer Set3).
    let palette: Vec<String> = [
        "#8dd3c7", "#ffffb3", "#bebada", "#fdb462", "#80b1d3", "#b3de69", "#fccde5", "#d9d9d9",
        "#bc80bd", "#ccebc5",
    ]
    .iter()
    .map(|c| c.to_string())
    .collect();
    let lvl = spec.level;
    let fill = |z: &Zone| -> (String, Option<usize>) {
        let i = zones_list
            .iter()
            .position(|x| x.code == z.code)
            .unwrap_or(0);
        // Territoires in alternating light tints; ES by their territoire.
        let key = if lvl == Level::Es {
            z.parent(Level::Territoire).unwrap_or("")
        } else {
            z.code.as_str()
        };
        let t = bundle
            .zones(Level::Territoire)
            .iter()
            .position(|x| x.code == key)
            .unwrap_or(i);
        (
            palette
                .get(t % palette.len().max(1))
                .cloned()
                .unwrap_or_else(|| NEIGHBOUR.into()),
            None,
        )
    };
    panel(
        &mut s.svg,
        "cover-map",
        &frame,
        bundle,
        arcs,
        ctx,
        spec.level,
        &fill,
        None,
    );
    if lvl == Level::Es {
        draw::borders(
            &mut s.svg,
            "cover-territoires",
            "Territoires",
            &frame,
            arcs,
            bundle.zones(Level::Territoire).iter().map(|z| &z.geometry),
            draw::TERRITORY_STROKE,
            1.0,
        );
    }
    let st = labels::style();
    let cands: Vec<Candidate> = zones_list
        .iter()
        .filter_map(|z| {
            Some(Candidate {
                code: z.code.clone(),
                text: format!("{} {}", z.code, st.short_name(&z.name)),
                anchor: frame.to_page(crate::prepared::prepared(bundle).label_point(lvl, &z.code)?),
                priority: z.area_km2,
            })
        })
        .collect();
    let placed = labels::place(cands, 6.5 * f, Weight::Bold, 1.8 * f, frame.rect, &[]);
    draw::labels(&mut s.svg, "cover-labels", &placed);
    // Contents.
    let mut cy = frame.rect.bottom() + 10.0 * f;
    s.svg.layer("contents", "Sommaire");
    s.svg
        .text(m, cy + 8.0 * f, "Sommaire", &TextStyle::new(9.0 * f).bold());
    cy += 14.0 * f;
    let colw = iw / 2.0;
    let ts = TextStyle::new(7.0 * f);
    for (i, z) in zones_list.iter().enumerate() {
        let (c, r) = (i / rows, i % rows);
        let x = m + c as f64 * colw;
        let yy = cy + r as f64 * row + 7.0 * f;
        s.svg.text(x, yy, &format!("{}  {}", z.code, z.name), &ts);
        s.svg.text(
            x + colw - 12.0 * f,
            yy,
            &format!("{}", i + 2),
            &ts.clone().anchor(Anchor::End),
        );
    }
    s.svg.close();
    cy += rows as f64 * row + 8.0 * f;
    let mut notes = vec![format!(
        "Indicateurs : {}.",
        themes
            .iter()
            .map(|t| format!("{} ({})", t.ind.label, t.year))
            .collect::<Vec<_>>()
            .join(" ; ")
    )];
    notes.push(format!(
        "Chaque page situe la zone, cartographie les indicateurs par IRIS (classes communes à tout le département : quantiles, 5 classes) et compare ses valeurs au département, à la région {} et à la France. Définitions et sources en dernière page.",
        set.region_name
    ));
    if bundle.meta.illustrative_composition {
        notes.push(ILLUSTRATIVE.to_string());
    }
    let ns = TextStyle::new(7.0 * f).fill(draw::TEXT);
    s.svg.layer("notes", "Notes");
    for (i, n) in notes.iter().enumerate() {
        let style = if i == 2 {
            TextStyle::new(7.5 * f).bold().fill(draw::WARNING)
        } else {
            ns.clone()
        };
        let lines = font::wrap(n, style.size, style.weight, iw);
        if cy + style.size * 1.25 * lines.len() as f64 > bottom {
            break;
        }
        s.svg
            .text_lines(m, cy + style.size, &lines, style.size * 1.25, &style, "");
        cy += style.size * 1.25 * lines.len() as f64 + 3.0 * f;
    }
    s.svg.close();
    Ok(s.svg.finish())
}

fn value_text(r: Option<&Record>, ind: &indicators::Indicator) -> String {
    match r {
        Some(r) => match (r.value, r.status) {
            (Some(v), _) => {
                let t = indicators::format::with_unit(v, ind.decimals, &ind.unit);
                if r.approximation { format!("{t} *") } else { t }
            }
            (None, Status::Secret) => "secret".into(),
            (None, Status::Insufficient) => "eff. insuff.".into(),
            _ => "n.d.".into(),
        },
        None => "n.d.".into(),
    }
}

fn ref_text(v: Option<f64>, ind: &indicators::Indicator) -> String {
    v.map(|v| indicators::format::with_unit(v, ind.decimals, &ind.unit))
        .unwrap_or_else(|| "n.d.".into())
}

fn signed(v: f64, decimals: usize) -> String {
    let n = indicators::format::number(v, decimals);
    if v > 0.0 && n.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("+{n}")
    } else {
        n
    }
}

fn gap_text(r: Option<&Record>, ind: &indicators::Indicator) -> String {
    let Some(r) = r else { return "—".into() };
    match ind.kind {
        Kind::Median => r
            .index_departement(ind.kind)
            .map(|i| format!("indice {}", indicators::format::number(i, 0)))
            .unwrap_or_else(|| "—".into()),
        Kind::Count => "—".into(),
        _ => r
            .gap_departement(ind.kind)
            .map(|g| {
                let unit = if ind.unit == "%" {
                    " pt".to_string()
                } else if ind.unit.is_empty() {
                    String::new()
                } else {
                    format!("\u{a0}{}", ind.unit)
                };
                format!("{}{unit}", signed(g, ind.decimals))
            })
            .unwrap_or_else(|| "—".into()),
    }
}

fn evolution_text(r: Option<&Record>, ind: &indicators::Indicator) -> String {
    let Some(r) = r else { return "—".into() };
    match (r.evolution_from, r.annual_growth, r.change) {
        (Some(from), Some(g), _) => format!("{} %/an ({from}-{})", signed(g, 1), r.year),
        (Some(from), None, Some(c)) => format!("{} ({from}-{})", signed(c, ind.decimals), r.year),
        _ => "—".into(),
    }
}

#[allow(clippy::too_many_arguments)]
fn zone_page(
    bundle: &Bundle,
    set: &IndicatorSet,
    ctx: &Context,
    spec: &AtlasSpec,
    themes: &[Theme<'_>],
    arcs: &Arcs,
    territory: &Zone,
    zone: &Zone,
    page_no: usize,
    total: usize,
) -> Result<String> {
    let mut s = Sheet::new(&spec.page, &zone.name);
    let f = s.f;
    let (m, iw) = (s.m, s.inner_w());
    let parent = zone
        .parent(Level::Territoire)
        .and_then(|c| bundle.zones(Level::Territoire).iter().find(|t| t.code == c));
    let subtitle = match (spec.level, parent) {
        (Level::Es, Some(t)) => format!("{} · {} · {}", zone.code, t.name, bundle.meta.name),
        _ => {
            let n = bundle
                .zones(Level::Es)
                .iter()
                .filter(|e| e.parent(Level::Territoire) == Some(zone.code.as_str()))
                .count();
            format!(
                "{} · {n} Espaces de Solidarité · {}",
                zone.code, bundle.meta.name
            )
        }
    };
    let top = s.header(&zone.name, &subtitle, bundle.meta.illustrative_composition);
    let bottom = s.footer(&sources_text(bundle, set, themes), page_no, total);
    s.svg.raw(&format!(
        "<metadata id=\"zone\" data-code=\"{}\"/>",
        escape(&zone.code)
    ));

    // Row 1: situation map and facts.
    let row1_h = (bottom - top) * 0.24;
    let loc_w = iw * 0.46;
    let (ctx_zone, ctx_level) = match (spec.level, parent) {
        (Level::Es, Some(t)) => (t, Level::Es),
        _ => (territory, Level::Territoire),
    };
    let (min, max) = zone_box(arcs, ctx_zone)?;
    let loc = Frame::fit(Rect::new(m, top, loc_w, row1_h), min, max, 0.08);
    let fill = |z: &Zone| -> (String, Option<usize>) {
        let c = if z.code == zone.code {
            ACCENT
        } else if ctx_level == Level::Territoire
            || z.parent(Level::Territoire) == zone.parent(Level::Territoire)
        {
            NEIGHBOUR
        } else {
            OTHER
        };
        (c.to_string(), None)
    };
    panel(
        &mut s.svg,
        "situation",
        &loc,
        bundle,
        arcs,
        ctx,
        ctx_level,
        &fill,
        Some(zone),
    );
    let st = labels::style();
    let cands: Vec<Candidate> = bundle
        .zones(ctx_level)
        .iter()
        .filter(|z| z.code != zone.code)
        .filter_map(|z| {
            Some(Candidate {
                code: z.code.clone(),
                text: st.short_name(&z.name),
                anchor: loc
                    .to_page(crate::prepared::prepared(bundle).label_point(ctx_level, &z.code)?),
                priority: z.area_km2,
            })
        })
        .collect();
    let placed = labels::place(cands, 5.5 * f, Weight::Regular, 1.4 * f, loc.rect, &[]);
    draw::labels(&mut s.svg, "situation-labels", &placed);

    // Facts.
    let fx = m + loc_w + 12.0 * f;
    let fw = iw - loc_w - 12.0 * f;
    let mut communes: Vec<(String, bool)> = Vec::new();
    let iris = bundle.zones(Level::Iris);
    for &i in &zone.iris {
        if let Some(c) = iris.get(i as usize).and_then(|z| z.parent(Level::Commune))
            && !communes.iter().any(|(x, _)| x == c)
        {
            let whole = bundle
                .zones(Level::Commune)
                .iter()
                .find(|z| z.code == c)
                .map(|cz| cz.iris.iter().all(|j| zone.iris.contains(j)))
                .unwrap_or(true);
            communes.push((c.to_string(), whole));
        }
    }
    let commune_names: Vec<String> = communes
        .iter()
        .map(|(c, whole)| {
            let n = bundle
                .zones(Level::Commune)
                .iter()
                .find(|z| &z.code == c)
                .map(|z| z.name.clone())
                .unwrap_or_else(|| c.clone());
            if *whole {
                n
            } else {
                format!("{n} (en partie)")
            }
        })
        .collect();
    let mut facts: Vec<(String, String)> = vec![
        ("Communes".into(), commune_names.join(", ")),
        (
            "Surface".into(),
            format!("{} km²", indicators::format::number(zone.area_km2, 1)),
        ),
        ("IRIS".into(), zone.iris.len().to_string()),
    ];
    if let Some(pop) = set
        .select(spec.level, Some("population_15_64"), None, spec.internal)
        .find(|r| r.code == zone.code)
        .and_then(|r| r.value.map(|v| (v, r.year)))
    {
        facts.push((
            format!("Population de 15 à 64 ans ({})", pop.1),
            indicators::format::number(pop.0, 0),
        ));
    }
    if spec.level == Level::Es
        && let Some(e) = bundle.es_directory.iter().find(|e| e.code == zone.code)
    {
        let tag = if bundle.meta.illustrative_composition {
            " (annuaire illustratif)"
        } else {
            ""
        };
        facts.push((format!("Adresse{tag}"), e.address.clone()));
        facts.push(("Horaires".into(), e.hours.clone()));
    }
    s.svg.layer("facts", "Repères");
    let mut fy = top;
    let ks = TextStyle::new(6.8 * f).bold();
    let vs = TextStyle::new(6.8 * f);
    for (k, v) in &facts {
        let lines = font::wrap(&format!("{k} : {v}"), vs.size, Weight::Regular, fw);
        if fy + vs.size * 1.3 * lines.len() as f64 > top + row1_h {
            break;
        }
        // The key in bold on the first line, the rest regular.
        let first = lines[0].clone();
        let kw = ks.width(&format!("{k} :"));
        s.svg.text(fx, fy + vs.size, &format!("{k} :"), &ks);
        s.svg.text(
            fx + kw + vs.width(" "),
            fy + vs.size,
            first.strip_prefix(&format!("{k} : ")).unwrap_or(&first),
            &vs,
        );
        s.svg
            .text_lines(fx, fy + vs.size * 2.3, &lines[1..], vs.size * 1.3, &vs, "");
        fy += vs.size * 1.3 * lines.len() as f64 + 3.0 * f;
    }
    s.svg.close();

    // Row 3 (computed first): the table.
    let row_h = 13.0 * f;
    let head_h = 20.0 * f;
    let note_h = 16.0 * f;
    let table_h = head_h + row_h * themes.len() as f64 + note_h;
    let table_y = bottom - table_h;

    // Row 2: small multiples.
    let mapped: Vec<&Theme<'_>> = themes.iter().filter(|t| t.legend.is_some()).collect();
    let grid_top = top + row1_h + 10.0 * f;
    let grid_h = table_y - grid_top - 8.0 * f;
    if !mapped.is_empty() {
        let cols = if mapped.len() == 1 { 1 } else { 2 };
        let rows = mapped.len().div_ceil(cols);
        let gap = 12.0 * f;
        let cw = (iw - gap * (cols - 1) as f64) / cols as f64;
        let ch = (grid_h - gap * (rows - 1) as f64) / rows as f64;
        let (zmin, zmax) = zone_box(arcs, zone)?;
        let names = RefNames {
            departement: bundle.meta.name.clone(),
            region: set.region_name.clone(),
        };
        for (i, t) in mapped.iter().enumerate() {
            let lg = t.legend.as_ref().expect("mapped themes have a legend");
            let (c, r) = (i % cols, i / cols);
            let x = m + c as f64 * (cw + gap);
            let y = grid_top + r as f64 * (ch + gap);
            let id = format!("m{}", i + 1);
            let ts = TextStyle::new(7.2 * f).bold();
            let tl = font::wrap(
                &format!("{} ({})", t.ind.label, t.year),
                ts.size,
                Weight::Bold,
                cw,
            );
            s.svg.layer(&format!("{id}-title"), &t.ind.label);
            s.svg
                .text_lines(x, y + ts.size, &tl, ts.size * 1.15, &ts, "");
            s.svg.close();
            let th = ts.size * 1.15 * tl.len() as f64 + 3.0 * f;
            let lstyle = LegendStyle {
                orientation: Orientation::Horizontal,
                f: 0.8 * f,
                max_width: cw,
                counts: false,
                references: true,
                title: false,
            };
            // The tallest legend sets every cell's map height: the small maps align.
            let mut lh: f64 = 0.0;
            for t in &mapped {
                if let Some(l) = &t.legend {
                    lh = lh.max(draw::legend(None, "m", l, &names, lstyle, 0.0, 0.0)?.1);
                }
            }
            let mh = ch - th - lh - 4.0 * f;
            if mh < 40.0 {
                return Err(Error::PageTooSmall(format!(
                    "les {} cartes de l'atlas ne tiennent pas sur la page ({:.0} × {:.0} mm) : moins d'indicateurs ou une page plus grande",
                    mapped.len(),
                    spec.page.width_mm,
                    spec.page.height_mm
                )));
            }
            let frame = Frame::fit(Rect::new(x, y + th, cw, mh), zmin, zmax, 0.1);
            let lvl = lg.level;
            let fill = |z: &Zone| -> (String, Option<usize>) {
                let k = lg.class_of.get(&z.code).copied().flatten();
                (lg.color_of(&z.code).to_string(), k)
            };
            panel(
                &mut s.svg,
                &id,
                &frame,
                bundle,
                arcs,
                ctx,
                lvl,
                &fill,
                Some(zone),
            );
            s.svg.layer(&format!("{id}-key"), "Légende");
            draw::legend(
                Some(&mut s.svg),
                &format!("{id}-legend"),
                lg,
                &names,
                lstyle,
                x,
                y + th + mh + 4.0 * f,
            )?;
            s.svg.close();
        }
    }

    // The table.
    let short = zone.code.clone();
    let headers = [
        "Indicateur".to_string(),
        short,
        bundle.meta.name.clone(),
        set.region_name.clone(),
        "France".into(),
        "Écart au département".into(),
        "Évolution".into(),
    ];
    let label_w = iw * 0.32;
    let other_w = (iw - label_w) / 6.0;
    let col_x = |j: usize| {
        if j == 0 {
            m
        } else {
            m + label_w + other_w * (j - 1) as f64
        }
    };
    s.svg.layer("table", "Tableau des valeurs");
    let hs = TextStyle::new(6.3 * f).bold();
    s.svg.rect(m, table_y, iw, head_h, "fill=\"#e8eef3\"");
    for (j, h) in headers.iter().enumerate() {
        let w = if j == 0 { label_w } else { other_w } - 6.0 * f;
        let lines = font::wrap(h, hs.size, Weight::Bold, w);
        let (x, style) = if j == 0 {
            (col_x(0) + 3.0 * f, hs.clone())
        } else {
            (col_x(j) + other_w - 3.0 * f, hs.clone().anchor(Anchor::End))
        };
        s.svg.text_lines(
            x,
            table_y + 3.0 * f + hs.size,
            &lines,
            hs.size * 1.15,
            &style,
            "",
        );
    }
    let cs = TextStyle::new(6.3 * f);
    let mut any_approx = false;
    for (i, t) in themes.iter().enumerate() {
        let ry = table_y + head_h + i as f64 * row_h;
        if i % 2 == 1 {
            s.svg.rect(m, ry, iw, row_h, "fill=\"#f5f5f5\"");
        }
        let rec = set
            .select(spec.level, Some(&t.ind.id), Some(t.year), spec.internal)
            .find(|r| r.code == zone.code);
        any_approx |= rec.is_some_and(|r| r.approximation);
        let refs = rec
            .map(|r| (r.ref_departement, r.ref_region, r.ref_france))
            .unwrap_or((None, None, None));
        let cells = [
            format!("{} ({})", t.ind.label, t.year),
            value_text(rec, t.ind),
            ref_text(refs.0, t.ind),
            ref_text(refs.1, t.ind),
            ref_text(refs.2, t.ind),
            gap_text(rec, t.ind),
            evolution_text(rec, t.ind),
        ];
        let base = ry + row_h / 2.0 + cs.size * font::cap_height() / 2.0;
        for (j, c) in cells.iter().enumerate() {
            if j == 0 {
                // Long labels are cut to the column, the full label is on the definitions page.
                let mut text = c.clone();
                while cs.width(&text) > label_w - 6.0 * f && text.chars().count() > 4 {
                    text = format!(
                        "{}…",
                        text.chars()
                            .take(text.chars().count() - 2)
                            .collect::<String>()
                    );
                }
                s.svg.text(col_x(0) + 3.0 * f, base, &text, &cs);
            } else {
                let style = if j == 1 {
                    cs.clone().bold()
                } else {
                    cs.clone()
                };
                s.svg.text(
                    col_x(j) + other_w - 3.0 * f,
                    base,
                    c,
                    &style.anchor(Anchor::End),
                );
            }
        }
    }
    let mut note = "Écart au département en points pour les taux ; indice base 100 pour les médianes. Évolution : seulement entre millésimes distants d'au moins 5 ans sur une même géographie.".to_string();
    if any_approx {
        note.push_str(" * Valeur approchée (voir les définitions).");
    }
    let ns = TextStyle::new(5.8 * f).italic().fill(draw::MUTED);
    let lines = font::wrap(&note, ns.size, Weight::Regular, iw);
    s.svg.text_lines(
        m,
        table_y + head_h + row_h * themes.len() as f64 + ns.size + 3.0 * f,
        &lines,
        ns.size * 1.2,
        &ns,
        "",
    );
    s.svg.close();
    let _ = level_phrase(spec.level);
    Ok(s.svg.finish())
}

fn definitions(
    bundle: &Bundle,
    set: &IndicatorSet,
    spec: &AtlasSpec,
    themes: &[Theme<'_>],
    total: usize,
) -> Result<String> {
    let mut s = Sheet::new(&spec.page, "Définitions et sources");
    let f = s.f;
    let (m, iw) = (s.m, s.inner_w());
    let mut y = s.header(
        "Définitions et sources",
        &format!(
            "Atlas des {} · {}",
            level_title(spec.level),
            bundle.meta.name
        ),
        false,
    );
    let bottom = s.footer(&format!("Traitement : {}.", producer(bundle)), total, total);
    let hs = TextStyle::new(8.5 * f).bold();
    let ts = TextStyle::new(7.2 * f);
    s.svg.layer("definitions", "Définitions");
    let mut blocks: Vec<(String, Vec<String>)> = Vec::new();
    for t in themes {
        let v = t.ind.vintages.iter().find(|v| v.year == t.year);
        let src = v.and_then(|v| set.sources.iter().find(|s| s.id == v.source));
        let mut lines = vec![t.ind.definition.clone()];
        if let Some(src) = src {
            lines.push(format!(
                "Source : {}, {} ({}).",
                src.producer, src.title, t.year
            ));
        }
        let unit = if t.ind.unit.is_empty() {
            String::new()
        } else {
            format!("Unité : {}. ", t.ind.unit)
        };
        let kind = match t.ind.kind {
            Kind::Median => {
                "Indicateur non additif : publié par IRIS ; au-dessus, approximation par la moyenne des valeurs IRIS pondérée par la population (marquée *)."
            }
            Kind::Count => "Effectif : donné dans les tableaux, non cartographié en aplats.",
            _ => "Rapport de sommes sur la zone (jamais une moyenne de taux).",
        };
        lines.push(format!("{unit}{kind}"));
        if t.ind.min_denominator > 0.0 {
            lines.push(format!(
                "Valeur non diffusée sous {} au dénominateur (« effectif insuffisant ») ; une part sous secret statistique rend l'agrégat secret.",
                indicators::format::number(t.ind.min_denominator, 0)
            ));
        }
        blocks.push((t.ind.label.clone(), lines));
    }
    blocks.push((
        "Cartes".into(),
        vec![
            "Cartes par IRIS, classes communes à tout le département (quantiles, 5 classes, intervalles fermés à gauche [a ; b[) ; en gris : données non disponibles ou secret statistique. Repères D, R, F : valeurs du département, de la région et de la France.".into(),
            "Fonds : IGN – INSEE, Contours IRIS ; départements voisins : IGN, Admin Express (Licence Ouverte 2.0).".into(),
        ],
    ));
    if bundle.meta.illustrative_composition {
        blocks.push((
            "Composition des zones".into(),
            vec![ILLUSTRATIVE.to_string()],
        ));
    }
    for (head, lines) in blocks {
        let hl = font::wrap(&head, hs.size, Weight::Bold, iw);
        let body: Vec<String> = lines
            .iter()
            .flat_map(|l| font::wrap(l, ts.size, Weight::Regular, iw))
            .collect();
        let need = hs.size * 1.25 * hl.len() as f64 + ts.size * 1.3 * body.len() as f64 + 8.0 * f;
        if y + need > bottom {
            return Err(Error::PageTooSmall("les définitions ne tiennent pas sur une page : moins d'indicateurs ou une page plus grande".into()));
        }
        s.svg
            .text_lines(m, y + hs.size, &hl, hs.size * 1.25, &hs, "");
        y += hs.size * 1.25 * hl.len() as f64 + 1.0 * f;
        s.svg
            .text_lines(m, y + ts.size, &body, ts.size * 1.3, &ts, "");
        y += ts.size * 1.3 * body.len() as f64 + 8.0 * f;
    }
    s.svg.close();
    Ok(s.svg.finish())
}

/// The atlas as one PDF.
pub fn pdf(atlas: &Atlas) -> Result<Vec<u8>> {
    let pages: Vec<crate::render::PdfPage<'_>> = atlas
        .pages
        .iter()
        .map(|p| crate::render::PdfPage {
            svg: &p.svg,
            page: &atlas.page,
        })
        .collect();
    crate::render::pdf(&pages, &atlas.title)
}

/// The atlas as one file per page (`NN-name.svg` or `.png`), rendered in parallel.
pub fn files(atlas: &Atlas, format: crate::Format, dpi: f64) -> Result<Vec<(String, Vec<u8>)>> {
    use rayon::prelude::*;
    atlas
        .pages
        .par_iter()
        .map(|p| {
            let name = format!("{}.{}", p.name, format.extension());
            let bytes = match format {
                crate::Format::Svg => p.svg.clone().into_bytes(),
                crate::Format::Png => crate::render::png(&p.svg, &atlas.page, dpi)?,
                crate::Format::Pdf => crate::render::pdf(
                    &[crate::render::PdfPage {
                        svg: &p.svg,
                        page: &atlas.page,
                    }],
                    &atlas.title,
                )?,
            };
            Ok((name, bytes))
        })
        .collect()
}
