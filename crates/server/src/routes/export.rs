//! Static maps over HTTP — the export buttons of the map page:
//! `GET /export/map.svg|png|pdf?indicator=…&level=…[&year=…][&method=…&k=…|&breaks=…]
//! [&palette=…][&page=a4-portrait][&dpi=150][&legend=vertical|horizontal][&labels=true]
//! [&highlight=CODE][&inset=false]`.
//!
//! The classification parameters are those of `/api/classify`, so the file matches the page.
//! Drawing is the `carto` crate's, the same as `observatoire map`; internal indicators are
//! drawn only for a signed-in [`Audience`] (for the public they do not exist: 404 as an unknown
//! id), in answers that no shared cache keeps (`crate::access::audience_dependent`).
//! Rendering runs on a blocking thread.
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::from_fn;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::access::audience_dependent;
use crate::config::HttpConfig;
use crate::{ApiError, AppState, Audience};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/export/map.svg", get(svg))
        .route("/export/map.png", get(png))
        .route("/export/map.pdf", get(pdf))
        .route_layer(from_fn(audience_dependent))
}

#[derive(Deserialize, Default, Clone)]
pub struct MapQuery {
    pub indicator: Option<String>,
    pub level: Option<String>,
    pub year: Option<i32>,
    pub method: Option<String>,
    pub k: Option<usize>,
    pub breaks: Option<String>,
    /// `METHOD:N`, as the command line's `--classes` (alternative to method and k).
    pub classes: Option<String>,
    pub palette: Option<String>,
    pub page: Option<String>,
    pub dpi: Option<f64>,
    pub legend: Option<String>,
    pub labels: Option<String>,
    pub highlight: Option<String>,
    pub inset: Option<String>,
}

fn flag(v: &Option<String>, default: bool) -> Result<bool, ApiError> {
    match v.as_deref().map(|s| s.trim().to_ascii_lowercase()) {
        None => Ok(default),
        Some(s) => match s.as_str() {
            "" | "1" | "true" | "oui" | "yes" | "on" => Ok(true),
            "0" | "false" | "non" | "no" | "off" => Ok(false),
            _ => Err(ApiError::BadRequest(format!(
                "valeur « {s} » : true ou false attendu"
            ))),
        },
    }
}

fn bad(e: carto::Error) -> ApiError {
    match e {
        carto::Error::UnknownIndicator { .. }
        | carto::Error::NoIndicators
        | carto::Error::NoValues { .. } => ApiError::NotFound(e.to_string()),
        carto::Error::Render(_) | carto::Error::Zones(_) => ApiError::Internal(e.to_string()),
        _ => ApiError::BadRequest(e.to_string()),
    }
}

/// The map specification of a query; `internal`: the audience may see internal indicators.
pub fn spec(q: &MapQuery, internal: bool) -> Result<carto::MapSpec, ApiError> {
    let indicator = q
        .indicator
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::BadRequest("paramètre « indicator » manquant".into()))?;
    let level = carto::map::parse_level(q.level.as_deref().unwrap_or("commune")).map_err(bad)?;
    let mut spec = carto::MapSpec::new(indicator, level);
    spec.year = q.year;
    spec.classes = match (&q.breaks, &q.classes, &q.method) {
        (Some(b), _, _) => carto::ClassSpec::Breaks(b.clone()),
        (None, Some(c), _) => carto::ClassSpec::parse(c).map_err(bad)?,
        (None, None, Some(m)) => carto::ClassSpec::Method {
            method: m.clone(),
            k: q.k,
        },
        (None, None, None) if q.k.is_some() => carto::ClassSpec::Method {
            method: "quantiles".into(),
            k: q.k,
        },
        _ => carto::ClassSpec::Default,
    };
    spec.palette = q.palette.clone();
    if let Some(p) = &q.page {
        spec.page = carto::Page::parse(p).map_err(bad)?;
    }
    spec.legend = q
        .legend
        .as_deref()
        .map(carto::Orientation::parse)
        .transpose()
        .map_err(bad)?;
    spec.labels = flag(&q.labels, false)?;
    spec.inset = flag(&q.inset, true)?;
    spec.highlight = q.highlight.clone().filter(|h| !h.trim().is_empty());
    spec.internal = internal;
    Ok(spec)
}

