//! The indicator API over real HTTP: catalogue, values, classification (legend and colours from
//! the server), CSV export; bad parameters are 400/404 JSON errors.
use std::path::PathBuf;

async fn start() -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let config = zones::Config::load(&root.join("boundaries/val-de-marne/observatoire.toml"))
        .expect("config (and ../shared/data)");
    let mut bundle = zones::build(&config, &zones::build::Silent).unwrap().0;
    let catalogue =
        indicators::Catalogue::load(&config.config_path(config.indicators.as_ref().unwrap()))
            .unwrap();
    let set = indicators::compute(&catalogue, &bundle, &config.data_dir()).unwrap();
    bundle.set_section(indicators::SECTION, &set).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server::serve_on(listener, server::state_from(bundle)));
    format!("http://{addr}")
}

async fn get(url: String) -> (u16, serde_json::Value) {
    let r = reqwest::get(url).await.unwrap();
    (
        r.status().as_u16(),
        r.json().await.unwrap_or(serde_json::Value::Null),
    )
}

#[tokio::test]
async fn catalogue_values_classes_and_export() {
    let base = start().await;
    let (status, cat) = get(format!("{base}/api/indicators")).await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = cat["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"chomage_15_64") && ids.contains(&"revenu_median"));
    assert!(
        cat["themes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "Emploi")
    );

    let (status, v) = get(format!("{base}/api/indicators/chomage_15_64?level=commune")).await;
    assert_eq!(status, 200);
    let recs = v["records"].as_array().unwrap();
    assert_eq!(recs.len(), 47);
    let creteil = recs.iter().find(|r| r["code"] == "94028").unwrap();
    assert_eq!(creteil["name"], "Créteil");
    assert!((creteil["ref_departement"].as_f64().unwrap() - 13.0235).abs() < 0.001);

    let (status, c) = get(format!(
        "{base}/api/classify?indicator=chomage_15_64&level=commune&method=jenks&k=5"
    ))
    .await;
    assert_eq!(status, 200);
    let breaks = c["breaks"].as_array().unwrap();
    let counts: Vec<u64> = c["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    assert_eq!(breaks.len(), counts.len() + 1);
    assert_eq!(c["colors"].as_array().unwrap().len(), counts.len());
    assert_eq!(counts.iter().sum::<u64>(), 47);
    assert_eq!(c["palette"], "Reds", "higher unemployment is unfavourable");

    let (status, d) = get(format!(
        "{base}/api/classify?indicator=chomage_15_64&level=es&method=diverging&k=4"
    ))
    .await;
    assert_eq!(status, 200);
    assert!(
        (d["breaks"][2].as_f64().unwrap() - 13.0235).abs() < 0.001,
        "centred on the département value: {d}"
    );
    // Same palette as the static maps: the unfavourable side (high unemployment) in red.
    assert_eq!(d["palette"], "RdBu_r", "{d}");
    let colors = d["colors"].as_array().unwrap();
    let red = |c: &serde_json::Value| {
        let h = c.as_str().unwrap().trim_start_matches('#');
        i32::from_str_radix(&h[0..2], 16).unwrap() - i32::from_str_radix(&h[4..6], 16).unwrap()
    };
    assert!(
        red(&colors[colors.len() - 1]) > 0 && red(&colors[0]) < 0,
        "{d}"
    );

    for (url, code) in [
        (
            "/api/classify?indicator=chomage_15_64&breaks=20%20-%2010",
            400,
        ),
        ("/api/classify?indicator=nope", 404),
        ("/api/indicators/chomage_15_64?level=canton", 404),
        ("/api/indicators/chomage_15_64?year=1999", 400),
        (
            "/api/classify?indicator=population&method=nested_means&k=3",
            400,
        ),
    ] {
        let (status, body) = get(format!("{base}{url}")).await;
        assert_eq!(status, code, "{url}: {body}");
        assert!(body["error"].is_string(), "{url}: JSON error");
    }

    let csv = reqwest::get(format!(
        "{base}/export/indicators.csv?level=es&indicator=chomage_15_64"
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert_eq!(csv.lines().count(), 21);
    assert!(csv.starts_with("level,code,name,indicator,year,value,numerator,denominator,ref_departement,ref_region,ref_france,gap_departement,index_departement,status"));
}
