//! Property tests: arbitrary bytes, mutated real files (the IRIS shapefile, its DBF and .prj,
//! the composition tables, the encoded bundle) and generated GeoJSON fed to every reader never
//! panic and never fill memory: they may only return errors.
//! `PROPTEST_CASES` sets the number of cases (256 in `tests/all.sh`, 10,000 in `just fuzz`).
use proptest::prelude::*;
use std::path::Path;
use std::sync::LazyLock;
use zones::source::{ReadOptions, geojson, read_layer};

fn write_shapefile(dir: &Path, shp: &[u8], shx: &[u8], dbf: &[u8]) -> std::path::PathBuf {
    std::fs::write(dir.join("x.shp"), shp).unwrap();
    std::fs::write(dir.join("x.shx"), shx).unwrap();
    std::fs::write(dir.join("x.dbf"), dbf).unwrap();
    std::fs::write(dir.join("x.prj"), "PROJCS[\"RGF93_Lambert_93\"]").unwrap();
    dir.join("x.shp")
}

/// A valid shapefile header (file code 9994, version 1000, polygon type 5) then arbitrary bytes.
fn shp_like() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..400).prop_map(|tail| {
        let mut h = vec![0u8; 100];
        h[..4].copy_from_slice(&9994i32.to_be_bytes());
        h[24..28].copy_from_slice(&(((100 + tail.len()) / 2) as i32).to_be_bytes());
        h[28..32].copy_from_slice(&1000i32.to_le_bytes());
        h[32..36].copy_from_slice(&5i32.to_le_bytes());
        h.extend(tail);
        h
    })
}

proptest! {
    #[test]
    fn shapefile_reader_never_panics(shp in shp_like(), shx in proptest::collection::vec(any::<u8>(), 0..200), dbf in proptest::collection::vec(any::<u8>(), 0..200)) {
        let dir = tempfile::tempdir().unwrap();
        let path = write_shapefile(dir.path(), &shp, &shx, &dbf);
        let _ = read_layer(&path, &ReadOptions::default());
    }

    #[test]
    fn shapefile_reader_never_panics_on_raw_bytes(shp in proptest::collection::vec(any::<u8>(), 0..300), dbf in proptest::collection::vec(any::<u8>(), 0..300)) {
        let dir = tempfile::tempdir().unwrap();
        let path = write_shapefile(dir.path(), &shp, &[], &dbf);
        let _ = read_layer(&path, &ReadOptions::default());
    }

    #[test]
    fn geojson_reader_never_panics(text in "\\PC*") {
        let _ = geojson::parse(Path::new("x.geojson"), &text, &ReadOptions::default());
    }

    #[test]
    fn geojson_reader_never_panics_on_near_json(coords in proptest::collection::vec((any::<f64>(), any::<f64>()), 0..8), kind in prop::sample::select(vec!["Polygon", "MultiPolygon", "Point", "LineString", "GeometryCollection"])) {
        let ring: Vec<String> = coords.iter().map(|(x, y)| format!("[{x:?},{y:?}]")).collect();
        let text = format!(r#"{{"type":"Feature","properties":{{"code":"1"}},"geometry":{{"type":"{kind}","coordinates":[[{}]]}}}}"#, ring.join(","));
        if let Ok(layer) = geojson::parse(Path::new("x.geojson"), &text, &ReadOptions::default()) {
            let _ = layer.into_crs(zones::crs::Crs::Lambert93);
        }
    }

    #[test]
    fn wkt_detection_never_panics(text in "\\PC*") {
        let _ = zones::crs::detect_wkt(&text);
    }

    #[test]
    fn encoding_sniff_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = zones::source::encoding::sniff(&bytes);
    }

    #[test]
    fn bundle_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut b = b"OBSVBNDL\x03\x00\x00\x00".to_vec();
        b.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        b.extend_from_slice(&[0u8; 32]);
        b.extend_from_slice(&bytes);
        let _ = zones::Bundle::from_bytes(Path::new("x"), &b);
    }
}

// ---- mutations of the real files -------------------------------------------------------------

