//! The lookup library on the real Val-de-Marne bundle: the 436 expected answers of
//! `bpe-94-lookup-sample.csv`, points outside, invalid input, the border rule, search, the BAN
//! importer and batch placement.
mod common;

use common::{ban, bundle, sample};
use lookup::addresses::{AddressBook, SkipReason, import_ban, load_mairies};
use lookup::batch::{Options, Reason, Source, place_csv};
use lookup::index::Position;
use lookup::search::{Kind, Match};
use lookup::{Lookup, Places, PointError, Silent};
use std::collections::HashMap;
use zones::Level;

fn lookup() -> &'static Lookup {
    static L: std::sync::OnceLock<Lookup> = std::sync::OnceLock::new();
    L.get_or_init(|| {
        let mairies = load_mairies(&lookup::mairies_path(&common::data_dir(), "94")).unwrap();
        Lookup::with_places(
            bundle(),
            Places {
                mairies,
                addresses: None,
            },
        )
    })
}

#[test]
fn the_436_sample_points_resolve_to_their_iris_and_commune() {
    let l = &lookup().locator;
    let points = sample();
    assert_eq!(points.len(), 436);
    for p in &points {
        // Lambert-93, as given.
        let a = l
            .lookup_l93(p.x, p.y)
            .unwrap_or_else(|e| panic!("line {}: {e}", p.line));
        assert_eq!(a.iris.code, p.iris, "line {} (L93)", p.line);
        assert_eq!(a.commune.code, p.commune, "line {} (L93)", p.line);
        assert!(!a.es.code.is_empty() && !a.territoire.code.is_empty());
        // WGS84, as given (7 decimals), through the reprojection.
        let b = l
            .lookup_lonlat(p.lon, p.lat)
            .unwrap_or_else(|e| panic!("line {}: {e}", p.line));
        assert_eq!(b.iris.code, p.iris, "line {} (lon/lat)", p.line);
        assert_eq!(b.commune.code, p.commune, "line {} (lon/lat)", p.line);
    }
}

#[test]
fn the_cell_cache_gives_exactly_the_r_tree_answers() {
    let index = lookup().locator.index();
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_path(common::data_dir().join("bpe/bpe2019_94.csv"))
        .unwrap();
    let mut points: Vec<(f64, f64)> = rdr
        .records()
        .filter_map(|r| {
            let r = r.ok()?;
            Some((r[6].parse().ok()?, r[7].parse().ok()?))
        })
        .collect();
    assert_eq!(points.len(), 45_329);
    // Uniform points over (and around) the département, deterministic.
    let mut s: u64 = 0x2545_F491_4F6C_DD1D;
    for _ in 0..60_000 {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        let (u, v) = (
            (s & 0xFFFF_FFFF) as f64 / 4_294_967_296.0,
            (s >> 32) as f64 / 4_294_967_296.0,
        );
        points.push((645_000.0 + u * 32_000.0, 6_840_000.0 + v * 26_000.0));
    }
    let mut inside = 0;
    for &(x, y) in &points {
        let (a, b) = (index.locate(x, y), index.locate_uncached(x, y));
        assert_eq!(a, b, "({x}, {y})");
        inside += usize::from(a.is_some());
    }
    assert!(inside > 45_000 + 15_000, "{inside}");
    assert!(index.cached_cell_share() > 0.5);
}

#[test]
fn higher_levels_are_those_of_the_iris() {
    let b = bundle();
    let l = &lookup().locator;
    let by_code: HashMap<&str, &zones::level::Zone> = b
        .zones(Level::Iris)
        .iter()
        .map(|z| (z.code.as_str(), z))
        .collect();
    for p in sample() {
        let a = l.lookup_l93(p.x, p.y).unwrap();
        let z = by_code[a.iris.code.as_str()];
        assert_eq!(Some(a.es.code.as_str()), z.parent(Level::Es));
        assert_eq!(
            Some(a.territoire.code.as_str()),
            z.parent(Level::Territoire)
        );
        assert!(!a.es.address.is_empty() && !a.es.hours.is_empty());
        assert!(a.illustrative);
    }
    // Known facts of the composition: Villejuif has its own ES.
    let villejuif = l.lookup_lonlat(2.364487, 48.7947614).unwrap();
    assert_eq!(villejuif.commune.name, "Villejuif");
    assert_eq!(villejuif.es.name, "Espace de Solidarité de Villejuif");
    assert_eq!(
        villejuif.es.address,
        "100 avenue de Stalingrad, 94800 Villejuif"
    );
}

