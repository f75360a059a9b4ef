//! HTTP hardening, in one place: every layer the whole application goes through (the limits
//! on expensive export parameters are the export routes' own, `routes::export::export_limits`).
//!
//! From the outside in (see [`apply`]):
//! 1. metrics (`GET /metrics` counts, by matched route template);
//! 2. trace (a `tracing` span per request, with its route);
//! 3. security headers on every answer ([`CSP`], `X-Content-Type-Options`, `Referrer-Policy`,
//!    `X-Frame-Options`);
//! 4. CORS, only when `http.cors_origins` lists origins (GET and HEAD, those origins only);
//!    the tile routes keep their own public `*` (boundaries, for any map client);
//! 5. gzip compression of dynamic answers (JSON, CSV, SVG…); answers that already carry a
//!    `Content-Encoding` (pre-compressed tiles and page assets) pass untouched, PNG and PDF are
//!    not recompressed;
//! 6. errors as JSON: any 4xx/5xx answer that is not JSON already (a limit, a timeout, a
//!    framework rejection) becomes `{"error": "…"}` in French;
//! 7. request header size (`http.max_header_bytes`, 431);
//! 8. request body size (`http.max_body_bytes`, 413);
//! 9. request timeout (`http.request_timeout_s`, 503);
//! 10. panics in a handler become a 500 `{"error": "erreur interne"}`, details in the log only.
//!
//! Unknown paths answer a JSON 404, wrong methods a JSON 405. No route reads the file system
//! (page assets are embedded, looked up by name), so there is no path to traverse.
use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::AppState;
use crate::config::HttpConfig;

/// The Content-Security-Policy of every answer. The map page needs `blob:` workers (MapLibre GL
/// JS starts its workers from a blob URL) and `data:`/`blob:` images (MapLibre's control icons,
/// the empty favicon); everything else comes from this server, with no inline script or style
/// attribute (the pages' scripts and styles are external files; scripts set styles through
/// the CSSOM, which CSP allows).
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
img-src 'self' data: blob:; font-src 'self'; worker-src 'self' blob:; child-src blob:; \
connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; \
form-action 'self'";

/// A JSON error answer `{"error": message}`.
pub fn json_error(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "error": message.into() })),
    )
        .into_response()
}

/// The application's router wrapped in every hardening layer.
pub fn apply(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let http = &state.config().http;
    let mut router = router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(http.request_timeout_s),
        ))
        .layer(RequestBodyLimitLayer::new(http.max_body_bytes))
        .layer(middleware::from_fn_with_state(
            http.max_header_bytes,
            header_limit,
        ))
        .layer(middleware::from_fn_with_state(
            http.max_body_bytes,
            json_errors,
        ))
        .layer(
            CompressionLayer::new().gzip(true).compress_when(
                DefaultPredicate::new()
                    .and(NotForContentType::const_new("application/pdf"))
                    .and(NotForContentType::const_new("application/zip")),
            ),
        );
    if let Some(cors) = cors(http) {
        router = router.layer(cors);
    }
    router
        .layer(middleware::map_response(security_headers))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map(MatchedPath::as_str)
                .unwrap_or("(aucune)");
            // Debug level: a span per request costs an allocation when enabled; the
            // default log filter (`server=info`) leaves it off.
            tracing::debug_span!("requete", method = %req.method(), route)
        }))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::track,
        ))
}

/// The layers of the tile route, which answers immutable in-memory bytes to everyone: metrics,
/// security headers, CORS as configured, JSON errors and panic catching. Left out on purpose:
/// the audience (tiles carry no indicator value), compression (tiles are stored gzipped),
/// body limit and timeout (the handler reads no body and never waits), the trace span (debug
/// level) and the header-size check (hyper's own limits still apply). Each `from_fn` layer
/// costs a boxed future per request, which shows at 15,000 tiles a second.
pub fn apply_light(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let http = &state.config().http;
    let mut router = router.layer(CatchPanicLayer::custom(panic_response)).layer(
        middleware::from_fn_with_state(http.max_body_bytes, json_errors),
    );
    if let Some(cors) = cors(http) {
        router = router.layer(cors);
    }
    router
        .layer(middleware::map_response(security_headers))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::track,
        ))
}

