//! Fuzzing of every HTTP route without nightly: property tests that send adversarial path
//! segments, query strings and headers (random unicode, percent escapes valid or not, encoded
//! slashes and dots, huge, negative and non-finite numbers, empty and repeated keys, very long
//! strings, tokens right or wrong) to the real router, on the real Val-de-Marne bundle with
//! its indicators and town halls, built once.
//!
//! Every answer must hold: no panic and no 5xx (the only 5xx allowed are the documented 503s:
//! a request timeout, `POST /admin/reload` on a server that cannot reload); an error under
//! `/api/` is JSON with an `"error"` string; any JSON answer parses.
//!
//! Each case sends one request to every route of its group, so every route gets
//! `PROPTEST_CASES` cases (256 in `tests/all.sh`, 10,000 in `just fuzz`). The requests go
//! through `tower::ServiceExt::oneshot` on the router (the whole stack of layers, without
//! sockets); a smaller pass (a tenth of the cases) sends the same requests byte for byte over
//! real TCP to `server::serve_on`. The static map exports render for a small share of cases
//! only (small pages, low resolutions); the rest of their cases are invalid parameters.
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};
use std::time::Duration;
use tower::ServiceExt;

const TOKEN: &str = "jeton-fuzz-5d1c7a9e03b4";
const ADMIN_TOKEN: &str = "jeton-admin-fuzz-77e2c1";

/// The application under test, built once per test binary.
struct App {
    router: axum::Router,
    rt: tokio::runtime::Runtime,
    /// `http://127.0.0.1:port` of the same application served over TCP.
    base: String,
    indicators: Vec<String>,
    years: Vec<String>,
    codes: Vec<String>,
    es_codes: Vec<String>,
    palettes: Vec<String>,
    /// `(level, version)` of each tile pyramid.
    tile_versions: Vec<(String, String)>,
}

fn app() -> &'static App {
    static APP: LazyLock<App> = LazyLock::new(build_app);
    &APP
}

fn build_app() -> App {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let config = zones::Config::load(&root.join("boundaries/val-de-marne/observatoire.toml"))
        .expect("default configuration (and ../shared/data beside the checkout)");
    let mut bundle = zones::build(&config, &zones::build::Silent)
        .expect("build")
        .0;
    let catalogue =
        indicators::Catalogue::load(&config.config_path(config.indicators.as_ref().unwrap()))
            .unwrap();
    let set = indicators::compute(&catalogue, &bundle, &config.data_dir()).unwrap();
    bundle.set_section(indicators::SECTION, &set).unwrap();
    let (places, _) =
        lookup::Places::load(Some(&lookup::mairies_path(&config.data_dir(), "94")), None);
    let snapshot = Arc::new(server::Snapshot::with_places(bundle, places));

    let mut server_config = server::ServerConfig::default();
    server_config.access.tokens = vec![server::config::TokenHash {
        name: "fuzz".into(),
        sha256: server::config::token_hash(TOKEN),
    }];
    server_config.access.admin_tokens = vec![server::config::TokenHash {
        name: "fuzz-admin".into(),
        sha256: server::config::token_hash(ADMIN_TOKEN),
    }];
    let state = server::AppState::with_config(snapshot.clone(), server_config);

    let set = snapshot.indicators.as_ref().unwrap();
    let mut years: Vec<String> = set
        .indicators
        .iter()
        .flat_map(|i| i.vintages.iter().map(|v| v.year.to_string()))
        .collect();
    years.sort();
    years.dedup();
    let b = &snapshot.bundle;
    let mut codes: Vec<String> = b
        .levels
        .iter()
        .flat_map(|(_, zs)| zs.iter().map(|z| z.code.clone()))
        .chain(b.qpv.iter().map(|q| q.code.clone()))
        .collect();
    codes.sort();
    codes.dedup();
    let tile_versions = snapshot
        .tiles
        .as_ref()
        .map(|t| {
            t.levels
                .iter()
                .map(|l| (l.level.key().to_string(), l.version.clone()))
                .collect()
        })
        .unwrap_or_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    rt.spawn(server::serve_on(listener, state.clone()));
    App {
        router: server::router(state),
        rt,
        base,
        indicators: set.indicators.iter().map(|i| i.id.clone()).collect(),
        years,
        codes,
        es_codes: b
            .zones(zones::Level::Es)
            .iter()
            .map(|z| z.code.clone())
            .collect(),
        palettes: indicators::palette::all()
            .palette
            .iter()
            .map(|p| p.name.clone())
            .collect(),
        tile_versions,
    }
}

// ---- what a request is made of ---------------------------------------------------------------

