//! End-to-end runs of `observatoire lookup` and `observatoire import-addresses` on the real
//! data: single points, the 436 expected answers in batch mode (lon/lat and Lambert-93), the
//! whole BPE file, BAN import and address geocoding, and bad usage.
#[path = "../crates/lookup/tests/common/mod.rs"]
mod common;

use common::{ban, sample};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn observatoire(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .args(args)
        .current_dir(common::repo_root())
        .env_remove("OBSERVATOIRE_CONFIG")
        .env_remove("OBSERVATOIRE_BUNDLE")
        .output()
        .expect("binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Build once into a temporary folder shared by the tests of this binary.
fn built_bundle() -> &'static Path {
    static P: std::sync::OnceLock<(tempfile::TempDir, PathBuf)> = std::sync::OnceLock::new();
    let (_, p) = P.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("94.bundle");
        let out = observatoire(&["build", "--quiet", "--out", p.to_str().unwrap()]);
        assert!(out.status.success(), "build failed: {}", text(&out.stderr));
        (dir, p)
    });
    p
}

fn run_ok(args: &[&str]) -> Output {
    let b = built_bundle().to_str().unwrap().to_string();
    let mut all = vec!["--bundle", b.as_str()];
    all.extend_from_slice(args);
    let out = observatoire(&all);
    assert!(
        out.status.success(),
        "{args:?} failed:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

fn run_err(bundle: &Path, args: &[&str]) -> String {
    let b = bundle.to_str().unwrap().to_string();
    let mut all = vec!["--bundle", b.as_str()];
    all.extend_from_slice(args);
    let out = observatoire(&all);
    assert!(!out.status.success(), "{args:?} should fail");
    text(&out.stderr)
}

#[test]
fn single_point_prints_the_api_json() {
    let p = &sample()[0];
    let out = run_ok(&[
        "lookup",
        "--lon",
        &p.lon.to_string(),
        "--lat",
        &p.lat.to_string(),
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["iris"]["code"], p.iris);
    assert_eq!(v["commune"]["code"], p.commune);
    assert!(
        v["es"]["name"]
            .as_str()
            .unwrap()
            .starts_with("Espace de Solidarité")
    );
    assert!(v["territoire"]["code"].is_string());
    assert!(text(&out.stderr).contains("ILLUSTRATIVE"));
    let out = run_ok(&["lookup", "--x", &p.x.to_string(), "--y", &p.y.to_string()]);
    let w: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(w["iris"], v["iris"]);
    // Negative numbers are values, not options.
    let e = run_err(built_bundle(), &["lookup", "--lon", "-70", "--lat", "-30"]);
    assert!(e.contains("hors du département Val-de-Marne"), "{e}");
    let e = run_err(
        built_bundle(),
        &["lookup", "--lon", "2.3488", "--lat", "48.8534"],
    );
    assert!(e.contains("hors du département"), "{e}");
    let e = run_err(built_bundle(), &["lookup", "--lon", "abc", "--lat", "48.8"]);
    assert!(e.contains("n'est pas un nombre"), "{e}");
    let e = run_err(built_bundle(), &["lookup", "--lon", "2.4"]);
    assert!(e.contains("--lon et --lat vont ensemble"), "{e}");
    let e = run_err(built_bundle(), &["lookup"]);
    assert!(e.contains("indiquez un point"), "{e}");
    let e = run_err(
        built_bundle(),
        &["lookup", "--lon", "2.4", "--lat", "48.8", "--search", "x"],
    );
    assert!(e.contains("une seule demande"), "{e}");
}

fn check_sample_output(path: &Path) {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| {
        h.iter()
            .position(|c| c == n)
            .unwrap_or_else(|| panic!("no {n} in {h:?}"))
    };
    let (ci, cc, ce, ct, cm) = (
        col("iris"),
        col("commune"),
        col("es"),
        col("territoire"),
        col("motif"),
    );
    let (ei, ec) = (col("iris_containing"), col("com_containing"));
    let mut n = 0;
    for r in rdr.records() {
        let r = r.unwrap();
        assert_eq!(&r[ci], &r[ei], "row {}", n + 2);
        assert_eq!(&r[cc], &r[ec], "row {}", n + 2);
        assert!(r[ce].starts_with("ES") && r[ct].starts_with('T'));
        assert_eq!(&r[cm], "");
        n += 1;
    }
    assert_eq!(n, 436);
}

#[test]
fn batch_mode_on_the_436_sample_points() {
    let dir = tempfile::tempdir().unwrap();
    let input = common::sample_path();
    let out_lonlat = dir.path().join("lonlat.csv");
    let out = run_ok(&[
        "lookup",
        "--csv",
        input.to_str().unwrap(),
        "--lon-col",
        "lon",
        "--lat-col",
        "lat",
        "--out",
        out_lonlat.to_str().unwrap(),
    ]);
    let summary = text(&out.stdout);
    assert!(
        summary.contains("lignes : 436 ; placées : 436 (100,0 %)"),
        "{summary}"
    );
    assert!(summary.contains("séparateur « , »"), "{summary}");
    check_sample_output(&out_lonlat);

    let out_l93 = dir.path().join("l93.csv");
    run_ok(&[
        "lookup",
        "--csv",
        input.to_str().unwrap(),
        "--x-col",
        "x_l93",
        "--y-col",
        "y_l93",
        "--crs",
        "EPSG:2154",
        "--out",
        out_l93.to_str().unwrap(),
        "--quiet",
    ]);
    check_sample_output(&out_l93);
}

#[test]
fn batch_mode_on_the_whole_bpe_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = common::data_dir().join("bpe/bpe2019_94.csv");
    let output = dir.path().join("bpe-es.csv");
    let out = run_ok(&[
        "lookup",
        "--csv",
        input.to_str().unwrap(),
        "--x-col",
        "LAMBERT_X",
        "--y-col",
        "LAMBERT_Y",
        "--out",
        output.to_str().unwrap(),
    ]);
    let summary = text(&out.stdout);
    assert!(summary.contains("lignes : 47\u{202f}171"), "{summary}");
    // 1 837 + 5 rows are not geolocated (`NA`), as PROVENANCE.md says.
    assert!(
        summary.contains("coordonnées absentes (vides, NA, null…)"),
        "{summary}"
    );
    assert!(summary.contains("1\u{202f}842"), "{summary}");
    assert!(summary.contains("point hors du département"), "{summary}");
    assert!(summary.contains("ES20"), "{summary}");
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b';')
        .from_path(&output)
        .unwrap();
    let h = rdr.headers().unwrap().clone();
    assert_eq!(h.len(), 9 + 5);
    let (mut rows, mut placed, mut same_commune) = (0, 0, 0);
    for r in rdr.records() {
        let r = r.unwrap();
        rows += 1;
        if !r[9].is_empty() {
            placed += 1;
            if r[10] == r[2] {
                same_commune += 1;
            }
        }
    }
    assert_eq!(rows, 47_171);
    assert_eq!(placed, 47_171 - 1_842 - 48);
    // PROVENANCE.md: 99.4 % of good-quality points fall in their DEPCOM; all qualities here.
    assert!(same_commune as f64 / placed as f64 > 0.99);
}

#[test]
fn ban_import_then_address_lookup_and_geocoding_batch() {
    // A bundle of its own: the addresses file is written beside it.
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("94.bundle");
    std::fs::copy(built_bundle(), &bundle).unwrap();
    let b = bundle.to_str().unwrap();
    let ban_file = dir.path().join("adresses-94.csv");
    ban::write(&ban_file);

    // Without import: a clear message.
    let input = dir.path().join("beneficiaires.csv");
    std::fs::write(
        &input,
        "nom,adresse\nA,\"12 avenue du Général de Gaulle, 94000 Créteil\"\nB,5 rue Victor Hugo 94400 Vitry-sur-Seine\nC,5 rue Victor Hugo\nD,\nE,1 rue Inconnue 94000 Créteil\nF,14 av du gal de gaulle creteil\n",
    )
    .unwrap();
    let output = dir.path().join("places.csv");
    let args = [
        "lookup",
        "--csv",
        input.to_str().unwrap(),
        "--address-col",
        "adresse",
        "--out",
        output.to_str().unwrap(),
    ];
    let e = run_err(&bundle, &args);
    assert!(
        e.contains("import-addresses") && e.contains("adresse.data.gouv.fr"),
        "{e}"
    );

    let out = observatoire(&[
        "--bundle",
        b,
        "import-addresses",
        ban_file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(
        summary.contains("7 adresses, 4 voies, 2 communes"),
        "{summary}"
    );
    assert!(
        summary.contains("commune d'un autre département : 1 (lignes 9)"),
        "{summary}"
    );
    assert!(dir.path().join("94.addresses").is_file());

    let out = observatoire(&[
        "--bundle",
        b,
        "lookup",
        "--address",
        "12 bis av. du Gal de Gaulle, Créteil",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["iris"]["code"], "940280206");
    assert_eq!(v["es"]["code"], "ES10");

    let out = observatoire(&[
        "--bundle",
        b,
        "lookup",
        "--search",
        "12 avenue du general de gaulle creteil",
        "--limit",
        "1",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["results"][0]["kind"], "adresse");

    let out = observatoire(&["--bundle", b].into_iter().chain(args).collect::<Vec<_>>());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(summary.contains("placées : 3"), "{summary}");
    assert!(summary.contains("adresse ambiguë"), "{summary}");
    let mut rdr = csv::Reader::from_path(&output).unwrap();
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>(),
        vec![
            "nom",
            "adresse",
            "iris",
            "commune",
            "es",
            "territoire",
            "motif",
            "adresse_trouvee",
            "precision"
        ]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(&rows[0][2], "940280211");
    assert_eq!(&rows[0][7], "12 Avenue du Général de Gaulle, 94000 Créteil");
    assert_eq!(&rows[0][8], "numéro");
    assert_eq!(&rows[1][2], "940810105");
    assert_eq!(&rows[2][6], "adresse_ambigue");
    assert_eq!(&rows[3][6], "adresse_vide");
    assert_eq!(&rows[4][6], "adresse_introuvable");
    assert_eq!(&rows[5][8], "numéro voisin");
}

#[test]
fn batch_mode_bad_usage() {
    let b = built_bundle();
    let input = common::sample_path();
    let i = input.to_str().unwrap();
    let e = run_err(
        b,
        &["lookup", "--csv", i, "--lon-col", "lon", "--lat-col", "lat"],
    );
    assert!(e.contains("--out"), "{e}");
    let e = run_err(
        b,
        &[
            "lookup",
            "--csv",
            i,
            "--lon-col",
            "lon",
            "--lat-col",
            "lat",
            "--x-col",
            "x",
            "--y-col",
            "y",
            "--out",
            "/tmp/x.csv",
        ],
    );
    assert!(e.contains("indiquez les colonnes"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let o = dir.path().join("o.csv");
    let e = run_err(
        b,
        &[
            "lookup",
            "--csv",
            i,
            "--lon-col",
            "longitude",
            "--lat-col",
            "lat",
            "--out",
            o.to_str().unwrap(),
        ],
    );
    assert!(e.contains("« longitude »") && e.contains("x_l93"), "{e}");
    let e = run_err(
        b,
        &[
            "lookup",
            "--csv",
            i,
            "--x-col",
            "x_l93",
            "--y-col",
            "y_l93",
            "--crs",
            "EPSG:3035",
            "--out",
            o.to_str().unwrap(),
        ],
    );
    assert!(e.contains("EPSG:3035"), "{e}");
    let e = run_err(
        b,
        &[
            "lookup",
            "--csv",
            "/nonexistent.csv",
            "--lon-col",
            "lon",
            "--lat-col",
            "lat",
            "--out",
            o.to_str().unwrap(),
        ],
    );
    assert!(e.contains("/nonexistent.csv"), "{e}");
    assert!(!o.exists(), "no output file on failure");
    let e = run_err(
        b,
        &[
            "lookup",
            "--lon",
            "2.4",
            "--lat",
            "48.8",
            "--out",
            o.to_str().unwrap(),
        ],
    );
    assert!(e.contains("qu'avec --csv"), "{e}");
    let e = run_err(b, &["import-addresses", "/nonexistent/adresses-94.csv.gz"]);
    assert!(e.contains("adresse.data.gouv.fr"), "{e}");
}
