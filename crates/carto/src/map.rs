//! A report map: title, subtitle, map frame (grey neighbours, choropleth drawn from the shared
//! topology simplified for the output scale, borders, optional highlight and labels, scale
//! bar, north arrow, inset), legend and source line, as one SVG with layered groups.
use indicators::IndicatorSet;
use zones::{Bundle, Level};

use crate::classes::{self, ClassSpec, Legend};
use crate::context::Context;
use crate::draw::{self, Corner, LegendStyle, Orientation, RefNames, ScaleBar};
use crate::error::{Error, Result};
use crate::font::{self, Weight};
use crate::labels::{self, Candidate, Placed};
use crate::layout::{Frame, Rect};
use crate::page::{PT_PER_MM, Page};
use crate::svg::{Svg, TextStyle};

/// What to draw.
#[derive(Debug, Clone)]
pub struct MapSpec {
    pub indicator: String,
    pub level: Level,
    pub year: Option<i32>,
    pub classes: ClassSpec,
    pub palette: Option<String>,
    pub page: Page,
    /// `None`: vertical on landscape pages, horizontal on portrait ones.
    pub legend: Option<Orientation>,
    pub labels: bool,
    /// Code of a zone of any nested level to outline.
    pub highlight: Option<String>,
    /// Include the Département's internal indicators.
    pub internal: bool,
    pub inset: bool,
}

impl MapSpec {
    pub fn new(indicator: &str, level: Level) -> MapSpec {
        MapSpec {
            indicator: indicator.to_string(),
            level,
            year: None,
            classes: ClassSpec::Default,
            palette: None,
            page: Page::a4_portrait(),
            legend: None,
            labels: false,
            highlight: None,
            internal: false,
            inset: true,
        }
    }
}

/// A map drawn: the SVG and what tests and callers need to know about it.
#[derive(Debug, Clone)]
pub struct Map {
    pub svg: String,
    pub title: String,
    pub page: Page,
    pub frame: Frame,
    pub legend: Legend,
    pub labels: Vec<Placed>,
    pub scale_bar: ScaleBar,
    /// Boxes of the items drawn over the map (inset, scale bar, north arrow).
    pub reserved: Vec<Rect>,
}

/// Parse a level for maps (the nested ones).
pub fn parse_level(s: &str) -> Result<Level> {
    match Level::parse(s) {
        Some(Level::Qpv) => Err(Error::UnsupportedLevel(s.to_string())),
        Some(l) => Ok(l),
        None => Err(Error::UnknownLevel(s.to_string())),
    }
}

/// "par commune", "par Espace de Solidarité"…
pub fn level_phrase(level: Level) -> &'static str {
    match level {
        Level::Iris => "par IRIS",
        Level::Commune => "par commune",
        Level::Es => "par Espace de Solidarité",
        Level::Territoire => "par territoire",
        Level::Departement => "département",
        Level::Qpv => "par quartier prioritaire",
    }
}

/// Who processed the data, for the source line.
pub fn producer(bundle: &Bundle) -> String {
    if bundle.meta.code == "94" {
        "Observatoire social du Val-de-Marne".into()
    } else {
        format!("Observatoire social – {}", bundle.meta.name)
    }
}

/// The source line: producer and vintage of the indicator, boundaries, processing.
pub fn source_line(
    bundle: &Bundle,
    set: &IndicatorSet,
    ind: &indicators::Indicator,
    year: i32,
    ctx: &Context,
) -> String {
    let vintage = ind.vintages.iter().find(|v| v.year == year);
    let src = vintage
        .and_then(|v| set.sources.iter().find(|s| s.id == v.source))
        .map(|s| format!("{}, {}", s.producer, s.title))
        .unwrap_or_else(|| "source non renseignée".into());
    let mut bounds = "IGN – INSEE, Contours IRIS".to_string();
    if let Some(c) = &ctx.credit {
        bounds.push_str(&format!(" ; {c}"));
    }
    let year_note = if src.contains(&year.to_string()) {
        String::new()
    } else {
        format!(" ({year})")
    };
    format!(
        "Source : {src}{year_note}. Fonds : {bounds}. Traitement : {}.",
        producer(bundle)
    )
}

/// The note shown wherever the ES composition is illustrative.
pub const ILLUSTRATIVE: &str = "Composition des Espaces de Solidarité et des territoires ILLUSTRATIVE : ce n'est pas la table officielle du Département.";

/// Whether `level` shows the (possibly illustrative) ES composition.
pub fn shows_composition(bundle: &Bundle, level: Level) -> bool {
    bundle.meta.illustrative_composition && matches!(level, Level::Es | Level::Territoire)
}