/// A piece of a path segment or query value: text (percent-encoded when written) or raw URI
/// characters written as they are (bad escapes, encoded slashes, separators).
#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Raw(&'static str),
}

/// Percent-encode every byte outside the unreserved set of RFC 3986.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn write(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| match p {
            Piece::Text(t) => encode(t),
            Piece::Raw(r) => r.to_string(),
        })
        .collect()
}

const RAW: &[&str] = &[
    "%",
    "%%",
    "%G0",
    "%zz",
    "%f",
    "%ff",
    "%FF%FE",
    "%00",
    "%2F",
    "%2f",
    "%2e%2e",
    "..",
    ".",
    "%C0%AE",
    "%E2%80%AE",
    "%ED%A0%80",
    "%F4%90%80%80",
    "+",
    "%20",
    "%0A",
    "%0D%0A",
    ";",
    ",",
    "~",
    "!",
    "*",
    "'",
    "(",
    ")",
    "@",
    ":",
    "$",
    "=",
    "&",
    "&&",
    "%26",
    "%3D",
    "%3F",
    "%23",
    "[",
    "]",
    "%5B%5D",
];

/// Numbers and words at the edges.
const EDGES: &[&str] = &[
    "",
    " ",
    "0",
    "-0",
    "-1",
    "1",
    "1.5",
    "1,5",
    "99999999999999999999999",
    "-99999999999999999999999",
    "18446744073709551616",
    "4294967296",
    "2147483648",
    "-2147483649",
    "1e309",
    "-1e309",
    "1e-400",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "0x1F",
    "٣",
    "true",
    "null",
    "[]",
    "{}",
    "\u{0}",
    "\u{feff}",
    "é",
    "\u{202e}",
    "../../etc/passwd",
    "<script>",
];

/// A value for a slot: one of its valid values most of the time, otherwise edges, random
/// unicode, raw URI fragments, or a very long string, possibly glued together.
fn value(valid: Vec<String>) -> BoxedStrategy<String> {
    let valid = if valid.is_empty() {
        vec![String::new()]
    } else {
        valid
    };
    let piece = prop_oneof![
        4 => prop::sample::select(valid.clone()).prop_map(Piece::Text),
        2 => prop::sample::select(EDGES).prop_map(|s| Piece::Text(s.to_string())),
        2 => "\\PC{0,16}".prop_map(Piece::Text),
        1 => "[a-zA-Z0-9_-]{0,12}".prop_map(Piece::Text),
        2 => prop::sample::select(RAW).prop_map(Piece::Raw),
        1 => (1usize..12_000).prop_map(|n| Piece::Text("a".repeat(n))),
    ];
    prop_oneof![
        7 => prop::sample::select(valid).prop_map(|v| encode(&v)),
        3 => proptest::collection::vec(piece, 1..4).prop_map(|p| write(&p)),
    ]
    .boxed()
}

