//! Arbitrary input to every parser of the crate: errors allowed, panics never.
use proptest::prelude::*;
use std::path::Path;

proptest! {
    #[test]
    fn csv_never_panics(text in "\\PC*") {
        let _ = indicators::table::parse_csv(Path::new("x.csv"), &text, None);
    }

    #[test]
    fn csv_like_never_panics(rows in proptest::collection::vec(proptest::collection::vec("[0-9a-z,. ;\"]{0,8}", 0..6), 0..6)) {
        let text: String = rows.iter().map(|r| r.join(";")).collect::<Vec<_>>().join("\n");
        if let Ok(t) = indicators::table::parse_csv(Path::new("x.csv"), &text, None) {
            for (_, row) in &t.rows {
                for c in row {
                    let _ = indicators::table::parse_cell(c);
                }
            }
        }
    }

    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = indicators::table::decode(&bytes, None);
        let _ = indicators::table::decode(&bytes, Some("ISO-8859-1"));
    }

    #[test]
    fn cells_never_panic(s in "\\PC*") {
        let _ = indicators::table::parse_cell(&s);
    }

    #[test]
    fn breaks_never_panic(s in "\\PC*") {
        let _ = indicators::classify::parse_breaks(&s);
    }

    #[test]
    fn catalogue_never_panics(s in "\\PC*") {
        let _ = indicators::Catalogue::parse(Path::new("c.toml"), &s);
    }

    #[test]
    fn classification_never_panics(values in proptest::collection::vec(-1e9f64..1e9, 0..60), k in 0usize..12, m in 0usize..9) {
        let method = match m {
            0 => indicators::classify::Method::Quantiles,
            1 => indicators::classify::Method::EqualIntervals,
            2 => indicators::classify::Method::Jenks,
            3 => indicators::classify::Method::Q6,
            4 => indicators::classify::Method::MeanSd,
            5 => indicators::classify::Method::GeometricProgression,
            6 => indicators::classify::Method::HeadTail,
            7 => indicators::classify::Method::NestedMeans,
            _ => indicators::classify::Method::Diverging { center: 0.0 },
        };
        if let Ok(c) = indicators::classify::classify(&values, &method, k) {
            prop_assert!(c.breaks.windows(2).all(|w| w[0] <= w[1]));
            prop_assert_eq!(c.counts.iter().sum::<usize>(), values.iter().filter(|v| c.class_of(**v).is_some()).count());
        }
    }
}

// ---- CSV tables: structured generation -------------------------------------------------------

use std::sync::LazyLock;

/// A cell as INSEE tables write them: numbers with a decimal comma or point, thousands
/// separators, the markers s / nd / ns, codes with leading zeros, text with accents, quotes,
/// separators and line breaks inside.
fn table_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (-1e9f64..1e9).prop_map(|v| v.to_string()),
        2 => (-1e6f64..1e6).prop_map(|v| format!("{v:.2}").replace('.', ",")),
        1 => (0u32..9_999_999).prop_map(|v| {
            let s = v.to_string();
            let cut = s.len().saturating_sub(3);
            format!("{} {}", &s[..cut], &s[cut..]).trim().to_string()
        }),
        2 => prop::sample::select(vec![
            "s", "nd", "ns", "NA", "n/a", "null", "", " ", "S", "ND", "secret", "NaN", "inf",
            "-inf", "1e999", "1,2,3", "1.2.3", "01004", "940280101", "2A004", "Créteil", "Cr\u{e9}teil",
            "\"\"", "\"quoted; with, separators\"", "line\nbreak", "tab\there", "\u{a0}12,5",
            "12\u{202f}345", "-0", "+3", ".5", "5.", "0x1F",
        ])
        .prop_map(str::to_string),
        2 => "\\PC{0,12}",
    ]
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "CODGEO",
            "IRIS",
            "COM",
            "LIBGEO",
            "REG",
            "P16_POP",
            "P16_CHOM1564",
            "code",
            "",
            " CODGEO ",
            "\u{feff}CODGEO",
            "CODGEO;P",
            "a,b",
        ])
        .prop_map(str::to_string),
        "[A-Z_0-9]{1,10}",
        "\\PC{0,10}",
    ]
}

