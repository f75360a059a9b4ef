//! Tiles over real HTTP, from the real Val-de-Marne bundle on a loopback port: TileJSON for
//! every level (checked against the `tilejson` crate's model of TileJSON 3.0.0), tiles decoded
//! by an independent decoder (`mvt-reader`), caching (immutable, strong ETag, 304), empty tiles,
//! errors, and property tests over the path parameters: never a 5xx.
use proptest::prelude::*;
use std::path::PathBuf;
use std::sync::OnceLock;

fn bundle() -> zones::Bundle {
    let config = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../boundaries/val-de-marne/observatoire.toml");
    let config = zones::Config::load(&config)
        .expect("default configuration (and ../shared/data beside the checkout)");
    zones::build(&config, &zones::build::Silent)
        .expect("build")
        .0
}

/// One server per test binary, on its own runtime thread.
fn base() -> &'static str {
    static BASE: OnceLock<String> = OnceLock::new();
    BASE.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(format!("http://{}", listener.local_addr().unwrap()))
                    .unwrap();
                server::serve_on(listener, server::state_from(bundle()))
                    .await
                    .unwrap();
            });
        });
        rx.recv().unwrap()
    })
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().build().unwrap()
}

const LEVELS: [&str; 6] = ["iris", "commune", "es", "territoire", "departement", "qpv"];

fn tilejson(level: &str) -> serde_json::Value {
    let r = client()
        .get(format!("{}/tiles/{level}.json", base()))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200, "{level}");
    assert_eq!(r.headers()["content-type"], "application/json");
    r.json().unwrap()
}

fn tile_url(tj: &serde_json::Value, z: u32, x: u32, y: u32) -> String {
    tj["tiles"][0]
        .as_str()
        .unwrap()
        .replace("{z}", &z.to_string())
        .replace("{x}", &x.to_string())
        .replace("{y}", &y.to_string())
}

