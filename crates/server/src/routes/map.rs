//! The map page of the observatory and what it alone needs. Every statistic (values, classes,
//! colours, references) comes from the `indicators` crate through the same function as
//! `/api/classify` — one source of truth with the static maps; the browser only displays.
//!
//! - `GET /`: the French map page (`assets/map/index.html`), its scripts referenced by
//!   content-hashed URLs. The page and the styles depend on the [`Audience`] (sign-in state,
//!   internal indicators): they carry `Vary`, and `private, no-store` for a signed-in audience.
//! - `GET /map/assets/{hash}/{name}`: the files embedded by `build.rs` — MapLibre GL JS and its
//!   CSS (npm `maplibre-gl`, pinned in `package.json`), the page's own JS and CSS — gzip as
//!   stored (inflated copy for the rare client without gzip), `immutable` for a year.
//! - `GET /styles/{indicator}.json?level=…&year=…&method=…&k=…&breaks=…&palette=…&qpv=1`: a
//!   MapLibre style (v8) for that choice, usable on its own by any MapLibre client: vector
//!   sources of every level (tile URLs of this server, `promoteId: "code"`), the neighbouring
//!   départements in grey, the choropleth coloured by a `match` on the zone code (colours
//!   assigned here with `Classes::class_of`), outlines of the higher levels, QPV outlines, and
//!   the legend in `metadata["observatoire:legend"]`. Counts are not choropleths: they are drawn
//!   as proportional circles (area ∝ value). No glyphs, no sprite, no external URL.
//! - `GET /api/places/{level}`: one point inside each zone (labels, circles), its bounding box
//!   and the name as written on maps (`styles/labels.toml`); `context` for the neighbours.
//! - `GET /api/composition/{level}/{code}`: the zones a zone belongs to and those it contains
//!   (by whole IRIS; `whole: false` for a part), and the QPV that cross it.
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::from_fn;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use geo::{BoundingRect, Coord, InteriorPoint, MultiPolygon};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};
use tower_http::compression::CompressionLayer;
use zones::Level;
use zones::crs::{Crs, reproject_coords};

use crate::access::audience_dependent;
use crate::negotiate::{accepts_gzip, etag_matches};
use crate::routes::indicators::{ClassifyQueryOwned, classification};
use crate::routes::zones::parse_level;
use crate::{ApiError, AppState, Audience, Snapshot};

/// The files `build.rs` embedded (`OUT_DIR/map_assets.rs`).
pub mod embedded {
    /// One embedded file, as is and gzip-compressed.
    pub struct Asset {
        pub name: &'static str,
        pub content_type: &'static str,
        /// FNV-1a of the content, 16 hex digits: the URL's version.
        pub hash: &'static str,
        pub raw: &'static [u8],
        pub gzip: &'static [u8],
    }
    include!(concat!(env!("OUT_DIR"), "/map_assets.rs"));

    pub fn get(name: &str) -> Option<&'static Asset> {
        ASSETS.iter().find(|a| a.name == name)
    }

    /// `map/assets/{hash}/{name}`, relative to the page (which is served at `/`).
    pub fn url(name: &str) -> String {
        get(name)
            .map(|a| format!("map/assets/{}/{}", a.hash, a.name))
            .unwrap_or_default()
    }
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const LABELS_TOML: &str = include_str!("../../../../styles/labels.toml");

/// Reference zoom of the proportional circles: a circle's radius is given in pixels at this
/// zoom and doubles with each zoom level, so that circles keep their size on the ground.
pub const SYMBOL_ZOOM: f64 = 10.0;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(page))
        .route("/styles/{file}", get(style))
        // The page and the styles depend on the audience; the routes below do not.
        .route_layer(from_fn(audience_dependent))
        .route("/map/assets/{hash}/{name}", get(asset))
        .route("/api/places/{level}", get(places))
        .route("/api/composition/{level}/{code}", get(composition))
        // Dynamic answers (page, styles, places) are compressed on the fly; the embedded files
        // carry their own `Content-Encoding` and pass through untouched.
        .layer(CompressionLayer::new())
}

// ---- page and embedded files --------------------------------------------------------------

/// The page, with asset URLs, territory name and default indicator filled in, for the public.
pub fn render_page(s: &Snapshot) -> String {
    render_page_for(s, &Audience::PUBLIC, false)
}