/// A CSV file: header, rows (ragged sometimes), a separator, line endings, BOM, and its bytes
/// in UTF-8 or Latin-1.
#[derive(Debug, Clone)]
struct CsvFile {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    delimiter: u8,
    line_end: &'static str,
    bom: bool,
    latin1: bool,
}

impl CsvFile {
    fn bytes(&self) -> Vec<u8> {
        let quote = |c: &str| {
            let d = self.delimiter as char;
            if c.contains([d, '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.to_string()
            }
        };
        let mut text = String::new();
        if self.bom {
            text.push('\u{feff}');
        }
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let line: Vec<String> = row.iter().map(|c| quote(c)).collect();
            text.push_str(&line.join(&(self.delimiter as char).to_string()));
            text.push_str(self.line_end);
        }
        if self.latin1 {
            encoding_rs::WINDOWS_1252.encode(&text).0.into_owned()
        } else {
            text.into_bytes()
        }
    }
}

fn csv_file() -> impl Strategy<Value = CsvFile> {
    (2usize..6).prop_flat_map(|width| {
        (
            proptest::collection::vec(header_name(), width),
            proptest::collection::vec(
                prop_oneof![
                    8 => proptest::collection::vec(table_cell(), width),
                    1 => proptest::collection::vec(table_cell(), 0..8),
                ],
                0..8,
            ),
            prop::sample::select(vec![b';', b',', b'\t', b'|']),
            prop::sample::select(vec!["\n", "\r\n", "\r"]),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(header, rows, delimiter, line_end, bom, latin1)| CsvFile {
                header,
                rows,
                delimiter,
                line_end,
                bom,
                latin1,
            })
    })
}

/// Text that survives a Latin-1 round trip and cannot be mistaken for UTF-8.
fn plain_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9éèàçô ._-]{0,10}",
        (-1e6f64..1e6).prop_map(|v| format!("{v:.3}").replace('.', ",")),
        prop::sample::select(vec![
            "s",
            "nd",
            "ns",
            "01004",
            "quote\"d",
            "with;semi",
            "with,comma"
        ])
        .prop_map(str::to_string),
    ]
}