/// Extreme values written over 4-byte fields: counts and lengths claiming gigabytes.
const EXTREMES: [u32; 10] = [
    0,
    1,
    0xFFFF_FFFF,
    0x7FFF_FFFF,
    0x8000_0000,
    0x4000_0000,
    0x0100_0000,
    0xFFFF,
    0x7FFF_FFFE,
    0xFFFF_FFFE,
];

/// One change to a file: flip a bit, set a byte, write a 4-byte value (big or little endian,
/// often an extreme one), truncate, insert or delete bytes. `pos` is taken modulo the length.
#[derive(Debug, Clone)]
enum Mutation {
    Flip {
        pos: usize,
        bit: u8,
    },
    Byte {
        pos: usize,
        value: u8,
    },
    Word {
        pos: usize,
        value: u32,
        big_endian: bool,
    },
    Truncate {
        pos: usize,
    },
    Insert {
        pos: usize,
        bytes: Vec<u8>,
    },
    Delete {
        pos: usize,
        len: usize,
    },
}

fn mutation(header: usize) -> impl Strategy<Value = Mutation> {
    // Half of the positions fall in the header (`header` bytes), where counts and lengths live.
    let pos = prop_oneof![0..header.max(1), any::<usize>()];
    let word = prop_oneof![prop::sample::select(EXTREMES.to_vec()), any::<u32>()];
    prop_oneof![
        3 => (pos.clone(), 0u8..8).prop_map(|(pos, bit)| Mutation::Flip { pos, bit }),
        2 => (pos.clone(), any::<u8>()).prop_map(|(pos, value)| Mutation::Byte { pos, value }),
        3 => (pos.clone(), word, any::<bool>())
            .prop_map(|(pos, value, big_endian)| Mutation::Word { pos, value, big_endian }),
        1 => pos.clone().prop_map(|pos| Mutation::Truncate { pos }),
        1 => (pos.clone(), proptest::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(pos, bytes)| Mutation::Insert { pos, bytes }),
        1 => (pos, 1usize..64).prop_map(|(pos, len)| Mutation::Delete { pos, len }),
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
            Mutation::Byte { pos, value } => bytes[pos % n] = *value,
            Mutation::Word {
                pos,
                value,
                big_endian,
            } => {
                let p = pos % n;
                let w = if *big_endian {
                    value.to_be_bytes()
                } else {
                    value.to_le_bytes()
                };
                for (i, b) in w.iter().enumerate() {
                    if let Some(slot) = bytes.get_mut(p + i) {
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

fn real(name: &str) -> Vec<u8> {
    let dir = std::env::var_os(zones::config::DATA_DIR_ENV)
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    std::fs::read(dir.join(name)).unwrap_or_else(|e| {
        panic!(
            "{name} introuvable dans {} ({e}) : les tests ont besoin de ../shared/data",
            dir.display()
        )
    })
}

/// The first `n` records of the real IRIS shapefile as a valid (.shp, .shx, .dbf) triple: the
/// same bytes as the published file, cut after record `n`, with the header counts adjusted.
fn real_triple(n: usize) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let shp = real("iris-94-shp/map_iris.shp");
    let shx = real("iris-94-shp/map_iris.shx");
    let dbf = real("iris-94-shp/map_iris.dbf");
    let word = |b: &[u8], at: usize| i32::from_be_bytes(b[at..at + 4].try_into().unwrap()) as usize;
    let entry = 100 + 8 * (n - 1);
    let end = (word(&shx, entry) + 4 + word(&shx, entry + 4)) * 2;
    let mut shp = shp[..end].to_vec();
    shp[24..28].copy_from_slice(&((end / 2) as i32).to_be_bytes());
    let mut shx = shx[..100 + 8 * n].to_vec();
    shx[24..28].copy_from_slice(&(((100 + 8 * n) / 2) as i32).to_be_bytes());
    let header_len = u16::from_le_bytes([dbf[8], dbf[9]]) as usize;
    let record_len = u16::from_le_bytes([dbf[10], dbf[11]]) as usize;
    let mut dbf = dbf[..header_len + n * record_len].to_vec();
    dbf.push(0x1A);
    dbf[4..8].copy_from_slice(&(n as u32).to_le_bytes());
    (shp, shx, dbf)
}

fn small_triple() -> &'static (Vec<u8>, Vec<u8>, Vec<u8>) {
    static T: LazyLock<(Vec<u8>, Vec<u8>, Vec<u8>)> = LazyLock::new(|| real_triple(3));
    &T
}

/// Peak resident memory of this process (Linux), to catch a reader that trusts a header and
/// fills gigabytes: a counted allocation that only reserves address space is harmless.
fn peak_rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .map(|kb| kb / 1024)
        .unwrap_or(0)
}

/// A read that succeeded must give usable features: reprojection does not panic either.
fn exercise(layer: zones::source::Layer) {
    let n = layer.features.len();
    let _ = layer.field_names();
    if let Ok(l) = layer.into_crs(zones::crs::Crs::Wgs84) {
        assert_eq!(l.features.len(), n);
    }
}

#[test]
fn the_small_real_triple_is_valid() {
    let (shp, shx, dbf) = small_triple();
    let dir = tempfile::tempdir().unwrap();
    let path = write_shapefile(dir.path(), shp, shx, dbf);
    let layer = read_layer(&path, &ReadOptions::default()).expect("3 first IRIS");
    assert_eq!(layer.features.len(), 3);
    assert!(layer.features[0].attributes.contains_key("CODE_IRIS"));
}

/// Headers claiming gigabytes (record length, part and point counts, DBF record count and
/// size) give an error at once, without filling memory.
#[test]
fn headers_claiming_gigabytes_are_errors() {
    let (shp, shx, dbf) = small_triple();
    let before = peak_rss_mb();
    let dir = tempfile::tempdir().unwrap();
    // .shp record 1: content length (byte 104, BE words), then in the content (byte 108):
    // shape type, bbox (32 bytes), num_parts (144), num_points (148).
    for (at, value, big_endian) in [
        (104usize, 0x7FFF_FFFFu32, true),
        (144, 0x7FFF_FFFF, false),
        (148, 0x7FFF_FFFF, false),
        (148, 0x1000_0000, false),
        (144, 0x1000_0000, false),
    ] {
        let mut s = shp.clone();
        s[at..at + 4].copy_from_slice(&if big_endian {
            value.to_be_bytes()
        } else {
            value.to_le_bytes()
        });
        let path = write_shapefile(dir.path(), &s, shx, dbf);
        assert!(read_layer(&path, &ReadOptions::default()).is_err(), "{at}");
    }
    // A .shp header claiming a 4 GB file: the index (.shx) says where the records are.
    let mut s = shp.clone();
    s[24..28].copy_from_slice(&0x7FFF_FFFFu32.to_be_bytes());
    let path = write_shapefile(dir.path(), &s, shx, dbf);
    let _ = read_layer(&path, &ReadOptions::default());
    // .shx claiming 4 GB of index entries.
    let mut x = shx.clone();
    x[24..28].copy_from_slice(&0x7FFF_FFFFu32.to_be_bytes());
    let path = write_shapefile(dir.path(), shp, &x, dbf);
    let _ = read_layer(&path, &ReadOptions::default());
    // .dbf claiming 4 billion records of 64 KB.
    let mut d = dbf.clone();
    d[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
    d[10..12].copy_from_slice(&u16::MAX.to_le_bytes());
    let path = write_shapefile(dir.path(), shp, shx, &d);
    assert!(read_layer(&path, &ReadOptions::default()).is_err());
    assert!(
        peak_rss_mb() < before + 512,
        "{} Mo après lecture",
        peak_rss_mb()
    );
}

/// Which files of the triple a case mutates.
#[derive(Debug, Clone, Copy)]
enum Target {
    Shp,
    Shx,
    Dbf,
    All,
}

proptest! {
    /// The real shapefile, cut to 3 records, with bit flips, extreme counts, truncations and
    /// insertions in any of its files: an error or features, never a panic, never gigabytes.
    #[test]
    fn mutated_real_shapefile_never_panics(
        target in prop_oneof![Just(Target::Shp), Just(Target::Shx), Just(Target::Dbf), Just(Target::All)],
        shp_m in proptest::collection::vec(mutation(100 + 8 + 44), 1..5),
        shx_m in proptest::collection::vec(mutation(100 + 24), 1..4),
        dbf_m in proptest::collection::vec(mutation(32 * 4), 1..5),
    ) {
        let (mut shp, mut shx, mut dbf) = small_triple().clone();
        if matches!(target, Target::Shp | Target::All) { apply(&mut shp, &shp_m); }
        if matches!(target, Target::Shx | Target::All) { apply(&mut shx, &shx_m); }
        if matches!(target, Target::Dbf | Target::All) { apply(&mut dbf, &dbf_m); }
        let dir = tempfile::tempdir().unwrap();
        let path = write_shapefile(dir.path(), &shp, &shx, &dbf);
        if let Ok(layer) = read_layer(&path, &ReadOptions::default()) {
            exercise(layer);
        }
        prop_assert!(peak_rss_mb() < 2048, "{} Mo", peak_rss_mb());
    }

    /// The DBF alone (valid .shp and .shx): header counts, field descriptors (type, length,
    /// decimals), record bytes, the encoding byte — and a forced or `.cpg` encoding.
    #[test]
    fn mutated_real_dbf_never_panics(
        m in proptest::collection::vec(mutation(32 * 4), 1..6),
        cpg in proptest::option::of(prop_oneof![Just("UTF-8".to_string()), Just("ISO-8859-1".to_string()), Just("klingon".to_string()), "\\PC{0,12}"]),
        forced in prop_oneof![Just(None), Just(Some("UTF-8".to_string())), Just(Some("windows-1252".to_string()))],
    ) {
        let (shp, shx, mut dbf) = small_triple().clone();
        apply(&mut dbf, &m);
        let _ = zones::source::encoding::sniff(&dbf);
        let dir = tempfile::tempdir().unwrap();
        let path = write_shapefile(dir.path(), &shp, &shx, &dbf);
        if let Some(c) = cpg {
            std::fs::write(dir.path().join("x.cpg"), c).unwrap();
        }
        let opts = ReadOptions { encoding: forced, ..ReadOptions::default() };
        if let Ok(layer) = read_layer(&path, &opts) {
            exercise(layer);
        }
        prop_assert!(peak_rss_mb() < 2048, "{} Mo", peak_rss_mb());
    }

    /// The .prj: arbitrary edits of the real WKT.
    #[test]
    fn mutated_prj_never_panics(m in proptest::collection::vec(mutation(64), 1..6)) {
        let mut prj = real("iris-94-shp/map_iris.prj");
        apply(&mut prj, &m);
        let _ = zones::crs::detect_wkt(&String::from_utf8_lossy(&prj));
    }
}

// ---- GeoJSON: structured generation ----------------------------------------------------------

/// Numbers as a GeoJSON writer might emit them, the absurd ones included.
fn number() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        (-180.0f64..180.0).prop_map(serde_json::Value::from),
        (-1e7f64..1e7).prop_map(serde_json::Value::from),
        prop::sample::select(vec![
            0.0,
            -0.0,
            1e308,
            -1e308,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
            2.4,
            48.8,
            652_000.0,
            6_862_000.0,
        ])
        .prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
    ]
}

/// Strings that look like numbers, types or nothing.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "NaN",
            "nan",
            "Infinity",
            "-Infinity",
            "inf",
            "1e999",
            "",
            " ",
            "null",
            "Polygon",
            "MultiPolygon",
            "Feature",
            "FeatureCollection",
            "2.4",
            "48,8",
            "\u{feff}",
            "94028",
        ])
        .prop_map(str::to_string),
        "\\PC{0,16}",
    ]
}