/// The page for an audience: `{{acces}}` is the sign-in link, or, for a signed-in audience,
/// « Connecté » and (when the sign-in cookie is what opens the internal indicators) the
/// sign-out button. The default indicator is always a public one.
pub fn render_page_for(s: &Snapshot, audience: &Audience, signed_in_by_cookie: bool) -> String {
    let template = embedded::get("index.html")
        .map(|a| String::from_utf8_lossy(a.raw).into_owned())
        .unwrap_or_default();
    let mut html = template;
    for a in embedded::ASSETS {
        html = html.replace(&format!("{{{{asset:{}}}}}", a.name), &embedded::url(a.name));
    }
    let default_indicator = s
        .indicators
        .as_ref()
        .and_then(|set| {
            set.indicators
                .iter()
                .find(|i| i.visibility == indicators::Visibility::Public)
        })
        .map(|i| i.id.clone())
        .unwrap_or_default();
    let access = if !audience.internal {
        r#"<a class="bar-link access-link" href="connexion">Connexion</a>"#.to_string()
    } else if signed_in_by_cookie {
        concat!(
            r#"<form class="access" method="post" action="deconnexion">"#,
            r#"<span class="access-state">Connecté (indicateurs internes visibles)</span> "#,
            r#"<button type="submit" class="small">Se déconnecter</button></form>"#
        )
        .to_string()
    } else {
        r#"<p class="access"><span class="access-state">Connecté (indicateurs internes visibles)</span></p>"#
            .to_string()
    };
    html.replace("{{territoire}}", &escape_html(&s.bundle.meta.name))
        .replace("{{acces}}", &access)
        .replace(
            "{{interne}}",
            if audience.internal { "true" } else { "false" },
        )
        .replace("{{indicateur}}", &escape_html(&default_indicator))
        .replace("{{maplibre_version}}", embedded::MAPLIBRE_VERSION)
}

fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

async fn page(
    State(state): State<AppState>,
    audience: Audience,
    request: axum::http::request::Parts,
) -> Response {
    let headers = &request.headers;
    let by_cookie = audience.internal
        && crate::access::cookie_token(&request).is_some_and(|t| {
            crate::config::token_matches(&state.config().access.tokens, &t).is_some()
        });
    let html = render_page_for(&state.snapshot(), &audience, by_cookie);
    let etag = format!("\"{:016x}\"", fnv1a(html.as_bytes()));
    revalidated(
        headers,
        &etag,
        "text/html; charset=utf-8",
        html.into_bytes(),
    )
}

/// A `no-cache` answer with a strong ETag, `304` when the client has it.
fn revalidated(headers: &HeaderMap, etag: &str, content_type: &str, body: Vec<u8>) -> Response {
    let mut resp = if etag_matches(headers, etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_str(content_type).unwrap(),
            )],
            body,
        )
            .into_response()
    };
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(etag) {
        h.insert(header::ETAG, v);
    }
    resp
}

async fn asset(Path((hash, name)): Path<(String, String)>, headers: HeaderMap) -> Response {
    let Some(a) = embedded::get(&name).filter(|a| a.hash == hash && a.name != "index.html") else {
        return ApiError::NotFound(format!(
            "fichier inconnu « {} » (la page a peut-être changé : rechargez-la)",
            name.chars().take(60).collect::<String>()
        ))
        .into_response();
    };
    let etag = format!("\"{}\"", a.hash);
    let mut resp = if etag_matches(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if accepts_gzip(&headers) {
        (
            [
                (header::CONTENT_TYPE, a.content_type),
                (header::CONTENT_ENCODING, "gzip"),
            ],
            a.gzip,
        )
            .into_response()
    } else {
        ([(header::CONTENT_TYPE, a.content_type)], a.raw).into_response()
    };
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    resp
}

/// `http(s)://host` of the request (sources of a style must be absolute). Honours
/// `X-Forwarded-Proto` / `X-Forwarded-Host`; a host with unexpected characters falls back to
/// `localhost` rather than being echoed (same rule as the TileJSON).
fn base_url(headers: &HeaderMap) -> String {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.split(',').next().unwrap_or("").trim().to_string())
    };
    let scheme = match get("x-forwarded-proto").as_deref() {
        Some("https") => "https",
        _ => "http",
    };
    let host = get("x-forwarded-host")
        .filter(|h| !h.is_empty())
        .or_else(|| get("host"))
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-:[]_".contains(&b))
        })
        .unwrap_or_else(|| "localhost".into());
    format!("{scheme}://{host}")
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn bad_query(e: QueryRejection) -> ApiError {
    ApiError::BadRequest(format!("paramètres illisibles : {}", e.body_text()))
}

