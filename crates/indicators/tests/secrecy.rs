//! Secrecy and small numbers: a crafted table with `s` cells and small denominators, and an
//! internal indicator, on the real zones. No withheld value, numerator or denominator reaches
//! any export (CSV, JSON, XLSX); aggregates containing a secret part are secret, not smaller.
use std::path::PathBuf;
use std::sync::OnceLock;
use zones::Level;

use indicators::{Catalogue, IndicatorSet, Status};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn bundle() -> &'static zones::Bundle {
    static B: OnceLock<zones::Bundle> = OnceLock::new();
    B.get_or_init(|| {
        let config = zones::Config::load(&root().join("boundaries/val-de-marne/observatoire.toml"))
            .expect("default configuration, ../shared/data beside the checkout");
        zones::build(&config, &zones::build::Silent).unwrap().0
    })
}

const SECRET_IRIS: &str = "940280101";
const SMALL_IRIS: &str = "940280102";
/// Values that must never be printed: the small IRIS's numerator, denominator and rate, the
/// secret IRIS's denominator, and every value of the internal indicator.
const FORBIDDEN: [f64; 5] = [3.375, 7.125, 47.368421, 777.625, 98_765.437_5];

fn crafted() -> (tempfile::TempDir, IndicatorSet) {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("CODE;REG;NUM;DEN;RSA\n");
    for (i, z) in bundle().zones(Level::Iris).iter().enumerate() {
        let (num, den) = match z.code.as_str() {
            SECRET_IRIS => ("s".to_string(), "777,625".to_string()),
            SMALL_IRIS => ("3,375".to_string(), "7,125".to_string()),
            _ => (format!("{},5", 100 + i), format!("{},25", 1000 + i)),
        };
        let rsa = if z.code == SMALL_IRIS {
            "98765,4375".to_string()
        } else {
            format!("{}", 10 + i)
        };
        csv.push_str(&format!("{};11;{num};{den};{rsa}\n", z.code));
    }
    std::fs::write(dir.path().join("table.csv"), csv).unwrap();
    let catalogue = r#"
region_code = "11"
region_name = "Île-de-France"
[[sources]]
id = "t"
producer = "Test"
title = "Table fabriquée"
path = "table.csv"
geography = "iris"
key = "CODE"
region = "REG"
[[indicators]]
id = "taux"
label = "Taux fabriqué"
definition = "d"
theme = "Test"
unit = "%"
kind = "rate"
decimals = 1
min_denominator = 30
source = "t"
year = 2020
numerator = ["NUM"]
denominator = ["DEN"]
[[indicators]]
id = "rsa"
label = "Allocataires du RSA (interne)"
definition = "données du Département"
theme = "Action sociale"
kind = "count"
decimals = 0
visibility = "internal"
source = "t"
year = 2020
numerator = ["RSA"]
"#;
    let cat = Catalogue::parse(&dir.path().join("catalogue.toml"), catalogue).unwrap();
    let set = indicators::compute(&cat, bundle(), dir.path()).unwrap();
    (dir, set)
}

/// Every number in a CSV (field by field) or JSON text (value by value).
fn csv_numbers(text: &str) -> Vec<f64> {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    rdr.records()
        .flat_map(|r| {
            r.unwrap()
                .iter()
                .filter_map(|f| f.parse::<f64>().ok())
                .collect::<Vec<_>>()
        })
        .collect()
}

