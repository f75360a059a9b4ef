//! The map page's routes over real HTTP, on the real Val-de-Marne bundle: the page and its
//! embedded files (gzip, immutable caching, no external URL), the MapLibre style of a choice
//! (sources on this server only, colours that agree with `/api/classify`, circles for counts,
//! French errors), the label points (each inside its zone, checked with the lookup's exact
//! point-in-polygon) and the composition of zones.
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::path::PathBuf;
use std::sync::OnceLock;

/// One server for all tests of this file, on its own thread and runtime.
fn base() -> &'static str {
    static BASE: OnceLock<String> = OnceLock::new();
    BASE.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
            let config =
                zones::Config::load(&root.join("boundaries/val-de-marne/observatoire.toml"))
                    .expect("config (and ../shared/data)");
            let mut bundle = zones::build(&config, &zones::build::Silent).unwrap().0;
            let catalogue = indicators::Catalogue::load(
                &config.config_path(config.indicators.as_ref().unwrap()),
            )
            .unwrap();
            let set = indicators::compute(&catalogue, &bundle, &config.data_dir()).unwrap();
            bundle.set_section(indicators::SECTION, &set).unwrap();
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(format!("http://{}", listener.local_addr().unwrap()))
                    .unwrap();
                server::serve_on(listener, server::state_from(bundle))
                    .await
                    .unwrap();
            });
        });
        rx.recv().expect("server started")
    })
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .unwrap()
}

fn get(path: &str) -> reqwest::blocking::Response {
    client().get(format!("{}{path}", base())).send().unwrap()
}

fn json(path: &str) -> (u16, Value) {
    let r = get(path);
    let status = r.status().as_u16();
    (status, r.json().unwrap_or(Value::Null))
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

#[test]
fn page_and_embedded_files() {
    let r = get("/");
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let html = r.text().unwrap();
    assert!(html.contains("<html lang=\"fr\">"));
    assert!(html.contains("Carte des indicateurs — Observatoire social du Val-de-Marne"));
    assert!(html.contains("data-default-indicator=\"chomage_15_64\""));
    assert!(!html.contains("{{"), "every placeholder is filled");
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("//cdn"),
        "no external URL: the intranet is offline"
    );
    let again = client()
        .get(format!("{}/", base()))
        .header("If-None-Match", &etag)
        .send()
        .unwrap();
    assert_eq!(again.status(), 304);

    let urls: Vec<&str> = html
        .split('"')
        .filter(|s| s.starts_with("map/assets/"))
        .collect();
    assert_eq!(urls.len(), 4, "{urls:?}");
    let mut total_gzip = 0;
    for url in urls {
        let gz = client()
            .get(format!("{}/{url}", base()))
            .header("Accept-Encoding", "gzip")
            .send()
            .unwrap();
        assert_eq!(gz.status(), 200, "{url}");
        assert_eq!(gz.headers()["content-encoding"], "gzip", "{url}");
        assert_eq!(
            gz.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let ctype = gz.headers()["content-type"].to_str().unwrap().to_string();
        let etag = gz.headers()["etag"].to_str().unwrap().to_string();
        let gz = gz.bytes().unwrap();
        total_gzip += gz.len();
        let raw = get(&format!("/{url}"));
        assert!(raw.headers().get("content-encoding").is_none());
        let raw = raw.bytes().unwrap();
        assert_eq!(
            gunzip(&gz),
            raw.to_vec(),
            "{url}: gzip and raw copies agree"
        );
        let text = String::from_utf8_lossy(&raw);
        if url.ends_with(".js") {
            assert_eq!(ctype, "text/javascript; charset=utf-8");
            assert!(!text.contains("sourceMappingURL"), "{url}: no source map");
        } else {
            assert_eq!(ctype, "text/css; charset=utf-8");
        }
        if url.ends_with("app.js") || url.ends_with("app.css") {
            // The SVG namespace is a name, not a request.
            let text = text.replace("http://www.w3.org/2000/svg", "");
            assert!(
                !text.contains("http://") && !text.contains("https://"),
                "{url}: no external URL"
            );
        }
        let cached = client()
            .get(format!("{}/{url}", base()))
            .header("If-None-Match", &etag)
            .send()
            .unwrap();
        assert_eq!(cached.status(), 304);
    }
    assert!(
        total_gzip < 400_000,
        "page scripts and styles: {total_gzip} bytes gzip"
    );
    assert_eq!(
        get("/map/assets/0000000000000000/maplibre-gl.js").status(),
        404
    );
    assert_eq!(get("/map/assets/x/index.html").status(), 404);
}

/// Every string of a JSON value, recursively.
fn strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

fn layer<'a>(style: &'a Value, id: &str) -> Option<&'a Value> {
    style["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == id)
}