#[test]
fn outside_points_and_invalid_coordinates() {
    let l = &lookup().locator;
    // Paris, parvis de Notre-Dame; the Seine in Paris between the Austerlitz and Bercy bridges.
    for (lon, lat) in [(2.3488, 48.8534), (2.3712, 48.8420)] {
        match l.lookup_lonlat(lon, lat) {
            Err(PointError::Outside { territory, .. }) => assert_eq!(territory, "Val-de-Marne"),
            other => panic!("({lon}, {lat}) should be outside: {other:?}"),
        }
    }
    // Far away, and the other side of the world.
    assert!(matches!(
        l.lookup_lonlat(-70.0, -30.0),
        Err(PointError::Outside { .. })
    ));
    for (lon, lat) in [
        (f64::NAN, 48.8),
        (2.4, f64::INFINITY),
        (200.0, 48.8),
        (2.4, -91.0),
        (660000.0, 6850000.0),
    ] {
        assert!(
            matches!(l.lookup_lonlat(lon, lat), Err(PointError::Invalid(_))),
            "({lon}, {lat}) should be invalid"
        );
    }
    assert!(matches!(
        l.lookup_l93(f64::NAN, 1.0),
        Err(PointError::Invalid(_))
    ));
    assert!(l.locate_l93(0.0, 0.0).is_none());
    assert!(l.locate_l93(1e300, -1e300).is_none());
}

/// Arcs of the shared topology used by exactly the IRIS given (two on a shared border).
fn arc_owners(b: &zones::Bundle) -> HashMap<usize, Vec<usize>> {
    let mut owners: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, z) in b.zones(Level::Iris).iter().enumerate() {
        for p in &z.geometry.polygons {
            for r in &p.rings {
                for &a in r {
                    let e = owners.entry(zones::topology::arc_index(a)).or_default();
                    if !e.contains(&i) {
                        e.push(i);
                    }
                }
            }
        }
    }
    owners
}

#[test]
fn border_rule_smallest_code_among_the_iris_whose_boundary_holds_the_point() {
    let b = bundle();
    let l = &lookup().locator;
    let iris = b.zones(Level::Iris);
    let grid = b.topology.grid;
    let owners = arc_owners(b);
    let mut checked_vertices = 0;
    let mut checked_midpoints = 0;
    let mut checked_junctions = 0;
    let mut arcs: Vec<_> = owners.iter().filter(|(_, o)| o.len() == 2).collect();
    arcs.sort();
    for (&arc, o) in arcs.into_iter().take(400) {
        let pts = &b.topology.arcs[arc];
        let smallest = o.iter().map(|&i| iris[i].code.as_str()).min().unwrap();
        // An interior vertex of a shared arc lies on both IRIS boundaries.
        if pts.len() >= 3 {
            let [x, y] = pts[pts.len() / 2];
            let (x, y) = (x as f64 * grid, y as f64 * grid);
            for &i in o {
                assert_eq!(l.index().position(i as u32, x, y), Position::Boundary);
            }
            let hit = l.locate_l93(x, y).unwrap();
            assert!(hit.border);
            assert_eq!(iris[hit.iris as usize].code, smallest);
            assert_eq!(l.index().locate_uncached(x, y), Some(hit));
            checked_vertices += 1;
        }
        // The midpoint of a segment, when it falls on the grid, too.
        for w in pts.windows(2) {
            let (dx, dy) = (w[1][0] - w[0][0], w[1][1] - w[0][1]);
            if dx % 2 == 0 && dy % 2 == 0 && (dx != 0 || dy != 0) {
                let (mx, my) = (w[0][0] + dx / 2, w[0][1] + dy / 2);
                let hit = l.locate_l93(mx as f64 * grid, my as f64 * grid).unwrap();
                assert!(hit.border);
                assert_eq!(iris[hit.iris as usize].code, smallest);
                checked_midpoints += 1;
                break;
            }
        }
    }
    // Junctions where three IRIS meet.
    let mut at_point: HashMap<[i64; 2], Vec<usize>> = HashMap::new();
    for (&arc, o) in &owners {
        let pts = &b.topology.arcs[arc];
        for p in [pts[0], pts[pts.len() - 1]] {
            let e = at_point.entry(p).or_default();
            for &i in o {
                if !e.contains(&i) {
                    e.push(i);
                }
            }
        }
    }
    let mut junctions: Vec<_> = at_point.into_iter().filter(|(_, o)| o.len() >= 3).collect();
    junctions.sort();
    for (p, o) in junctions.into_iter().take(100) {
        let smallest = o.iter().map(|&i| iris[i].code.as_str()).min().unwrap();
        let hit = l
            .locate_l93(p[0] as f64 * grid, p[1] as f64 * grid)
            .unwrap();
        assert!(hit.border);
        assert_eq!(iris[hit.iris as usize].code, smallest);
        checked_junctions += 1;
    }
    assert!(checked_vertices > 100 && checked_midpoints > 20 && checked_junctions > 50);
    // A point a millimetre off a border is strictly inside one IRIS: no border flag.
    let p = sample()[0].clone();
    assert!(!l.locate_l93(p.x, p.y).unwrap().border);
}

