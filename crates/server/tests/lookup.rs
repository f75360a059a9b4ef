//! Real HTTP against the server on a loopback port: `/api/lookup` on the 436 expected points,
//! points outside, malformed queries, `/api/search`, `/api/es`, and the `/es` page assets.
#[path = "../../lookup/tests/common/mod.rs"]
mod common;

use common::{ban, bundle, sample};
use serde_json::Value;
use std::sync::Arc;

async fn start() -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let ban_file = dir.path().join("adresses-94.csv");
    ban::write(&ban_file);
    let b = bundle().clone();
    let locator = lookup::Locator::new(&b);
    let (book, _) =
        lookup::addresses::import_ban(&ban_file, "94", Some(&locator), &lookup::Silent).unwrap();
    let mairies =
        lookup::addresses::load_mairies(&lookup::mairies_path(&common::data_dir(), "94")).unwrap();
    let snapshot = server::Snapshot::with_places(
        b,
        lookup::Places {
            mairies,
            addresses: Some(book),
        },
    );
    let state = server::AppState::new(Arc::new(snapshot));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server::serve_on(listener, state));
    (format!("http://{addr}"), dir)
}

async fn get(client: &reqwest::Client, url: &str) -> (u16, Value) {
    let resp = client.get(url).send().await.unwrap();
    let status = resp.status().as_u16();
    let ct = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("application/json"), "{url}: {ct}");
    (status, resp.json().await.unwrap())
}

#[tokio::test]
async fn lookup_api_on_the_436_sample_points() {
    let (base, _dir) = start().await;
    let client = reqwest::Client::new();
    for p in sample() {
        let (status, body) = get(
            &client,
            &format!("{base}/api/lookup?lon={}&lat={}", p.lon, p.lat),
        )
        .await;
        assert_eq!(status, 200, "line {}: {body}", p.line);
        assert_eq!(body["iris"]["code"], p.iris, "line {}", p.line);
        assert_eq!(body["commune"]["code"], p.commune, "line {}", p.line);
        for level in ["iris", "commune", "es", "territoire"] {
            assert!(body[level]["name"].as_str().is_some_and(|n| !n.is_empty()));
        }
        assert!(body["es"]["code"].as_str().unwrap().starts_with("ES"));
        assert!(body["es"]["address"].is_string() && body["es"]["hours"].is_string());
        assert_eq!(body["illustrative"], true);
        // The same point in Lambert-93.
        let (status, l93) = get(&client, &format!("{base}/api/lookup?x={}&y={}", p.x, p.y)).await;
        assert_eq!(status, 200);
        assert_eq!(l93["iris"]["code"], p.iris, "line {} (x/y)", p.line);
    }
}