// ---- labels and places --------------------------------------------------------------------

/// `styles/labels.toml`: which names label a map of each level, and how names are shortened.
#[derive(Debug, Clone, Deserialize)]
struct LabelStyle {
    color: String,
    halo: String,
    level: Vec<LevelLabels>,
    shorten: Vec<Shorten>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
struct LevelLabels {
    level: String,
    names: String,
    size: f64,
    bold: bool,
    min_area_km2: f64,
}

#[derive(Debug, Clone, Deserialize)]
struct Shorten {
    from: String,
    to: String,
}

fn label_style() -> Option<&'static LabelStyle> {
    static S: OnceLock<Option<LabelStyle>> = OnceLock::new();
    S.get_or_init(|| {
        toml::from_str(LABELS_TOML)
            .map_err(|e| tracing::error!("styles/labels.toml illisible : {e}"))
            .ok()
    })
    .as_ref()
}

fn short_name(name: &str) -> String {
    if let Some(style) = label_style() {
        for s in &style.shorten {
            if let Some(rest) = name.strip_prefix(&s.from) {
                return format!("{}{rest}", s.to);
            }
        }
    }
    name.to_string()
}

/// A zone as the map places it: a point inside it, its bounding box, its name on maps.
#[derive(Debug, Clone, Serialize)]
pub struct Place {
    pub code: String,
    pub name: String,
    /// The name as written on maps (`styles/labels.toml` shortening).
    pub short: String,
    /// `[lon, lat]` of a point inside the zone (WGS84, 6 decimals).
    pub point: [f64; 2],
    /// `[west, south, east, north]`.
    pub bbox: [f64; 4],
    pub area_km2: f64,
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// Interior point and bounding box of a Lambert-93 multipolygon, in WGS84.
fn anchor(mp: &MultiPolygon<f64>) -> Option<([f64; 2], [f64; 4])> {
    let p = mp.interior_point()?;
    let r = mp.bounding_rect()?;
    let mut c = [
        Coord { x: p.x(), y: p.y() },
        r.min(),
        r.max(),
        Coord {
            x: r.min().x,
            y: r.max().y,
        },
        Coord {
            x: r.max().x,
            y: r.min().y,
        },
    ];
    reproject_coords(&mut c, Crs::Lambert93, Crs::Wgs84).ok()?;
    let (xs, ys) = (c[1..].iter().map(|c| c.x), c[1..].iter().map(|c| c.y));
    let bbox = [
        xs.clone().fold(f64::INFINITY, f64::min),
        ys.clone().fold(f64::INFINITY, f64::min),
        xs.fold(f64::NEG_INFINITY, f64::max),
        ys.fold(f64::NEG_INFINITY, f64::max),
    ];
    Some(([round6(c[0].x), round6(c[0].y)], bbox.map(round6)))
}

/// Places of a level (`None` for the QPV, which are not labelled), or of the neighbours
/// (`context`), cached per bundle version.
fn places_of(s: &Snapshot, key: &str) -> Option<Arc<Vec<Place>>> {
    type Cache = Mutex<(String, HashMap<String, Arc<Vec<Place>>>)>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new((String::new(), HashMap::new())));
    if let Ok(c) = cache.lock()
        && c.0 == s.version
        && let Some(p) = c.1.get(key)
    {
        return Some(p.clone());
    }
    let make = |code: &str, name: &str, area: f64, mp: &MultiPolygon<f64>| {
        anchor(mp).map(|(point, bbox)| Place {
            code: code.to_string(),
            name: name.to_string(),
            short: short_name(name),
            point,
            bbox,
            area_km2: (area * 1e6).round() / 1e6,
        })
    };
    let list: Vec<Place> = if key == "context" {
        s.bundle
            .context
            .iter()
            .filter_map(|c| make(&c.code, &c.name, c.area_km2, &c.geometry))
            .collect()
    } else {
        let level = Level::parse(key).filter(|l| *l != Level::Qpv)?;
        s.bundle
            .zones(level)
            .iter()
            .filter_map(|z| {
                let mp = s.bundle.topology.to_multipolygon(&z.geometry);
                make(&z.code, &z.name, z.area_km2, &mp)
            })
            .collect()
    };
    let list = Arc::new(list);
    if let Ok(mut c) = cache.lock() {
        if c.0 != s.version {
            *c = (s.version.clone(), HashMap::new());
        }
        c.1.insert(key.to_string(), list.clone());
    }
    Some(list)
}