#[test]
fn search_is_accent_case_and_typo_tolerant() {
    let g = &lookup().gazetteer;
    for q in [
        "creteil",
        "Créteil",
        "CRETEIL",
        "Créteuil",
        "creteuil",
        "cretei",
        "cret",
        "Crétail",
    ] {
        let r = g.search(q, 5);
        assert!(!r.is_empty(), "{q}: no result");
        assert_eq!(
            (r[0].kind, r[0].code.as_str()),
            (Kind::Commune, "94028"),
            "{q}: {:?}",
            r[0]
        );
        assert_eq!(r[0].name, "Créteil");
    }
    assert_eq!(g.search("creteil", 5)[0].matched, Match::Exact);
    assert_eq!(g.search("Créteuil", 5)[0].matched, Match::Fuzzy);
    let r = g.search("creteil", 10);
    assert!(
        r.iter()
            .any(|s| s.kind == Kind::Es && s.name == "Espace de Solidarité de Créteil")
    );
    assert!(
        r.iter()
            .any(|s| s.kind == Kind::Mairie && s.name == "Mairie de Créteil")
    );

    let r = g.search("vitry sur seine", 5);
    assert_eq!(
        (r[0].kind, r[0].name.as_str()),
        (Kind::Commune, "Vitry-sur-Seine")
    );
    let r = g.search("champigny haut", 5);
    assert_eq!((r[0].kind, r[0].code.as_str()), (Kind::Es, "ES06"), "{r:?}");
    let r = g.search("champigny", 5);
    assert_eq!(r[0].code, "94017");
    assert_eq!(
        r[0].es,
        vec!["ES05", "ES06"],
        "a commune split between two ES says so"
    );
    assert!(r[0].label.contains("partagée"));
    let r = g.search("Kremlin Bicetre", 3);
    assert_eq!(r[0].name, "Le Kremlin-Bicêtre");
    let r = g.search("lhay les roses", 3);
    assert_eq!(r[0].name, "L'Haÿ-les-Roses", "{r:?}");
    let r = g.search("st maur", 3);
    assert_eq!(r[0].name, "Saint-Maur-des-Fossés");
    let r = g.search("mairie de vincennes", 3);
    assert_eq!(
        (r[0].kind, r[0].name.as_str()),
        (Kind::Mairie, "Mairie de Vincennes")
    );
    assert!(r[0].label.contains("Vincennes"));
    // IRIS names, with their commune.
    let r = g.search("bords de marne creteil", 3);
    assert_eq!((r[0].kind, r[0].code.as_str()), (Kind::Iris, "940280101"));
    // Codes.
    assert_eq!(g.search("94028", 1)[0].name, "Créteil");
    assert_eq!(g.search("940280101", 1)[0].kind, Kind::Iris);
    assert_eq!(
        g.search("ES12", 1)[0].name,
        "Espace de Solidarité de Villejuif"
    );
    // An ES by one of its communes.
    let r = g.search("es noiseau", 3);
    assert_eq!(r[0].code, "ES20", "{r:?}");

    // Every suggestion has a point inside the département, zones a bounding box.
    let l = &lookup().locator;
    for s in g.search("saint", 50) {
        assert!(l.lookup_lonlat(s.point[0], s.point[1]).is_ok(), "{s:?}");
        if matches!(
            s.kind,
            Kind::Commune | Kind::Es | Kind::Iris | Kind::Territoire
        ) {
            let b = s.bbox.unwrap();
            assert!(
                b[0] <= s.point[0]
                    && s.point[0] <= b[2]
                    && b[1] <= s.point[1]
                    && s.point[1] <= b[3]
            );
        }
    }
    // A zone's point lies in that zone.
    let c = &g.search("sucy en brie", 1)[0];
    assert_eq!(
        l.lookup_lonlat(c.point[0], c.point[1])
            .unwrap()
            .commune
            .code,
        c.code
    );

    // Nothing sensible: no result, no panic.
    assert!(g.search("", 10).is_empty());
    assert!(g.search("   ", 10).is_empty());
    assert!(g.search("zzzzqqqq", 10).is_empty());
    let _ = g.search(&"é'-_%".repeat(500), 10);
    let _ = g.search("a b c d e f g h i j k l m n", 10);
    assert_eq!(g.search("saint", 3).len(), 3);
}