#[tokio::test]
async fn lookup_api_outside_and_malformed() {
    let (base, _dir) = start().await;
    let client = reqwest::Client::new();
    // Paris (Notre-Dame) and the Seine in Paris: 404 with a JSON error saying so.
    for q in ["lon=2.3488&lat=48.8534", "lon=2.3712&lat=48.8420"] {
        let (status, body) = get(&client, &format!("{base}/api/lookup?{q}")).await;
        assert_eq!(status, 404, "{q}");
        let e = body["error"].as_str().unwrap();
        assert!(e.contains("hors du département Val-de-Marne"), "{e}");
    }
    // Missing, invalid, out of range, non-finite: 400 with a French JSON error.
    for q in [
        "",
        "lon=2.45",
        "lat=48.79",
        "lon=&lat=48.79",
        "lon=abc&lat=48.79",
        "lon=2.45&lat=quarante-huit",
        "lon=NaN&lat=48.79",
        "lon=1e999&lat=48.79",
        "lon=200&lat=48.79",
        "lon=2.45&lat=95",
        "lon=660000&lat=6850000",
        "x=660000",
        "lon=%FF%FE&lat=1",
        "lon=2.45&lon=2.46&lat=48.79",
    ] {
        let (status, body) = get(&client, &format!("{base}/api/lookup?{q}")).await;
        assert_eq!(status, 400, "{q}: {body}");
        assert!(
            body["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{q}: {body}"
        );
    }
    // A decimal comma is accepted.
    let (status, body) = get(
        &client,
        &format!("{base}/api/lookup?lon=2,4556572&lat=48,7803445"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["commune"]["name"], "Créteil");
}

#[tokio::test]
async fn search_api() {
    let (base, _dir) = start().await;
    let client = reqwest::Client::new();
    let first = |body: &Value| body["results"][0].clone();
    for q in ["creteil", "Cr%C3%A9teuil", "CRETEIL", "cret"] {
        let (status, body) = get(&client, &format!("{base}/api/search?q={q}")).await;
        assert_eq!(status, 200);
        let f = first(&body);
        assert_eq!(
            (f["kind"].as_str(), f["code"].as_str(), f["name"].as_str()),
            (Some("commune"), Some("94028"), Some("Créteil")),
            "{q}"
        );
        assert_eq!(f["point"].as_array().unwrap().len(), 2);
        assert_eq!(f["bbox"].as_array().unwrap().len(), 4);
    }
    let (_, body) = get(
        &client,
        &format!("{base}/api/search?q=vitry%20sur%20seine&limit=3"),
    )
    .await;
    assert_eq!(first(&body)["name"], "Vitry-sur-Seine");
    assert!(body["results"].as_array().unwrap().len() <= 3);
    let (_, body) = get(&client, &format!("{base}/api/search?q=champigny+haut")).await;
    assert_eq!(
        (first(&body)["kind"].as_str(), first(&body)["code"].as_str()),
        (Some("es"), Some("ES06"))
    );
    // Town halls without BAN; BAN addresses when imported.
    let (_, body) = get(&client, &format!("{base}/api/search?q=mairie%20d%27ivry")).await;
    assert_eq!(first(&body)["kind"], "mairie");
    let (_, body) = get(
        &client,
        &format!("{base}/api/search?q=12%20av%20du%20general%20de%20gaulle%20creteil"),
    )
    .await;
    assert_eq!(first(&body)["kind"], "adresse");
    assert_eq!(first(&body)["name"], "12 Avenue du Général de Gaulle");
    let (_, body) = get(&client, &format!("{base}/api/search?q=")).await;
    assert_eq!(body["count"], 0);

    for q in [
        "",
        "q=creteil&limit=0",
        "q=creteil&limit=51",
        "q=creteil&limit=abc",
        "q=creteil&limit=-1",
    ] {
        let (status, body) = get(&client, &format!("{base}/api/search?{q}")).await;
        assert_eq!(status, 400, "{q}: {body}");
        assert!(body["error"].is_string());
    }
    let long = "a".repeat(201);
    let (status, _) = get(&client, &format!("{base}/api/search?q={long}")).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn es_directory_cards_and_page() {
    let (base, _dir) = start().await;
    let client = reqwest::Client::new();
    let (status, body) = get(&client, &format!("{base}/api/es")).await;
    assert_eq!(status, 200);
    assert_eq!(body["es"].as_array().unwrap().len(), 20);
    assert_eq!(body["illustrative"], true);
    let (status, card) = get(&client, &format!("{base}/api/es/ES10")).await;
    assert_eq!(status, 200);
    assert_eq!(card["name"], "Espace de Solidarité de Créteil");
    assert_eq!(card["communes"][0]["name"], "Créteil");
    assert!(card["perimeter"][0][0].as_array().unwrap().len() >= 4);
    let (status, body) = get(&client, &format!("{base}/api/es/ES99")).await;
    assert_eq!(status, 404);
    assert!(body["error"].as_str().unwrap().contains("inconnu"));

    for (path, ct, needle) in [
        ("/es", "text/html", "Me localiser"),
        ("/es/app.js", "text/javascript", "getCurrentPosition"),
        ("/es/app.css", "text/css", ".card"),
    ] {
        let resp = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with(ct)
        );
        assert!(resp.text().await.unwrap().contains(needle), "{path}");
    }
}