async fn places(
    State(state): State<AppState>,
    Path(level): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let s = state.snapshot();
    let key = if level == "context" {
        "context"
    } else {
        parse_level(&level)?.key()
    };
    let list = places_of(&s, key).ok_or_else(|| {
        ApiError::NotFound(format!(
            "pas d'emplacements pour « {key} » : iris, commune, es, territoire, departement ou context"
        ))
    })?;
    let body = serde_json::to_vec(&json!({
        "level": key,
        "illustrative": s.bundle.meta.illustrative_composition && matches!(key, "es" | "territoire"),
        "places": &*list,
    }))
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    let etag = format!("\"{}-{key}\"", s.version);
    Ok(revalidated(&headers, &etag, "application/json", body))
}

// ---- composition --------------------------------------------------------------------------

async fn composition(
    State(state): State<AppState>,
    Path((level, code)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let s = state.snapshot();
    let level = parse_level(&level)?;
    Ok(axum::Json(composition_of(&s, level, &code)?).into_response())
}

/// The zones of the other nested levels that share IRIS with a zone: higher ones it belongs to
/// (`whole: false` when only part of it lies there), lower ones it contains (`whole: false`
/// for a zone split with a neighbour), and the QPV crossing its IRIS.
pub fn composition_of(s: &Snapshot, level: Level, code: &str) -> Result<Value, ApiError> {
    let b = &s.bundle;
    if level == Level::Qpv {
        let q = b
            .qpv
            .iter()
            .find(|q| q.code == code)
            .ok_or_else(|| ApiError::NotFound(format!("QPV inconnu « {} »", truncate(code))))?;
        let iris: HashSet<&str> = b
            .qpv_overlay
            .iter()
            .filter(|o| o.qpv == q.code)
            .map(|o| o.iris.as_str())
            .collect();
        let list: Vec<Value> = b
            .zones(Level::Iris)
            .iter()
            .filter(|z| iris.contains(z.code.as_str()))
            .map(|z| json!({ "code": z.code, "name": z.name, "whole": false }))
            .collect();
        return Ok(json!({
            "level": "qpv", "code": q.code, "name": q.name, "belongs_to": [],
            "contains": [{ "level": "iris", "label": Level::Iris.label(), "zones": list }],
            "qpv": [], "illustrative": false,
        }));
    }
    let zone = b
        .zones(level)
        .iter()
        .find(|z| z.code == code)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "zone inconnue « {} » au niveau {}",
                truncate(code),
                level.key()
            ))
        })?;
    let mine: HashSet<u32> = zone.iris.iter().copied().collect();
    let mut belongs = Vec::new();
    let mut contains = Vec::new();
    for other in Level::NESTED {
        if other == level {
            continue;
        }
        let higher = other > level;
        let list: Vec<Value> = b
            .zones(other)
            .iter()
            .filter_map(|y| {
                let shared = y.iris.iter().filter(|i| mine.contains(i)).count();
                if shared == 0 {
                    return None;
                }
                let whole = if higher {
                    shared == mine.len()
                } else {
                    shared == y.iris.len()
                };
                Some(json!({ "code": y.code, "name": y.name, "whole": whole }))
            })
            .collect();
        if list.is_empty() {
            continue;
        }
        let entry = json!({ "level": other.key(), "label": other.label(), "zones": list });
        if higher {
            belongs.push(entry);
        } else {
            contains.push(entry);
        }
    }
    // Largest first: a territoire lists its ES, then communes, then IRIS.
    contains.reverse();
    let iris_codes: HashSet<&str> = zone
        .iris
        .iter()
        .filter_map(|i| b.zones(Level::Iris).get(*i as usize))
        .map(|z| z.code.as_str())
        .collect();
    let qpv_codes: HashSet<&str> = b
        .qpv_overlay
        .iter()
        .filter(|o| iris_codes.contains(o.iris.as_str()))
        .map(|o| o.qpv.as_str())
        .collect();
    let qpv: Vec<Value> = b
        .qpv
        .iter()
        .filter(|q| qpv_codes.contains(q.code.as_str()))
        .map(|q| json!({ "code": q.code, "name": q.name }))
        .collect();
    Ok(json!({
        "level": level.key(), "code": zone.code, "name": zone.name,
        "belongs_to": belongs, "contains": contains, "qpv": qpv,
        "illustrative": b.meta.illustrative_composition,
    }))
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

