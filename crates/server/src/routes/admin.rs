//! Operations: `POST /admin/reload` (reload the bundle, admin token required) and
//! `GET /metrics` (Prometheus text format, unless `http.metrics = false`).
//!
//! `POST /admin/reload` with `Authorization: Bearer <admin token>`:
//! - `200 {"version", "previous", "duration_ms", "territoire"}`: the new bundle is served;
//! - `422 {"error"}`: the bundle was refused (unreadable, invalid…); the old one keeps serving;
//! - `401`: no admin token or a wrong one; `403`: no admin token is configured at all (reloading
//!   over HTTP is then disabled; `SIGHUP` still works); `503`: this server cannot reload.
use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::net::SocketAddr;

use crate::config::ServerConfig;
use crate::hardening::json_error;
use crate::reload::{ReloadError, reload};
use crate::{AppState, access};

pub fn routes(config: &ServerConfig) -> Router<AppState> {
    let router = Router::new().route("/admin/reload", post(reload_route));
    if config.http.metrics {
        router.route("/metrics", get(crate::metrics::handler))
    } else {
        router
    }
}

async fn reload_route(State(state): State<AppState>, req: Request) -> Response {
    let (parts, _body) = req.into_parts();
    let access = &state.config().access;
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_default();
    if access.admin_tokens.is_empty() {
        tracing::warn!(
            peer,
            "rechargement refusé : aucun jeton d'administration configuré"
        );
        return json_error(
            StatusCode::FORBIDDEN,
            "rechargement désactivé : aucun jeton d'administration configuré",
        );
    }
    if !access::is_admin(access, &parts) {
        tracing::warn!(
            peer,
            "rechargement refusé : jeton d'administration absent ou invalide"
        );
        let mut resp = json_error(
            StatusCode::UNAUTHORIZED,
            "jeton d'administration absent ou invalide (Authorization: Bearer …)",
        );
        resp.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"observatoire\""),
        );
        return resp;
    }
    match reload(&state, "POST /admin/reload").await {
        Ok(done) => {
            let mut resp = axum::Json(done).into_response();
            resp.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            resp
        }
        Err(e @ ReloadError::Unavailable) => {
            json_error(StatusCode::SERVICE_UNAVAILABLE, e.to_string())
        }
        Err(e) => json_error(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
    }
}