/// A query string over `keys` (each with its valid values). Most cases are tidy: each key at
/// most once, its value valid more often than not. The others are chaos: keys repeated,
/// missing, unknown, without `=`, empty; stray separators and bad escapes.
fn query(keys: Vec<(&'static str, Vec<String>)>) -> BoxedStrategy<String> {
    query_weighted(keys, &[])
}

/// [`query`], with the chance that each named key appears in a tidy query (0.6 otherwise).
fn query_weighted(
    keys: Vec<(&'static str, Vec<String>)>,
    presence: &[(&str, f64)],
) -> BoxedStrategy<String> {
    let tidy: Vec<BoxedStrategy<Option<String>>> = keys
        .iter()
        .map(|(k, valid)| {
            let k = *k;
            let p = presence
                .iter()
                .find(|(n, _)| *n == k)
                .map_or(0.6, |(_, p)| *p);
            proptest::option::weighted(
                p,
                value(valid.clone()).prop_map(move |v| format!("{k}={v}")),
            )
            .boxed()
        })
        .collect();
    let tidy = tidy.prop_map(|pairs| pairs.into_iter().flatten().collect::<Vec<_>>().join("&"));
    let names: Vec<&'static str> = keys.iter().map(|(k, _)| *k).collect();
    let pairs: Vec<BoxedStrategy<String>> = keys
        .into_iter()
        .map(|(k, valid)| {
            prop_oneof![
                8 => value(valid).prop_map(move |v| format!("{k}={v}")),
                1 => Just(k.to_string()),
                1 => Just(format!("{k}=")),
            ]
            .boxed()
        })
        .collect();
    let key_for_junk = prop::sample::select(if names.is_empty() { vec!["x"] } else { names });
    let junk = prop_oneof![
        (key_for_junk, value(vec![])).prop_map(|(k, v)| format!("{k}={v}")),
        ("[a-z%=+&;]{0,8}", value(vec![])).prop_map(|(k, v)| format!("{k}={v}")),
        prop::sample::select(vec!["", "=", "&", "==", "=&=", "%", "a=%G0&a=%FF"])
            .prop_map(str::to_string),
    ]
    .boxed();
    let item = if pairs.is_empty() {
        junk
    } else {
        prop_oneof![8 => proptest::strategy::Union::new(pairs), 3 => junk].boxed()
    };
    let chaos = proptest::collection::vec(item, 0..7).prop_map(|items| items.join("&"));
    prop_oneof![7 => tidy, 3 => chaos].boxed()
}

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn levels() -> Vec<String> {
    words(&[
        "iris",
        "commune",
        "es",
        "territoire",
        "departement",
        "qpv",
        "context",
        "IRIS",
        "Commune",
        "communes",
    ])
}

/// Headers a client or a proxy may send: tokens right or wrong, cookies, conditional requests,
/// encodings, forwarded hosts.
fn headers() -> impl Strategy<Value = Vec<(String, String)>> {
    let any_text = "[ -~]{0,60}";
    let one = prop_oneof![
        3 => prop_oneof![
            Just(format!("Bearer {TOKEN}")),
            Just(format!("Bearer {ADMIN_TOKEN}")),
            Just("Bearer ".to_string()),
            any_text.prop_map(|t| format!("Bearer {t}")),
            any_text.prop_map(|t| format!("Basic {t}")),
            any_text.prop_map(|t| t.to_string()),
        ]
        .prop_map(|v| ("authorization".to_string(), v)),
        2 => prop_oneof![
            Just(format!("observatoire_jeton={TOKEN}")),
            any_text.prop_map(|t| format!("observatoire_jeton={t}")),
            any_text.prop_map(|t| t.to_string()),
        ]
        .prop_map(|v| ("cookie".to_string(), v)),
        2 => prop_oneof![Just("*".to_string()), Just("W/\"x\"".to_string()), any_text.prop_map(|t| t.to_string())]
            .prop_map(|v| ("if-none-match".to_string(), v)),
        2 => prop_oneof![
            Just("gzip".to_string()),
            Just("identity".to_string()),
            Just("gzip;q=0".to_string()),
            Just("*;q=NaN, br".to_string()),
            any_text.prop_map(|t| t.to_string()),
        ]
        .prop_map(|v| ("accept-encoding".to_string(), v)),
        1 => any_text.prop_map(|v| ("x-forwarded-host".to_string(), v.to_string())),
        1 => prop_oneof![Just("https".to_string()), any_text.prop_map(|t| t.to_string())]
            .prop_map(|v| ("x-forwarded-proto".to_string(), v)),
        1 => any_text.prop_map(|v| ("x-remote-user".to_string(), v.to_string())),
        1 => prop_oneof![Just("cross-site".to_string()), Just("same-origin".to_string())]
            .prop_map(|v| ("sec-fetch-site".to_string(), v)),
        1 => ("[a-z-]{1,12}", any_text).prop_map(|(k, v)| (k, v.to_string())),
    ];
    proptest::collection::vec(one, 0..4)
}

// ---- sending and checking --------------------------------------------------------------------

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match flate2::read::GzDecoder::new(bytes).read_to_end(&mut out) {
        Ok(_) => out,
        Err(_) => bytes.to_vec(),
    }
}

/// One request through the whole router (every layer), as from a loopback peer.
fn send(method: Method, uri: &str, hdrs: &[(String, String)], body: Vec<u8>) -> Option<Answer> {
    let mut req = Request::builder().method(method).uri(uri);
    for (k, v) in hdrs {
        if let (Ok(k), Ok(v)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            req = req.header(k, v);
        }
    }
    let mut req = req.body(Body::from(body)).ok()?;
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 50_000))));
    let a = app();
    let resp =
        a.rt.block_on(a.router.clone().oneshot(req))
            .expect("infallible");
    let (parts, body) = resp.into_parts();
    let bytes =
        a.rt.block_on(axum::body::to_bytes(body, usize::MAX))
            .expect("body");
    let body = if parts
        .headers
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| v == "gzip")
    {
        gunzip(&bytes)
    } else {
        bytes.to_vec()
    };
    Some(Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}

fn preview(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(300)]).into_owned()
}

/// The properties every answer must have (an answer to HEAD has no body to check).
fn check(path: &str, a: &Answer) -> Result<(), TestCaseError> {
    check_answer(path, a, false)
}