// ---- styles -------------------------------------------------------------------------------

#[derive(Deserialize, Default)]
pub struct StyleQuery {
    pub level: Option<String>,
    pub year: Option<i32>,
    pub method: Option<String>,
    pub k: Option<usize>,
    pub breaks: Option<String>,
    pub palette: Option<String>,
    /// `1`/`true`: QPV outlines visible.
    pub qpv: Option<String>,
}

async fn style(
    State(state): State<AppState>,
    audience: Audience,
    Path(file): Path<String>,
    params: Result<Query<StyleQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Query(q) = params.map_err(bad_query)?;
    let indicator = file.strip_suffix(".json").ok_or_else(|| {
        ApiError::NotFound(
            "attendu /styles/{indicateur}.json, par exemple /styles/chomage_15_64.json".into(),
        )
    })?;
    let s = state.snapshot();
    let style = build_style(&s, indicator, &q, &base_url(&headers), audience.internal)?;
    let body = serde_json::to_vec(&style).map_err(|e| ApiError::Internal(e.to_string()))?;
    let etag = format!("\"{:016x}\"", fnv1a(&body));
    Ok(revalidated(&headers, &etag, "application/json", body))
}

/// Outline layers drawn over a map of `level`: (layer id, level drawn, width in px at zoom 10,
/// colour, dashed).
fn outlines(level: Level) -> Vec<(&'static str, Level, f64, &'static str, bool)> {
    let mut v = Vec::new();
    if level == Level::Iris {
        v.push(("limites-communes", Level::Commune, 0.9, "#4a4a4a", false));
    }
    if level < Level::Es {
        v.push(("limites-es", Level::Es, 1.5, "#1f1f1f", true));
    }
    if level < Level::Territoire {
        v.push((
            "limites-territoires",
            Level::Territoire,
            2.4,
            "#000000",
            false,
        ));
    }
    v.push((
        "limite-departement",
        Level::Departement,
        1.8,
        "#000000",
        false,
    ));
    v
}

fn width(w: f64) -> Value {
    json!([
        "interpolate",
        ["exponential", 1.5],
        ["zoom"],
        8,
        w * 0.6,
        10,
        w,
        14,
        w * 2.2
    ])
}