/// Tile containing a point at a zoom (Web Mercator, XYZ).
fn tile_of(lon: f64, lat: f64, z: u32) -> (u32, u32) {
    let n = f64::from(1u32 << z);
    let x = ((lon + 180.0) / 360.0 * n).floor() as u32;
    let lat = lat.to_radians();
    let y = ((1.0 - (lat.tan() + 1.0 / lat.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor()
        as u32;
    (x, y)
}

#[test]
fn tilejson_is_valid_for_every_level() {
    for level in LEVELS {
        let tj = tilejson(level);
        // The tilejson crate's model of the spec reads it…
        let parsed: tilejson::TileJSON = serde_json::from_value(tj.clone())
            .unwrap_or_else(|e| panic!("{level}: not TileJSON: {e}"));
        assert_eq!(parsed.tilejson, "3.0.0");
        // …and the fields 3.0.0 requires or constrains hold.
        let url = tj["tiles"][0].as_str().unwrap();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        assert!(url.ends_with("/{z}/{x}/{y}.mvt"), "{url}");
        assert!(url.contains(&format!("/tiles/{level}/")), "{url}");
        let layers = tj["vector_layers"].as_array().unwrap();
        assert_eq!(layers.len(), 1);
        assert_eq!(layers[0]["id"], level);
        assert!(layers[0]["fields"]["code"].is_string() && layers[0]["fields"]["name"].is_string());
        let (minz, maxz) = (
            tj["minzoom"].as_u64().unwrap(),
            tj["maxzoom"].as_u64().unwrap(),
        );
        assert_eq!((minz, maxz), (0, 16));
        let b: Vec<f64> = serde_json::from_value(tj["bounds"].clone()).unwrap();
        // Val-de-Marne: about 2.31–2.62 E, 48.69–48.87 N.
        assert!(
            b[0] > 2.25 && b[2] < 2.7 && b[1] > 48.6 && b[3] < 48.9 && b[0] < b[2] && b[1] < b[3],
            "{b:?}"
        );
        let c: Vec<f64> = serde_json::from_value(tj["center"].clone()).unwrap();
        assert!(c[0] > b[0] && c[0] < b[2] && c[1] > b[1] && c[1] < b[3]);
        assert!(tj["attribution"].as_str().unwrap().len() > 3);
    }
    // ES and territoires are illustrative: their layer says so.
    let es = tilejson("es");
    assert!(
        es["vector_layers"][0]["description"]
            .as_str()
            .unwrap()
            .contains("ILLUSTRATIVE")
    );
}

#[test]
fn tiles_decode_with_codes_and_cache_immutably() {
    let tj = tilejson("iris");
    // Créteil town hall, at z14.
    let (x, y) = tile_of(2.4559, 48.7904, 14);
    let url = tile_url(&tj, 14, x, y);
    let c = client();
    let r = c
        .get(&url)
        .header("accept-encoding", "gzip")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "application/vnd.mapbox-vector-tile");
    assert_eq!(h["cache-control"], "public, max-age=31536000, immutable");
    assert!(
        h.get("access-control-allow-origin").is_none(),
        "CORS off by default, tiles included"
    );
    let etag = h["etag"].to_str().unwrap().to_string();
    assert!(
        etag.starts_with('"') && etag.len() == 18,
        "strong ETag: {etag}"
    );
    // reqwest (without its gzip feature) hands us the body as sent.
    assert_eq!(h["content-encoding"], "gzip");
    let gz = r.bytes().unwrap();
    use std::io::Read;
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut raw)
        .unwrap();
    let reader = mvt_reader::Reader::new(raw.clone()).unwrap();
    assert_eq!(reader.get_layer_names().unwrap(), vec!["iris"]);
    let feats = reader.get_features(0).unwrap();
    let codes: Vec<String> = feats
        .iter()
        .filter_map(|f| match f.properties.as_ref()?.get("code")? {
            mvt_reader::feature::Value::String(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    assert!(
        codes.iter().any(|c| c.starts_with("94028")),
        "Créteil IRIS: {codes:?}"
    );

    // 304 on If-None-Match, with the same caching headers and no body.
    let r = c.get(&url).header("if-none-match", &etag).send().unwrap();
    assert_eq!(r.status(), 304);
    assert_eq!(r.headers()["etag"], etag.as_str());
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(r.bytes().unwrap().is_empty());
    let r = c
        .get(&url)
        .header("if-none-match", "\"0000000000000000\"")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);

    // A client that does not accept gzip gets the same tile inflated.
    let r = c
        .get(&url)
        .header("accept-encoding", "identity")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("content-encoding").is_none());
    assert_eq!(r.bytes().unwrap().to_vec(), raw);

    // The TileJSON revalidates cheaply too.
    let r = c.get(format!("{}/tiles/iris.json", base())).send().unwrap();
    let tj_etag = r.headers()["etag"].to_str().unwrap().to_string();
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let r = c
        .get(format!("{}/tiles/iris.json", base()))
        .header("if-none-match", &tj_etag)
        .send()
        .unwrap();
    assert_eq!(r.status(), 304);
}

#[test]
fn empty_bad_unknown_and_stale_tiles() {
    let tj = tilejson("commune");
    let c = client();
    let status = |url: String| c.get(url).send().unwrap().status().as_u16();
    // Mid-Atlantic at z10: no zone, an empty tile.
    let r = c.get(tile_url(&tj, 10, 300, 300)).send().unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        r.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    // Coordinates outside the world or the pyramid, or not numbers.
    assert_eq!(status(tile_url(&tj, 3, 8, 0)), 400);
    assert_eq!(status(tile_url(&tj, 17, 0, 0)), 400);
    let t = tj["tiles"][0].as_str().unwrap();
    assert_eq!(status(t.replace("{z}/{x}/{y}", "a/0/0")), 400);
    assert_eq!(status(t.replace("{z}/{x}/{y}", "1/-1/0")), 400);
    let bad = c.get(t.replace("{z}/{x}/{y}", "1/0/0.png")).send().unwrap();
    assert_eq!(bad.status(), 400);
    let body: serde_json::Value = bad.json().unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("coordonnée de tuile invalide")
    );
    // Unknown level, and a version that is not the current one.
    assert_eq!(status(format!("{}/tiles/canton.json", base())), 404);
    assert_eq!(status(format!("{}/tiles/iris", base())), 404);
    assert_eq!(status(format!("{}/tiles/canton/v/1/0/0.mvt", base())), 404);
    let stale = t
        .replace("/tiles/commune/", "/tiles/commune/0000000000000000/")
        .replace(
            &format!(
                "/{}/",
                tj["tiles"][0].as_str().unwrap().split('/').nth(5).unwrap()
            ),
            "/",
        );
    let r = c
        .get(stale.replace("{z}/{x}/{y}", "10/518/352"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 404, "{stale}");
    assert_eq!(r.headers()["cache-control"], "no-store");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any level, version, z, x, y — numbers, huge numbers, negative, text, escapes: never a 5xx.
    #[test]
    fn tile_route_never_fails_on_any_input(
        level in prop_oneof![Just("iris".to_string()), Just("qpv".to_string()), "[a-zA-Z%0-9._-]{0,12}"],
        use_current in any::<bool>(),
        version in "[0-9a-f]{0,16}",
        z in prop_oneof![(0u64..24).prop_map(|v| v.to_string()), "-?[0-9]{1,22}", "[a-z.%]{1,6}"],
        x in prop_oneof![(0u64..70_000).prop_map(|v| v.to_string()), "-?[0-9]{1,22}", "[a-z.%]{1,6}"],
        y in prop_oneof![(0u64..70_000).prop_map(|v| format!("{v}.mvt")), "-?[0-9]{1,22}(\\.mvt|\\.pbf)?", "[a-z.%]{1,6}"],
    ) {
        let c = client();
        let version = if use_current && (level == "iris" || level == "qpv") {
            let tj = tilejson(&level);
            tj["tiles"][0].as_str().unwrap().split('/').nth(5).unwrap().to_string()
        } else {
            version
        };
        let url = format!("{}/tiles/{level}/{version}/{z}/{x}/{y}", base());
        let r = c.get(&url).send().unwrap();
        prop_assert!(r.status().as_u16() < 500, "{url} → {}", r.status());
        let r = c.get(format!("{}/tiles/{level}.json", base())).send().unwrap();
        prop_assert!(r.status().as_u16() < 500);
    }
}
