//! `GET /metrics`: the server's counters in the Prometheus text format (0.0.4), with the
//! `prometheus-client` crate. Off when `http.metrics = false` in the settings.
//!
//! - `observatoire_http_requests_total{route, method, status}`: requests by matched route
//!   template (`/tiles/{level}/{version}/{z}/{x}/{y}`, never the raw path, so the number of
//!   series stays bounded; `(aucune)` for paths no route matches), method (`GET`, `HEAD`,
//!   `POST`, `OTHER`) and status class (`2xx`…);
//! - `observatoire_http_request_duration_seconds{route}`: latency histogram, until the answer's
//!   headers are ready (a streamed body may take longer);
//! - `observatoire_tiles_served_total{level}`: vector tiles answered with content;
//! - `observatoire_bundle_info{version, territoire}`: 1 for the bundle being served;
//! - `observatoire_reloads_total{result}`: reloads by result (`ok`, `refus`);
//! - `observatoire_snapshot_load_duration_seconds`: time taken to derive the served data
//!   (index, tiles, indicators) from the current bundle;
//! - `observatoire_snapshot_loaded_timestamp_seconds`: when it was published.
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::{AppState, Snapshot};

/// The route template of vector tiles, as registered in `routes::tiles`.
const TILE_ROUTE: &str = "/tiles/{level}/{version}/{z}/{x}/{y}";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    method: &'static str,
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LevelLabels {
    level: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BundleLabels {
    version: String,
    territoire: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabels {
    result: &'static str,
}

fn latency_histogram() -> Histogram {
    Histogram::new([
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    ])
}

/// Every metric of one server (each [`AppState`] has its own, so that tests running several
/// servers in one process do not mix their counts).
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    tiles: Family<LevelLabels, Counter>,
    bundle: Family<BundleLabels, Gauge>,
    reloads: Family<ResultLabels, Counter>,
    load_seconds: Gauge<f64, AtomicU64>,
    loaded_at: Gauge<f64, AtomicU64>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("observatoire");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram,
        );
        let tiles = Family::<LevelLabels, Counter>::default();
        let bundle = Family::<BundleLabels, Gauge>::default();
        let reloads = Family::<ResultLabels, Counter>::default();
        let load_seconds = Gauge::<f64, AtomicU64>::default();
        let loaded_at = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route template, method and status class",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer (until the headers are ready), by route template",
            latency.clone(),
        );
        registry.register(
            "tiles_served",
            "Vector tiles answered with content, by level",
            tiles.clone(),
        );
        registry.register(
            "bundle_info",
            "The bundle being served (value 1)",
            bundle.clone(),
        );
        registry.register(
            "reloads",
            "Reloads of the bundle by result",
            reloads.clone(),
        );
        registry.register(
            "snapshot_load_duration_seconds",
            "Time taken to derive the served data from the current bundle",
            load_seconds.clone(),
        );
        registry.register(
            "snapshot_loaded_timestamp_seconds",
            "When the current bundle was published (Unix time)",
            loaded_at.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            tiles,
            bundle,
            reloads,
            load_seconds,
            loaded_at,
        }
    }

    /// The served bundle changed (start or reload).
    pub fn published(&self, snapshot: &Snapshot) {
        self.bundle.clear();
        self.bundle
            .get_or_create(&BundleLabels {
                version: snapshot.version.clone(),
                territoire: snapshot.bundle.meta.name.clone(),
            })
            .set(1);
        self.load_seconds.set(snapshot.built_in.as_secs_f64());
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        self.loaded_at.set(now.as_secs_f64());
    }

    /// A reload ended (`ok` or `refus`).
    pub fn reloaded(&self, ok: bool) {
        self.reloads
            .get_or_create(&ResultLabels {
                result: if ok { "ok" } else { "refus" },
            })
            .inc();
    }

    fn record(&self, route: &'static str, method: &Method, status: u16, elapsed: Duration) {
        let method = match *method {
            Method::GET => "GET",
            Method::HEAD => "HEAD",
            Method::POST => "POST",
            _ => "OTHER",
        };
        let status = match status {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        self.requests
            .get_or_create(&RequestLabels {
                route,
                method,
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { route })
            .observe(elapsed.as_secs_f64());
    }

    fn tile_served(&self, level: &'static str) {
        self.tiles.get_or_create(&LevelLabels { level }).inc();
    }

    /// The text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if let Err(e) =
            prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)
        {
            tracing::error!("encodage des métriques : {e}");
        }
        out
    }
}

/// Middleware counting every request by its matched route (add with `Router::layer`, where
/// `MatchedPath` is known).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("(aucune)", |m| intern(m.as_str()));
    let method = req.method().clone();
    // The level of a tile, from the path the tile route matched (one of the known levels, so
    // the label stays bounded).
    let tile_level = (route == TILE_ROUTE)
        .then(|| {
            req.uri()
                .path()
                .split('/')
                .nth(2)
                .and_then(zones::Level::parse)
                .map(zones::Level::key)
        })
        .flatten();
    let response = next.run(req).await;
    let metrics = state.metrics();
    let status = response.status().as_u16();
    metrics.record(route, &method, status, started.elapsed());
    if let Some(level) = tile_level
        && status == 200
    {
        metrics.tile_served(level);
    }
    response
}

/// The route template as a `&'static str` label: the templates are the router's, a small
/// fixed set, so each is leaked once rather than allocated on every request.
fn intern(route: &str) -> &'static str {
    static SEEN: std::sync::RwLock<Vec<&'static str>> = std::sync::RwLock::new(Vec::new());
    if let Ok(seen) = SEEN.read()
        && let Some(r) = seen.iter().find(|r| **r == route)
    {
        return r;
    }
    let mut seen = SEEN
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(r) = seen.iter().find(|r| **r == route) {
        return r;
    }
    let r: &'static str = Box::leak(route.to_owned().into_boxed_str());
    seen.push(r);
    r
}

/// `GET /metrics`.
pub async fn handler(State(state): State<AppState>) -> Response {
    let mut resp = state.metrics().encode().into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(prometheus_client::encoding::prometheus_text::CONTENT_TYPE),
    );
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}