fn check_answer(path: &str, a: &Answer, head: bool) -> Result<(), TestCaseError> {
    let status = a.status.as_u16();
    // `FUZZ_TRACE=1`: one line per answer (route, status), to see what the cases reach.
    static TRACE: LazyLock<bool> = LazyLock::new(|| std::env::var_os("FUZZ_TRACE").is_some());
    if *TRACE {
        let route: Vec<&str> = path.split('/').take(3).collect();
        eprintln!("FUZZ {} {status}", route.join("/"));
    }
    let content_type = a
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let json = content_type.starts_with("application/json") || content_type.contains("+json");
    let error_text = || {
        serde_json::from_slice::<Value>(&a.body)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_string))
    };
    if status >= 500 {
        // Documented: a request over the time limit, a reload on a server that cannot reload.
        let documented = status == 503
            && error_text().is_some()
            && (path.starts_with("/admin/reload")
                || error_text().is_some_and(|e| e.contains("délai") || e.contains("temps")));
        prop_assert!(
            documented,
            "{path} → {status} {content_type} {}",
            preview(&a.body)
        );
    }
    if head {
        prop_assert!(status < 500 || status == 503, "HEAD {path} → {status}");
        return Ok(());
    }
    if status >= 400 && (path.starts_with("/api/") || json) {
        prop_assert!(
            json,
            "{path} → {status} sans JSON ({content_type}) : {}",
            preview(&a.body)
        );
        prop_assert!(
            error_text().is_some(),
            "{path} → {status} sans clé « error » : {}",
            preview(&a.body)
        );
    }
    if json && !a.body.is_empty() {
        prop_assert!(
            serde_json::from_slice::<Value>(&a.body).is_ok(),
            "{path} → {status} JSON illisible : {}",
            preview(&a.body)
        );
    }
    Ok(())
}

/// GET `path?query` through the router and check the answer.
fn get(path: &str, query: &str, hdrs: &[(String, String)]) -> Result<(), TestCaseError> {
    let uri = if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    };
    let start = std::time::Instant::now();
    match send(Method::GET, &uri, hdrs, Vec::new()) {
        Some(a) => {
            // `FUZZ_TRACE=2`: also the request, its time and the start of the answer.
            if std::env::var_os("FUZZ_TRACE").is_some_and(|v| v == "2") {
                eprintln!(
                    "FUZZ2 {} {}µs {uri} {}",
                    a.status.as_u16(),
                    start.elapsed().as_micros(),
                    preview(&a.body).replace('\n', " ")
                );
            }
            check(path, &a)
        }
        // Not a request line any client could send (the URI parser refuses it).
        None => Ok(()),
    }
}