proptest! {
    /// Generated CSV tables in every dialect, as files: an error naming the file and line, or a
    /// table whose rows all have the header's width.
    #[test]
    fn generated_csv_never_panics(
        f in csv_file(),
        forced_delimiter in proptest::option::of(prop::sample::select(vec![b';', b',', b'\t'])),
        forced_encoding in proptest::option::of(prop::sample::select(vec!["UTF-8", "ISO-8859-1", "klingon"])),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("table.csv");
        std::fs::write(&path, f.bytes()).unwrap();
        let opts = indicators::table::TableOptions {
            delimiter: forced_delimiter,
            encoding: forced_encoding.map(str::to_string),
            sheet: None,
        };
        match indicators::table::read(&path, &opts) {
            Ok(t) => {
                for (line, row) in &t.rows {
                    prop_assert_eq!(row.len(), t.header.len(), "ligne {}", line);
                    for c in row {
                        let _ = indicators::table::parse_cell(c);
                    }
                }
                for h in &t.header {
                    prop_assert!(t.column(h).is_ok());
                }
                let _ = t.index_by(0);
            }
            Err(e) => prop_assert!(e.to_string().contains("table.csv"), "{e}"),
        }
    }

    /// A well-formed table (quoted as RFC 4180, `;` or `,`, `\n` or `\r\n`, UTF-8 with or
    /// without BOM or Latin-1) reads back cell for cell, the separator and encoding detected.
    #[test]
    fn well_formed_csv_round_trips(
        width in 2usize..6,
        header in proptest::collection::vec("[A-Z][A-Z0-9_]{0,8}", 6),
        rows in proptest::collection::vec(proptest::collection::vec(plain_cell(), 6), 0..10),
        delimiter in prop::sample::select(vec![b';', b',']),
        line_end in prop::sample::select(vec!["\n", "\r\n"]),
        bom in any::<bool>(),
        latin1 in any::<bool>(),
    ) {
        let f = CsvFile {
            header: header[..width].to_vec(),
            rows: rows.iter().map(|r| r[..width].to_vec()).collect(),
            delimiter,
            line_end,
            bom: bom && !latin1,
            latin1,
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.csv");
        std::fs::write(&path, f.bytes()).unwrap();
        let t = indicators::table::read(&path, &Default::default()).unwrap();
        prop_assert_eq!(&t.header, &f.header);
        let got: Vec<Vec<String>> = t.rows.iter().map(|(_, r)| r.clone()).collect();
        let want: Vec<Vec<String>> = f
            .rows
            .iter()
            .map(|r| r.iter().map(|c| c.trim().to_string()).collect())
            .collect();
        prop_assert_eq!(got, want);
    }
}

// ---- XLSX ------------------------------------------------------------------------------------

/// A cell written by rust_xlsxwriter.
#[derive(Debug, Clone)]
enum XCell {
    Text(String),
    Number(f64),
    Bool(bool),
    Blank,
}

fn xcell() -> impl Strategy<Value = XCell> {
    prop_oneof![
        3 => table_cell().prop_map(XCell::Text),
        2 => prop_oneof![
            any::<f64>(),
            -1e9f64..1e9,
            prop::sample::select(vec![0.0, -0.0, 1e15, 1e16, -1e300, 94028.0, 1413.2]),
        ]
        .prop_map(XCell::Number),
        1 => any::<bool>().prop_map(XCell::Bool),
        1 => Just(XCell::Blank),
    ]
}

fn xlsx_bytes(sheet: Option<&str>, cells: &[((u32, u16), XCell)]) -> Option<Vec<u8>> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    if let Some(name) = sheet {
        ws.set_name(name).ok()?;
    }
    for ((r, c), cell) in cells {
        let _ = match cell {
            XCell::Text(s) => ws.write_string(*r, *c, s).map(|_| ()),
            XCell::Number(v) => ws.write_number(*r, *c, *v).map(|_| ()),
            XCell::Bool(b) => ws.write_boolean(*r, *c, *b).map(|_| ()),
            XCell::Blank => ws
                .write_blank(*r, *c, &rust_xlsxwriter::Format::new().set_bold())
                .map(|_| ()),
        };
    }
    wb.save_to_buffer().ok()
}

/// A small valid workbook in the INSEE layout, the seed of the byte mutations.
fn seed_xlsx() -> &'static [u8] {
    static X: LazyLock<Vec<u8>> = LazyLock::new(|| {
        let cells: Vec<((u32, u16), XCell)> = ["CODGEO", "LIBGEO", "P16_POP", "P16_CHOM1564"]
            .iter()
            .enumerate()
            .map(|(c, h)| ((0, c as u16), XCell::Text(h.to_string())))
            .chain([
                ((1, 0), XCell::Text("94028".into())),
                ((1, 1), XCell::Text("Créteil".into())),
                ((1, 2), XCell::Number(92_265.0)),
                ((1, 3), XCell::Number(1413.2)),
                ((2, 0), XCell::Number(94081.0)),
                ((2, 1), XCell::Text("Vitry-sur-Seine".into())),
                ((2, 2), XCell::Text("s".into())),
                ((2, 3), XCell::Text("nd".into())),
            ])
            .collect();
        xlsx_bytes(None, &cells).unwrap()
    });
    &X
}

fn read_xlsx(
    bytes: &[u8],
    sheet: Option<String>,
) -> indicators::Result<indicators::table::RawTable> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.xlsx");
    std::fs::write(&path, bytes).unwrap();
    indicators::table::read(
        &path,
        &indicators::table::TableOptions {
            sheet,
            ..Default::default()
        },
    )
}

fn check_table(t: &indicators::table::RawTable) -> Result<(), TestCaseError> {
    for (line, row) in &t.rows {
        prop_assert!(row.len() >= t.header.len(), "ligne {}", line);
        for c in row {
            let _ = indicators::table::parse_cell(c);
        }
    }
    Ok(())
}

#[test]
fn the_seed_workbook_reads() {
    let t = read_xlsx(seed_xlsx(), None).unwrap();
    assert_eq!(t.header, ["CODGEO", "LIBGEO", "P16_POP", "P16_CHOM1564"]);
    assert_eq!(t.rows.len(), 2);
    assert_eq!(t.rows[1].1[0], "94081");
}

