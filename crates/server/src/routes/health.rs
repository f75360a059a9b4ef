//! `GET /health`: 200 with the bundle version when ready.
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/health", get(health))
}

async fn health(State(state): State<AppState>) -> Json<Value> {
    let s = state.snapshot();
    Json(json!({ "status": "ok", "version": s.version, "territoire": s.bundle.meta.name }))
}