fn imported(dir: &std::path::Path) -> (AddressBook, lookup::addresses::ImportReport) {
    let path = dir.join("adresses-94.csv");
    ban::write(&path);
    import_ban(&path, "94", Some(&lookup().locator), &Silent).unwrap()
}

#[test]
fn ban_import_groups_streets_and_reports_skipped_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (book, report) = imported(dir.path());
    assert_eq!(report.rows, (ban::ROWS.len() + ban::BAD_ROWS.len()) as u64);
    assert_eq!(report.numbers, ban::ROWS.len() as u64);
    assert_eq!(report.streets, 4);
    assert_eq!(report.communes, 2);
    let lines = |r: SkipReason| {
        report
            .skipped
            .get(&r)
            .map(|t| t.lines.clone())
            .unwrap_or_default()
    };
    let first_bad = ban::ROWS.len() as u64 + 2;
    assert_eq!(lines(SkipReason::OtherDepartement), vec![first_bad]);
    assert_eq!(lines(SkipReason::BadCoordinates), vec![first_bad + 1]);
    assert_eq!(lines(SkipReason::Duplicate), vec![first_bad + 2]);
    assert_eq!(report.outside.count, 0);
    assert_eq!(report.other_commune.count, 0);
    let gg = book
        .streets
        .iter()
        .find(|s| s.name == "Avenue du Général de Gaulle")
        .unwrap();
    let nums: Vec<String> = book.numbers_of(gg).iter().map(|n| n.label()).collect();
    assert_eq!(nums, vec!["1", "12", "12 bis", "30"]);

    // Saved atomically, read back identical; a damaged file is refused with a message.
    let out = dir.path().join("94.addresses");
    book.save(&out).unwrap();
    assert_eq!(AddressBook::load(&out).unwrap(), book);
    let mut bytes = std::fs::read(&out).unwrap();
    bytes.truncate(bytes.len() - 3);
    std::fs::write(&out, &bytes).unwrap();
    let e = AddressBook::load(&out).unwrap_err().to_string();
    assert!(
        e.contains("tronqué") && e.contains("import-addresses"),
        "{e}"
    );

    // The same file gzipped, as downloaded.
    let gz = dir.path().join("adresses-94.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    std::io::Write::write_all(&mut enc, ban::text().as_bytes()).unwrap();
    enc.finish().unwrap();
    let (book_gz, _) = import_ban(&gz, "94", None, &Silent).unwrap();
    assert_eq!(book_gz.streets, book.streets);
}

#[test]
fn ban_import_refuses_wrong_files_with_french_messages() {
    let dir = tempfile::tempdir().unwrap();
    let missing = import_ban(&dir.path().join("absent.csv"), "94", None, &Silent)
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("adresses-94.csv.gz") && missing.contains("adresse.data.gouv.fr"),
        "{missing}"
    );
    let p = dir.path().join("bad.csv");
    std::fs::write(&p, "id;numero;nom_voie\n1;2;3\n").unwrap();
    let e = import_ban(&p, "94", None, &Silent).unwrap_err().to_string();
    assert!(
        e.contains("colonne(s) absente(s)") && e.contains("code_insee") && e.contains("bad.csv"),
        "{e}"
    );
    let p75 = dir.path().join("adresses-75.csv");
    std::fs::write(&p75, format!("{}\n{}\n", ban::HEADER, ban::BAD_ROWS[0])).unwrap();
    let e = import_ban(&p75, "94", None, &Silent)
        .unwrap_err()
        .to_string();
    assert!(e.contains("aucune adresse du département 94"), "{e}");
    let garbage = dir.path().join("garbage.csv.gz");
    std::fs::write(&garbage, [0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe, 0x00]).unwrap();
    assert!(import_ban(&garbage, "94", None, &Silent).is_err());
}