fn leaf() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        number(),
        text().prop_map(serde_json::Value::from),
    ]
}

/// Coordinates of any depth (0 = a number), mostly well-shaped, sometimes empty or ragged.
fn coordinates(depth: u32) -> BoxedStrategy<serde_json::Value> {
    if depth == 0 {
        return prop_oneof![8 => number(), 1 => leaf()].boxed();
    }
    let position = proptest::collection::vec(number(), 0..4).prop_map(serde_json::Value::from);
    if depth == 1 {
        return prop_oneof![8 => position, 1 => leaf()].boxed();
    }
    prop_oneof![
        8 => proptest::collection::vec(coordinates(depth - 1), 0..6).prop_map(serde_json::Value::from),
        1 => leaf(),
        1 => coordinates(depth - 1),
    ]
    .boxed()
}

/// Any JSON value, nested a few levels.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(text(), inner, 0..4)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn geometry_type() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        8 => prop::sample::select(vec![
            "Polygon", "MultiPolygon", "Point", "MultiPoint", "LineString", "MultiLineString",
            "GeometryCollection", "polygon", "Feature",
        ])
        .prop_map(serde_json::Value::from),
        1 => leaf(),
    ]
}

fn geometry() -> impl Strategy<Value = serde_json::Value> {
    let simple = (geometry_type(), 0u32..5, any::<bool>()).prop_flat_map(|(t, depth, drop)| {
        coordinates(depth).prop_map(move |c| {
            let mut g = serde_json::json!({ "type": t.clone() });
            if !drop {
                g["coordinates"] = c;
            }
            g
        })
    });
    simple.prop_recursive(2, 8, 3, |inner| {
        proptest::collection::vec(inner, 0..3).prop_map(
            |geometries| serde_json::json!({ "type": "GeometryCollection", "geometries": geometries }),
        )
    })
}

