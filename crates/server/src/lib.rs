//! The HTTP server of observatoire. It owns no statistics and no geometry algorithm: at load it
//! asks the lower crates for what they computed (zones, and each capability's derived data)
//! and serves it. Each capability adds its routes in a module of `routes`.
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;

pub mod access;
pub mod config;
pub mod error;
pub mod routes;
pub mod state;

pub use access::Audience;
pub use config::ServerConfig;
pub use error::ApiError;
pub use state::{AppState, Snapshot};

/// The whole application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(routes::health::routes())
        .merge(routes::zones::routes())
        .merge(routes::indicators::routes())
        .merge(routes::lookup::routes())
        .merge(routes::tiles::routes())
        .merge(routes::export::routes())
        .merge(routes::map::routes())
        .with_state(state)
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// Serve until Ctrl-C or SIGTERM; requests in flight finish before the server stops.
pub async fn serve(addr: SocketAddr, state: AppState) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!("listening on {}", listener.local_addr()?);
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

/// Serve on an already bound listener (tests bind port 0).
pub async fn serve_on(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Convenience for tests and the binary: state from a bundle.
pub fn state_from(bundle: zones::Bundle) -> AppState {
    AppState::new(Arc::new(Snapshot::new(bundle)))
}
