//! Real HTTP against the server on a loopback port, with the real Val-de-Marne bundle.
use std::path::PathBuf;

fn bundle() -> zones::Bundle {
    let config = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../boundaries/val-de-marne/observatoire.toml");
    let config = zones::Config::load(&config)
        .expect("default configuration (and ../shared/data beside the checkout)");
    zones::build(&config, &zones::build::Silent)
        .expect("build")
        .0
}

async fn start() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let state = server::state_from(bundle());
    tokio::spawn(server::serve_on(listener, state));
    format!("http://{addr}")
}

#[tokio::test]
async fn health_and_zones() {
    let base = start().await;
    let health: serde_json::Value = reqwest::get(format!("{base}/health"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    assert_eq!(health["version"].as_str().unwrap().len(), 16);

    let resp = reqwest::get(format!("{base}/api/zones/es")).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/geo+json");
    let fc: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(fc["features"].as_array().unwrap().len(), 20);

    let csv = reqwest::get(format!("{base}/api/zones/commune?format=csv"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 48);
    assert!(csv.contains("94028,Créteil"));

    let unknown = reqwest::get(format!("{base}/api/zones/canton"))
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let body: serde_json::Value = unknown.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("niveau inconnu"));

    let bad = reqwest::get(format!("{base}/api/zones/es?format=pdf"))
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}