#[test]
fn address_search_and_geocoding_on_imported_ban() {
    let dir = tempfile::tempdir().unwrap();
    let (book, _) = imported(dir.path());
    let mut l = Lookup::new(bundle());
    l.set_places(
        bundle(),
        Places {
            mairies: vec![],
            addresses: Some(book),
        },
    );
    let g = &l.gazetteer;
    let expected = |id: &str| ban::ROWS.iter().find(|r| r.0 == id).unwrap();

    let r = g.search("12 avenue du Général de Gaulle Créteil", 5);
    assert_eq!(
        (r[0].kind, r[0].code.as_str()),
        (Kind::Adresse, "94028_1490_00012")
    );
    assert_eq!(r[0].name, "12 Avenue du Général de Gaulle");
    assert_eq!(r[0].label, "94000 Créteil");
    let a = l
        .locator
        .lookup_lonlat(r[0].point[0], r[0].point[1])
        .unwrap();
    assert_eq!(a.iris.code, expected("94028_1490_00012").11);
    assert_eq!(a.es.code, "ES10");

    let r = g.search("12 bis av du gal de gaule creteil", 5);
    assert_eq!(r[0].code, "94028_1490_00012_bis", "{r:?}");
    let r = g.search("avenue general gaulle", 5);
    assert_eq!(r[0].kind, Kind::Voie);
    let r = g.search("14 avenue du general de gaulle creteil", 5);
    assert_eq!(r[0].code, "94028_1490_00012");
    assert_eq!(r[0].requested_number.as_deref(), Some("14"));

    let ok = g
        .geocode("12, avenue du Général de Gaulle 94000 CRETEIL")
        .unwrap();
    assert_eq!(ok.precision, lookup::search::Precision::Number);
    assert_eq!(ok.label, "12 Avenue du Général de Gaulle, 94000 Créteil");
    let ok = g.geocode("5 rue Victor Hugo 94400 Vitry").unwrap();
    assert_eq!(
        l.locator
            .locate_l93(ok.x, ok.y)
            .map(|h| l.locator.codes(h)[0]),
        Some("940810105")
    );
    // Building and flat numbers are ignored when street and commune match.
    assert!(
        g.geocode("5 rue Victor Hugo bâtiment B escalier 3 Créteil")
            .is_ok()
    );
    use lookup::search::GeocodeFailure;
    assert_eq!(
        g.geocode("5 rue Victor Hugo"),
        Err(GeocodeFailure::Ambiguous)
    );
    assert_eq!(
        g.geocode("3 rue de Lyon Paris"),
        Err(GeocodeFailure::NotFound)
    );
    assert_eq!(g.geocode(" ; "), Err(GeocodeFailure::Empty));
    assert_eq!(
        g.geocode("Créteil"),
        Err(GeocodeFailure::NotFound),
        "a commune alone is no address"
    );
}

#[test]
fn batch_output_temp_files_of_a_killed_run_are_removed_but_not_live_ones() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("entree.csv");
    let p = &sample()[0];
    std::fs::write(
        &input,
        format!("nom,longitude,latitude\na,{},{}\n", p.lon, p.lat),
    )
    .unwrap();
    let output = dir.path().join("sortie.csv");
    // Left by a run killed while writing `sortie.csv` (unlocked), by a run still writing it
    // (locked), and by a write of another file.
    let stale = dir.path().join(".sortie.csv.AbC123.tmp");
    let live = dir.path().join(".sortie.csv.ZzZ999.tmp");
    let other = dir.path().join(".autre.csv.AbC123.tmp");
    for f in [&stale, &live, &other] {
        std::fs::write(f, b"partiel").unwrap();
    }
    let writer = std::fs::OpenOptions::new().write(true).open(&live).unwrap();
    writer.lock().unwrap();
    let options = Options {
        input: input.clone(),
        output: output.clone(),
        source: Source::LonLat {
            lon: "longitude".into(),
            lat: "latitude".into(),
        },
        delimiter: None,
    };
    let report = place_csv(&options, &lookup().locator, None, &Silent).unwrap();
    assert_eq!(report.placed, 1);
    drop(writer);
    let mut left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            ".autre.csv.AbC123.tmp",
            ".sortie.csv.ZzZ999.tmp",
            "entree.csv",
            "sortie.csv"
        ]
    );
}