fn feature() -> impl Strategy<Value = serde_json::Value> {
    (
        prop_oneof![8 => Just(serde_json::Value::from("Feature")), 1 => leaf()],
        prop_oneof![6 => geometry(), 1 => leaf()],
        prop_oneof![
            4 => proptest::collection::btree_map(text(), json_value(), 0..5)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            1 => leaf(),
        ],
        proptest::option::of(json_value()),
    )
        .prop_map(|(t, g, p, id)| {
            let mut f = serde_json::json!({ "type": t, "geometry": g, "properties": p });
            if let Some(id) = id {
                f["id"] = id;
            }
            f
        })
}

fn document() -> impl Strategy<Value = serde_json::Value> {
    let crs = proptest::option::of(prop_oneof![
        prop::sample::select(vec![
            "urn:ogc:def:crs:EPSG::2154",
            "urn:ogc:def:crs:OGC:1.3:CRS84",
            "EPSG:4326",
            "EPSG:3857",
            "EPSG:99999999999",
        ])
        .prop_map(|n| serde_json::json!({ "type": "name", "properties": { "name": n } })),
        json_value(),
    ]);
    prop_oneof![
        (proptest::collection::vec(feature(), 0..5), crs).prop_map(|(features, crs)| {
            let mut fc = serde_json::json!({ "type": "FeatureCollection", "features": features });
            if let Some(c) = crs {
                fc["crs"] = c;
            }
            fc
        }),
        feature(),
        geometry(),
        json_value(),
    ]
}

