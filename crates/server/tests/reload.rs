//! Reloading the bundle over real HTTP on a loopback port (`POST /admin/reload`): the switch is
//! atomic (a request in flight finishes on the snapshot it started with, the next one sees the
//! new bundle), a truncated, foreign or crafted bundle is refused with a 422 while the old one
//! keeps serving, concurrent reloads are serialised, a panicking loader is contained, and the
//! admin token is required. Bundles are small synthetic territories (`zones::synthetic`).
use axum::Router;
use axum::routing::get;
use server::config::{ServerConfig, TokenHash, token_hash};
use server::reload::{ReloadError, build_snapshot, read_bundle};
use server::{AppState, Reloader, Snapshot};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

const ADMIN: &str = "adm1n-t0k3n";

fn admin_config() -> ServerConfig {
    let mut c = ServerConfig::default();
    c.access.admin_tokens = vec![TokenHash {
        name: "deploiement".into(),
        sha256: token_hash(ADMIN),
    }];
    c
}

/// A state serving the bundle at `path`, reloading from the same path.
fn state_for(path: &Path, config: ServerConfig) -> AppState {
    let snapshot = build_snapshot(read_bundle(path).expect("valid bundle"), None).unwrap();
    let p: PathBuf = path.to_path_buf();
    AppState::with_config(Arc::new(snapshot), config).with_reloader(Reloader::new(move || {
        build_snapshot(read_bundle(&p)?, None)
    }))
}