/// A MapLibre style v8 for one indicator on one level (see the module documentation). It
/// carries the indicator's classes, colours per zone code and circles: an internal indicator's
/// style exists only for an audience that may see it (`internal`), otherwise 404 as unknown.
pub fn build_style(
    s: &Arc<Snapshot>,
    indicator: &str,
    q: &StyleQuery,
    base: &str,
    internal: bool,
) -> Result<Value, ApiError> {
    let set = s
        .indicators
        .as_ref()
        .ok_or_else(|| ApiError::NotFound("aucun indicateur dans ce paquet de données".into()))?;
    let ind = crate::routes::indicators::visible(set, indicator, internal)?;
    let level = parse_level(q.level.as_deref().unwrap_or("commune"))?;
    if level == Level::Qpv {
        return Err(ApiError::BadRequest(
            "la carte se dessine par iris, commune, es, territoire ou departement ; les QPV sont une couche de contours (qpv=1)".into(),
        ));
    }
    let year = match q.year {
        Some(y) if ind.vintages.iter().any(|v| v.year == y) => y,
        Some(y) => {
            return Err(ApiError::BadRequest(format!(
                "millésime {y} absent pour « {} »",
                ind.id
            )));
        }
        None => set
            .latest_year(&ind.id)
            .ok_or_else(|| ApiError::NotFound("aucun millésime".into()))?,
    };
    let ts = s
        .tiles
        .as_ref()
        .map_err(|e| ApiError::Internal(format!("pyramide indisponible : {e}")))?;
    let records: Vec<&indicators::Record> = set
        .select(level, Some(&ind.id), Some(year), internal)
        .collect();
    let show_qpv = matches!(q.qpv.as_deref(), Some("1" | "true" | "oui"));
    let symbols = ind.kind == indicators::Kind::Count;

    // Colours (or circles) and the legend, from the indicators crate.
    let (fill_color, legend, circles) = if symbols {
        let (legend, circles) = proportional(s, level, &records, ind)?;
        let missing: Vec<&str> = records
            .iter()
            .filter(|r| r.value.is_none())
            .map(|r| r.code.as_str())
            .collect();
        let fill = if missing.is_empty() {
            json!(SYMBOL_BACKGROUND)
        } else {
            json!([
                "match",
                ["get", "code"],
                missing,
                indicators::palette::missing_color(),
                SYMBOL_BACKGROUND
            ])
        };
        (fill, legend, Some(circles))
    } else {
        let legend = classification(
            s,
            &ClassifyQueryOwned {
                indicator: ind.id.clone(),
                level: level.key().to_string(),
                year: Some(year),
                method: q.method.clone(),
                k: q.k,
                breaks: q.breaks.clone(),
                palette: q.palette.clone(),
                internal,
            },
        )?;
        let classes = indicators::classify::Classes {
            method: legend["method"].as_str().unwrap_or_default().to_string(),
            breaks: floats(&legend["breaks"]),
            counts: legend["counts"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_u64)
                        .map(|c| c as usize)
                        .collect()
                })
                .unwrap_or_default(),
        };
        let colors: Vec<&str> = legend["colors"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut by_class: Vec<Vec<&str>> = vec![Vec::new(); colors.len()];
        for r in &records {
            if let Some(c) = r.value.and_then(|v| classes.class_of(v))
                && let Some(list) = by_class.get_mut(c)
            {
                list.push(r.code.as_str());
            }
        }
        let mut expr = vec![json!("match"), json!(["get", "code"])];
        for (codes, color) in by_class.into_iter().zip(&colors) {
            if !codes.is_empty() {
                expr.push(json!(codes));
                expr.push(json!(color));
            }
        }
        expr.push(legend["missing_color"].clone());
        let fill = if expr.len() > 3 {
            Value::Array(expr)
        } else {
            legend["missing_color"].clone()
        };
        let mut legend = legend;
        legend["mode"] = json!("classes");
        (fill, legend, None)
    };

    // Sources: every level's tiles, the neighbours, the circles.
    let mut sources = serde_json::Map::new();
    sources.insert(
        "contexte".into(),
        json!({ "type": "geojson", "data": format!("{base}/api/context"), "attribution": "IGN — Admin Express (Licence Ouverte 2.0)" }),
    );
    for lt in &ts.levels {
        let url = format!(
            "{base}/tiles/{}/{}/{{z}}/{{x}}/{{y}}.mvt",
            lt.level.key(),
            lt.version
        );
        let tj = tiles::tilejson::tilejson(lt, &ts.territory, &url);
        sources.insert(
            lt.level.key().into(),
            json!({
                "type": "vector", "tiles": tj["tiles"], "minzoom": tj["minzoom"], "maxzoom": tj["maxzoom"],
                "bounds": tj["bounds"], "attribution": tj["attribution"], "promoteId": "code",
            }),
        );
    }
    if ts.level(level).is_none() {
        return Err(ApiError::NotFound(format!(
            "pas de tuiles pour le niveau {}",
            level.key()
        )));
    }
    if let Some(c) = &circles {
        sources.insert("cercles".into(), json!({ "type": "geojson", "data": c }));
    }

    let key = level.key();
    let thin = if level == Level::Iris { 0.5 } else { 0.8 };
    let mut layers = vec![
        json!({ "id": "fond", "type": "background", "paint": { "background-color": "#f4f3ef" } }),
        json!({ "id": "contexte", "type": "fill", "source": "contexte", "paint": { "fill-color": "#dedcd6" } }),
        json!({ "id": "contexte-limites", "type": "line", "source": "contexte", "paint": { "line-color": "#ffffff", "line-width": 1.2 } }),
        json!({ "id": "choroplethe", "type": "fill", "source": key, "source-layer": key,
                "paint": { "fill-color": fill_color, "fill-opacity": 1.0 } }),
        json!({ "id": "choroplethe-limites", "type": "line", "source": key, "source-layer": key,
                "paint": { "line-color": if symbols { "#a8a8a8" } else { "#ffffff" }, "line-opacity": 0.85, "line-width": width(thin) } }),
    ];
    for (id, l, w, color, dashed) in outlines(level) {
        let mut paint = json!({ "line-color": color, "line-width": width(w) });
        if dashed {
            paint["line-dasharray"] = json!([3, 1.5]);
        }
        layers.push(
            json!({ "id": id, "type": "line", "source": l.key(), "source-layer": l.key(),
                            "layout": { "line-join": "round" }, "paint": paint }),
        );
    }
    if ts.level(Level::Qpv).is_some() {
        layers.push(json!({ "id": "qpv", "type": "line", "source": "qpv", "source-layer": "qpv",
            "layout": { "visibility": if show_qpv { "visible" } else { "none" }, "line-join": "round" },
            "paint": { "line-color": QPV_COLOR, "line-width": width(1.8), "line-dasharray": [2, 1] } }));
    }
    if circles.is_some() {
        layers.push(json!({ "id": "cercles", "type": "circle", "source": "cercles",
            "paint": {
                "circle-radius": ["interpolate", ["exponential", 2], ["zoom"],
                    SYMBOL_ZOOM - 4.0, ["/", ["get", "r"], 16], SYMBOL_ZOOM + 6.0, ["*", ["get", "r"], 64]],
                "circle-color": SYMBOL_COLOR, "circle-opacity": 0.8,
                "circle-stroke-color": "#ffffff", "circle-stroke-width": 1,
            } }));
    }
    // Hover and selection outlines (feature-state on the level's source, promoteId = code).
    let selected = json!(["boolean", ["feature-state", "selected"], false]);
    let hover = json!(["boolean", ["feature-state", "hover"], false]);
    layers.push(
        json!({ "id": "selection-halo", "type": "line", "source": key, "source-layer": key,
        "layout": { "line-join": "round" },
        "paint": { "line-color": "#ffffff", "line-width": ["case", selected, 6.5, 0] } }),
    );
    layers.push(json!({ "id": "survol", "type": "line", "source": key, "source-layer": key,
        "layout": { "line-join": "round" },
        "paint": { "line-color": "#000000", "line-width": ["case", selected, 3.5, hover, 2.5, 0] } }));

    let tl = ts.level(level).expect("checked above");
    let center = tiles::tilejson::center(tl);
    let labels = label_style().and_then(|st| {
        st.level
            .iter()
            .find(|l| l.level == key)
            .map(|l| json!({ "names": l.names, "size": l.size, "bold": l.bold, "min_area_km2": l.min_area_km2, "color": st.color, "halo": st.halo }))
    });
    let illustrative = s.bundle.meta.illustrative_composition;
    Ok(json!({
        "version": 8,
        "name": format!("{} — {} ({year}, {})", s.bundle.meta.name, ind.label, level.label()),
        "center": [center[0], center[1]],
        "zoom": center[2],
        "sources": sources,
        "layers": layers,
        "metadata": {
            "observatoire:choice": {
                "indicator": ind.id, "level": key, "year": year, "method": legend["method"],
                "k": legend["counts"].as_array().map(Vec::len), "breaks": q.breaks, "palette": legend["palette"], "qpv": show_qpv,
            },
            "observatoire:indicator": indicators::export::indicator_json(ind, set),
            "observatoire:legend": legend,
            "observatoire:labels": labels,
            "observatoire:illustrative": illustrative && matches!(level, Level::Iris | Level::Commune | Level::Es | Level::Territoire),
            "observatoire:region": set.region_name,
            "observatoire:territory": s.bundle.meta.name,
            "observatoire:bounds": tl.bounds,
        },
    }))
}