/// Two cells at opposite corners of a sheet (A1 and XFD1048576) once made the reader allocate
/// the whole 17-billion-cell rectangle and abort; now the table is read sparsely.
#[test]
fn cells_at_the_far_corner_of_a_sheet_do_not_fill_memory() {
    let bytes = xlsx_bytes(
        None,
        &[
            ((0, 0), XCell::Text("CODGEO".into())),
            ((0, 1), XCell::Text("P".into())),
            ((1, 0), XCell::Text("94028".into())),
            ((1_048_575, 16_383), XCell::Number(1.0)),
        ],
    )
    .unwrap();
    match read_xlsx(&bytes, None) {
        Ok(t) => {
            assert_eq!(t.header[..2], ["CODGEO", "P"]);
            assert_eq!(t.header.len(), 16_384);
            assert_eq!(t.rows.len(), 2);
            assert_eq!(t.rows[0].1[..2], ["94028".to_string(), String::new()]);
        }
        Err(e) => assert!(e.to_string().contains("t.xlsx"), "{e}"),
    }
}

proptest! {
    /// Workbooks written cell by cell: any text, any float (NaN, infinities, huge), booleans,
    /// blanks, at positions anywhere on the sheet (far corners included), any sheet name.
    #[test]
    fn generated_xlsx_never_panics(
        cells in proptest::collection::vec(((0u32..12, 0u16..6), xcell()), 0..30),
        far in proptest::option::weighted(
            0.1,
            proptest::collection::vec(
                (
                    (
                        prop_oneof![0u32..4, 1_048_000u32..1_048_576],
                        prop_oneof![0u16..4, 16_000u16..16_384],
                    ),
                    xcell(),
                ),
                1..3,
            ),
        ),
        sheet in proptest::option::weighted(0.3, "\\PC{0,40}"),
        ask in proptest::option::weighted(0.3, prop_oneof![Just("Sheet1".to_string()), "\\PC{0,10}"]),
    ) {
        let cells: Vec<_> = cells.into_iter().chain(far.into_iter().flatten()).collect();
        if let Some(bytes) = xlsx_bytes(sheet.as_deref(), &cells)
            && let Ok(t) = read_xlsx(&bytes, ask)
        {
            check_table(&t)?;
        }
    }

    /// A small valid workbook with bit flips, extreme 4-byte values, truncations, insertions and
    /// deletions (zip headers, compressed XML): an error or a table, never a panic.
    #[test]
    fn mutated_xlsx_never_panics(m in proptest::collection::vec(mutation(), 1..5)) {
        let mut bytes = seed_xlsx().to_vec();
        apply(&mut bytes, &m);
        if let Ok(t) = read_xlsx(&bytes, None) {
            check_table(&t)?;
        }
    }
}

/// Byte-level changes (same scheme as the zones crate's shapefile mutations).
#[derive(Debug, Clone)]
enum Mutation {
    Flip { pos: usize, bit: u8 },
    Word { pos: usize, value: u32 },
    Truncate { pos: usize },
    Insert { pos: usize, bytes: Vec<u8> },
    Delete { pos: usize, len: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let word = prop_oneof![
        prop::sample::select(vec![0u32, 1, u32::MAX, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF]),
        any::<u32>(),
    ];
    prop_oneof![
        4 => (any::<usize>(), 0u8..8).prop_map(|(pos, bit)| Mutation::Flip { pos, bit }),
        3 => (any::<usize>(), word).prop_map(|(pos, value)| Mutation::Word { pos, value }),
        1 => any::<usize>().prop_map(|pos| Mutation::Truncate { pos }),
        1 => (any::<usize>(), proptest::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(pos, bytes)| Mutation::Insert { pos, bytes }),
        1 => (any::<usize>(), 1usize..64).prop_map(|(pos, len)| Mutation::Delete { pos, len }),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutations: &[Mutation]) {
    for m in mutations {
        let n = bytes.len();
        if n == 0 {
            return;
        }
        match m {
            Mutation::Flip { pos, bit } => bytes[pos % n] ^= 1 << bit,
            Mutation::Word { pos, value } => {
                for (i, b) in value.to_le_bytes().iter().enumerate() {
                    if let Some(slot) = bytes.get_mut(pos % n + i) {
                        *slot = *b;
                    }
                }
            }
            Mutation::Truncate { pos } => bytes.truncate(pos % n),
            Mutation::Insert { pos, bytes: extra } => {
                let p = pos % n;
                bytes.splice(p..p, extra.iter().copied());
            }
            Mutation::Delete { pos, len } => {
                let p = pos % n;
                bytes.drain(p..(p + len).min(n));
            }
        }
    }
}

// ---- catalogue: random keys and values around the real one -----------------------------------

fn catalogue_path() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../boundaries/val-de-marne/indicators.toml")
}

fn real_catalogue() -> &'static toml::Table {
    static T: LazyLock<toml::Table> = LazyLock::new(|| {
        std::fs::read_to_string(catalogue_path())
            .unwrap()
            .parse()
            .expect("indicators.toml")
    });
    &T
}