#[test]
fn batch_placement_of_a_csv_with_every_kind_of_bad_row() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("beneficiaires.csv");
    // `;`, decimal commas, Latin-1 text, a column already named `commune`.
    let mut text: Vec<u8> = b"nom;commune;longitude;latitude\n".to_vec();
    let pts = sample();
    for p in &pts[..50] {
        text.extend(
            format!(
                "x;{};{};{}\n",
                p.commune,
                p.lon.to_string().replace('.', ","),
                p.lat
            )
            .bytes(),
        );
    }
    text.extend(b"Ren\xe9e;;;\n"); // Latin-1 é, no coordinates
    text.extend(b"b;;abc;48.8\n");
    text.extend(b"c;;2.3488;48.8534\n"); // Paris
    text.extend(format!("d;;{};{}\n", pts[0].lat, pts[0].lon).bytes()); // swapped
    text.extend(format!("e;;{};{}\n", pts[0].x, pts[0].y).bytes()); // Lambert-93 given as degrees
    text.extend(b"f;;2.4\n"); // short row
    std::fs::write(&input, &text).unwrap();
    let output = dir.path().join("sortie.csv");
    let options = Options {
        input: input.clone(),
        output: output.clone(),
        source: Source::LonLat {
            lon: "longitude".into(),
            lat: "latitude".into(),
        },
        delimiter: None,
    };
    let report = place_csv(&options, &lookup().locator, None, &Silent).unwrap();
    assert_eq!(report.rows, 56);
    assert_eq!(report.placed, 50);
    assert!(report.latin1);
    assert_eq!(report.delimiter, b';');
    assert_eq!(
        report.added_columns,
        vec!["iris", "commune_lookup", "es", "territoire", "motif"]
    );
    let count = |r: Reason| report.unplaced.get(&r).map_or(0, |t| t.count);
    assert_eq!(count(Reason::EmptyCoordinates), 2);
    assert_eq!(count(Reason::UnreadableCoordinates), 1);
    assert_eq!(count(Reason::Outside), 1);
    assert_eq!(count(Reason::Swapped), 1);
    assert_eq!(count(Reason::LooksProjected), 1);
    assert_eq!(report.unplaced[&Reason::Outside].lines, vec![54]);
    assert_eq!(report.per_es.iter().map(|e| e.2).sum::<u64>(), 50);

    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b';')
        .flexible(true)
        .from_path(&output)
        .unwrap();
    let h = rdr.headers().unwrap().clone();
    assert_eq!(&h[4], "iris");
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    for (r, p) in rows.iter().zip(&pts[..50]) {
        assert_eq!(&r[4], p.iris.as_str());
        assert_eq!(&r[5], p.commune.as_str());
    }
    assert_eq!(&rows[50][0], "Renée");
    assert_eq!(&rows[50][8], "coordonnees_vides");
    assert_eq!(&rows[53][8], "lon_lat_inversees");
    // No temporary file left behind; the input is refused as output.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    let same = Options {
        output: input.clone(),
        ..options.clone()
    };
    assert!(place_csv(&same, &lookup().locator, None, &Silent).is_err());
    // A missing column is named with the columns present.
    let bad = Options {
        source: Source::Xy {
            x: "X".into(),
            y: "Y".into(),
            crs: zones::crs::Crs::Lambert93,
        },
        ..options
    };
    let e = place_csv(&bad, &lookup().locator, None, &Silent)
        .unwrap_err()
        .to_string();
    assert!(e.contains("« X »") && e.contains("longitude"), "{e}");
}

#[test]
fn es_cards_have_a_perimeter_and_their_communes() {
    let l = &lookup().locator;
    assert_eq!(l.es_cards().len(), 20);
    let sucy = l
        .es_cards()
        .iter()
        .find(|c| c.name.contains("Sucy"))
        .unwrap();
    assert_eq!(sucy.communes.len(), 8);
    assert!(!sucy.perimeter.is_empty() && sucy.perimeter[0][0].len() >= 4);
    let vj = l.es_card("es12").unwrap();
    assert_eq!(vj.communes.len(), 1);
    assert!(vj.bbox[0] < vj.bbox[2] && vj.bbox[1] < vj.bbox[3]);
    assert!(l.es_card("ES99").is_none());
}
