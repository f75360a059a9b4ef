//! What the server serves: an immutable snapshot of one bundle and everything derived from it,
//! swapped atomically when a new bundle is published (requests in flight keep the old one).
use arc_swap::ArcSwap;
use std::sync::Arc;

use crate::config::ServerConfig;
use crate::metrics::Metrics;
use crate::reload::Reloader;

/// One loaded bundle and the data each capability derives from it at load time.
pub struct Snapshot {
    pub bundle: zones::Bundle,
    /// Short content version of the bundle, used in versioned URLs and ETags.
    pub version: String,
    /// Point → IRIS/commune/ES/territoire index and the search (`lookup` crate).
    pub lookup: lookup::Lookup,
    /// The MVT pyramid of every level, gzip-compressed (`tiles` crate), built at load; the
    /// error in French when it could not be built (tile routes then answer 500).
    pub tiles: Result<tiles::Tileset, String>,
    /// The computed indicators (bundle section), `None` when the bundle has none.
    pub indicators: Option<indicators::IndicatorSet>,
    /// Time taken to derive all of the above from the bundle.
    pub built_in: std::time::Duration,
}

impl Snapshot {
    pub fn new(bundle: zones::Bundle) -> Snapshot {
        let started = std::time::Instant::now();
        let version = format!("{:016x}", content_hash(&bundle));
        let lookup = lookup::Lookup::new(&bundle);
        let indicators = bundle
            .section::<indicators::IndicatorSet>(indicators::SECTION)
            .unwrap_or_else(|e| {
                tracing::error!("indicateurs illisibles dans le paquet : {e}");
                None
            });
        let tiles = tiles::TileOptions::from_env()
            .and_then(|o| tiles::Tileset::build(&bundle, o))
            .map_err(|e| {
                tracing::error!("tuiles : {e}");
                e.to_string()
            });
        Snapshot {
            bundle,
            version,
            lookup,
            tiles,
            indicators,
            built_in: started.elapsed(),
        }
    }

    /// A snapshot whose search also knows the town halls and the imported BAN addresses.
    pub fn with_places(bundle: zones::Bundle, places: lookup::Places) -> Snapshot {
        let started = std::time::Instant::now();
        let mut s = Snapshot::new(bundle);
        s.lookup.set_places(&s.bundle, places);
        s.built_in = started.elapsed();
        s
    }
}

/// FNV-1a of the encoded bundle: stable across runs, changes with any content change.
fn content_hash(bundle: &zones::Bundle) -> u64 {
    let bytes = bundle.to_bytes().unwrap_or_default();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[derive(Clone)]
pub struct AppState {
    current: Arc<ArcSwap<Snapshot>>,
    config: Arc<ServerConfig>,
    /// How to reload the bundle (`SIGHUP`, `POST /admin/reload`); `None`: reloading disabled.
    reloader: Option<Arc<Reloader>>,
    metrics: Arc<Metrics>,
    /// `Vary` of audience-dependent answers, from the access settings (computed once).
    vary: axum::http::HeaderValue,
}

impl AppState {
    /// A state with the default settings (public indicators only, CORS off).
    pub fn new(snapshot: Arc<Snapshot>) -> AppState {
        AppState::with_config(snapshot, ServerConfig::default())
    }

    pub fn with_config(snapshot: Arc<Snapshot>, config: ServerConfig) -> AppState {
        let metrics = Arc::new(Metrics::new());
        metrics.published(&snapshot);
        let vary = axum::http::HeaderValue::from_str(&crate::Audience::vary(&config.access))
            .unwrap_or(axum::http::HeaderValue::from_static(
                "Authorization, Cookie",
            ));
        AppState {
            current: Arc::new(ArcSwap::new(snapshot)),
            config: Arc::new(config),
            reloader: None,
            metrics,
            vary,
        }
    }

    /// The same state, able to reload its bundle with `reloader`.
    pub fn with_reloader(mut self, reloader: Reloader) -> AppState {
        self.reloader = Some(Arc::new(reloader));
        self
    }

    pub fn reloader(&self) -> Option<&Arc<Reloader>> {
        self.reloader.as_ref()
    }

    /// `Vary` of the answers that depend on the audience.
    pub fn vary(&self) -> &axum::http::HeaderValue {
        &self.vary
    }

    /// The counters of `GET /metrics`.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The server's settings (access, HTTP limits).
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// The snapshot to answer one request with.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Publish a new snapshot; later requests see it, requests in flight keep theirs.
    pub fn publish(&self, snapshot: Arc<Snapshot>) {
        self.metrics.published(&snapshot);
        self.current.store(snapshot);
    }
}