fn toml_value() -> impl Strategy<Value = toml::Value> {
    let leaf = prop_oneof![
        prop::sample::select(vec![
            "rate",
            "count",
            "median",
            "index",
            "density",
            "share",
            "public",
            "internal",
            "",
            "rp2016_activite",
            "populations_legales",
            "overlay",
            "iris",
            "commune",
            "chomage_15_64",
            "P16_POP",
            ";",
            ";;",
        ])
        .prop_map(|s| toml::Value::String(s.to_string())),
        "\\PC{0,12}".prop_map(toml::Value::String),
        prop_oneof![any::<i64>(), -3i64..3000, Just(i64::MAX), Just(i64::MIN)]
            .prop_map(toml::Value::Integer),
        prop_oneof![
            any::<f64>(),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(-1.0),
            Just(0.0),
            Just(1e300)
        ]
        .prop_map(toml::Value::Float),
        any::<bool>().prop_map(toml::Value::Boolean),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(toml::Value::Array),
            proptest::collection::btree_map("[a-z_]{1,10}", inner, 0..3)
                .prop_map(|m| toml::Value::Table(m.into_iter().collect())),
        ]
    })
}

fn indicator_key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "id", "label", "definition", "theme", "unit", "kind", "scale", "higher_is_better",
            "decimals", "min_denominator", "visibility", "source", "year", "numerator",
            "denominator", "vintages", "evolution", "approximation_weight",
        ])
        .prop_map(str::to_string),
        1 => "[a-z_]{1,12}",
    ]
}

fn source_key() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "id", "producer", "title", "path", "geography", "key", "commune", "region", "census",
            "url", "resolve", "delimiter", "encoding", "sheet", "filter_column", "filter_value",
            "empty_means_absent",
        ])
        .prop_map(str::to_string),
        1 => "[a-z_]{1,12}",
    ]
}

#[derive(Debug, Clone)]
enum CatalogueEdit {
    SetIndicator(usize, String, toml::Value),
    RemoveIndicator(usize, String),
    SetSource(usize, String, toml::Value),
    RemoveSource(usize, String),
    SetTop(String, toml::Value),
    DuplicateIndicator(usize),
    DropIndicator(usize),
}

fn catalogue_edit() -> impl Strategy<Value = CatalogueEdit> {
    prop_oneof![
        5 => (any::<usize>(), indicator_key(), toml_value())
            .prop_map(|(i, k, v)| CatalogueEdit::SetIndicator(i, k, v)),
        2 => (any::<usize>(), indicator_key()).prop_map(|(i, k)| CatalogueEdit::RemoveIndicator(i, k)),
        2 => (any::<usize>(), source_key(), toml_value())
            .prop_map(|(i, k, v)| CatalogueEdit::SetSource(i, k, v)),
        1 => (any::<usize>(), source_key()).prop_map(|(i, k)| CatalogueEdit::RemoveSource(i, k)),
        1 => (
            prop::sample::select(vec!["region_code", "region_name", "strata", "sources", "indicators", "extra"])
                .prop_map(str::to_string),
            toml_value(),
        )
            .prop_map(|(k, v)| CatalogueEdit::SetTop(k, v)),
        1 => any::<usize>().prop_map(CatalogueEdit::DuplicateIndicator),
        1 => any::<usize>().prop_map(CatalogueEdit::DropIndicator),
    ]
}