/// Serve the application, plus `/test/slow`: a request that takes the current snapshot, waits
/// a second, then answers the version it holds (as a long export would).
async fn start(state: AppState) -> String {
    let slow_state = state.clone();
    let app = server::router(state).merge(Router::new().route(
        "/test/slow",
        get(move || {
            let s = slow_state.clone();
            async move {
                let held = s.snapshot();
                tokio::time::sleep(Duration::from_millis(1000)).await;
                held.version.clone()
            }
        }),
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    format!("http://{addr}")
}

async fn version(base: &str) -> String {
    let v: serde_json::Value = reqwest::get(format!("{base}/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["version"].as_str().unwrap().to_string()
}

async fn reload(base: &str, token: Option<&str>) -> (u16, serde_json::Value) {
    let mut req = reqwest::Client::new().post(format!("{base}/admin/reload"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    assert_eq!(
        r.headers()["content-type"],
        "application/json",
        "status {status}"
    );
    (status, r.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_switches_atomically_and_refuses_bad_bundles() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("territoire.bundle");
    zones::synthetic::bundle(6).save(&path).unwrap();
    let state = state_for(&path, admin_config());
    let base = start(state.clone()).await;
    let v1 = version(&base).await;

    // No token, a wrong token, a reader's idea of a token: 401, nothing changes.
    let (s, body) = reload(&base, None).await;
    assert_eq!(s, 401, "{body}");
    assert!(body["error"].as_str().unwrap().contains("jeton"), "{body}");
    let (s, _) = reload(&base, Some("wrong")).await;
    assert_eq!(s, 401);

    // A request in flight holds the old snapshot through the switch.
    let slow = tokio::spawn({
        let base = base.clone();
        async move {
            reqwest::get(format!("{base}/test/slow"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    zones::synthetic::bundle(8).save(&path).unwrap();
    let (s, body) = reload(&base, Some(ADMIN)).await;
    assert_eq!(s, 200, "{body}");
    let v2 = body["version"].as_str().unwrap().to_string();
    assert_ne!(v2, v1);
    assert_eq!(body["previous"], v1.as_str());
    assert!(body["duration_ms"].is_u64(), "{body}");
    assert_eq!(version(&base).await, v2, "new requests see the new bundle");
    assert_eq!(
        slow.await.unwrap(),
        v1,
        "the request in flight finished on the old bundle"
    );
    // The new bundle is really served: 8 × 8 IRIS.
    let iris: serde_json::Value = reqwest::get(format!("{base}/api/zones/iris"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(iris["features"].as_array().unwrap().len(), 64);

    // Refused bundles: truncated, not a bundle, crafted (an arc index far out of bounds, which
    // would make the tile builder index out of range). Each: 422 in French, old one served.
    let good = std::fs::read(&path).unwrap();
    std::fs::write(&path, &good[..good.len() / 2]).unwrap();
    let (s, body) = reload(&base, Some(ADMIN)).await;
    assert_eq!(s, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("paquet refusé"),
        "{body}"
    );
    assert!(
        body["error"].as_str().unwrap().contains("tronqué"),
        "{body}"
    );
    assert_eq!(version(&base).await, v2);

    std::fs::write(&path, b"{\"type\": \"FeatureCollection\"}").unwrap();
    let (s, _) = reload(&base, Some(ADMIN)).await;
    assert_eq!(s, 422);
    assert_eq!(version(&base).await, v2);

    let mut crafted = zones::synthetic::bundle(6);
    crafted.levels[1].1[0].geometry.polygons[0].rings[0][0] = 9_999_999;
    crafted.save(&path).unwrap();
    let (s, body) = reload(&base, Some(ADMIN)).await;
    assert_eq!(s, 422, "{body}");
    assert!(body["error"].as_str().unwrap().contains("arc"), "{body}");
    assert_eq!(version(&base).await, v2);

    std::fs::remove_file(&path).unwrap();
    let (s, _) = reload(&base, Some(ADMIN)).await;
    assert_eq!(s, 422);
    assert_eq!(version(&base).await, v2);

    // Concurrent reloads are serialised; both succeed and end on the same bundle.
    zones::synthetic::bundle(7).save(&path).unwrap();
    let (a, b) = tokio::join!(reload(&base, Some(ADMIN)), reload(&base, Some(ADMIN)));
    assert_eq!((a.0, b.0), (200, 200), "{} {}", a.1, b.1);
    assert_eq!(a.1["version"], b.1["version"]);
    let v3 = a.1["version"].as_str().unwrap().to_string();
    assert!(
        a.1["previous"] == v3.as_str() || b.1["previous"] == v3.as_str(),
        "one reload ran after the other: {} {}",
        a.1,
        b.1
    );
    assert_eq!(version(&base).await, v3);

    // The metrics count the reloads and name the bundle served.
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("observatoire_reloads_total{result=\"ok\"} 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("observatoire_reloads_total{result=\"refus\"} 4"),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!("observatoire_bundle_info{{version=\"{v3}\"")),
        "{metrics}"
    );
    assert!(!metrics.contains(&format!("version=\"{v1}\"")), "{metrics}");
}

#[tokio::test]
async fn without_admin_tokens_reloading_over_http_is_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.bundle");
    zones::synthetic::bundle(5).save(&path).unwrap();
    let base = start(state_for(&path, ServerConfig::default())).await;
    for token in [None, Some(ADMIN)] {
        let (s, body) = reload(&base, token).await;
        assert_eq!(s, 403, "{body}");
        assert_eq!(
            body["error"],
            "rechargement désactivé : aucun jeton d'administration configuré"
        );
    }
    // Not a GET route.
    let r = reqwest::get(format!("{base}/admin/reload")).await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["content-type"], "application/json");
}

#[tokio::test]
async fn a_server_that_cannot_reload_says_so() {
    let state = AppState::with_config(
        Arc::new(Snapshot::new(zones::synthetic::bundle(4))),
        admin_config(),
    );
    let base = start(state).await;
    let (s, body) = reload(&base, Some(ADMIN)).await;
    assert_eq!(s, 503, "{body}");
}

#[tokio::test]
async fn a_panicking_loader_is_contained_and_the_old_snapshot_stays() {
    let state = AppState::new(Arc::new(Snapshot::new(zones::synthetic::bundle(4))))
        .with_reloader(Reloader::new(|| panic!("chargeur en panne (test)")));
    let before = state.snapshot().version.clone();
    let e = server::reload::reload(&state, "test").await.unwrap_err();
    assert!(matches!(e, ReloadError::Panicked), "{e}");
    assert!(e.to_string().contains("paquet refusé"));
    assert_eq!(state.snapshot().version, before);
}

#[test]
fn a_held_snapshot_outlives_its_replacement() {
    let state = AppState::new(Arc::new(Snapshot::new(zones::synthetic::bundle(4))));
    let held = state.snapshot();
    let old = held.version.clone();
    state.publish(Arc::new(Snapshot::new(zones::synthetic::bundle(5))));
    assert_ne!(state.snapshot().version, old);
    // The old snapshot is intact and usable for as long as it is held.
    assert_eq!(held.version, old);
    assert_eq!(held.bundle.zones(zones::Level::Iris).len(), 16);
    assert!(held.tiles.is_ok());
    drop(held);
}

#[test]
fn read_bundle_checks_before_anything_is_derived() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.bundle");
    let mut b = zones::synthetic::bundle(4);
    b.topology.arcs[3].clear();
    b.save(&path).unwrap();
    let e = read_bundle(&path).unwrap_err().to_string();
    assert!(e.contains("arc 3"), "{e}");
    let mut b = zones::synthetic::bundle(4);
    b.sections
        .insert(indicators::SECTION.to_string(), vec![0xff; 7]);
    b.save(&path).unwrap();
    let e = read_bundle(&path).unwrap_err().to_string();
    assert!(e.contains("indicateurs"), "{e}");
}
