//! Table readers on files written here: XLSX (codes as text, decimal counts), Latin-1 CSV with
//! decimal commas, and a table keyed by QPV code joined to the QPV level.
use std::path::PathBuf;
use zones::Level;

#[test]
fn xlsx_keeps_codes_as_text_and_decimals() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.xlsx");
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string(0, 0, "CODGEO").unwrap();
    ws.write_string(0, 1, "P").unwrap();
    ws.write_string(0, 2, "S").unwrap();
    ws.write_string(1, 0, "01004").unwrap();
    ws.write_number(1, 1, 1413.2).unwrap();
    ws.write_string(1, 2, "s").unwrap();
    ws.write_number(2, 0, 94028.0).unwrap();
    ws.write_number(2, 1, 12.0).unwrap();
    wb.save(&path).unwrap();
    let t = indicators::table::read(&path, &Default::default()).unwrap();
    assert_eq!(t.header, vec!["CODGEO", "P", "S"]);
    assert_eq!(
        t.rows[0].1[0], "01004",
        "a code written as text keeps its zero"
    );
    assert_eq!(
        t.rows[1].1[0], "94028",
        "a numeric code cell is read without .0"
    );
    assert_eq!(
        indicators::table::parse_cell(&t.rows[0].1[1]),
        Some(indicators::table::Cell::Value(1413.2))
    );
    assert_eq!(
        indicators::table::parse_cell(&t.rows[0].1[2]),
        Some(indicators::table::Cell::Secret)
    );
}

#[test]
fn latin1_csv_with_decimal_commas() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    std::fs::write(
        &path,
        b"CODGEO;LIBGEO;P\n94028;Cr\xe9teil;1413,2\n94081;Vitry;nd\n",
    )
    .unwrap();
    let t = indicators::table::read(&path, &Default::default()).unwrap();
    assert_eq!(t.rows[0].1[1], "Créteil");
    assert_eq!(
        indicators::table::parse_cell(&t.rows[0].1[2]),
        Some(indicators::table::Cell::Value(1413.2))
    );
    assert_eq!(
        indicators::table::parse_cell(&t.rows[1].1[2]),
        Some(indicators::table::Cell::NotAvailable)
    );
    let missing = indicators::table::read(&dir.path().join("absent.csv"), &Default::default())
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("absent.csv") && missing.contains("insee.fr"),
        "{missing}"
    );
}

#[test]
fn a_table_keyed_by_qpv_code_joins_the_qpv_level() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let config = zones::Config::load(&root.join("boundaries/val-de-marne/observatoire.toml"))
        .expect("config and ../shared/data");
    let bundle = zones::build(&config, &zones::build::Silent).unwrap().0;
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("code_qp;beneficiaires;menages\n");
    for (i, q) in bundle.qpv.iter().enumerate() {
        csv.push_str(&format!("{};{};{}\n", q.code, 10 + i, 200 + i));
    }
    csv.push_str("QN09499Z;1;2\n");
    std::fs::write(dir.path().join("qpv.csv"), csv).unwrap();
    let cat = indicators::Catalogue::parse(
        &dir.path().join("c.toml"),
        r#"region_code = "11"
region_name = "IDF"
[[sources]]
id = "q"
producer = "CAF"
title = "Allocataires par QPV"
path = "qpv.csv"
geography = "qpv"
key = "code_qp"
[[indicators]]
id = "part"
label = "Part"
definition = "d"
theme = "t"
kind = "rate"
source = "q"
year = 2022
numerator = ["beneficiaires"]
denominator = ["menages"]
"#,
    )
    .unwrap();
    let set = indicators::compute(&cat, &bundle, dir.path()).unwrap();
    let first = set
        .records
        .iter()
        .find(|r| r.level == Level::Qpv && r.code == bundle.qpv[0].code)
        .unwrap();
    assert!((first.value.unwrap() - 100.0 * 10.0 / 200.0).abs() < 1e-9);
    assert!(!first.approximation, "published by QPV: exact");
    assert!(
        set.records
            .iter()
            .filter(|r| r.level == Level::Commune)
            .all(|r| r.value.is_none()),
        "not published by commune"
    );
    assert!(
        set.joins
            .iter()
            .any(|j| j.kind == "code_sans_zone" && j.code == "QN09499Z")
    );
}