/// `match` branches of the choropleth: colour → codes, and the default colour.
fn branches(style: &Value) -> (HashMap<String, Vec<String>>, String) {
    let expr = layer(style, "choroplethe").unwrap()["paint"]["fill-color"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(expr[0], "match");
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    let mut i = 2;
    while i + 1 < expr.len() {
        let codes: Vec<String> = expr[i]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_string())
            .collect();
        out.entry(expr[i + 1].as_str().unwrap().to_string())
            .or_default()
            .extend(codes);
        i += 2;
    }
    (out, expr.last().unwrap().as_str().unwrap().to_string())
}

#[test]
fn style_of_a_choice_agrees_with_the_classification() {
    for (level, n) in [
        ("commune", 47),
        ("iris", 527),
        ("es", 20),
        ("territoire", 7),
    ] {
        let (status, style) = json(&format!("/styles/chomage_15_64.json?level={level}"));
        assert_eq!(status, 200, "{style}");
        assert_eq!(style["version"], 8);
        // Sources and layers name this server only (no basemap, no glyphs, no sprite).
        assert!(style.get("glyphs").is_none() && style.get("sprite").is_none());
        let mut s = Vec::new();
        strings(&style["sources"], &mut s);
        strings(&style["layers"], &mut s);
        for url in s.iter().filter(|s| s.contains("://")) {
            assert!(url.starts_with(base()), "external URL in the style: {url}");
        }
        assert_eq!(style["sources"][level]["promoteId"], "code");
        assert_eq!(layer(&style, "choroplethe").unwrap()["source-layer"], level);
        assert_eq!(
            layer(&style, "qpv").unwrap()["layout"]["visibility"],
            "none"
        );

        // The colours of the zones are the legend's, in the legend's counts.
        let (_, classes) = json(&format!(
            "/api/classify?indicator=chomage_15_64&level={level}"
        ));
        let legend = &style["metadata"]["observatoire:legend"];
        for key in [
            "breaks",
            "counts",
            "colors",
            "missing_color",
            "missing_count",
            "references",
        ] {
            assert_eq!(legend[key], classes[key], "{level} {key}");
        }
        let (by_color, default) = branches(&style);
        assert_eq!(default, classes["missing_color"]);
        let colors = classes["colors"].as_array().unwrap();
        let counts = classes["counts"].as_array().unwrap();
        for (c, k) in colors.iter().zip(counts) {
            let codes = by_color.get(c.as_str().unwrap()).map_or(0, Vec::len);
            assert_eq!(
                codes as u64,
                k.as_u64().unwrap(),
                "{level}: zones coloured {c}"
            );
        }
        let all: HashSet<&String> = by_color.values().flatten().collect();
        let missing = classes["missing_count"].as_u64().unwrap() as usize;
        assert_eq!(all.len() + missing, n, "{level}: every zone once");
    }

    // Outlines drawn over lower levels.
    let (_, iris) = json("/styles/chomage_15_64.json?level=iris");
    for id in [
        "limites-communes",
        "limites-es",
        "limites-territoires",
        "limite-departement",
    ] {
        assert!(layer(&iris, id).is_some(), "{id} over IRIS");
    }
    let (_, es) = json("/styles/chomage_15_64.json?level=es&qpv=1");
    assert!(layer(&es, "limites-es").is_none() && layer(&es, "limites-territoires").is_some());
    assert_eq!(
        layer(&es, "qpv").unwrap()["layout"]["visibility"],
        "visible"
    );
    assert_eq!(es["metadata"]["observatoire:illustrative"], true);
    assert_eq!(es["metadata"]["observatoire:labels"]["names"], "es");

    // Manual breaks and another method, as /api/classify reads them.
    let (status, manual) =
        json("/styles/chomage_15_64.json?level=commune&breaks=0%20-%2010%20-%2015%20-%2025");
    assert_eq!(status, 200);
    assert_eq!(
        manual["metadata"]["observatoire:legend"]["breaks"],
        serde_json::json!([0.0, 10.0, 15.0, 25.0])
    );
    let (_, jenks) = json("/styles/activite_15_64.json?level=commune&method=jenks&k=4");
    assert_eq!(jenks["metadata"]["observatoire:choice"]["k"], 4);
    assert_eq!(jenks["metadata"]["observatoire:choice"]["method"], "jenks");

    // The Host header names the tile server (reverse proxies: X-Forwarded-*).
    let proxied: Value = client()
        .get(format!("{}/styles/chomage_15_64.json", base()))
        .header("X-Forwarded-Host", "observatoire.cd94.fr")
        .header("X-Forwarded-Proto", "https")
        .send()
        .unwrap()
        .json()
        .unwrap();
    let tiles = proxied["sources"]["commune"]["tiles"][0].as_str().unwrap();
    assert!(
        tiles.starts_with("https://observatoire.cd94.fr/tiles/commune/"),
        "{tiles}"
    );
}