/// Literal JSON that serde_json cannot produce (out-of-range or non-JSON numbers), spliced in
/// for one number of the document.
fn splice(text: &str, at: usize, literal: &str) -> String {
    let digits: Vec<(usize, char)> = text
        .char_indices()
        .filter(|(_, c)| c.is_ascii_digit())
        .collect();
    match digits.get(at % digits.len().max(1)) {
        Some((i, _)) => format!("{}{literal}{}", &text[..*i], &text[*i..]),
        None => text.to_string(),
    }
}

proptest! {
    /// Generated GeoJSON: random nesting, wrong member types, huge or tiny coordinates,
    /// NaN-like strings, empty rings and collections. Errors or a layer; a layer reprojects.
    #[test]
    fn generated_geojson_never_panics(
        doc in document(),
        literal in proptest::option::of(prop::sample::select(vec!["1e999", "-1e999", "NaN", "Infinity", "-", "1e-400", "00", "9".repeat(400).leak() as &str])),
        at in any::<usize>(),
        forced in proptest::option::of(prop::sample::select(vec![zones::crs::Crs::Wgs84, zones::crs::Crs::Lambert93])),
    ) {
        let mut text = doc.to_string();
        if let Some(l) = literal {
            text = splice(&text, at, l);
        }
        let opts = ReadOptions { crs: forced, ..ReadOptions::default() };
        if let Ok(layer) = geojson::parse(Path::new("x.geojson"), &text, &opts) {
            for f in &layer.features {
                prop_assert!(f.geometry.0.iter().flat_map(|p| p.exterior().0.iter()).all(|c| c.x.is_finite() && c.y.is_finite()));
            }
            if let Ok(l) = layer.into_crs(zones::crs::Crs::Lambert93) {
                let _ = l.into_crs(zones::crs::Crs::Wgs84);
            }
        }
    }
}