/// The route cases' request lines, for the TCP pass.
fn tcp_get(path_and_query: &str, hdrs: &[(String, String)]) -> Result<(), TestCaseError> {
    let addr = app().base.trim_start_matches("http://").to_string();
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut head = format!("GET {path_and_query} HTTP/1.0\r\nHost: {addr}\r\n");
    for (k, v) in hdrs {
        // Only what a client can put on the wire: a token name and visible ASCII.
        if HeaderName::from_bytes(k.as_bytes()).is_ok()
            && HeaderValue::from_str(v).is_ok()
            && k != "accept-encoding"
            && k != "host"
        {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| {
            TestCaseError::fail(format!(
                "{path_and_query} : réponse incomplète ({} octets) — connexion coupée ?",
                out.len()
            ))
        })?;
    let head = String::from_utf8_lossy(&out[..split]).into_owned();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut headers = HeaderMap::new();
    for l in lines {
        if let Some((k, v)) = l.split_once(':')
            && let (Ok(k), Ok(v)) = (
                HeaderName::from_bytes(k.trim().as_bytes()),
                HeaderValue::from_str(v.trim()),
            )
        {
            headers.append(k, v);
        }
    }
    let path = path_and_query.split('?').next().unwrap_or("");
    // Hyper answers a request line it cannot parse with a bare 400 before any route runs.
    if status == 400 && headers.get(header::CONTENT_TYPE).is_none() {
        return Ok(());
    }
    prop_assert!(status > 0, "{path_and_query} : pas de statut");
    check(
        path,
        &Answer {
            status: StatusCode::from_u16(status).unwrap(),
            headers,
            body: out[split + 4..].to_vec(),
        },
    )
}

// ---- the routes, by shape of their parameters ------------------------------------------------

fn indicator_ids() -> Vec<String> {
    let mut v = app().indicators.clone();
    v.extend(words(&["rsa_part", "chomage", "CHOMAGE_15_64"]));
    v
}

fn years() -> Vec<String> {
    let mut v = app().years.clone();
    v.extend(words(&["1900", "3000", "2016.0"]));
    v
}

fn classify_keys() -> Vec<(&'static str, Vec<String>)> {
    vec![
        ("indicator", indicator_ids()),
        ("level", levels()),
        ("year", years()),
        (
            "method",
            words(&[
                "quantiles",
                "equal",
                "jenks",
                "q6",
                "msd",
                "geom",
                "headtail",
                "nested_means",
                "diverging",
                "manual",
            ]),
        ),
        ("k", words(&["0", "1", "2", "5", "9", "10", "12", "100"])),
        (
            "breaks",
            words(&[
                "0 - 10 - 20",
                "0 - 5 - 10 - 15 - 20 - 40",
                "10;5",
                "0,5 - 1,5",
                "1e308 - 1e309",
                "0 - 0",
                "-1e300 - 1e300",
            ]),
        ),
        ("palette", {
            let mut p = app().palettes.clone();
            p.push("Rainbow".into());
            p
        }),
    ]
}

/// Routes without path parameters: any query string, any headers.
const PLAIN: &[&str] = &[
    "/health",
    "/",
    "/es",
    "/es/",
    "/es/app.js",
    "/es/app.css",
    "/connexion",
    "/metrics",
    "/api/context",
    "/api/indicators",
    "/api/es",
];

fn plain_keys() -> Vec<(&'static str, Vec<String>)> {
    vec![
        ("format", words(&["geojson", "csv", "json"])),
        ("level", levels()),
        ("lon", words(&["2.4557"])),
        ("es", words(&["ES10"])),
        ("q", words(&["creteil"])),
    ]
}

/// Longitudes (or Lambert-93 x) over the département, then edge cases.
fn longitudes() -> Vec<String> {
    let mut v: Vec<String> = (0..24)
        .map(|i| format!("{:.4}", 2.33 + 0.012 * f64::from(i)))
        .collect();
    v.extend((0..6).map(|i| format!("{:.4}", 2.40 + 0.03 * f64::from(i)).replace('.', ",")));
    v.extend(words(&[
        "652000.5", "660001.4", "0", "-180", "180", "180.0001", "48.7803", "1e308",
    ]));
    v
}

/// Latitudes (or Lambert-93 y) over the département, then edge cases.
fn latitudes() -> Vec<String> {
    let mut v: Vec<String> = (0..24)
        .map(|i| format!("{:.4}", 48.69 + 0.007 * f64::from(i)))
        .collect();
    v.extend((0..6).map(|i| format!("{:.4}", 48.74 + 0.02 * f64::from(i)).replace('.', ",")));
    v.extend(words(&[
        "6853499.22",
        "6860000",
        "0",
        "-90",
        "90",
        "90.5",
        "2.4557",
        "-1e308",
    ]));
    v
}

fn tile_strategy() -> impl Strategy<Value = String> {
    let versions = app().tile_versions.clone();
    let level_version = prop_oneof![
        6 => prop::sample::select(versions).prop_map(|(l, v)| (l, v)),
        2 => (prop::sample::select(levels()), "[0-9a-f]{0,16}"),
        2 => (value(levels()), value(vec![])),
    ];
    // A tile over the département at zoom z, or anything.
    let zxy = prop_oneof![
        6 => (0u32..=18, 2.30f64..2.62, 48.68f64..48.87).prop_map(|(z, lon, lat)| {
            let n = f64::from(1u32 << z);
            let x = ((lon + 180.0) / 360.0 * n) as u64;
            let lat_r = lat.to_radians();
            let y = ((1.0 - (lat_r.tan() + 1.0 / lat_r.cos()).ln() / std::f64::consts::PI) / 2.0 * n) as u64;
            (z.to_string(), x.to_string(), y.to_string())
        }),
        2 => (value(words(&["0", "14", "16", "24", "64"])), value(words(&["0", "1"])), value(words(&["0", "1"]))),
    ];
    let ext = prop::sample::select(vec![".mvt", ".pbf", "", ".json", ".mvt.gz", "%2Emvt"]);
    (level_version, zxy, ext).prop_map(|((l, v), (z, x, y), e)| {
        format!("/tiles/{}/{}/{z}/{x}/{y}{e}", encode(&l), encode(&v))
    })
}

fn asset_strategy() -> impl Strategy<Value = String> {
    let assets: Vec<(String, String)> = server::routes::map::embedded::ASSETS
        .iter()
        .map(|a| (a.hash.to_string(), a.name.to_string()))
        .collect();
    let names: Vec<String> = assets.iter().map(|(_, n)| n.clone()).collect();
    prop_oneof![
        4 => prop::sample::select(assets).prop_map(|(h, n)| format!("/map/assets/{h}/{n}")),
        3 => (value(vec!["0000000000000000".into()]), value(names)).prop_map(|(h, n)| format!("/map/assets/{h}/{n}")),
    ]
}

proptest! {
    /// Routes without path parameters.
    #[test]
    fn plain_routes(q in query(plain_keys()), h in headers()) {
        for path in PLAIN {
            get(path, &q, &h)?;
        }
    }

    /// `GET /api/zones/{level}?format=…`. The IRIS GeoJSON (tens of milliseconds to write)
    /// is asked for in one case in a hundred; the other levels freely.
    #[test]
    fn zones_route(
        level in prop_oneof![
            1 => Just("iris".to_string()),
            99 => value(levels().into_iter().filter(|l| !l.eq_ignore_ascii_case("iris")).collect()),
        ],
        q in query(vec![("format", words(&["geojson", "csv", "pdf", "GEOJSON"]))]),
        h in headers(),
    ) {
        get(&format!("/api/zones/{level}"), &q, &h)?;
    }

    /// `GET /api/indicators/{id}?level=…&year=…`.
    #[test]
    fn indicator_values_route(
        id in value(indicator_ids()),
        q in query(vec![("level", levels()), ("year", years())]),
        h in headers(),
    ) {
        get(&format!("/api/indicators/{id}"), &q, &h)?;
    }

    /// `GET /api/classify?…`.
    #[test]
    fn classify_route(
        q in query_weighted(classify_keys(), &[("indicator", 0.95), ("level", 0.7), ("year", 0.3), ("breaks", 0.15), ("palette", 0.3)]),
        h in headers(),
    ) {
        get("/api/classify", &q, &h)?;
    }

    /// `GET /export/indicators.csv` and `.xlsx` (`level`, `indicator`, `year`); the XLSX is
    /// written for one case in ten (the rest have the same parameters, as CSV only).
    #[test]
    fn indicator_exports(
        q in query(vec![("level", levels()), ("indicator", indicator_ids()), ("year", years())]),
        xlsx in prop::bool::weighted(0.1),
        h in headers(),
    ) {
        get("/export/indicators.csv", &q, &h)?;
        if xlsx {
            get("/export/indicators.xlsx", &q, &h)?;
        }
    }

    /// `GET /api/lookup?lon=…&lat=…` or `?x=…&y=…`.
    #[test]
    fn lookup_route(
        q in prop_oneof![
            3 => query_weighted(vec![("lon", longitudes()), ("lat", latitudes())], &[("lon", 0.9), ("lat", 0.9)]),
            1 => query_weighted(vec![("x", longitudes()), ("y", latitudes())], &[("x", 0.9), ("y", 0.9)]),
            1 => query(vec![("lon", longitudes()), ("lat", latitudes()), ("x", longitudes()), ("y", latitudes())]),
        ],
        h in headers(),
    ) {
        get("/api/lookup", &q, &h)?;
    }

    /// `GET /api/search?q=…&limit=…`.
    #[test]
    fn search_route(
        q in query(vec![
            ("q", words(&["creteil", "Créteil", "Créteuil", "vitry sur seine", "ES10", "94028", "mairie", "avenue du general", "saint", "a", "é'-_%", &"x".repeat(201)])),
            ("limit", words(&["1", "10", "50", "51", "0"])),
        ]),
        h in headers(),
    ) {
        get("/api/search", &q, &h)?;
    }

    /// `GET /api/es/{code}`, `GET /api/places/{level}`, `GET /api/composition/{level}/{code}`.
    #[test]
    fn zone_routes(
        es in value(app().es_codes.clone()),
        level in value(levels()),
        code in value(app().codes.clone()),
        q in query(vec![("level", levels())]),
        h in headers(),
    ) {
        get(&format!("/api/es/{es}"), &q, &h)?;
        get(&format!("/api/places/{level}"), &q, &h)?;
        get(&format!("/api/composition/{level}/{code}"), &q, &h)?;
    }

    /// `GET /tiles/{level}.json` and `GET /tiles/{level}/{version}/{z}/{x}/{y}.mvt`.
    #[test]
    fn tile_routes(
        file in prop_oneof![
            value(levels()).prop_map(|l| format!("{l}.json")),
            value(vec!["iris.json".into(), "qpv.json".into(), "iris.mvt".into()]),
        ],
        tile in tile_strategy(),
        h in headers(),
    ) {
        get(&format!("/tiles/{file}"), "", &h)?;
        get(&tile, "", &h)?;
    }

    /// `GET /map/assets/{hash}/{name}` and `GET /styles/{indicator}.json?…`.
    #[test]
    fn page_routes(
        asset in asset_strategy(),
        style in prop_oneof![
            value(indicator_ids()).prop_map(|i| format!("{i}.json")),
            value(vec!["chomage_15_64".into()]),
        ],
        q in query({
            let mut k = classify_keys();
            k.retain(|(n, _)| *n != "indicator");
            k.push(("qpv", words(&["1", "true", "oui", "0", "non"])));
            k
        }),
        h in headers(),
    ) {
        get(&asset, "", &h)?;
        get(&format!("/styles/{style}"), &q, &h)?;
    }

    /// `POST /connexion` (form), `POST /deconnexion`, `POST /admin/reload`, and other methods on
    /// known routes.
    #[test]
    fn forms_and_methods(
        body in prop_oneof![
            Just(format!("jeton={TOKEN}")),
            value(vec![TOKEN.into()]).prop_map(|v| format!("jeton={v}")),
            "\\PC{0,64}",
            (1usize..40_000).prop_map(|n| format!("jeton={}", "a".repeat(n))),
        ],
        content_type in prop::sample::select(vec!["application/x-www-form-urlencoded", "text/plain", "multipart/form-data", ""]),
        method in prop::sample::select(vec![Method::PUT, Method::DELETE, Method::PATCH, Method::POST, Method::OPTIONS, Method::HEAD]),
        h in headers(),
    ) {
        let mut hdrs = h.clone();
        if !content_type.is_empty() {
            hdrs.push(("content-type".into(), content_type.into()));
        }
        for path in ["/connexion", "/deconnexion", "/admin/reload"] {
            if let Some(a) = send(Method::POST, path, &hdrs, body.clone().into_bytes()) {
                check(path, &a)?;
            }
        }
        for path in ["/api/indicators", "/health", "/tiles/iris.json", "/export/map.svg"] {
            if let Some(a) = send(method.clone(), path, &hdrs, body.clone().into_bytes()) {
                check_answer(path, &a, method == Method::HEAD)?;
            }
        }
    }

    /// Unknown paths, and paths that look like known ones.
    #[test]
    fn unknown_paths(
        segments in proptest::collection::vec(value(words(&["api", "tiles", "es", "export", "map", "assets", "styles", "admin", ".."])), 0..6),
        q in query(vec![]),
        h in headers(),
    ) {
        let path = format!("/{}", segments.join("/"));
        get(&path, &q, &h)?;
    }
}

// ---- static map exports ----------------------------------------------------------------------

/// Export parameters: most cases fail validation (unknown indicator, page, resolution, classes…)
/// before any drawing; one in twenty asks for a valid small map.
fn export_query() -> BoxedStrategy<String> {
    let small = (
        prop::sample::select(app().indicators.clone()),
        prop::sample::select(vec!["commune", "es", "territoire", "departement"]),
        prop::sample::select(vec!["a6-portrait", "a6-landscape", "60x45mm", "40x40mm"]),
        prop::sample::select(vec!["36", "50", "72"]),
        proptest::option::of(prop::sample::select(vec![
            "method=jenks&k=4",
            "classes=q6",
            "breaks=0%20-%2010%20-%2020%20-%2050",
            "legend=horizontal",
            "labels=true",
            "inset=false",
            "highlight=ES10",
        ])),
    )
        .prop_map(|(i, l, p, d, extra)| {
            let mut q = format!("indicator={i}&level={l}&page={p}&dpi={d}");
            if let Some(e) = extra {
                q.push('&');
                q.push_str(e);
            }
            q
        });
    // Invalid for sure: a bad page, resolution, legend or flag, whatever the rest.
    let spoiler = prop_oneof![
        value(words(&[
            "a4-sideways",
            "0x0mm",
            "1190x10mm",
            "nanxnanmm",
            "b5"
        ]))
        .prop_map(|v| format!("page={v}")),
        value(words(&["0", "-1", "NaN", "1e9", "35", "601", "inf"]))
            .prop_map(|v| format!("dpi={v}")),
        value(words(&["diagonal", "x"])).prop_map(|v| format!("legend={v}")),
        value(words(&["maybe", "2"])).prop_map(|v| format!("labels={v}")),
        value(words(&["jenks:0", "jenks:10", ":5", "magic:3"]))
            .prop_map(|v| format!("classes={v}")),
        value(words(&["10;5", "0 - 0", "x"])).prop_map(|v| format!("breaks={v}")),
        value(words(&["Rainbow"])).prop_map(|v| format!("palette={v}")),
    ];
    let mut keys = classify_keys();
    keys.extend([
        (
            "classes",
            words(&["jenks:5", "q6", "diverging:4", "quantiles:0"]),
        ),
        (
            "page",
            words(&[
                "a6-portrait",
                "a0-landscape",
                "0.001x0.001mm",
                "1189x1189mm",
            ]),
        ),
        ("dpi", words(&["36", "72", "600", "601", "0", "-1", "NaN"])),
        ("legend", words(&["vertical", "horizontal", "v", "h", "x"])),
        (
            "labels",
            words(&["true", "false", "1", "0", "oui", "maybe"]),
        ),
        ("highlight", words(&["ES10", "94028", "940280101", "ZZZ"])),
        ("inset", words(&["true", "false", "peut-être"])),
    ]);
    prop_oneof![
        1 => small.boxed(),
        19 => (query(keys), spoiler).prop_map(|(q, s)| if q.is_empty() { s } else { format!("{q}&{s}") }).boxed(),
    ]
    .boxed()
}

proptest! {
    /// `GET /export/map.svg|png|pdf?…`: every case tries the three formats.
    #[test]
    fn map_exports(q in export_query(), h in headers()) {
        for path in ["/export/map.svg", "/export/map.png", "/export/map.pdf"] {
            get(path, &q, &h)?;
        }
    }
}

// ---- the same requests over real TCP ---------------------------------------------------------

/// Any route's request line, as the cases above make them.
fn any_request() -> BoxedStrategy<String> {
    let with_query = |path: &'static str, keys: Vec<(&'static str, Vec<String>)>| {
        query(keys).prop_map(move |q| {
            if q.is_empty() {
                path.to_string()
            } else {
                format!("{path}?{q}")
            }
        })
    };
    prop_oneof![
        prop::sample::select(PLAIN).prop_map(str::to_string).boxed(),
        value(levels())
            .prop_map(|l| format!("/api/zones/{l}?format=csv"))
            .boxed(),
        (
            value(indicator_ids()),
            query(vec![("level", levels()), ("year", years())])
        )
            .prop_map(|(i, q)| format!("/api/indicators/{i}?{q}"))
            .boxed(),
        with_query("/api/classify", classify_keys()).boxed(),
        with_query(
            "/export/indicators.csv",
            vec![("level", levels()), ("indicator", indicator_ids())]
        )
        .boxed(),
        with_query(
            "/api/lookup",
            vec![("lon", longitudes()), ("lat", latitudes())]
        )
        .boxed(),
        with_query(
            "/api/search",
            vec![
                ("q", words(&["creteil", "vitry"])),
                ("limit", words(&["5"]))
            ]
        )
        .boxed(),
        value(app().es_codes.clone())
            .prop_map(|c| format!("/api/es/{c}"))
            .boxed(),
        (value(levels()), value(app().codes.clone()))
            .prop_map(|(l, c)| format!("/api/composition/{l}/{c}"))
            .boxed(),
        value(levels())
            .prop_map(|l| format!("/api/places/{l}"))
            .boxed(),
        value(levels())
            .prop_map(|l| format!("/tiles/{l}.json"))
            .boxed(),
        tile_strategy().boxed(),
        asset_strategy().boxed(),
        value(indicator_ids())
            .prop_map(|i| format!("/styles/{i}.json"))
            .boxed(),
        export_query()
            .prop_map(|q| format!("/export/map.svg?{q}"))
            .boxed(),
        proptest::collection::vec(value(vec!["api".into()]), 0..4)
            .prop_map(|s| format!("/{}", s.join("/")))
            .boxed(),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: (ProptestConfig::default().cases / 10).max(16),
        ..ProptestConfig::default()
    })]

    /// A tenth of the cases over a real socket, request lines written byte for byte.
    #[test]
    fn routes_over_tcp(request in any_request(), h in headers()) {
        tcp_get(&request, &h)?;
    }
}

#[test]
fn the_fuzzed_application_answers() {
    let mut hdrs = Vec::new();
    for (path, want) in [
        ("/health", 200),
        ("/api/classify?indicator=chomage_15_64&level=commune", 200),
        ("/api/zones/canton", 404),
        ("/api/lookup?lon=2.4557&lat=48.7803", 200),
        ("/api/search?q=creteil", 200),
    ] {
        let a = send(Method::GET, path, &hdrs, Vec::new()).unwrap();
        assert_eq!(a.status.as_u16(), want, "{path} : {}", preview(&a.body));
        check(path.split('?').next().unwrap(), &a).unwrap();
    }
    hdrs.push(("authorization".to_string(), format!("Bearer {TOKEN}")));
    let a = send(Method::GET, "/api/indicators", &hdrs, Vec::new()).unwrap();
    assert_eq!(a.status, StatusCode::OK);
    tcp_get("/api/zones/canton", &[]).unwrap();
}