fn json_numbers(v: &serde_json::Value, out: &mut Vec<f64>) {
    match v {
        serde_json::Value::Number(n) => out.extend(n.as_f64()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| json_numbers(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| json_numbers(x, out)),
        _ => {}
    }
}

fn leaks(numbers: &[f64], v: f64) -> bool {
    numbers.iter().any(|n| (n - v).abs() < 1e-5)
}

#[test]
fn secret_parts_make_every_aggregate_secret() {
    let (_d, set) = crafted();
    let iris = set
        .records
        .iter()
        .find(|r| r.code == SECRET_IRIS && r.indicator == "taux")
        .unwrap();
    assert_eq!(
        (iris.status, iris.value, iris.numerator, iris.denominator),
        (Status::Secret, None, None, None)
    );
    let commune = set
        .records
        .iter()
        .find(|r| r.level == Level::Commune && r.code == "94028" && r.indicator == "taux")
        .unwrap();
    assert_eq!(
        (commune.status, commune.value),
        (Status::Secret, None),
        "unknown, not smaller"
    );
    let dep = set
        .records
        .iter()
        .find(|r| r.level == Level::Departement && r.indicator == "taux")
        .unwrap();
    assert_eq!(dep.status, Status::Secret);
    assert!(
        set.records
            .iter()
            .filter(|r| r.indicator == "taux")
            .all(|r| r.ref_departement.is_none()),
        "no reference built on a secret part"
    );
    let small = set
        .records
        .iter()
        .find(|r| r.code == SMALL_IRIS && r.indicator == "taux")
        .unwrap();
    assert_eq!(
        (
            small.status,
            small.value,
            small.numerator,
            small.denominator
        ),
        (Status::Insufficient, None, None, None)
    );
}

#[test]
fn no_withheld_or_internal_value_reaches_any_export() {
    let (_d, set) = crafted();
    let b = bundle();
    for level in [
        Level::Iris,
        Level::Commune,
        Level::Es,
        Level::Territoire,
        Level::Departement,
        Level::Qpv,
    ] {
        let csv =
            String::from_utf8(indicators::export::csv(&set, b, level, None, None, false).unwrap())
                .unwrap();
        let json_value = indicators::export::json(&set, b, level, None, None, false);
        let json = json_value.to_string();
        let xlsx = indicators::export::xlsx(&set, b, level, None, None, false).unwrap();
        let (csv_n, xlsx_n) = (csv_numbers(&csv), xlsx_numbers(&xlsx));
        let mut json_n = Vec::new();
        json_numbers(&json_value, &mut json_n);
        if matches!(level, Level::Iris | Level::Commune) {
            assert!(
                csv_n.len() > 100 && json_n.len() > 100 && xlsx_n.len() > 100,
                "{level}: the scan sees the numbers"
            );
        }
        for v in FORBIDDEN {
            assert!(!leaks(&csv_n, v), "{level} CSV leaks {v}");
            assert!(!leaks(&json_n, v), "{level} JSON leaks {v}");
            assert!(!leaks(&xlsx_n, v), "{level} XLSX leaks {v}");
        }
        assert!(
            !csv.contains(",rsa,") && !json.contains("\"rsa\""),
            "{level}: internal indicator exported without the flag"
        );
    }
    // With the flag, the internal indicator is there.
    let csv = String::from_utf8(
        indicators::export::csv(&set, b, Level::Iris, Some("rsa"), None, true).unwrap(),
    )
    .unwrap();
    assert!(leaks(&csv_numbers(&csv), 98_765.437_5));
    assert!(
        indicators::compute::check_query(&set, Some("rsa"), None, false).is_err(),
        "an internal indicator is unknown to the public"
    );
}

/// Every numeric cell of every sheet of an XLSX, read back with calamine.
fn xlsx_numbers(bytes: &[u8]) -> Vec<f64> {
    use calamine::{Data, Reader, Xlsx};
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut out = Vec::new();
    for name in wb.sheet_names().to_vec() {
        let range = wb.worksheet_range(&name).unwrap();
        for c in range.used_cells() {
            match c.2 {
                Data::Float(f) => out.push(*f),
                Data::Int(i) => out.push(*i as f64),
                Data::String(s) => {
                    if let Ok(f) = s.replace(',', ".").parse::<f64>() {
                        out.push(f)
                    }
                }
                _ => {}
            }
        }
    }
    out
}

#[test]
fn evolution_respects_the_census_rule() {
    let base = |years: [i32; 2], census: bool| {
        format!(
            r#"
region_code = "11"
region_name = "IDF"
[[sources]]
id = "a"
producer = "INSEE"
title = "t"
path = "a.csv"
geography = "commune"
key = "code"
census = {census}
[[indicators]]
id = "pop"
label = "Population"
definition = "d"
theme = "P"
kind = "count"
evolution = [{}, {}]
[[indicators.vintages]]
year = {}
source = "a"
numerator = ["p1"]
[[indicators.vintages]]
year = {}
source = "a"
numerator = ["p2"]
"#,
            years[0], years[1], years[0], years[1]
        )
    };
    let err = Catalogue::parse(&PathBuf::from("c.toml"), &base([2019, 2023], true))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("« pop »") && err.contains("evolution") && err.contains("5 ans"),
        "{err}"
    );
    assert!(
        Catalogue::parse(&PathBuf::from("c.toml"), &base([2019, 2023], false)).is_ok(),
        "non-census sources may be compared yearly"
    );
    // A valid pair: absolute change and annual growth rate on the later year's records.
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("code,p1,p2\n");
    for z in bundle().zones(Level::Commune) {
        csv.push_str(&format!("{},1000,1210\n", z.code));
    }
    std::fs::write(dir.path().join("a.csv"), csv).unwrap();
    let cat = Catalogue::parse(&dir.path().join("c.toml"), &base([2016, 2021], true)).unwrap();
    let set = indicators::compute(&cat, bundle(), dir.path()).unwrap();
    let r = set
        .records
        .iter()
        .find(|r| r.level == Level::Commune && r.year == 2021)
        .unwrap();
    assert_eq!(r.evolution_from, Some(2016));
    assert_eq!(r.change, Some(210.0));
    let expected = (1.21f64.powf(0.2) - 1.0) * 100.0;
    assert!((r.annual_growth.unwrap() - expected).abs() < 1e-9);
    // Population published by commune: ES that cut a commune (Champigny) are unavailable.
    let cut: Vec<&str> = set
        .records
        .iter()
        .filter(|r| r.level == Level::Es && r.year == 2021 && r.status == Status::NotAvailable)
        .map(|r| r.code.as_str())
        .collect();
    assert_eq!(
        cut.len(),
        2,
        "the two ES sharing Champigny-sur-Marne: {cut:?}"
    );
}

