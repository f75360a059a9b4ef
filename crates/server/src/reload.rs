//! Reloading the served data without stopping the server (`SIGHUP`, `POST /admin/reload`).
//!
//! Who owns what:
//! - the binary knows where the bundle is and what else a snapshot needs (town halls, BAN
//!   addresses beside the bundle): it hands the server a [`Reloader`], a closure that produces
//!   a new [`Snapshot`], usually with [`read_bundle`] then [`build_snapshot`];
//! - this module runs that closure off the request path (a blocking thread, panics caught),
//!   one reload at a time (a mutex), and publishes the result atomically with
//!   [`AppState::publish`]: requests in flight keep the snapshot they hold, later ones get the
//!   new one. A refused bundle changes nothing: the old one keeps serving.
//!
//! A bundle is refused when it cannot be read or decoded, is of another format version, fails
//! [`zones::Bundle::validate`] (structural integrity: arc references in bounds, rings closed,
//! levels nested, codes unique), has an unreadable indicator section, or when its tiles cannot
//! be built.
use serde::Serialize;
use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use crate::{AppState, Snapshot};

/// Why a reload did not happen, in French (sent to the caller, logged).
#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("rechargement indisponible : ce serveur ne sait pas relire son paquet")]
    Unavailable,
    #[error("paquet refusé : {0}")]
    Refused(String),
    #[error(
        "paquet refusé : erreur interne pendant la préparation de ses données (l'ancien paquet reste servi)"
    )]
    Panicked,
}

/// What a reload did, as `POST /admin/reload` answers it.
#[derive(Debug, Clone, Serialize)]
pub struct Reloaded {
    pub version: String,
    pub previous: String,
    pub duration_ms: u64,
    pub territoire: String,
}

type LoadFn = dyn Fn() -> Result<Snapshot, ReloadError> + Send + Sync;

/// How to produce a new snapshot, given to the server by whoever knows the files.
pub struct Reloader {
    load: Box<LoadFn>,
    lock: tokio::sync::Mutex<()>,
}

impl Reloader {
    /// `load` runs on a blocking thread; it may take seconds (tiles are built there).
    pub fn new(
        load: impl Fn() -> Result<Snapshot, ReloadError> + Send + Sync + 'static,
    ) -> Reloader {
        Reloader {
            load: Box::new(load),
            lock: tokio::sync::Mutex::new(()),
        }
    }
}

/// Read a bundle file and check it: decode (signature, format version, length), then
/// [`check_bundle`].
pub fn read_bundle(path: &Path) -> Result<zones::Bundle, ReloadError> {
    let bundle = zones::Bundle::load(path).map_err(|e| ReloadError::Refused(first_line(&e)))?;
    check_bundle(&bundle)?;
    Ok(bundle)
}

/// Structural checks of a decoded bundle, and the sections the server reads.
pub fn check_bundle(bundle: &zones::Bundle) -> Result<(), ReloadError> {
    bundle
        .validate()
        .map_err(|e| ReloadError::Refused(e.to_string()))?;
    bundle
        .section::<indicators::IndicatorSet>(indicators::SECTION)
        .map_err(|e| {
            ReloadError::Refused(format!(
                "section des indicateurs illisible ({})",
                first_line(&e)
            ))
        })?;
    Ok(())
}

/// A snapshot of a checked bundle; refused when its tiles cannot be built.
pub fn build_snapshot(
    bundle: zones::Bundle,
    places: Option<lookup::Places>,
) -> Result<Snapshot, ReloadError> {
    let snapshot = match places {
        Some(p) => Snapshot::with_places(bundle, p),
        None => Snapshot::new(bundle),
    };
    if let Err(e) = &snapshot.tiles {
        return Err(ReloadError::Refused(format!(
            "tuiles impossibles à construire ({e})"
        )));
    }
    Ok(snapshot)
}

fn first_line(e: &dyn std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or_default().to_string()
}

/// Reload now: build the new snapshot off the request path and publish it. Concurrent calls
/// wait for each other. The work runs in its own task, so that a caller that goes away (a
/// client that hangs up, a request timeout) does not interrupt a reload half-way.
pub async fn reload(state: &AppState, trigger: &'static str) -> Result<Reloaded, ReloadError> {
    let state = state.clone();
    match tokio::spawn(async move { reload_now(&state, trigger).await }).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "rechargement interrompu");
            Err(ReloadError::Panicked)
        }
    }
}

async fn reload_now(state: &AppState, trigger: &'static str) -> Result<Reloaded, ReloadError> {
    let Some(reloader) = state.reloader().cloned() else {
        return Err(ReloadError::Unavailable);
    };
    let _one_at_a_time = reloader.lock.lock().await;
    let previous = state.snapshot().version.clone();
    let started = Instant::now();
    tracing::info!(trigger, previous = %previous, "rechargement du paquet");
    let r = Arc::clone(&reloader);
    let built = tokio::task::spawn_blocking(move || {
        std::panic::catch_unwind(AssertUnwindSafe(|| (r.load)()))
    })
    .await;
    let result = match built {
        Ok(Ok(Ok(snapshot))) => Ok(snapshot),
        Ok(Ok(Err(e))) => Err(e),
        Ok(Err(_)) | Err(_) => Err(ReloadError::Panicked),
    };
    let duration_ms = started.elapsed().as_millis() as u64;
    match result {
        Ok(snapshot) => {
            let done = Reloaded {
                version: snapshot.version.clone(),
                previous,
                duration_ms,
                territoire: snapshot.bundle.meta.name.clone(),
            };
            state.publish(Arc::new(snapshot));
            state.metrics().reloaded(true);
            tracing::info!(
                trigger,
                version = %done.version,
                previous = %done.previous,
                duration_ms,
                "paquet rechargé"
            );
            Ok(done)
        }
        Err(e) => {
            state.metrics().reloaded(false);
            tracing::error!(trigger, error = %e, duration_ms, "rechargement refusé ; l'ancien paquet reste servi");
            Err(e)
        }
    }
}

/// Reload at each `SIGHUP` until the process ends (Unix only).
pub async fn on_sighup(state: AppState) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hup = match signal(SignalKind::hangup()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "SIGHUP non disponible : rechargement par signal désactivé");
                return;
            }
        };
        while hup.recv().await.is_some() {
            let _ = reload(&state, "SIGHUP").await;
        }
    }
    #[cfg(not(unix))]
    {
        let _ = state;
    }
}