const SYMBOL_BACKGROUND: &str = "#fbfaf7";
const SYMBOL_COLOR: &str = "#2f6db3";
const QPV_COLOR: &str = "#7b1fa2";

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

/// Largest circle radius (px at [`SYMBOL_ZOOM`]) per level: the largest value of the level gets
/// it, the others an area in proportion.
fn max_radius(level: Level) -> f64 {
    match level {
        Level::Iris => 11.0,
        Level::Commune => 26.0,
        Level::Es => 34.0,
        Level::Territoire => 44.0,
        _ => 56.0,
    }
}

/// `v` rounded down to two significant digits (legend values of circles).
fn nice(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 0.0;
    }
    let p = 10f64.powf(v.log10().floor() - 1.0);
    (v / p).floor() * p
}

/// Proportional circles of a count: one circle per zone with a value, at its interior point,
/// largest first (drawn under the smaller ones); the legend's sample circles.
fn proportional(
    s: &Snapshot,
    level: Level,
    records: &[&indicators::Record],
    ind: &indicators::Indicator,
) -> Result<(Value, Value), ApiError> {
    let places = places_of(s, level.key())
        .ok_or_else(|| ApiError::Internal("emplacements indisponibles".into()))?;
    let at: HashMap<&str, &Place> = places.iter().map(|p| (p.code.as_str(), p)).collect();
    let vmax = records
        .iter()
        .filter_map(|r| r.value)
        .fold(0.0_f64, f64::max);
    if vmax <= 0.0 {
        return Err(ApiError::NotFound(
            "aucune valeur diffusable pour ce choix".into(),
        ));
    }
    let rmax = max_radius(level);
    let radius = |v: f64| (rmax * (v.max(0.0) / vmax).sqrt() * 100.0).round() / 100.0;
    let mut with_value: Vec<(&indicators::Record, f64)> = records
        .iter()
        .filter_map(|r| r.value.map(|v| (*r, v)))
        .collect();
    with_value.sort_by(|a, b| b.1.total_cmp(&a.1));
    let features: Vec<Value> = with_value
        .iter()
        .filter_map(|(r, v)| {
            let p = at.get(r.code.as_str())?;
            Some(
                json!({ "type": "Feature", "properties": { "code": r.code, "r": radius(*v) },
                         "geometry": { "type": "Point", "coordinates": p.point } }),
            )
        })
        .collect();
    let mut samples: Vec<f64> = vec![nice(vmax), nice(vmax / 4.0), nice(vmax / 16.0)];
    samples.dedup();
    samples.retain(|v| *v > 0.0);
    let first = records.first();
    let legend = json!({
        "mode": "symbols", "indicator": ind.id, "label": ind.label, "unit": ind.unit, "decimals": ind.decimals,
        "level": level.key(), "year": first.map(|r| r.year), "method": null, "palette": null,
        "color": SYMBOL_COLOR, "reference_zoom": SYMBOL_ZOOM, "max": vmax,
        "samples": samples.iter().map(|v| json!({ "value": v, "radius": radius(*v) })).collect::<Vec<_>>(),
        "missing_color": indicators::palette::missing_color(),
        "missing_count": records.iter().filter(|r| r.value.is_none()).count(),
        "references": {
            "departement": first.and_then(|r| r.ref_departement),
            "region": first.and_then(|r| r.ref_region),
            "france": first.and_then(|r| r.ref_france),
        },
    });
    Ok((
        legend,
        json!({ "type": "FeatureCollection", "features": features }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_values_and_short_names() {
        assert_eq!(nice(1_234_567.0), 1_200_000.0);
        assert_eq!(nice(98.7), 98.0);
        assert_eq!(nice(0.0), 0.0);
        assert_eq!(short_name("Espace de Solidarité de Vincennes"), "Vincennes");
        assert_eq!(short_name("Territoire Centre"), "Centre");
        assert_eq!(short_name("Créteil"), "Créteil");
    }

    #[test]
    fn every_page_file_is_embedded_with_its_hash() {
        for name in [
            "maplibre-gl.js",
            "maplibre-gl.css",
            "app.js",
            "app.css",
            "index.html",
        ] {
            let a = embedded::get(name).unwrap_or_else(|| panic!("{name} embarqué"));
            assert_eq!(a.hash.len(), 16);
            assert!(!a.gzip.is_empty() && a.gzip.len() < a.raw.len().max(64));
        }
        let js = embedded::get("maplibre-gl.js").unwrap();
        assert!(!js.raw.ends_with(b".js.map\n"), "no source map reference");
        assert!(String::from_utf8_lossy(&js.raw[..200]).contains("MapLibre GL JS"));
    }
}
