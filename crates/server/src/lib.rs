//! The HTTP server of observatoire. It owns no statistics and no geometry algorithm: at load it
//! asks the lower crates for what they computed (zones, and each capability's derived data)
//! and serves it. Each capability adds its routes in a module of `routes`.
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;

pub mod access;
pub mod config;
pub mod error;
pub mod hardening;
pub mod metrics;
pub mod negotiate;
pub mod reload;
pub mod routes;
pub mod state;

pub use access::Audience;
pub use config::ServerConfig;
pub use error::ApiError;
pub use reload::{ReloadError, Reloader};
pub use state::{AppState, Snapshot};

/// The whole application.
pub fn router(state: AppState) -> Router {
    let app = Router::new()
        .merge(routes::health::routes())
        .merge(routes::zones::routes())
        .merge(routes::indicators::routes())
        .merge(routes::lookup::routes())
        .merge(routes::tiles::routes())
        .merge(routes::export::routes())
        .merge(routes::map::routes())
        .merge(routes::admin::routes(state.config()))
        .merge(routes::connexion::routes())
        // Who is asking (public or internal), worked out once per request: see `access`.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            access::identify,
        ));
    // Limits, security headers, JSON errors, metrics, trace: see `hardening`. The tile route
    // answers stored bytes for everyone: it gets only the layers such an answer needs.
    let tiles = hardening::apply_light(routes::tiles::tile_routes(), &state);
    hardening::apply(app, &state).merge(tiles).with_state(state)
}

/// Serve until Ctrl-C or SIGTERM; requests in flight finish before the server stops.
pub async fn serve(addr: SocketAddr, state: AppState) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    serve_on(listener, state).await
}

/// Serve on an already bound listener (tests bind port 0). With a [`Reloader`], `SIGHUP`
/// reloads the bundle. On Ctrl-C or SIGTERM the server stops accepting connections and lets
/// the requests in flight finish, for at most the request timeout and five seconds more.
pub async fn serve_on(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    tracing::info!(
        addr = %listener.local_addr()?,
        version = %state.snapshot().version,
        "serveur à l'écoute"
    );
    let grace = std::time::Duration::from_secs(state.config().http.request_timeout_s + 5);
    let sighup = state
        .reloader()
        .is_some()
        .then(|| tokio::spawn(reload::on_sighup(state.clone())));
    let (stopping_tx, mut stopping) = tokio::sync::watch::channel(false);
    let server = std::future::IntoFuture::into_future(
        axum::serve(
            listener,
            // The peer address tells whether a `trusted_header` comes from a trusted proxy.
            router(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            tracing::info!("arrêt demandé : fin des requêtes en cours");
            let _ = stopping_tx.send(true);
        }),
    );
    let deadline = async move {
        if stopping.wait_for(|s| *s).await.is_err() {
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(grace).await;
    };
    let result = tokio::select! {
        r = server => r,
        () = deadline => {
            tracing::warn!("arrêt forcé : des requêtes duraient encore après {} s", grace.as_secs());
            Ok(())
        }
    };
    if let Some(task) = sighup {
        task.abort();
    }
    tracing::info!("serveur arrêté");
    result
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