#[test]
fn catalogue_errors_name_indicator_and_field() {
    let cases = [
        (
            r#"kind = "rate"
source = "a"
year = 2016
numerator = ["x"]"#,
            "denominator",
        ),
        (
            r#"kind = "count"
source = "b"
year = 2016
numerator = ["x"]"#,
            "source",
        ),
        (
            r#"kind = "median"
source = "a"
year = 2016
numerator = ["x", "y"]"#,
            "numerator",
        ),
        (
            r#"kind = "count"
decimals = 9
source = "a"
year = 2016
numerator = ["x"]"#,
            "decimals",
        ),
    ];
    for (body, field) in cases {
        let text = format!(
            "region_code = \"11\"\nregion_name = \"IDF\"\n[[sources]]\nid = \"a\"\nproducer = \"p\"\ntitle = \"t\"\npath = \"a.csv\"\ngeography = \"iris\"\nkey = \"k\"\n[[indicators]]\nid = \"ind\"\nlabel = \"l\"\ndefinition = \"d\"\ntheme = \"t\"\n{body}\n"
        );
        let err = Catalogue::parse(&PathBuf::from("cat.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("cat.toml")
                && err.contains("« ind »")
                && err.contains(&format!("« {field} »")),
            "{field}: {err}"
        );
    }
    let err = Catalogue::parse(&PathBuf::from("cat.toml"), "region_code = 11")
        .unwrap_err()
        .to_string();
    assert!(err.contains("cat.toml"), "{err}");
}
