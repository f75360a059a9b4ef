//! HTTP hardening over real HTTP on a loopback port (synthetic territory): security headers on
//! every kind of answer, no path traversal on any static route (sent byte for byte, without a
//! client normalising the path), header and body limits, CORS off by default and on only for
//! a configured origin, errors as JSON (404, 405, 413, 431, timeout, panic), export limits,
//! metrics by route template, compression without double compression.
use axum::routing::get;
use server::config::ServerConfig;
use server::{AppState, Snapshot};
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

fn state(config: ServerConfig) -> AppState {
    AppState::with_config(Arc::new(Snapshot::new(zones::synthetic::bundle(6))), config)
}

async fn start(config: ServerConfig) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server::serve_on(listener, state(config)));
    format!("http://{addr}")
}

/// One request written byte for byte (no normalisation of `..` or `%2f`): status and body.
async fn raw(base: &str, request_line_path: &str) -> (u16, String) {
    let addr = base.trim_start_matches("http://").to_string();
    let path = request_line_path.to_string();
    tokio::task::spawn_blocking(move || {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        let text = String::from_utf8_lossy(&out).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
        (status, body)
    })
    .await
    .unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// The URL of a tile with content: the TileJSON's centre tile.
async fn tile_url(base: &str) -> String {
    let tj: serde_json::Value = reqwest::get(format!("{base}/tiles/commune.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let c = tj["center"].as_array().unwrap();
    let (lon, lat, z) = (
        c[0].as_f64().unwrap(),
        c[1].as_f64().unwrap(),
        c[2].as_f64().unwrap() as u32,
    );
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n) as u32;
    let lat_r = lat.to_radians();
    let y =
        ((1.0 - (lat_r.tan() + 1.0 / lat_r.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u32;
    tj["tiles"][0]
        .as_str()
        .unwrap()
        .replace("{z}", &z.to_string())
        .replace("{x}", &x.to_string())
        .replace("{y}", &y.to_string())
}

#[tokio::test]
async fn security_headers_on_every_answer() {
    let base = start(ServerConfig::default()).await;
    let tile = tile_url(&base).await;
    let mut urls: Vec<String> = [
        "/",
        "/es",
        "/es/app.js",
        "/health",
        "/api/zones/es",
        "/api/context",
        "/tiles/commune.json",
        "/nulle-part",
    ]
    .iter()
    .map(|p| format!("{base}{p}"))
    .collect();
    urls.push(tile.clone());
    for url in urls {
        let r = client()
            .get(&url)
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        let h = r.headers();
        assert_eq!(
            h["content-security-policy"],
            server::hardening::CSP,
            "{url}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{url}");
        assert_eq!(h["x-frame-options"], "DENY", "{url}");
        assert_eq!(h["referrer-policy"], "same-origin", "{url}");
    }
    // The policy the pages are tested against in the browser (tests/e2e/csp.test.mjs).
    for directive in [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "worker-src 'self' blob:",
        "child-src blob:",
        "connect-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ] {
        assert!(server::hardening::CSP.contains(directive), "{directive}");
    }
    assert!(!server::hardening::CSP.contains("unsafe"));
}

#[tokio::test]
async fn no_path_traversal_on_static_routes() {
    let base = start(ServerConfig::default()).await;
    let page = reqwest::get(format!("{base}/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // A real asset URL of the page, to attack from a valid hash.
    let asset = page
        .split('"')
        .find(|s| s.starts_with("map/assets/"))
        .expect("asset URL in the page")
        .to_string();
    let hash_dir = asset.rsplit_once('/').unwrap().0.to_string();
    let attempts = [
        "/map/assets/x/..%2f..%2fetc%2fpasswd".to_string(),
        "/map/assets/x/..%2F..%2F..%2F..%2FCargo.toml".to_string(),
        "/map/assets/x/../../../../etc/passwd".to_string(),
        "/map/assets/%2e%2e/%2e%2e/Cargo.toml".to_string(),
        "/map/assets/x/%252e%252e%252fCargo.toml".to_string(),
        "/map/assets/x/..%5c..%5cCargo.toml".to_string(),
        format!("/{hash_dir}/..%2f..%2f..%2f..%2fCargo.toml"),
        format!("/{hash_dir}/../../../../Cargo.toml"),
        "/es/../../Cargo.toml".to_string(),
        "/es/..%2f..%2fCargo.toml".to_string(),
        "/es/%2e%2e/%2e%2e/Cargo.toml".to_string(),
        "/es/app.js/../../../Cargo.toml".to_string(),
        "/es/app.js%00.css".to_string(),
        "/styles/..%2f..%2fCargo.toml".to_string(),
        "/styles/../../Cargo.toml".to_string(),
        "/styles/%2e%2e%2f%2e%2e%2fCargo.toml".to_string(),
        "/styles/..%2f..%2f..%2f..%2fetc%2fpasswd".to_string(),
        "/tiles/..%2f..%2fCargo.toml".to_string(),
        "/tiles/commune/..%2f..%2f/0/0/0.mvt".to_string(),
        "/..%2f..%2fCargo.toml".to_string(),
        "/%2e%2e/%2e%2e/etc/passwd".to_string(),
        "//etc/passwd".to_string(),
        "/../../../../etc/passwd".to_string(),
    ];
    for path in &attempts {
        let (status, body) = raw(&base, path).await;
        assert!(
            status == 404 || status == 400,
            "{path}: {status} {}",
            &body[..body.len().min(200)]
        );
        for leak in ["[workspace]", "[package]", "root:x:", "root:*:"] {
            assert!(!body.contains(leak), "{path} leaked a file: {body}");
        }
        assert!(
            body.contains("\"error\"") || body.is_empty(),
            "{path}: {body}"
        );
    }
}

#[tokio::test]
async fn header_and_body_limits() {
    let base = start(ServerConfig::default()).await;
    let r = client()
        .get(format!("{base}/health"))
        .header("x-grand", "a".repeat(20_000))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 431);
    assert_eq!(r.headers()["content-type"], "application/json");
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("en-têtes"),
        "{body}"
    );

    let r = client()
        .post(format!("{base}/admin/reload"))
        .body(vec![b'x'; 20_000])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(r.headers()["content-type"], "application/json");
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("trop volumineux"),
        "{body}"
    );
}

#[tokio::test]
async fn cors_is_off_by_default_and_on_only_for_configured_origins() {
    let base = start(ServerConfig::default()).await;
    let tj: serde_json::Value = client()
        .get(format!("{base}/tiles/iris.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tile = tj["tiles"][0]
        .as_str()
        .unwrap()
        .replace("{z}/{x}/{y}", "12/2075/1410");
    let tile = tile
        .split_once("/tiles/")
        .map(|(_, t)| format!("/tiles/{t}"))
        .unwrap();
    for path in [
        "/api/zones/es",
        "/health",
        "/",
        "/tiles/iris.json",
        tile.as_str(),
    ] {
        let r = client()
            .get(format!("{base}{path}"))
            .header("origin", "https://ailleurs.example")
            .send()
            .await
            .unwrap();
        assert!(
            r.headers().get("access-control-allow-origin").is_none(),
            "{path}"
        );
    }

    let mut config = ServerConfig::default();
    config.http.cors_origins = vec!["https://carto.example".into()];
    let base = start(config).await;
    let r = client()
        .get(format!("{base}/api/zones/es"))
        .header("origin", "https://carto.example")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://carto.example"
    );
    let r = client()
        .get(format!("{base}/api/zones/es"))
        .header("origin", "https://ailleurs.example")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    // Preflight: GET allowed, for the configured origin only.
    let r = client()
        .request(reqwest::Method::OPTIONS, format!("{base}/api/zones/es"))
        .header("origin", "https://carto.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://carto.example"
    );
    let methods = r.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap();
    assert!(
        methods.contains("GET") && !methods.contains("POST"),
        "{methods}"
    );
}

#[tokio::test]
async fn errors_are_json() {
    let base = start(ServerConfig::default()).await;
    let r = reqwest::get(format!("{base}/nulle/part")).await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-type"], "application/json");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "page introuvable");

    let r = client()
        .post(format!("{base}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["content-type"], "application/json");

    // A framework rejection (unreadable query) is JSON too, in French first.
    let r = reqwest::get(format!("{base}/export/map.svg?indicator=x&dpi=beaucoup"))
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/json");
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("requête invalide"),
        "{body}"
    );
}

#[tokio::test]
async fn export_limits() {
    let base = start(ServerConfig::default()).await;
    let cases = [
        ("/export/map.png?indicator=chomage_15_64&dpi=5000", "dpi"),
        ("/export/map.png?indicator=chomage_15_64&dpi=0", "dpi"),
        ("/export/map.pdf?indicator=chomage_15_64&k=500", "classes"),
        (
            &format!(
                "/export/map.svg?indicator=chomage_15_64&highlight={}",
                "A".repeat(500)
            ) as &str,
            "highlight",
        ),
        (
            &format!(
                "/export/map.svg?indicator=chomage_15_64&breaks={}",
                "1 - ".repeat(300)
            ),
            "breaks",
        ),
        (
            "/export/map.pdf?indicator=chomage_15_64&page=5000x5000mm",
            "A0",
        ),
    ];
    for (path, needle) in cases {
        let r = reqwest::get(format!("{base}{path}")).await.unwrap();
        assert_eq!(r.status(), 400, "{path}");
        assert_eq!(r.headers()["content-type"], "application/json");
        let body: serde_json::Value = r.json().await.unwrap();
        assert!(
            body["error"].as_str().unwrap().contains(needle),
            "{path}: {body}"
        );
    }
}

#[tokio::test]
async fn metrics_by_route_template() {
    let base = start(ServerConfig::default()).await;
    let tile = tile_url(&base).await;
    let r = client()
        .get(&tile)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    reqwest::get(format!("{base}/api/zones/es")).await.unwrap();
    reqwest::get(format!("{base}/pas/une/route/1234"))
        .await
        .unwrap();
    let r = reqwest::get(format!("{base}/metrics")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let m = r.text().await.unwrap();
    for needle in [
        "observatoire_http_requests_total{route=\"/api/zones/{level}\",method=\"GET\",status=\"2xx\"} 1",
        "observatoire_http_requests_total{route=\"/tiles/{level}/{version}/{z}/{x}/{y}\",method=\"GET\",status=\"2xx\"} 1",
        "observatoire_http_requests_total{route=\"(aucune)\",method=\"GET\",status=\"4xx\"} 1",
        "observatoire_http_request_duration_seconds_bucket{route=\"/api/zones/{level}\",le=\"+Inf\"} 1",
        "observatoire_tiles_served_total{level=\"commune\"} 1",
        "observatoire_bundle_info{version=\"",
        "observatoire_snapshot_load_duration_seconds ",
    ] {
        assert!(m.contains(needle), "{needle}\n{m}");
    }
    // Never the raw path.
    assert!(!m.contains("/api/zones/es\"") && !m.contains("1234"), "{m}");

    let mut config = ServerConfig::default();
    config.http.metrics = false;
    let base = start(config).await;
    assert_eq!(
        reqwest::get(format!("{base}/metrics"))
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn compression_of_dynamic_answers_only_once() {
    let base = start(ServerConfig::default()).await;
    let r = client()
        .get(format!("{base}/api/zones/commune"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let gz = r.bytes().await.unwrap();
    let mut json = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut json)
        .unwrap();
    assert!(json.contains("FeatureCollection"));

    // A tile is stored gzip-compressed: sent as stored, one layer of gzip.
    let tile = tile_url(&base).await;
    let r = client()
        .get(&tile)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let gz = r.bytes().await.unwrap();
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut raw)
        .unwrap();
    assert!(!raw.starts_with(&[0x1f, 0x8b]), "gzip inside gzip");
}

#[tokio::test]
async fn timeouts_and_panics_answer_json() {
    let mut config = ServerConfig::default();
    config.http.request_timeout_s = 1;
    let state = state(config);
    let app = server::hardening::apply(
        axum::Router::new()
            .route(
                "/lent",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    "trop tard"
                }),
            )
            .route(
                "/panique",
                get(|| async {
                    panic!("détail interne à ne pas montrer");
                    #[allow(unreachable_code)]
                    ""
                }),
            ),
        &state,
    )
    .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let started = std::time::Instant::now();
    let r = reqwest::get(format!("{base}/lent")).await.unwrap();
    assert_eq!(r.status(), 503);
    assert!(started.elapsed() < Duration::from_secs(4));
    assert_eq!(r.headers()["content-type"], "application/json");
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("délai"), "{body}");

    let r = reqwest::get(format!("{base}/panique")).await.unwrap();
    assert_eq!(r.status(), 500);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert!(r.headers().get("content-security-policy").is_some());
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "erreur interne");
}