/// CORS for the configured origins only (none by default: no CORS header at all).
pub fn cors(http: &HttpConfig) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = http
        .cors_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o.trim_end_matches('/')).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::HEAD])
            .expose_headers([header::ETAG, header::CONTENT_DISPOSITION]),
    )
}

async fn security_headers(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ] {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    }
    resp
}

async fn not_found() -> Response {
    json_error(StatusCode::NOT_FOUND, "page introuvable")
}

async fn method_not_allowed() -> Response {
    json_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "méthode non autorisée pour cette adresse",
    )
}

fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(sans message)");
    tracing::error!(panic = detail, "panique dans un gestionnaire de requête");
    json_error(StatusCode::INTERNAL_SERVER_ERROR, "erreur interne")
}

/// 431 when the request's headers (names, values and their separators) exceed `max` bytes.
async fn header_limit(State(max): State<usize>, req: Request, next: Next) -> Response {
    let total: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum();
    if total > max {
        return json_error(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!("en-têtes de requête trop volumineux ({total} octets, au plus {max})"),
        );
    }
    next.run(req).await
}

/// Turn any error answer that is not JSON into `{"error": "…"}` in French, keeping its status
/// and headers (`Allow`, `WWW-Authenticate`…). A short plain-text message of the framework
/// (a rejected query string) is kept after the French one; nothing else of the body is.
async fn json_errors(State(max_body): State<usize>, req: Request, next: Next) -> Response {
    let head = req.method() == Method::HEAD;
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let content_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    // JSON already, or a page written for people (the sign-in page's 401 « jeton refusé »).
    if content_type.starts_with("application/json")
        || content_type.contains("+json")
        || content_type.starts_with("text/html")
    {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let detail = if content_type.starts_with("text/plain")
        && parts.headers.get(header::CONTENT_ENCODING).is_none()
    {
        axum::body::to_bytes(body, 1024)
            .await
            .ok()
            .and_then(|b| String::from_utf8(b.to_vec()).ok())
            .map(|s| s.trim().chars().take(300).collect::<String>())
            .filter(|s| !s.is_empty())
    } else {
        None
    };
    let message = match status {
        StatusCode::BAD_REQUEST => match detail {
            Some(d) => format!("requête invalide : {d}"),
            None => "requête invalide".into(),
        },
        StatusCode::UNAUTHORIZED => "authentification requise".into(),
        StatusCode::FORBIDDEN => "accès refusé".into(),
        StatusCode::NOT_FOUND => "page introuvable".into(),
        StatusCode::METHOD_NOT_ALLOWED => "méthode non autorisée pour cette adresse".into(),
        StatusCode::REQUEST_TIMEOUT => "délai de la requête dépassé".into(),
        StatusCode::PAYLOAD_TOO_LARGE => {
            format!("corps de requête trop volumineux (au plus {max_body} octets)")
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "type de contenu non pris en charge".into(),
        StatusCode::UNPROCESSABLE_ENTITY => "requête impossible à traiter".into(),
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "en-têtes de requête trop volumineux".into(),
        StatusCode::SERVICE_UNAVAILABLE => {
            "délai de traitement dépassé ou service momentanément indisponible ; réessayez".into()
        }
        s if s.is_server_error() => "erreur interne".into(),
        _ => "requête refusée".into(),
    };
    let json = serde_json::json!({ "error": message }).to_string();
    parts.headers.remove(header::CONTENT_ENCODING);
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = if head {
        Body::empty()
    } else {
        Body::from(json)
    };
    Response::from_parts(parts, body)
}