#[test]
fn counts_are_proportional_circles() {
    let (status, style) = json("/styles/population.json?level=commune");
    assert_eq!(status, 200, "{style}");
    let legend = &style["metadata"]["observatoire:legend"];
    assert_eq!(legend["mode"], "symbols");
    let features = style["sources"]["cercles"]["data"]["features"]
        .as_array()
        .unwrap();
    assert_eq!(features.len(), 47);
    let radii: Vec<f64> = features
        .iter()
        .map(|f| f["properties"]["r"].as_f64().unwrap())
        .collect();
    assert!(
        radii.windows(2).all(|w| w[0] >= w[1]),
        "largest first, drawn under the smaller ones"
    );
    assert_eq!(radii[0], 26.0);
    // Area proportional to the value: r² ratio = value ratio.
    let (_, values) = json("/api/indicators/population?level=commune");
    let v: HashMap<&str, f64> = values["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| Some((r["code"].as_str()?, r["value"].as_f64()?)))
        .collect();
    let vmax = legend["max"].as_f64().unwrap();
    for f in features {
        let code = f["properties"]["code"].as_str().unwrap();
        let r = f["properties"]["r"].as_f64().unwrap();
        let expected = 26.0 * (v[code] / vmax).sqrt();
        assert!((r - expected).abs() < 0.01, "{code}: {r} vs {expected}");
    }
    assert!(layer(&style, "cercles").is_some());
}

#[test]
fn style_errors_are_french_json() {
    for (path, status, needle) in [
        ("/styles/inconnu.json", 404, "indicateur inconnu"),
        ("/styles/chomage_15_64", 404, "/styles/{indicateur}.json"),
        (
            "/styles/chomage_15_64.json?level=qpv",
            400,
            "couche de contours",
        ),
        (
            "/styles/chomage_15_64.json?level=canton",
            404,
            "niveau inconnu",
        ),
        (
            "/styles/chomage_15_64.json?year=1990",
            400,
            "millésime 1990",
        ),
        ("/styles/chomage_15_64.json?method=magique", 400, ""),
        (
            "/styles/chomage_15_64.json?k=beaucoup",
            400,
            "paramètres illisibles",
        ),
        (
            "/styles/chomage_15_64.json?breaks=10%20-%205",
            400,
            "croissantes",
        ),
        ("/api/places/qpv", 404, "pas d'emplacements"),
        ("/api/composition/commune/99999", 404, "zone inconnue"),
    ] {
        let (got, body) = json(path);
        assert_eq!(got, status, "{path}: {body}");
        let msg = body["error"].as_str().unwrap_or_default();
        assert!(msg.contains(needle), "{path}: {msg}");
    }
}

#[test]
fn label_points_lie_inside_their_zones() {
    for level in ["commune", "es", "territoire", "iris"] {
        let (status, body) = json(&format!("/api/places/{level}"));
        assert_eq!(status, 200);
        let places = body["places"].as_array().unwrap();
        assert!(!places.is_empty());
        for p in places {
            let (lon, lat) = (
                p["point"][0].as_f64().unwrap(),
                p["point"][1].as_f64().unwrap(),
            );
            let b: Vec<f64> = p["bbox"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            assert!(b[0] <= lon && lon <= b[2] && b[1] <= lat && lat <= b[3]);
            let (s, hit) = json(&format!("/api/lookup?lon={lon}&lat={lat}"));
            assert_eq!(s, 200);
            assert_eq!(
                hit[level]["code"], p["code"],
                "{level} {}: its label point falls in {}",
                p["code"], hit[level]["code"]
            );
        }
    }
    let (_, es) = json("/api/places/es");
    let vincennes = es["places"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Espace de Solidarité de Vincennes")
        .unwrap();
    assert_eq!(
        vincennes["short"], "Vincennes",
        "styles/labels.toml shortening"
    );
    assert_eq!(es["illustrative"], true);
    let (_, ctx) = json("/api/places/context");
    let names: Vec<&str> = ctx["places"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Paris"), "{names:?}");

    // Dynamic answers are gzip-compressed when asked.
    let gz = client()
        .get(format!("{}/api/places/iris", base()))
        .header("Accept-Encoding", "gzip")
        .send()
        .unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let body: Value = serde_json::from_slice(&gunzip(&gz.bytes().unwrap())).unwrap();
    assert_eq!(body["places"].as_array().unwrap().len(), 527);
}

#[test]
fn composition_of_zones() {
    let (_, es) = json("/api/places/es");
    let sucy = es["places"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"].as_str().unwrap().contains("Sucy"))
        .unwrap()["code"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, c) = json(&format!("/api/composition/es/{sucy}"));
    assert_eq!(status, 200);
    let communes = c["contains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["level"] == "commune")
        .unwrap()["zones"]
        .as_array()
        .unwrap();
    let mut codes: Vec<&str> = communes
        .iter()
        .map(|z| z["code"].as_str().unwrap())
        .collect();
    codes.sort_unstable();
    assert_eq!(
        codes,
        [
            "94047", "94048", "94053", "94055", "94056", "94070", "94071", "94075"
        ],
        "the ES of Sucy-en-Brie covers its 8 communes"
    );
    assert!(communes.iter().all(|z| z["whole"] == true));
    assert_eq!(c["illustrative"], true);

    // Champigny-sur-Marne is split between two ES: it belongs to each in part.
    let (_, champigny) = json("/api/composition/commune/94017");
    let es_groups = champigny["belongs_to"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["level"] == "es")
        .unwrap()["zones"]
        .as_array()
        .unwrap();
    assert_eq!(es_groups.len(), 2, "{champigny}");
    assert!(es_groups.iter().all(|z| z["whole"] == false));

    // An IRIS belongs wholly to its commune, ES, territoire and département.
    let (_, iris) = json("/api/composition/iris/940280101");
    let levels: Vec<&str> = iris["belongs_to"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["commune", "es", "territoire", "departement"]);
    assert_eq!(iris["belongs_to"][0]["zones"][0]["code"], "94028");
    assert!(iris["contains"].as_array().unwrap().is_empty());

    // The département contains every zone.
    let (_, dep) = json("/api/composition/departement/94");
    let n: Vec<usize> = dep["contains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["zones"].as_array().unwrap().len())
        .collect();
    assert_eq!(n, [7, 20, 47, 527], "largest zones first");
}