/// Apply an edit; returns the words one of which an error must name (indicator or source id,
/// key), or `None` when any error will do.
fn edit_catalogue(t: &mut toml::Table, e: &CatalogueEdit) -> Option<Vec<String>> {
    let id_of = |item: &toml::Value| item.get("id").and_then(|v| v.as_str()).map(str::to_string);
    let entry =
        |t: &mut toml::Table, list: &str, i: usize| -> Option<(Option<String>, toml::Table)> {
            let arr = t.get_mut(list)?.as_array_mut()?;
            let n = arr.len();
            if n == 0 {
                return None;
            }
            let item = arr.get_mut(i % n)?;
            Some((id_of(item), item.as_table()?.clone()))
        };
    let store = |t: &mut toml::Table, list: &str, i: usize, table: toml::Table| {
        if let Some(arr) = t.get_mut(list).and_then(|v| v.as_array_mut()) {
            let n = arr.len();
            arr[i % n] = toml::Value::Table(table);
        }
    };
    match e {
        CatalogueEdit::SetIndicator(i, k, v) | CatalogueEdit::SetSource(i, k, v) => {
            let list = if matches!(e, CatalogueEdit::SetIndicator(..)) {
                "indicators"
            } else {
                "sources"
            };
            let (id, mut table) = entry(t, list, *i)?;
            table.insert(k.clone(), v.clone());
            let mut words = vec![k.clone()];
            words.extend(id);
            if let Some(s) = v.as_str() {
                words.push(s.to_string());
            }
            store(t, list, *i, table);
            Some(words)
        }
        CatalogueEdit::RemoveIndicator(i, k) | CatalogueEdit::RemoveSource(i, k) => {
            let list = if matches!(e, CatalogueEdit::RemoveIndicator(..)) {
                "indicators"
            } else {
                "sources"
            };
            let (id, mut table) = entry(t, list, *i)?;
            table.remove(k);
            let mut words = vec![k.clone()];
            words.extend(id);
            store(t, list, *i, table);
            Some(words)
        }
        CatalogueEdit::SetTop(k, v) => {
            t.insert(k.clone(), v.clone());
            None
        }
        CatalogueEdit::DuplicateIndicator(i) => {
            let arr = t.get_mut("indicators")?.as_array_mut()?;
            let n = arr.len();
            let item = arr.get(i % n.max(1))?.clone();
            arr.push(item);
            None
        }
        CatalogueEdit::DropIndicator(i) => {
            let arr = t.get_mut("indicators")?.as_array_mut()?;
            let n = arr.len();
            if n > 0 {
                arr.remove(i % n);
            }
            None
        }
    }
}

proptest! {
    /// The real catalogue with keys set to random values (right type or not), removed, added;
    /// indicators duplicated or dropped; the France references file rewritten. An accepted
    /// catalogue or an error that names the indicator, source or field concerned.
    #[test]
    fn edited_catalogue_errors_name_the_culprit(
        edit in catalogue_edit(),
        references in proptest::option::of(proptest::collection::vec(
            (prop_oneof![Just("chomage_15_64".to_string()), "[a-z_]{0,10}"], table_cell(), table_cell(), table_cell()),
            0..4,
        )),
    ) {
        let mut t = real_catalogue().clone();
        let words = edit_catalogue(&mut t, &edit);
        let text = toml::to_string(&t).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("indicators.toml");
        std::fs::write(&path, &text).unwrap();
        let mut refs = String::from("indicator,year,value,source\n");
        for (i, y, v, s) in references.iter().flatten() {
            let q = |c: &str| format!("\"{}\"", c.replace('"', "\"\""));
            refs.push_str(&format!("{},{},{},{}\n", q(i), q(y), q(v), q(s)));
        }
        std::fs::write(dir.path().join("references-france.csv"), &refs).unwrap();
        if let Err(e) = indicators::Catalogue::parse(&path, &text) {
            let msg = e.to_string();
            prop_assert!(msg.contains("indicators.toml") || msg.contains("references-france.csv"), "{msg}");
            if let (Some(words), None) = (words, references) {
                prop_assert!(words.iter().any(|w| msg.contains(w.as_str())), "{msg}\n≠ {words:?}");
            }
        }
    }
}
