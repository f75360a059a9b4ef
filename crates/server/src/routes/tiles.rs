//! Vector tiles, precomputed by the `tiles` crate at load and served from memory:
//!
//! - `GET /tiles/{level}.json`: TileJSON 3.0.0 of a level (`iris`, `commune`, `es`,
//!   `territoire`, `departement`, `qpv` when the bundle has QPV contours). Revalidated at each
//!   use (`no-cache` + ETag), since it names the current tile version.
//! - `GET /tiles/{level}/{version}/{z}/{x}/{y}.mvt`: one MVT 2.1 tile, gzip as stored
//!   (inflated for the rare client that does not accept gzip). `version` is the content hash of
//!   the level's pyramid, so the URL is immutable: `Cache-Control: immutable`, strong ETag,
//!   `304` on `If-None-Match`. A tile with no zone is `204` (same caching). Bad coordinates are
//!   `400`, an unknown level or a stale version `404`; nothing here panics.
//!
//! Tiles carry the geometry, `code` and `name` of the zones only — never an indicator value —
//! so they are the same for every audience and stay public and immutable (no `Vary`). The page
//! colours them from `/api/indicators/{id}` and the style's `match` on zone codes; the values
//! of an internal indicator therefore travel only in those authenticated, non-cacheable
//! answers, never in a tile (see `crate::access`; `tests/access.rs` decodes the tiles to check).
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use zones::Level;

use crate::negotiate::{accepts_gzip, etag_matches};
use crate::{ApiError, AppState};

const MVT: &str = "application/vnd.mapbox-vector-tile";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// TileJSON of each level (dynamic JSON: goes through the whole hardening stack).
pub fn routes() -> Router<AppState> {
    Router::new().route("/tiles/{file}", get(tilejson))
}

/// The tiles themselves: immutable bytes from memory, the hottest route, mounted by
/// `crate::router` with the light stack of `hardening::apply_light`.
pub fn tile_routes() -> Router<AppState> {
    Router::new().route("/tiles/{level}/{version}/{z}/{x}/{y}", get(tile))
    // Cross-origin use follows `[http] cors_origins` like every route (off by default); a map
    // hosted elsewhere uses the PMTiles export or a configured origin.
}

fn level_of(s: &str) -> Result<Level, ApiError> {
    Level::parse(s).ok_or_else(|| {
        ApiError::NotFound(format!(
            "niveau inconnu « {} » : iris, commune, es, territoire, departement ou qpv",
            s.chars().take(40).collect::<String>()
        ))
    })
}

fn level_tiles(
    tiles: &Result<tiles::Tileset, String>,
    level: Level,
) -> Result<&tiles::LevelTiles, ApiError> {
    let ts = tiles
        .as_ref()
        .map_err(|e| ApiError::Internal(format!("pyramide indisponible : {e}")))?;
    ts.level(level).ok_or_else(|| {
        ApiError::NotFound(format!(
            "pas de tuiles pour le niveau {} (contours absents du paquet)",
            level.key()
        ))
    })
}

/// `http(s)://host` of the request, for absolute tile URLs (MapLibre wants them absolute).
/// Honours `X-Forwarded-Proto` / `X-Forwarded-Host` from a reverse proxy; a host with
/// unexpected characters falls back to `localhost` rather than being echoed.
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

async fn tilejson(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let name = file.strip_suffix(".json").ok_or_else(|| {
        ApiError::NotFound("attendu /tiles/{niveau}.json, par exemple /tiles/iris.json".into())
    })?;
    let level = level_of(name)?;
    let s = state.snapshot();
    let lt = level_tiles(&s.tiles, level)?;
    let ts = s
        .tiles
        .as_ref()
        .map_err(|e| ApiError::Internal(e.clone()))?;
    let url = format!(
        "{}/tiles/{}/{}/{{z}}/{{x}}/{{y}}.mvt",
        base_url(&headers),
        level.key(),
        lt.version
    );
    let body = tiles::tilejson::tilejson(lt, &ts.territory, &url).to_string();
    let etag = format!(
        "\"{:016x}\"",
        tiles::encode::fnv1a(body.as_bytes(), tiles::encode::FNV_OFFSET)
    );
    let mut resp = if etag_matches(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/json")], body).into_response()
    };
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    Ok(resp)
}

/// Parse a tile coordinate; the last one may carry `.mvt` or `.pbf`.
fn coord(s: &str, what: &str) -> Result<u32, ApiError> {
    let digits = s
        .strip_suffix(".mvt")
        .or_else(|| s.strip_suffix(".pbf"))
        .unwrap_or(s);
    digits.parse::<u32>().map_err(|_| {
        ApiError::BadRequest(format!(
            "coordonnée de tuile invalide : {what} = « {} » (entier attendu)",
            s.chars().take(20).collect::<String>()
        ))
    })
}

async fn tile(
    State(state): State<AppState>,
    Path((level, version, z, x, y)): Path<(String, String, String, String, String)>,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    // The request's own headers, not a copy (`HeaderMap` as an extractor clones them): this
    // is the hottest route.
    let headers = request.headers();
    let level = level_of(&level)?;
    let s = state.snapshot();
    let lt = level_tiles(&s.tiles, level)?;
    if z.ends_with(".mvt") || x.ends_with(".mvt") {
        return Err(ApiError::BadRequest("attendu …/{z}/{x}/{y}.mvt".into()));
    }
    let (z, x, y) = (coord(&z, "z")?, coord(&x, "x")?, coord(&y, "y")?);
    if z < u32::from(lt.min_zoom) || z > u32::from(lt.max_zoom) {
        return Err(ApiError::BadRequest(format!(
            "zoom {z} hors de la pyramide ({} à {})",
            lt.min_zoom, lt.max_zoom
        )));
    }
    if u64::from(x) >= 1 << z || u64::from(y) >= 1 << z {
        return Err(ApiError::BadRequest(format!(
            "tuile {z}/{x}/{y} hors du monde (x et y < {} au zoom {z})",
            1u64 << z
        )));
    }
    if version != lt.version {
        let mut resp = ApiError::NotFound(format!(
            "version de tuiles périmée ou inconnue ; relisez /tiles/{}.json",
            level.key()
        ))
        .into_response();
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        return Ok(resp);
    }
    let Some(t) = lt.get(z as u8, x, y) else {
        // No zone here: an empty tile, as cacheable as any other.
        let mut resp = StatusCode::NO_CONTENT.into_response();
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
        return Ok(resp);
    };
    let etag = format!("\"{:016x}\"", t.etag);
    let mut resp = if etag_matches(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if accepts_gzip(headers) {
        let mut r = Response::new(Body::from(t.gzip.clone()));
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        let raw = tiles::encode::gunzip(&t.gzip).map_err(|e| ApiError::Internal(e.to_string()))?;
        Response::new(Body::from(raw))
    };
    let ok = resp.status() == StatusCode::OK;
    let h = resp.headers_mut();
    if ok {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(MVT));
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_parsing() {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br, gzip;q=0.8"),
        );
        assert!(accepts_gzip(&h));
        h.insert(
            header::HOST,
            HeaderValue::from_static("carte.intranet:8080"),
        );
        assert_eq!(base_url(&h), "http://carte.intranet:8080");
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        h.insert("x-forwarded-host", HeaderValue::from_static("evil/\"host"));
        assert_eq!(base_url(&h), "https://localhost");
    }
}