/// Find a zone of any nested level by code.
pub fn find_zone<'a>(bundle: &'a Bundle, code: &str) -> Option<(Level, &'a zones::level::Zone)> {
    Level::NESTED.iter().find_map(|&l| {
        bundle
            .zones(l)
            .iter()
            .find(|z| z.code == code)
            .map(|z| (l, z))
    })
}

/// Text scale of a page: 1 on A4, with the square root of the area, within [0.75, 1.5].
pub fn text_scale(page: &Page) -> f64 {
    ((page.width_mm * page.height_mm) / (210.0 * 297.0))
        .sqrt()
        .clamp(0.75, 1.5)
}

/// Draw a map.
pub fn render(bundle: &Bundle, set: &IndicatorSet, ctx: &Context, spec: &MapSpec) -> Result<Map> {
    if spec.level == Level::Qpv {
        return Err(Error::UnsupportedLevel("qpv".into()));
    }
    let ind = classes::find_indicator(set, &spec.indicator, spec.internal)?;
    classes::check_mappable(ind)?;
    let lg = classes::legend(
        set,
        spec.level,
        &spec.indicator,
        spec.year,
        &spec.classes,
        spec.palette.as_deref(),
        spec.internal,
    )?;
    let highlight = match &spec.highlight {
        Some(code) => {
            Some(find_zone(bundle, code).ok_or_else(|| Error::UnknownZone(code.clone()))?)
        }
        None => None,
    };
    let territory = bundle
        .zones(Level::Departement)
        .first()
        .ok_or_else(|| Error::Render("paquet sans zone départementale".into()))?;

    let page = &spec.page;
    let (pw, ph) = (page.width_pt(), page.height_pt());
    let f = text_scale(page);
    let m = (10.0 * PT_PER_MM).min(0.05 * pw.min(ph));
    let inner_w = pw - 2.0 * m;
    let vintage_label = ind
        .vintages
        .iter()
        .find(|v| v.year == lg.year)
        .and_then(|v| v.label.clone())
        .unwrap_or_else(|| lg.year.to_string());
    let title = ind.label.clone();
    let subtitle = format!(
        "{vintage_label} · {} · {}",
        level_phrase(spec.level),
        bundle.meta.name
    );
    let mut svg = Svg::new(pw, ph, &format!("{title} — {subtitle}"));
    svg.rect(
        0.0,
        0.0,
        pw,
        ph,
        &format!("id=\"background\" fill=\"{}\"", draw::BACKGROUND),
    );

    // Title block.
    let title_style = TextStyle::new(15.0 * f).bold();
    let sub_style = TextStyle::new(9.5 * f).fill(draw::MUTED);
    let warn_style = TextStyle::new(7.0 * f).italic().fill(draw::WARNING);
    let title_lines = font::wrap(&title, title_style.size, Weight::Bold, inner_w);
    let sub_lines = font::wrap(&subtitle, sub_style.size, Weight::Regular, inner_w);
    let warn_lines = if shows_composition(bundle, spec.level)
        || highlight.is_some_and(|(l, _)| shows_composition(bundle, l))
    {
        font::wrap(ILLUSTRATIVE, warn_style.size, Weight::Regular, inner_w)
    } else {
        Vec::new()
    };
    let mut y = m;
    svg.layer("title", "Titre");
    let t_lead = title_style.size * 1.2;
    svg.text_lines(
        m,
        y + title_style.size * font::cap_height(),
        &title_lines,
        t_lead,
        &title_style,
        "id=\"title-text\"",
    );
    y += t_lead * title_lines.len() as f64;
    svg.text_lines(
        m,
        y + sub_style.size,
        &sub_lines,
        sub_style.size * 1.25,
        &sub_style,
        "id=\"subtitle\"",
    );
    y += sub_style.size * 1.25 * sub_lines.len() as f64 + 2.0 * f;
    if !warn_lines.is_empty() {
        svg.text_lines(
            m,
            y + warn_style.size,
            &warn_lines,
            warn_style.size * 1.2,
            &warn_style,
            "id=\"illustrative\"",
        );
        y += warn_style.size * 1.2 * warn_lines.len() as f64;
    }
    svg.close();
    y += 6.0 * f;

    // Source line at the bottom.
    let src_style = TextStyle::new(6.3 * f).fill(draw::MUTED);
    let src_lines = font::wrap(
        &source_line(bundle, set, ind, lg.year, ctx),
        src_style.size,
        Weight::Regular,
        inner_w,
    );
    let src_h = src_style.size * 1.25 * src_lines.len() as f64;
    let bottom = ph - m - src_h - 4.0 * f;

    // Legend size, then the frame.
    let orientation = spec.legend.unwrap_or(if page.is_landscape() {
        Orientation::Vertical
    } else {
        Orientation::Horizontal
    });
    let names = RefNames {
        departement: bundle.meta.name.clone(),
        region: set.region_name.clone(),
    };
    let gap = 8.0 * f;
    let lstyle = |max_width: f64| LegendStyle {
        orientation,
        f,
        max_width,
        counts: true,
        references: true,
        title: true,
    };
    let too_small = |what: &str| {
        Error::PageTooSmall(format!(
            "{what} ({:.0} × {:.0} mm) : choisissez une page plus grande",
            page.width_mm, page.height_mm
        ))
    };
    let (frame_rect, legend_max) = match orientation {
        Orientation::Vertical => {
            let max_lw = (inner_w * 0.42).max(110.0 * f).min(inner_w);
            let (lw, lh) = draw::legend(None, "legend", &lg, &names, lstyle(max_lw), 0.0, 0.0)?;
            let r = Rect::new(m, y, inner_w - lw - gap, bottom - y);
            if lh > bottom - y {
                return Err(Error::PageTooSmall(format!(
                    "la légende demande {:.0} mm de haut, il en reste {:.0}",
                    lh / PT_PER_MM,
                    (bottom - y) / PT_PER_MM
                )));
            }
            (r, max_lw)
        }
        Orientation::Horizontal => {
            let (_, lh) = draw::legend(None, "legend", &lg, &names, lstyle(inner_w), 0.0, 0.0)?;
            (Rect::new(m, y, inner_w, bottom - y - lh - gap), inner_w)
        }
    };
    if frame_rect.w < 60.0 || frame_rect.h < 60.0 {
        return Err(too_small(
            "la carte n'a plus la place d'être lisible à côté du titre, de la légende et des sources",
        ));
    }

    // Simplify the shared arcs for this scale: 0.15 pt on paper.
    let prep = crate::prepared::prepared(bundle);
    let simplifier = &prep.simplifier;
    let (min, max) = {
        use geo::BoundingRect;
        let b = prep
            .territory
            .bounding_rect()
            .ok_or_else(|| Error::Render("département sans contour".into()))?;
        ([b.min().x, b.min().y], [b.max().x, b.max().y])
    };
    let frame = Frame::fit(frame_rect, min, max, 0.04);
    let frame = frame.shrink_to(min, max, 0.04);
    let arcs = simplifier.at(&bundle.topology, 0.15 / frame.scale);

    // Map items over the frame: inset, north arrow, scale bar in the emptiest corners.
    let territory_mp = &prep.territory;
    let inset_on = spec.inset && !ctx.is_empty() && frame.rect.w > 150.0;
    let (_, _, sb_w, sb_h) = draw::scale_bar_size(&frame, f);
    let na = (16.0 * f, 26.0 * f);
    let iw = (frame.rect.w * 0.24).clamp(60.0, 160.0);
    let ih = ctx
        .extent()
        .map(|(a, b)| iw * (b[1] - a[1]) / (b[0] - a[0]))
        .unwrap_or(iw * 0.75);
    let cm = 4.0 * f;
    let mut free: Vec<Corner> = Corner::ALL.to_vec();
    let cover = |c: Corner, w: f64, h: f64| {
        draw::coverage(&frame, territory_mp, c.place(frame.rect, w, h, cm))
    };
    let mut take = |w: f64, h: f64, prefer: &[Corner]| -> Corner {
        let best = free
            .iter()
            .copied()
            .filter(|c| prefer.is_empty() || prefer.contains(c))
            .min_by(|a, b| cover(*a, w, h).total_cmp(&cover(*b, w, h)))
            .or_else(|| free.first().copied())
            .unwrap_or(Corner::BottomLeft);
        free.retain(|c| *c != best);
        best
    };
    let inset_corner = inset_on.then(|| take(iw, ih, &[]));
    let sb_corner = take(sb_w, sb_h, &[Corner::BottomLeft, Corner::BottomRight]);
    let na_corner = take(na.0, na.1, &[Corner::TopLeft, Corner::TopRight]);
    let sb_rect = sb_corner.place(frame.rect, sb_w, sb_h, cm);
    let na_rect = na_corner.place(frame.rect, na.0, na.1, cm);
    let inset_rect = inset_corner.map(|c| c.place(frame.rect, iw, ih, cm));
    let mut reserved = vec![sb_rect, na_rect];
    reserved.extend(inset_rect);

    // The map.
    draw::clip(&mut svg, "map-clip", frame.rect);
    svg.group("map", "clip-path=\"url(#map-clip)\"");
    let ctx_labels = draw::context(
        &mut svg,
        "context",
        &frame,
        ctx,
        &bundle.meta.code,
        Some(7.0 * f),
        &reserved,
    );
    reserved.extend(ctx_labels);
    let zones = bundle.zones(spec.level);
    draw::choropleth(
        &mut svg,
        "zones",
        &frame,
        &arcs,
        zones.iter().map(|z| {
            let class = lg.class_of.get(&z.code).copied().flatten();
            (z, lg.color_of(&z.code), class)
        }),
    );
    let zone_w = if spec.level == Level::Iris {
        0.25
    } else {
        0.45
    };
    draw::borders(
        &mut svg,
        "borders",
        "Limites des zones",
        &frame,
        &arcs,
        zones.iter().map(|z| &z.geometry),
        draw::ZONE_STROKE,
        zone_w * f,
    );
    if spec.level == Level::Iris {
        draw::borders(
            &mut svg,
            "communes",
            "Limites des communes",
            &frame,
            &arcs,
            bundle.zones(Level::Commune).iter().map(|z| &z.geometry),
            draw::INNER_STROKE,
            0.45 * f,
        );
    }
    draw::borders(
        &mut svg,
        "territory",
        "Limite du département",
        &frame,
        &arcs,
        std::iter::once(&territory.geometry),
        draw::TERRITORY_STROKE,
        0.9 * f,
    );
    if let Some((_, z)) = highlight {
        draw::highlight(&mut svg, "highlight", &frame, &arcs, z, 1.4 * f);
    }
    let placed = if spec.labels {
        let st = labels::style();
        let ls = st
            .for_level(spec.level.key())
            .ok_or_else(|| Error::Render("style d'étiquettes absent".into()))?;
        let names_level = Level::parse(&ls.names).unwrap_or(spec.level);
        let cands: Vec<Candidate> = bundle
            .zones(names_level)
            .iter()
            .filter(|z| z.area_km2 >= ls.min_area_km2)
            .filter_map(|z| {
                Some(Candidate {
                    code: z.code.clone(),
                    text: st.short_name(&z.name),
                    anchor: frame.to_page(prep.label_point(names_level, &z.code)?),
                    priority: z.area_km2,
                })
            })
            .collect();
        let size = ls.size * f;
        let weight = if ls.bold {
            Weight::Bold
        } else {
            Weight::Regular
        };
        let placed = labels::place(
            cands,
            size,
            weight,
            size * st.halo_ratio,
            frame.rect,
            &reserved,
        );
        draw::labels(&mut svg, "labels", &placed);
        placed
    } else {
        Vec::new()
    };
    svg.close(); // map
    svg.rect(
        frame.rect.x,
        frame.rect.y,
        frame.rect.w,
        frame.rect.h,
        "id=\"frame\" fill=\"none\" stroke=\"#8c8c8c\" stroke-width=\"0.5\"",
    );
    svg.layer("map-furniture", "Échelle, nord et carton");
    let scale_bar = draw::scale_bar(&mut svg, "scale-bar", &frame, sb_rect, f);
    draw::north_arrow(&mut svg, "north-arrow", &frame, na_rect, f);
    if let Some(r) = inset_rect {
        draw::inset(&mut svg, "inset", ctx, &bundle.meta.code, r);
    }
    svg.close();

    // Legend.
    svg.layer("legend", "Légende");
    match orientation {
        Orientation::Vertical => {
            draw::legend(
                Some(&mut svg),
                "legend-body",
                &lg,
                &names,
                lstyle(legend_max),
                frame.rect.right() + gap,
                frame.rect.y,
            )?;
        }
        Orientation::Horizontal => {
            draw::legend(
                Some(&mut svg),
                "legend-body",
                &lg,
                &names,
                lstyle(legend_max),
                m,
                frame.rect.bottom() + gap,
            )?;
        }
    }
    svg.close();

    // Source.
    svg.layer("source", "Sources");
    svg.text_lines(
        m,
        ph - m - src_h + src_style.size,
        &src_lines,
        src_style.size * 1.25,
        &src_style,
        "id=\"source-text\"",
    );
    svg.close();

    Ok(Map {
        svg: svg.finish(),
        title,
        page: page.clone(),
        frame,
        legend: lg,
        labels: placed,
        scale_bar,
        reserved,
    })
}