async fn export(
    state: AppState,
    audience: Audience,
    q: MapQuery,
    format: carto::Format,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // Resolution, class count and parameter lengths: `http` settings (see `hardening`).
    export_limits(&q, &state.config().http)?;
    let spec = spec(&q, audience.internal)?;
    let dpi = q.dpi.unwrap_or(150.0);
    if format == carto::Format::Png {
        let (w, h) = carto::render::pixel_size(&spec.page, dpi).map_err(bad)?;
        let max_pixels = state.config().http.max_export_pixels;
        if u64::from(w) * u64::from(h) > max_pixels {
            return Err(ApiError::BadRequest(format!(
                "image trop grande : {w} × {h} pixels (au plus {:.1} millions ici) ; réduisez la page ou la résolution",
                max_pixels as f64 / 1e6
            )));
        }
    }
    let snapshot = state.snapshot();
    // Same bundle and same query, same bytes: a strong ETag lets the browser revalidate.
    let etag = format!(
        "\"{}-{:016x}\"",
        snapshot.version,
        fnv(&format!(
            "{:?}|{:?}|{dpi}|{}",
            spec,
            format.extension(),
            spec.page.name
        ))
    );
    if crate::negotiate::etag_matches(&headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let name = format!(
        "carte-{}-{}.{}",
        sanitize(&spec.indicator),
        spec.level.key(),
        format.extension()
    );
    let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, carto::Error> {
        let set = snapshot
            .indicators
            .as_ref()
            .ok_or(carto::Error::NoIndicators)?;
        let context = carto::Context::from_bundle(&snapshot.bundle);
        let map = carto::render(&snapshot.bundle, set, &context, &spec)?;
        carto::encode(&map, format, dpi)
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
    .map_err(bad)?;
    let mut response = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.mime()),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
                    .map_err(|e| ApiError::Internal(e.to_string()))?,
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        bytes,
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, v);
    }
    Ok(response)
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

async fn svg(
    State(s): State<AppState>,
    audience: Audience,
    headers: HeaderMap,
    Query(q): Query<MapQuery>,
) -> Result<Response, ApiError> {
    export(s, audience, q, carto::Format::Svg, headers).await
}
async fn png(
    State(s): State<AppState>,
    audience: Audience,
    headers: HeaderMap,
    Query(q): Query<MapQuery>,
) -> Result<Response, ApiError> {
    export(s, audience, q, carto::Format::Png, headers).await
}
async fn pdf(
    State(s): State<AppState>,
    audience: Audience,
    headers: HeaderMap,
    Query(q): Query<MapQuery>,
) -> Result<Response, ApiError> {
    export(s, audience, q, carto::Format::Pdf, headers).await
}

/// Longest text accepted for each free-text parameter of the map exports.
const MAX_PARAM_CHARS: &[(&str, usize)] = &[
    ("indicator", 80),
    ("level", 20),
    ("method", 40),
    ("classes", 40),
    ("palette", 60),
    ("page", 40),
    ("legend", 20),
    ("labels", 10),
    ("inset", 10),
    ("highlight", 60),
    ("breaks", 400),
];

/// Lowest resolution of a PNG export (the `carto` crate's own floor).
const MIN_DPI: f64 = 36.0;
/// Most classes of a map.
const MAX_K: usize = 20;

/// The limits of `/export/map.*`: resolution within `[36, http.max_export_dpi]`, class count,
/// and the length of every free-text parameter (the page size is bounded by `carto` itself,
/// at most A0; the pixel count of a PNG by `http.max_export_pixels` in the route). Clear 400
/// in French otherwise.
pub fn export_limits(q: &MapQuery, http: &HttpConfig) -> Result<(), ApiError> {
    if let Some(dpi) = q.dpi
        && !(dpi.is_finite() && (MIN_DPI..=http.max_export_dpi).contains(&dpi))
    {
        return Err(ApiError::BadRequest(format!(
            "résolution de {dpi} dpi refusée : entre {MIN_DPI} et {} dpi",
            http.max_export_dpi
        )));
    }
    if let Some(k) = q.k
        && !(1..=MAX_K).contains(&k)
    {
        return Err(ApiError::BadRequest(format!(
            "{k} classes : entre 1 et {MAX_K} classes"
        )));
    }
    let fields: [(&str, &Option<String>); 11] = [
        ("indicator", &q.indicator),
        ("level", &q.level),
        ("method", &q.method),
        ("classes", &q.classes),
        ("palette", &q.palette),
        ("page", &q.page),
        ("legend", &q.legend),
        ("labels", &q.labels),
        ("inset", &q.inset),
        ("highlight", &q.highlight),
        ("breaks", &q.breaks),
    ];
    for (name, value) in fields {
        let max = MAX_PARAM_CHARS
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(80, |(_, m)| *m);
        if let Some(v) = value
            && v.chars().count() > max
        {
            return Err(ApiError::BadRequest(format!(
                "paramètre « {name} » trop long (au plus {max} caractères)"
            )));
        }
    }
    Ok(())
}