// ---- composition CSVs ------------------------------------------------------------------------

/// The IRIS of the real shapefile as `(iris, commune)`, what `Composition::resolve` checks.
fn real_iris() -> &'static [(String, String)] {
    static I: LazyLock<Vec<(String, String)>> = LazyLock::new(|| {
        let dir = tempfile::tempdir().unwrap();
        let (shp, shx, dbf) = real_triple(527);
        let path = write_shapefile(dir.path(), &shp, &shx, &dbf);
        let layer = read_layer(&path, &ReadOptions::default()).expect("real IRIS");
        layer
            .features
            .iter()
            .map(|f| {
                (
                    f.attributes["CODE_IRIS"].clone(),
                    f.attributes["INSEE_COM"].clone(),
                )
            })
            .collect()
    });
    &I
}

fn boundaries(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../boundaries/val-de-marne")
            .join(name),
    )
    .unwrap()
}

/// An edit of a CSV text, line by line or cell by cell.
#[derive(Debug, Clone)]
enum CsvEdit {
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    /// Replace cell `.1` of line `.0`.
    Cell(usize, usize, String),
    /// Add a cell at the end of a line (ragged rows).
    Append(usize, String),
    /// Drop the last cell of a line.
    Pop(usize),
    Bom,
    /// Raw bytes at a character position (quotes, separators, line breaks).
    Raw(usize, String),
}

fn csv_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            " ",
            "\"",
            "\"\"",
            "ES01",
            "ES99",
            "T1",
            "940280101",
            "94028",
            "code",
            "es",
            "name",
            "territoire",
            "#",
            "\u{feff}code",
            ";",
            ",",
            "\n",
            "\r",
            "é",
        ])
        .prop_map(str::to_string),
        "[A-Z0-9]{1,10}",
        "\\PC{0,20}",
    ]
}

fn csv_edit() -> impl Strategy<Value = CsvEdit> {
    prop_oneof![
        1 => any::<usize>().prop_map(CsvEdit::DeleteLine),
        1 => any::<usize>().prop_map(CsvEdit::DuplicateLine),
        1 => (any::<usize>(), any::<usize>()).prop_map(|(a, b)| CsvEdit::SwapLines(a, b)),
        3 => (any::<usize>(), any::<usize>(), csv_cell()).prop_map(|(l, c, s)| CsvEdit::Cell(l, c, s)),
        1 => (any::<usize>(), csv_cell()).prop_map(|(l, s)| CsvEdit::Append(l, s)),
        1 => any::<usize>().prop_map(CsvEdit::Pop),
        1 => Just(CsvEdit::Bom),
        1 => (
            any::<usize>(),
            prop::sample::select(vec!["\"", ",", "\n", "\r\n", "\0", "#", "\u{feff}", "\"\"\"", "\u{fffd}"])
                .prop_map(str::to_string),
        )
            .prop_map(|(p, s)| CsvEdit::Raw(p, s)),
    ]
}

fn edit_csv(text: &str, edits: &[CsvEdit]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for e in edits {
        let n = lines.len().max(1);
        match e {
            CsvEdit::DeleteLine(i) if !lines.is_empty() => {
                lines.remove(i % n);
            }
            CsvEdit::DuplicateLine(i) if !lines.is_empty() => {
                let l = lines[i % n].clone();
                lines.insert(i % n, l);
            }
            CsvEdit::SwapLines(a, b) if !lines.is_empty() => lines.swap(a % n, b % n),
            CsvEdit::Cell(i, c, s) if !lines.is_empty() => {
                let mut cells: Vec<String> = lines[i % n].split(',').map(str::to_string).collect();
                let k = c % cells.len();
                cells[k] = s.clone();
                lines[i % n] = cells.join(",");
            }
            CsvEdit::Append(i, s) if !lines.is_empty() => {
                lines[i % n] = format!("{},{s}", lines[i % n]);
            }
            CsvEdit::Pop(i) if !lines.is_empty() => {
                if let Some((head, _)) = lines[i % n].rsplit_once(',') {
                    lines[i % n] = head.to_string();
                }
            }
            CsvEdit::Bom => {
                if let Some(first) = lines.first_mut() {
                    first.insert(0, '\u{feff}');
                }
            }
            CsvEdit::Raw(p, s) => {
                let mut joined = lines.join("\n");
                let chars: Vec<usize> = joined.char_indices().map(|(i, _)| i).collect();
                let at = chars.get(p % chars.len().max(1)).copied().unwrap_or(0);
                joined.insert_str(at, s);
                lines = joined.lines().map(str::to_string).collect();
            }
            _ => {}
        }
    }
    lines.join("\n")
}

