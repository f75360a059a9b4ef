//! Access control of internal indicators, over real HTTP, on the real Val-de-Marne boundaries
//! with a crafted fixture: the default public catalogue plus three internal indicators of
//! invented departmental data (`tests/fixtures/internal/`: RSA households, their share, child
//! protection measures; IRIS 940010000 has 7919 households and 8317,3 measures).
//!
//! - The public crawl: every public route (page and its files, sign-in page, catalogue, values
//!   of every public indicator × level × year, classes, styles, CSV, XLSX read back, SVG, PDF
//!   text, TileJSON, every tile of three zooms decoded, zones, places, composition, search,
//!   lookup, errors) is run against the server that holds the internal indicators and against
//!   a baseline server built without them. The two must answer the same bytes (the public
//!   sees exactly what it would see if internal indicators did not exist), and no answer may
//!   contain an internal id, label, theme or source, nor any internal value written as the API,
//!   the CSV, the XLSX or French typography would write it.
//! - An internal id is answered as an unknown id (404, same body) on every route.
//! - A token (Bearer or the sign-in cookie) or the trusted header from a trusted proxy opens
//!   the internal indicators; the answers are then `private, no-store` and vary with the
//!   credentials. A wrong token, or the header from another peer, is the public.
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

const TOKEN: &str = "jeton-de-test-3c9e0a7d51b2";
const HEADER: &str = "X-Remote-User";
const INTERNAL_IDS: [&str; 3] = ["rsa_allocataires", "rsa_part", "ase_mesures"];
/// Words of the fixture that must never reach the public (ids, labels, theme, source).
const INTERNAL_WORDS: [&str; 10] = [
    "rsa_allocataires",
    "rsa_part",
    "ase_mesures",
    "cd94_interne",
    "Allocataires du RSA",
    "allocataires du RSA",
    "donnée interne",
    "Mesures de protection de",
    "Solidarités départementales",
    "DASO-FICTIF",
];
const LEVELS: [&str; 6] = ["iris", "commune", "es", "territoire", "departement", "qpv"];
const MAP_LEVELS: [&str; 4] = ["iris", "commune", "es", "territoire"];

struct Fixture {
    /// Holds the internal indicators; a token and `X-Remote-User` from loopback open them.
    internal: String,
    /// Same data, but its only trusted proxy is 10.9.8.7 (so loopback's header is ignored).
    untrusted: String,
    /// Built from the public catalogue alone.
    baseline: String,
    /// The indicator set of `internal` (the needles).
    set: indicators::IndicatorSet,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/internal")
}

/// The default catalogue with the fixture's internal indicators appended.
fn catalogue_with_internal(default: &Path) -> indicators::Catalogue {
    let text = std::fs::read_to_string(default).unwrap();
    let extra = std::fs::read_to_string(fixtures().join("indicators-internes.toml"))
        .unwrap()
        .replace("@FIXTURES@", fixtures().to_str().unwrap());
    indicators::Catalogue::parse(default, &format!("{text}\n{extra}")).unwrap()
}

fn server_config(dir: &Path, name: &str, proxies: &str) -> server::ServerConfig {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "[access]\ntokens = [{{ name = \"etudes\", sha256 = \"{}\" }}]\ntrusted_header = \"{HEADER}\"\ntrusted_proxies = [{proxies}]\n",
            server::config::token_hash(TOKEN)
        ),
    )
    .unwrap();
    server::ServerConfig::load(&path).unwrap()
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let config = zones::Config::load(&root().join("boundaries/val-de-marne/observatoire.toml"))
            .expect("config (and ../shared/data)");
        let bundle = zones::build(&config, &zones::build::Silent).unwrap().0;
        let default = config.config_path(config.indicators.as_ref().unwrap());
        let full = catalogue_with_internal(&default);
        let public = indicators::Catalogue::load(&default).unwrap();
        let set = indicators::compute(&full, &bundle, &config.data_dir()).unwrap();
        let set_public = indicators::compute(&public, &bundle, &config.data_dir()).unwrap();
        let mut with_internal = bundle.clone();
        with_internal
            .set_section(indicators::SECTION, &set)
            .unwrap();
        let mut baseline = bundle;
        baseline
            .set_section(indicators::SECTION, &set_public)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let trusting = server_config(dir.path(), "a.toml", "\"127.0.0.1\", \"::1\"");
        let distrusting = server_config(dir.path(), "c.toml", "\"10.9.8.7\"");
        let snapshot = Arc::new(server::Snapshot::new(with_internal));
        let states = vec![
            server::AppState::with_config(snapshot.clone(), trusting),
            server::AppState::with_config(snapshot, distrusting),
            server::state_from(baseline),
        ];
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async move {
                let mut bases = Vec::new();
                for state in states {
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                    bases.push(format!("http://{}", listener.local_addr().unwrap()));
                    tokio::spawn(server::serve_on(listener, state));
                }
                tx.send(bases).unwrap();
                std::future::pending::<()>().await;
            });
        });
        let bases = rx.recv().expect("servers started");
        Fixture {
            internal: bases[0].clone(),
            untrusted: bases[1].clone(),
            baseline: bases[2].clone(),
            set,
        }
    })
}

fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(300))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn header(&self, name: &str) -> String {
        self.headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn get(base: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut r = client().get(format!("{base}{path}"));
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let r = r.send().unwrap_or_else(|e| panic!("{path}: {e}"));
    Answer {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.bytes().unwrap().to_vec(),
    }
}

fn post_form(base: &str, path: &str, body: &str, headers: &[(&str, &str)]) -> Answer {
    let mut r = client()
        .post(format!("{base}{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.to_string());
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let r = r.send().unwrap();
    Answer {
        status: r.status().as_u16(),
        headers: r.headers().clone(),
        body: r.bytes().unwrap().to_vec(),
    }
}

fn bearer() -> String {
    format!("Bearer {TOKEN}")
}

// ---- the public crawl ---------------------------------------------------------------------

/// One public answer, made comparable and searchable: `text` is what a reader gets out of it
/// (body as text; XLSX cells; PDF text; decoded tile properties).
struct Doc {
    path: String,
    status: u16,
    text: String,
    /// Compared with the baseline (false for answers that legitimately differ: metrics).
    compare: bool,
}

fn xlsx_text(bytes: &[u8]) -> String {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes.to_vec())).expect("XLSX readable");
    let mut out = String::new();
    for name in wb.sheet_names() {
        out.push_str(&format!("[{name}]\n"));
        let range = wb.worksheet_range(&name).unwrap();
        for row in range.rows() {
            let cells: Vec<String> = row.iter().map(|c| c.to_string()).collect();
            out.push_str(&cells.join("\t"));
            out.push('\n');
        }
    }
    out
}

fn pdf_text(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("carte.pdf");
    std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg(&p)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils, installed by tests/all.sh)");
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Tiles covering `bounds` at zoom `z` (XYZ).
fn tiles_at(bounds: &[f64], z: u32) -> Vec<(u32, u32)> {
    let n = f64::from(1u32 << z);
    let x = |lon: f64| ((lon + 180.0) / 360.0 * n).floor() as u32;
    let y = |lat: f64| {
        let r = lat.to_radians();
        ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor() as u32
    };
    let mut v = Vec::new();
    for tx in x(bounds[0])..=x(bounds[2]) {
        for ty in y(bounds[3])..=y(bounds[1]) {
            v.push((tx, ty));
        }
    }
    v
}

/// Every public answer of a server, for an audience given by `headers`.
fn crawl(base: &str, headers: &[(&str, &str)]) -> Vec<Doc> {
    let mut docs = Vec::new();
    let fetch = |path: &str, docs: &mut Vec<Doc>| -> Answer {
        let a = get(base, path, headers);
        docs.push(Doc {
            path: path.to_string(),
            status: a.status,
            // Absolute URLs (styles, TileJSON) name this server.
            text: a.text().replace(base, "http://serveur"),
            compare: !path.starts_with("/metrics") && !path.starts_with("/health"),
        });
        a
    };

    // The page, its files, the sign-in page.
    let page = fetch("/", &mut docs).text();
    let assets: BTreeSet<String> = page
        .split('"')
        .filter(|s| s.starts_with("map/assets/"))
        .map(|s| format!("/{s}"))
        .collect();
    assert!(assets.len() >= 4, "{assets:?}");
    for a in &assets {
        fetch(a, &mut docs);
    }
    fetch("/connexion", &mut docs);
    fetch("/es", &mut docs);
    fetch("/health", &mut docs);
    fetch("/metrics", &mut docs);

    // Catalogue, values, classes, styles.
    let catalogue = fetch("/api/indicators", &mut docs).json();
    let list = catalogue["indicators"]
        .as_array()
        .expect("catalogue")
        .clone();
    assert!(list.len() >= 10, "public catalogue: {}", list.len());
    for ind in &list {
        let id = ind["id"].as_str().unwrap();
        for year in ind["years"].as_array().unwrap() {
            for level in LEVELS {
                fetch(
                    &format!("/api/indicators/{id}?level={level}&year={year}"),
                    &mut docs,
                );
            }
        }
        for level in MAP_LEVELS {
            fetch(
                &format!("/api/classify?indicator={id}&level={level}"),
                &mut docs,
            );
            fetch(&format!("/styles/{id}.json?level={level}"), &mut docs);
        }
        fetch(
            &format!("/styles/{id}.json?level=es&qpv=1&method=jenks&k=4"),
            &mut docs,
        );
    }

    // Tables.
    for level in LEVELS {
        fetch(&format!("/export/indicators.csv?level={level}"), &mut docs);
        let a = get(
            base,
            &format!("/export/indicators.xlsx?level={level}"),
            headers,
        );
        assert_eq!(a.status, 200, "xlsx {level}");
        docs.push(Doc {
            path: format!("/export/indicators.xlsx?level={level} (cellules)"),
            status: a.status,
            text: xlsx_text(&a.body),
            compare: true,
        });
    }
    fetch(
        "/export/indicators.csv?level=commune&indicator=population",
        &mut docs,
    );

    // Static maps: a rate, a count (circles), a PDF read back as text, a PNG.
    fetch(
        "/export/map.svg?indicator=chomage_15_64&level=commune&labels=true",
        &mut docs,
    );
    fetch("/export/map.svg?indicator=population&level=es", &mut docs);
    let pdf = get(
        base,
        "/export/map.pdf?indicator=chomage_15_64&level=es&labels=true",
        headers,
    );
    assert_eq!(pdf.status, 200);
    docs.push(Doc {
        path: "/export/map.pdf (texte)".into(),
        status: pdf.status,
        text: pdf_text(&pdf.body),
        compare: true,
    });
    assert_eq!(
        get(
            base,
            "/export/map.png?indicator=chomage_15_64&level=territoire&dpi=72",
            headers
        )
        .status,
        200
    );

    // Errors that list what exists.
    fetch("/api/indicators/inconnu", &mut docs);
    fetch("/export/map.svg?indicator=inconnu&level=commune", &mut docs);
    fetch("/styles/inconnu.json", &mut docs);

    // Zones, places, composition, search, lookup.
    fetch("/api/context", &mut docs);
    for level in LEVELS {
        fetch(&format!("/api/zones/{level}"), &mut docs);
        fetch(&format!("/api/zones/{level}?format=csv"), &mut docs);
        fetch(&format!("/api/places/{level}"), &mut docs);
    }
    fetch("/api/places/context", &mut docs);
    for (level, code) in [
        ("iris", "940010000"),
        ("commune", "94028"),
        ("es", "ES10"),
        ("territoire", "T1"),
        ("departement", "94"),
    ] {
        fetch(&format!("/api/composition/{level}/{code}"), &mut docs);
    }
    fetch("/api/search?q=creteil", &mut docs);
    fetch("/api/lookup?lon=2.4557&lat=48.7803", &mut docs);

    // TileJSON and every tile of three zooms, decoded.
    for level in LEVELS {
        let tj = fetch(&format!("/tiles/{level}.json"), &mut docs).json();
        let url = tj["tiles"][0].as_str().unwrap().to_string();
        let path = url
            .split_once("/tiles/")
            .map(|(_, p)| format!("/tiles/{p}"))
            .unwrap();
        let bounds: Vec<f64> = serde_json::from_value(tj["bounds"].clone()).unwrap();
        for z in [7, 11, 13] {
            for (x, y) in tiles_at(&bounds, z) {
                let p = path
                    .replace("{z}", &z.to_string())
                    .replace("{x}", &x.to_string())
                    .replace("{y}", &y.to_string());
                let a = get(base, &p, headers);
                assert!(a.status == 200 || a.status == 204, "{p}: {}", a.status);
                if a.status == 204 {
                    continue;
                }
                assert_eq!(
                    a.header("cache-control"),
                    "public, max-age=31536000, immutable"
                );
                assert!(!a.header("vary").to_lowercase().contains("cookie"), "{p}");
                docs.push(Doc {
                    path: p.clone(),
                    status: a.status,
                    text: decode_tile(&a.body, level, &p),
                    compare: true,
                });
            }
        }
    }
    docs
}

/// The properties of a tile as text, after checking that it carries only `code` and `name`
/// (no value of any indicator) in one layer named after its level.
fn decode_tile(bytes: &[u8], level: &str, path: &str) -> String {
    let reader = mvt_reader::Reader::new(bytes.to_vec()).unwrap_or_else(|e| panic!("{path}: {e}"));
    let names = reader.get_layer_names().unwrap();
    assert_eq!(names, vec![level.to_string()], "{path}");
    let mut out = String::new();
    for f in reader.get_features(0).unwrap() {
        let props = f.properties.unwrap_or_default();
        let mut keys: Vec<&String> = props.keys().collect();
        keys.sort();
        assert!(
            keys.iter().all(|k| *k == "code" || *k == "name"),
            "{path}: tile properties {keys:?} (only code and name are allowed)"
        );
        for k in keys {
            out.push_str(&format!("{k}={:?}\n", props[k]));
        }
    }
    out
}

// ---- needles ------------------------------------------------------------------------------

/// A number as written in text, canonical: no group separator, decimal point, no trailing
/// fractional zero.
fn canonical(s: &str) -> String {
    let s: String = s
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .map(|c| if c == ',' { '.' } else { c })
        .collect();
    match s.split_once('.') {
        Some((i, f)) => {
            let f = f.trim_end_matches('0');
            if f.is_empty() {
                i.to_string()
            } else {
                format!("{i}.{f}")
            }
        }
        None => s,
    }
}

/// Every number of a text, canonical. A number starts at a digit that follows neither a digit
/// nor a point (so `48.79193` does not yield `79193`); it may group thousands with a space,
/// a no-break space or a narrow no-break space, and have a decimal point or comma. Each group
/// and the part before a decimal comma are also read alone (`7 919` → 7919, 7, 919;
/// `39595,12` → 39595.12, 39595, 12), which can only add matches.
fn numbers(text: &str, out: &mut HashSet<String>) {
    let c: Vec<char> = text.chars().collect();
    let digit = |i: usize| c.get(i).is_some_and(char::is_ascii_digit);
    let mut i = 0;
    while i < c.len() {
        if !digit(i) || (i > 0 && (c[i - 1].is_ascii_digit() || c[i - 1] == '.')) {
            i += 1;
            continue;
        }
        let mut j = i;
        while digit(j) {
            j += 1;
        }
        let first = j;
        let mut token: String = c[i..j].iter().collect();
        // Thousands groups.
        while j + 3 < c.len() + 1
            && matches!(c.get(j), Some(' ' | '\u{a0}' | '\u{202f}'))
            && digit(j + 1)
            && digit(j + 2)
            && digit(j + 3)
            && !digit(j + 4)
        {
            token.extend(&c[j..j + 4]);
            j += 4;
        }
        if matches!(c.get(j), Some('.' | ',')) && digit(j + 1) {
            if c[j] == ',' {
                out.insert(canonical(&token));
            }
            token.push(c[j]);
            j += 1;
            while digit(j) {
                token.push(c[j]);
                j += 1;
            }
        }
        out.insert(canonical(&token));
        i = first;
    }
}

/// How an internal value may be written: shortest form, the CSV's 6 decimals, rounded to 0–3
/// decimals (API, XLSX display, French text), canonical.
fn forms(v: f64) -> Vec<String> {
    let mut f = vec![canonical(&format!("{v}"))];
    f.push(canonical(&format!("{}", (v * 1e6).round() / 1e6)));
    for d in 0..=3 {
        f.push(canonical(&format!("{v:.d$}")));
    }
    f.sort();
    f.dedup();
    f
}

/// Values of the internal indicators distinctive enough to look for (at least 5 digits), and
/// the two chosen ones (IRIS 940010000: 7919 households, 8317,3 measures).
fn needles(set: &indicators::IndicatorSet) -> HashSet<String> {
    let internal: HashSet<&str> = set
        .indicators
        .iter()
        .filter(|i| i.visibility == indicators::Visibility::Internal)
        .map(|i| i.id.as_str())
        .collect();
    assert_eq!(internal.len(), 3);
    let mut n = HashSet::new();
    for r in set
        .records
        .iter()
        .filter(|r| internal.contains(r.indicator.as_str()))
    {
        for v in [r.value, r.numerator, r.denominator].into_iter().flatten() {
            for f in forms(v) {
                if f.chars().filter(char::is_ascii_digit).count() >= 5 {
                    n.insert(f);
                }
            }
        }
    }
    n.insert("7919".into());
    n.insert("8317.3".into());
    n
}

#[test]
fn the_public_sees_no_internal_byte() {
    let f = fixture();
    // The fixture is what the test believes it is.
    let iris = |id: &str| {
        f.set
            .records
            .iter()
            .find(|r| r.indicator == id && r.code == "940010000" && r.level == zones::Level::Iris)
            .and_then(|r| r.value)
    };
    assert_eq!(iris("rsa_allocataires"), Some(7919.0));
    assert_eq!(iris("ase_mesures"), Some(8317.3));

    let public = crawl(&f.internal, &[]);
    let baseline = crawl(&f.baseline, &[]);
    assert_eq!(public.len(), baseline.len(), "same crawl on both servers");

    // 1. The public sees exactly what it would see if internal indicators did not exist.
    for (a, b) in public.iter().zip(&baseline) {
        assert_eq!(a.path, b.path);
        if a.compare {
            assert_eq!(a.status, b.status, "{}", a.path);
            if a.text != b.text {
                let at = a
                    .text
                    .chars()
                    .zip(b.text.chars())
                    .position(|(x, y)| x != y)
                    .unwrap_or(a.text.len().min(b.text.len()));
                let around: String = a
                    .text
                    .chars()
                    .skip(at.saturating_sub(80))
                    .take(200)
                    .collect();
                panic!(
                    "{}: the public answer differs from the server without internal indicators, at character {at}: …{around}…",
                    a.path
                );
            }
        }
    }

    // 2. No internal word anywhere.
    for d in &public {
        for w in INTERNAL_WORDS {
            assert!(!d.text.contains(w), "{}: contains « {w} »", d.path);
        }
    }

    // 3. No internal value anywhere. Values found in the baseline too are coincidences (the
    //    baseline cannot know them): they are left out, except the two chosen ones.
    let mut wanted = needles(&f.set);
    let mut seen_in_baseline = HashSet::new();
    for d in &baseline {
        numbers(&d.text, &mut seen_in_baseline);
    }
    for chosen in ["7919", "8317.3"] {
        assert!(
            !seen_in_baseline.contains(chosen),
            "the fixture's value {chosen} appears in public data: choose another"
        );
    }
    let before = wanted.len();
    wanted.retain(|n| !seen_in_baseline.contains(n));
    assert!(
        wanted.len() * 10 >= before * 9,
        "too many coincidences: {} of {before} values also in public data",
        before - wanted.len()
    );
    let mut leaks = Vec::new();
    for d in &public {
        let mut found = HashSet::new();
        numbers(&d.text, &mut found);
        let hit: Vec<&String> = found.intersection(&wanted).collect();
        if !hit.is_empty() {
            leaks.push(format!("{}: {hit:?}", d.path));
        }
    }
    assert!(
        leaks.is_empty(),
        "internal values in public answers:\n{}",
        leaks.join("\n")
    );
    eprintln!(
        "{} public answers scanned, {} internal values looked for ({} left out as coincidences)",
        public.len(),
        wanted.len(),
        before - wanted.len()
    );

    // The same crawl signed in differs: it does list the internal indicators.
    let signed = get(
        &f.internal,
        "/api/indicators",
        &[("authorization", &bearer())],
    )
    .text();
    assert!(signed.contains("rsa_allocataires") && signed.contains("Allocataires du RSA"));
}

#[test]
fn the_needle_reader_finds_every_writing_of_a_value() {
    let mut s = HashSet::new();
    numbers(
        "a 7 919 b 8\u{202f}317,3 c \"x\":7919.0, 48.79193 d 39595,12;12",
        &mut s,
    );
    for n in ["7919", "8317.3", "39595.12", "39595", "12", "48.79193"] {
        assert!(s.contains(n), "{n} in {s:?}");
    }
    assert!(!s.contains("79193"));
    assert!(forms(8317.3).contains(&"8317.3".to_string()));
    assert!(forms(7919.0).contains(&"7919".to_string()));
}

/// An internal id is answered exactly as an unknown id of the same length, on every route.
#[test]
fn internal_ids_do_not_exist_for_the_public() {
    let f = fixture();
    for (internal, unknown) in [
        ("rsa_part", "zzz_part"),
        ("ase_mesures", "zzz_mesures"),
        ("rsa_allocataires", "zzz_allocataires"),
    ] {
        for path in [
            "/api/indicators/{}?level=commune",
            "/api/indicators/{}?level=iris&year=2024",
            "/api/classify?indicator={}&level=commune",
            "/styles/{}.json?level=commune",
            "/export/indicators.csv?level=commune&indicator={}",
            "/export/indicators.xlsx?level=iris&indicator={}",
            "/export/map.svg?indicator={}&level=commune",
            "/export/map.pdf?indicator={}&level=es",
            "/export/map.png?indicator={}&level=es",
            "/?indicator={}",
        ] {
            for base in [&f.internal, &f.untrusted] {
                let a = get(base, &path.replace("{}", internal), &[]);
                let b = get(base, &path.replace("{}", unknown), &[]);
                assert_eq!(a.status, b.status, "{path}");
                assert_eq!(
                    a.text().replace(internal, "ID"),
                    b.text().replace(unknown, "ID"),
                    "{path}"
                );
                let names = |x: &Answer| {
                    let mut v: Vec<String> = x
                        .headers
                        .keys()
                        .map(|k| k.as_str().to_string())
                        .filter(|k| k != "date")
                        .collect();
                    v.sort();
                    v
                };
                assert_eq!(names(&a), names(&b), "{path}");
                if path.starts_with("/?") {
                    assert_eq!(a.status, 200);
                } else {
                    assert_eq!(a.status, 404, "{path}: {}", a.text());
                    if !path.contains("xlsx") && !path.contains("png") && !path.contains("pdf") {
                        assert!(a.text().contains("inconnu"), "{path}: {}", a.text());
                    }
                }
            }
        }
    }
}

fn assert_private(a: &Answer, what: &str) {
    assert_eq!(a.header("cache-control"), "private, no-store", "{what}");
    let vary = a.header("vary").to_lowercase();
    for h in ["authorization", "cookie", "x-remote-user"] {
        assert!(vary.contains(h), "{what}: Vary {vary}");
    }
}

/// What a signed-in audience gets, whichever credential it shows.
fn check_signed_in(base: &str, headers: &[(&str, &str)], how: &str) {
    let cat = get(base, "/api/indicators", headers);
    assert_eq!(cat.status, 200);
    assert_private(&cat, how);
    let cat = cat.json();
    let ids: Vec<&str> = cat["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    for id in INTERNAL_IDS {
        assert!(ids.contains(&id), "{how}: {id} listed");
    }
    assert!(ids.contains(&"chomage_15_64"), "{how}: public ones too");
    let rsa = cat["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "rsa_allocataires")
        .unwrap();
    assert_eq!(rsa["visibility"], "internal");
    assert!(
        cat["themes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "Solidarités départementales")
    );

    let v = get(base, "/api/indicators/rsa_allocataires?level=iris", headers);
    assert_eq!(v.status, 200, "{how}");
    assert_private(&v, how);
    let v = v.json();
    let r = v["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "940010000")
        .unwrap();
    assert_eq!(r["value"], 7919.0);
    let v = get(base, "/api/indicators/ase_mesures?level=iris", headers).json();
    let r = v["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "940010000")
        .unwrap();
    assert_eq!(r["value"], 8317.3);

    for path in [
        "/api/classify?indicator=rsa_part&level=commune",
        "/styles/rsa_part.json?level=commune",
        "/styles/rsa_allocataires.json?level=es",
        "/export/indicators.csv?level=iris&indicator=rsa_allocataires",
        "/export/indicators.xlsx?level=iris",
        "/export/map.svg?indicator=rsa_part&level=commune",
        "/",
    ] {
        let a = get(base, path, headers);
        assert_eq!(a.status, 200, "{how} {path}: {}", a.text());
        assert_private(&a, &format!("{how} {path}"));
        match path {
            p if p.contains("csv") => assert!(a.text().contains("940010000,"), "{how}"),
            p if p.contains("xlsx") => {
                let t = xlsx_text(&a.body);
                assert!(t.contains("Allocataires du RSA (donnée interne)"), "{how}");
                assert!(t.contains("\t7919\t"), "{how}");
            }
            p if p.contains("svg") => {
                assert!(
                    a.text().contains("Part des ménages allocataires du RSA"),
                    "{how}"
                )
            }
            "/" => assert!(
                a.text()
                    .contains("Connecté (indicateurs internes visibles)"),
                "{how}"
            ),
            _ => {}
        }
    }
    // Tiles stay public and identical for everyone.
    let tj = get(base, "/tiles/iris.json", headers).json();
    let url = tj["tiles"][0].as_str().unwrap();
    let p = url
        .split_once("/tiles/")
        .map(|(_, p)| format!("/tiles/{p}"))
        .unwrap();
    let p = p
        .replace("{z}", "11")
        .replace("{x}", "1037")
        .replace("{y}", "705");
    let with = get(base, &p, headers);
    let without = get(base, &p, &[]);
    assert_eq!(with.status, 200, "{p}");
    assert_eq!(with.body, without.body);
    assert_eq!(
        with.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
}

#[test]
fn a_token_opens_the_internal_indicators() {
    let f = fixture();
    check_signed_in(&f.internal, &[("authorization", &bearer())], "Bearer");
    // Public answers of the same routes vary with the credentials and keep their caching.
    let a = get(&f.internal, "/api/indicators", &[]);
    assert!(a.header("vary").to_lowercase().contains("cookie"));
    assert!(!a.header("cache-control").contains("private"));
    let p = get(&f.internal, "/", &[]);
    assert_eq!(p.header("cache-control"), "no-cache");
    assert!(!p.header("etag").is_empty());
    assert!(p.text().contains("href=\"connexion\""));
    assert!(!p.text().contains("Connecté"));
    // The Bearer-opened page has no sign-out button (there is no cookie to clear).
    let p = get(&f.internal, "/", &[("authorization", &bearer())]).text();
    assert!(!p.contains("Se déconnecter"));
}

#[test]
fn wrong_credentials_are_the_public() {
    let f = fixture();
    for h in [
        ("authorization", "Bearer jeton-faux"),
        ("authorization", "Basic amV0b246"),
        ("cookie", "observatoire_jeton=jeton-faux"),
    ] {
        let a = get(&f.internal, "/api/indicators", &[h]);
        assert_eq!(a.status, 200);
        assert!(!a.text().contains("rsa_"), "{h:?}");
        assert!(!a.header("cache-control").contains("private"), "{h:?}");
        assert_eq!(
            get(&f.internal, "/api/indicators/rsa_part", &[h]).status,
            404,
            "{h:?}"
        );
    }
    // The sign-in form refuses a wrong token, without detail and without cookie.
    let a = post_form(&f.internal, "/connexion", "jeton=jeton-faux", &[]);
    assert_eq!(a.status, 401);
    assert!(a.text().contains("Jeton refusé."));
    assert!(a.header("content-type").starts_with("text/html"));
    assert!(a.header("set-cookie").is_empty());
    let a = post_form(&f.internal, "/connexion", "", &[]);
    assert_eq!(a.status, 401);
}

#[test]
fn the_sign_in_page_sets_and_clears_the_cookie() {
    let f = fixture();
    let page = get(&f.internal, "/connexion", &[]);
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("name=\"jeton\"") && html.contains("action=\"connexion\""));
    for forbidden in ["<script", "style=", " on", "javascript:"] {
        assert!(!html.contains(forbidden), "strict CSP: {forbidden}");
    }
    let css = html
        .split('"')
        .find(|s| s.starts_with("map/assets/") && s.ends_with("app.css"))
        .expect("the map page's stylesheet");
    assert_eq!(get(&f.internal, &format!("/{css}"), &[]).status, 200);

    let a = post_form(&f.internal, "/connexion", &format!("jeton={TOKEN}"), &[]);
    assert_eq!(a.status, 303);
    assert_eq!(a.header("location"), "./");
    let cookie = a.header("set-cookie");
    assert!(
        cookie.starts_with(&format!("observatoire_jeton={TOKEN};")),
        "{cookie}"
    );
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(attr), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    let jar = format!("observatoire_jeton={TOKEN}");
    check_signed_in(&f.internal, &[("cookie", &jar)], "cookie");
    let p = get(&f.internal, "/", &[("cookie", &jar)]).text();
    assert!(p.contains("Se déconnecter") && p.contains("action=\"deconnexion\""));
    let c = get(&f.internal, "/connexion", &[("cookie", &jar)]).text();
    assert!(c.contains("Connecté") && c.contains("Se déconnecter"));

    // Over HTTPS through the trusted proxy (loopback here), the cookie is Secure; a proxy
    // that is not trusted is not believed.
    let a = post_form(
        &f.internal,
        "/connexion",
        &format!("jeton={TOKEN}"),
        &[("x-forwarded-proto", "https")],
    );
    assert!(a.header("set-cookie").contains("; Secure"));
    let a = post_form(
        &f.untrusted,
        "/connexion",
        &format!("jeton={TOKEN}"),
        &[("x-forwarded-proto", "https")],
    );
    assert_eq!(a.status, 303);
    assert!(!a.header("set-cookie").contains("Secure"));

    // Sign-out clears it.
    let a = post_form(&f.internal, "/deconnexion", "", &[("cookie", &jar)]);
    assert_eq!(a.status, 303);
    let cleared = a.header("set-cookie");
    assert!(
        cleared.starts_with("observatoire_jeton=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    // Another site's form cannot sign anyone in or out.
    let a = post_form(
        &f.internal,
        "/connexion",
        &format!("jeton={TOKEN}"),
        &[("sec-fetch-site", "cross-site")],
    );
    assert_eq!(a.status, 403);
    assert!(a.header("set-cookie").is_empty());
}

#[test]
fn the_trusted_header_counts_only_from_a_trusted_proxy() {
    let f = fixture();
    check_signed_in(&f.internal, &[(HEADER, "marie.dupont")], "trusted header");
    let p = get(&f.internal, "/", &[(HEADER, "marie.dupont")]).text();
    assert!(p.contains("Connecté") && !p.contains("Se déconnecter"));
    // Empty header: public.
    let a = get(&f.internal, "/api/indicators", &[(HEADER, " ")]);
    assert!(!a.text().contains("rsa_"));
    // From a peer that is not a trusted proxy (the server trusts 10.9.8.7 only): ignored.
    let a = get(&f.untrusted, "/api/indicators", &[(HEADER, "marie.dupont")]);
    assert_eq!(a.status, 200);
    assert!(!a.text().contains("rsa_"));
    assert!(!a.header("cache-control").contains("private"));
    assert_eq!(
        get(
            &f.untrusted,
            "/api/indicators/rsa_part",
            &[(HEADER, "marie.dupont")]
        )
        .status,
        404
    );
    // A token still works there.
    check_signed_in(
        &f.untrusted,
        &[("authorization", &bearer())],
        "Bearer (untrusted)",
    );
}

#[test]
fn the_shipped_settings_open_nothing() {
    let s = server::ServerConfig::load(&root().join("boundaries/val-de-marne/server.toml"))
        .expect("boundaries/val-de-marne/server.toml");
    assert!(s.access.tokens.is_empty() && s.access.admin_tokens.is_empty());
    assert!(s.access.trusted_header.is_none());
    assert!(s.http.cors_origins.is_empty());
    let config =
        zones::Config::load(&root().join("boundaries/val-de-marne/observatoire.toml")).unwrap();
    assert_eq!(config.server.as_deref(), Some(Path::new("server.toml")));
}
