//! Static map exports over real HTTP (`/export/map.svg|png|pdf`), on the real Val-de-Marne
//! bundle: formats and sizes, the same classes and colours as `/api/classify` (what the page
//! shows), internal indicators invisible, bad parameters refused in French, revalidation.
use std::path::PathBuf;

async fn start(internal: Option<&str>) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let config = zones::Config::load(&root.join("boundaries/val-de-marne/observatoire.toml"))
        .expect("config (and ../shared/data)");
    let mut bundle = zones::build(&config, &zones::build::Silent).unwrap().0;
    let catalogue =
        indicators::Catalogue::load(&config.config_path(config.indicators.as_ref().unwrap()))
            .unwrap();
    let mut set = indicators::compute(&catalogue, &bundle, &config.data_dir()).unwrap();
    if let Some(id) = internal {
        set.indicators
            .iter_mut()
            .find(|i| i.id == id)
            .unwrap()
            .visibility = indicators::Visibility::Internal;
    }
    bundle.set_section(indicators::SECTION, &set).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server::serve_on(listener, server::state_from(bundle)));
    format!("http://{addr}")
}

#[tokio::test]
async fn maps_in_three_formats_match_the_page() {
    let base = start(None).await;
    let q = "indicator=chomage_15_64&level=commune&method=jenks&k=5&labels=true";

    // SVG: layered, with the classes and colours /api/classify gives the page.
    let r = reqwest::get(format!("{base}/export/map.svg?{q}"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/svg+xml");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("carte-chomage_15_64-commune.svg")
    );
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let svg = r.text().await.unwrap();
    let classify: serde_json::Value = reqwest::get(format!("{base}/api/classify?{q}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let colors: Vec<&str> = classify["colors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    let counts: Vec<u64> = classify["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .collect();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    for id in [
        "title",
        "zones",
        "borders",
        "labels",
        "legend",
        "scale-bar",
        "north-arrow",
        "inset",
        "source",
    ] {
        assert!(
            doc.descendants().any(|n| n.attribute("id") == Some(id)),
            "layer {id}"
        );
    }
    let zones = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("zones"))
        .unwrap();
    let mut per_class = vec![0u64; colors.len()];
    for p in zones.children().filter(|c| c.has_tag_name("path")) {
        let class: usize = p.attribute("data-class").unwrap().parse().unwrap();
        assert_eq!(p.attribute("fill").unwrap(), colors[class]);
        per_class[class] += 1;
    }
    assert_eq!(per_class, counts, "same counts per class as the page");
    let swatches: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("data-class").is_some())
        .map(|n| n.attribute("fill").unwrap())
        .collect();
    assert_eq!(swatches, colors, "legend swatches are the page's colours");

    // Unchanged bundle and query: 304.
    let r = reqwest::Client::new()
        .get(format!("{base}/export/map.svg?{q}"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);

    // PNG of the page size at the resolution asked.
    let r = reqwest::get(format!(
        "{base}/export/map.png?{q}&page=a5-landscape&dpi=100"
    ))
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    let png = r.bytes().await.unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((w, h), (827, 583), "A5 landscape at 100 dpi");

    // PDF.
    let r = reqwest::get(format!("{base}/export/map.pdf?{q}"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let pdf = r.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
}

#[tokio::test]
async fn bad_requests_and_internal_indicators() {
    let base = start(Some("chomage_15_24")).await;
    let get = |path: String| async move {
        let r = reqwest::get(path).await.unwrap();
        let status = r.status().as_u16();
        let body: serde_json::Value = r.json().await.unwrap_or_default();
        (
            status,
            body["error"].as_str().unwrap_or_default().to_string(),
        )
    };
    // An internal indicator does not exist over HTTP, whatever is asked.
    let (s, e) = get(format!(
        "{base}/export/map.svg?indicator=chomage_15_24&level=commune"
    ))
    .await;
    assert_eq!(s, 404);
    assert!(e.contains("indicateur inconnu"), "{e}");
    assert!(
        !e.contains("chomage_15_24,"),
        "the list of indicators does not name it: {e}"
    );
    let cases = [
        ("indicator=nope&level=commune", 404, "indicateur inconnu"),
        ("level=commune", 400, "indicator"),
        (
            "indicator=chomage_15_64&level=canton",
            400,
            "niveau inconnu",
        ),
        (
            "indicator=chomage_15_64&level=commune&breaks=0%20-%205",
            400,
            "couvrir toutes les valeurs",
        ),
        (
            "indicator=chomage_15_64&level=commune&breaks=20%20-%2010",
            400,
            "strictement croissantes",
        ),
        (
            "indicator=chomage_15_64&level=commune&page=60x60mm",
            400,
            "page trop petite",
        ),
        (
            "indicator=chomage_15_64&level=commune&page=a4-sideways",
            400,
            "format de page",
        ),
        (
            "indicator=chomage_15_64&level=commune&legend=diagonal",
            400,
            "vertical ou horizontal",
        ),
        (
            "indicator=chomage_15_64&level=commune&highlight=ES99",
            400,
            "zone à mettre en évidence",
        ),
        (
            "indicator=chomage_15_64&level=commune&year=1990",
            400,
            "millésime 1990",
        ),
        ("indicator=population_15_64&level=commune", 400, "effectif"),
    ];
    for (q, status, msg) in cases {
        let (s, e) = get(format!("{base}/export/map.svg?{q}")).await;
        assert_eq!(s, status, "{q}: {e}");
        assert!(e.contains(msg), "{q}: {e}");
    }
    let (s, e) = get(format!(
        "{base}/export/map.png?indicator=chomage_15_64&page=a3-portrait&dpi=600"
    ))
    .await;
    assert_eq!(s, 400);
    assert!(e.contains("image trop grande"), "{e}");
}