proptest! {
    /// The three composition tables (IRIS → ES, ES directory, territoires), edited at random:
    /// errors name the file and line; loaded tables resolve against the real IRIS, never panic.
    #[test]
    fn edited_composition_never_panics(
        which in 0usize..4,
        edits in proptest::collection::vec(csv_edit(), 1..6),
    ) {
        let names = ["composition.csv", "es.csv", "territoires.csv"];
        let dir = tempfile::tempdir().unwrap();
        let paths: Vec<std::path::PathBuf> = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let mut text = boundaries(n);
                if which == i || which == 3 {
                    text = edit_csv(&text, &edits);
                }
                let p = dir.path().join(n);
                std::fs::write(&p, text).unwrap();
                p
            })
            .collect();
        match zones::composition::Composition::load(&paths[0], &paths[1], &paths[2]) {
            Ok(c) => {
                let _ = c.resolve(real_iris());
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(names.iter().any(|n| msg.contains(n)), "{msg}");
            }
        }
    }
}

// ---- bundle ----------------------------------------------------------------------------------

/// The real bundle of Val-de-Marne, encoded once.
fn real_bundle_bytes() -> &'static [u8] {
    static B: LazyLock<Vec<u8>> = LazyLock::new(|| {
        let config = zones::Config::load(
            &Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../boundaries/val-de-marne/observatoire.toml"),
        )
        .expect("default configuration (and ../shared/data beside the checkout)");
        zones::build(&config, &zones::build::Silent)
            .expect("build")
            .0
            .to_bytes()
            .unwrap()
    });
    &B
}

#[test]
fn the_real_bundle_round_trips() {
    let b = zones::Bundle::from_bytes(Path::new("x"), real_bundle_bytes()).expect("decode");
    assert_eq!(b.zones(zones::Level::Commune).len(), 47);
    b.validate().expect("the real bundle is valid");
    use_bundle(&b);
}

proptest! {
    /// The real bundle with bit flips, extreme lengths, insertions and deletions in its
    /// postcard payload (the header's length kept consistent, so decoding goes deep): decoding
    /// gives an error or a bundle, never a panic nor gigabytes; a bundle that passes
    /// `validate()` can be used without panic.
    #[test]
    fn mutated_real_bundle_never_panics_in_decode(
        m in proptest::collection::vec(mutation(4096), 1..5),
        fix_length in prop::bool::weighted(0.9),
    ) {
        let mut bytes = real_bundle_bytes().to_vec();
        let mut payload = bytes.split_off(52);
        apply(&mut payload, &m);
        if fix_length {
            bytes[12..20].copy_from_slice(&(payload.len() as u64).to_le_bytes());
        }
        bytes.extend_from_slice(&payload);
        if let Ok(bundle) = zones::Bundle::from_bytes(Path::new("x.bundle"), &bytes)
            && bundle.validate().is_ok()
        {
            use_bundle(&bundle);
        }
        prop_assert!(peak_rss_mb() < 2048, "{} Mo", peak_rss_mb());
    }
}

/// What readers of a bundle do with it (geometry of every zone, tables, a GeoJSON export):
/// once [`zones::Bundle::validate`] accepts a bundle, none of it may panic.
fn use_bundle(bundle: &zones::Bundle) {
    for level in zones::Level::NESTED {
        for z in bundle.zones(level) {
            let _ = bundle.topology.to_multipolygon(&z.geometry);
        }
        let _ = zones::export::rows(bundle, level);
    }
    let _ = zones::export::geojson(bundle, zones::Level::Territoire);
    let _ = zones::export::context_geojson(bundle);
}
