//! `GET /api/zones/{level}`: a level as RFC 7946 GeoJSON (`?format=csv` for the table).
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use zones::Level;

use crate::{ApiError, AppState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/zones/{level}", get(level_zones))
        .route("/api/context", get(context))
}

#[derive(Deserialize)]
struct Params {
    format: Option<String>,
}

pub(crate) fn parse_level(level: &str) -> Result<Level, ApiError> {
    Level::parse(level).ok_or_else(|| {
        ApiError::NotFound(format!(
            "niveau inconnu « {level} » : iris, commune, es, territoire, departement ou qpv"
        ))
    })
}

async fn level_zones(
    State(state): State<AppState>,
    Path(level): Path<String>,
    Query(p): Query<Params>,
) -> Result<Response, ApiError> {
    let level = parse_level(&level)?;
    let s = state.snapshot();
    match p.format.as_deref() {
        None | Some("geojson") => {
            let fc = zones::export::geojson(&s.bundle, level)
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            Ok(([(header::CONTENT_TYPE, "application/geo+json")], Json(fc)).into_response())
        }
        Some("csv") => {
            let mut out = String::new();
            let line = |cells: Vec<String>| {
                cells
                    .iter()
                    .map(|c| csv_cell(c))
                    .collect::<Vec<_>>()
                    .join(",")
                    + "\r\n"
            };
            out.push_str(&line(
                zones::export::columns(level)
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
            ));
            for row in zones::export::rows(&s.bundle, level) {
                out.push_str(&line(row));
            }
            Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], out).into_response())
        }
        Some(other) => Err(ApiError::BadRequest(format!(
            "format inconnu « {other} » : geojson ou csv"
        ))),
    }
}

/// RFC 4180 quoting.
fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `GET /api/context`: neighbouring territories for grey context (GeoJSON).
async fn context(State(state): State<AppState>) -> Result<Response, ApiError> {
    let fc = zones::export::context_geojson(&state.snapshot().bundle)
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/geo+json")], Json(fc)).into_response())
}
