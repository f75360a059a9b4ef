//! Which Espace de Solidarité covers a place?
//!
//! - `GET /es`: the French, mobile-first page (search, « Me localiser », result card with a
//!   small map of the ES perimeter; shareable `?lon=…&lat=…` or `?es=…` links).
//! - `GET /api/lookup?lon=…&lat=…` (or `?x=…&y=…` in Lambert-93): IRIS, commune, ES and
//!   territoire of a point; 400 for missing or invalid coordinates, 404 outside the département.
//! - `GET /api/search?q=…&limit=…`: ranked suggestions (communes, ES, territoires, IRIS, town
//!   halls, BAN streets and addresses).
//! - `GET /api/es` and `GET /api/es/{code}`: the ES directory, and one ES with its perimeter.
//!
//! Everything is computed by the `lookup` crate when the snapshot is loaded; handlers only
//! parse, call and serialise.
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use crate::{ApiError, AppState};

const INDEX_HTML: &str = include_str!("../../assets/es/index.html");
const APP_JS: &str = include_str!("../../assets/es/app.js");
const APP_CSS: &str = include_str!("../../assets/es/app.css");

/// Default and maximum number of suggestions.
const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/es", get(page))
        .route("/es/", get(page))
        .route("/es/app.js", get(app_js))
        .route("/es/app.css", get(app_css))
        .route("/api/lookup", get(lookup_point))
        .route("/api/search", get(search))
        .route("/api/es", get(es_list))
        .route("/api/es/{code}", get(es_card))
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn page() -> Response {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

async fn app_js() -> Response {
    asset("text/javascript; charset=utf-8", APP_JS)
}

async fn app_css() -> Response {
    asset("text/css; charset=utf-8", APP_CSS)
}

fn bad_query(e: QueryRejection) -> ApiError {
    ApiError::BadRequest(format!("paramètres illisibles : {}", e.body_text()))
}

#[derive(Deserialize)]
struct PointParams {
    lon: Option<String>,
    lat: Option<String>,
    x: Option<String>,
    y: Option<String>,
}

/// A coordinate parameter: present, a finite number (decimal point or comma).
fn coordinate(name: &str, value: Option<&str>) -> Result<f64, ApiError> {
    let v = value.ok_or_else(|| ApiError::BadRequest(format!("paramètre « {name} » absent")))?;
    lookup::batch::parse_coordinate(v).ok_or_else(|| {
        ApiError::BadRequest(format!(
            "paramètre « {name} » : « {} » n'est pas un nombre",
            v.chars().take(40).collect::<String>()
        ))
    })
}

async fn lookup_point(
    State(state): State<AppState>,
    params: Result<Query<PointParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = params.map_err(bad_query)?;
    let s = state.snapshot();
    let locator = &s.lookup.locator;
    let answer = match (&p.lon, &p.lat, &p.x, &p.y) {
        (None, None, Some(x), Some(y)) => {
            let (x, y) = (coordinate("x", Some(x))?, coordinate("y", Some(y))?);
            locator.lookup_l93(x, y)
        }
        (None, None, None, None) => {
            return Err(ApiError::BadRequest(
                "paramètres « lon » et « lat » requis (degrés WGS84), par exemple /api/lookup?lon=2.4557&lat=48.7803 ; ou « x » et « y » en Lambert-93".into(),
            ));
        }
        _ => {
            let lon = coordinate("lon", p.lon.as_deref())?;
            let lat = coordinate("lat", p.lat.as_deref())?;
            locator.lookup_lonlat(lon, lat)
        }
    };
    match answer {
        Ok(placement) => Ok(Json(placement).into_response()),
        Err(e @ lookup::PointError::Invalid(_)) => Err(ApiError::BadRequest(e.to_string())),
        Err(e @ lookup::PointError::Outside { .. }) => Err(ApiError::NotFound(e.to_string())),
    }
}

#[derive(Deserialize)]
struct SearchParams {
    q: Option<String>,
    limit: Option<String>,
}

async fn search(
    State(state): State<AppState>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = params.map_err(bad_query)?;
    let q = p.q.ok_or_else(|| {
        ApiError::BadRequest("paramètre « q » absent, par exemple /api/search?q=creteil".into())
    })?;
    if q.chars().count() > lookup::search::MAX_QUERY_CHARS {
        return Err(ApiError::BadRequest(format!(
            "recherche trop longue ({} caractères au plus)",
            lookup::search::MAX_QUERY_CHARS
        )));
    }
    let limit = match p.limit.as_deref().map(str::trim) {
        None | Some("") => DEFAULT_LIMIT,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "paramètre « limit » : « {} » n'est pas un entier entre 1 et {MAX_LIMIT}",
                    l.chars().take(20).collect::<String>()
                )));
            }
        },
    };
    let s = state.snapshot();
    let results = s.lookup.gazetteer.search(&q, limit);
    Ok(Json(lookup::search::Answer::new(&q, &results)).into_response())
}

async fn es_list(State(state): State<AppState>) -> Response {
    let s = state.snapshot();
    Json(s.lookup.locator.directory()).into_response()
}

async fn es_card(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let s = state.snapshot();
    match s.lookup.locator.es_card(&code) {
        Some(card) => Ok(Json(card).into_response()),
        None => Err(ApiError::NotFound(format!(
            "Espace de Solidarité inconnu « {} »",
            code.chars().take(40).collect::<String>()
        ))),
    }
}
