//! End-to-end runs of the `observatoire` binary on the real data: build, export, bad input.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn observatoire(args: &[&str]) -> Output {
    assert!(
        repo_root()
            .join("../shared/data/iris-94-shp/map_iris.shp")
            .is_file()
            || std::env::var_os("OBSERVATOIRE_DATA_DIR").is_some(),
        "real data not found: ../shared/data must sit beside the checkout"
    );
    Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .args(args)
        .current_dir(repo_root())
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
        let out = observatoire(&["build", "--out", p.to_str().unwrap()]);
        assert!(out.status.success(), "build failed: {}", text(&out.stderr));
        let summary = text(&out.stdout);
        for expected in ["527", "47", "20", "244,86", "ILLUSTRATIVE"] {
            assert!(
                summary.contains(expected),
                "summary lacks {expected}:\n{summary}"
            );
        }
        (dir, p)
    });
    p
}

#[test]
fn zones_geojson_is_rfc7946() {
    let b = built_bundle().to_str().unwrap();
    let out = observatoire(&[
        "--bundle", b, "zones", "--level", "iris", "--format", "geojson",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let fc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(fc["type"], "FeatureCollection");
    let features = fc["features"].as_array().unwrap();
    assert_eq!(features.len(), 527);
    for f in features {
        let p = &f["properties"];
        for key in ["code", "name", "commune", "es", "territoire"] {
            assert!(p[key].is_string(), "IRIS feature without {key}: {p}");
        }
        let polys: Vec<&serde_json::Value> = match f["geometry"]["type"].as_str().unwrap() {
            "Polygon" => vec![&f["geometry"]["coordinates"]],
            "MultiPolygon" => f["geometry"]["coordinates"]
                .as_array()
                .unwrap()
                .iter()
                .collect(),
            other => panic!("unexpected geometry {other}"),
        };
        for poly in polys {
            for (k, ring) in poly.as_array().unwrap().iter().enumerate() {
                let pts: Vec<(f64, f64)> = ring
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| (c[0].as_f64().unwrap(), c[1].as_f64().unwrap()))
                    .collect();
                assert_eq!(pts.first(), pts.last(), "closed ring");
                for (lon, lat) in &pts {
                    assert!(
                        (2.2..2.7).contains(lon) && (48.6..48.9).contains(lat),
                        "WGS84 lon/lat in Val-de-Marne"
                    );
                }
                let area2: f64 = pts
                    .windows(2)
                    .map(|w| w[0].0 * w[1].1 - w[1].0 * w[0].1)
                    .sum();
                assert_eq!(
                    area2 > 0.0,
                    k == 0,
                    "RFC 7946: shells counter-clockwise, holes clockwise"
                );
            }
        }
    }
    let es = observatoire(&[
        "--bundle", b, "zones", "--level", "es", "--format", "geojson",
    ]);
    let fc: serde_json::Value = serde_json::from_slice(&es.stdout).unwrap();
    assert_eq!(fc["features"].as_array().unwrap().len(), 20);
    assert!(
        fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["properties"]["territoire"].is_string()
                && f["properties"]["illustrative"] == true)
    );
    assert!(text(&es.stderr).contains("ILLUSTRATIVE"));
}

#[test]
fn zones_csv_has_areas_and_decoded_names() {
    let b = built_bundle().to_str().unwrap();
    let out = observatoire(&[
        "--bundle", b, "zones", "--level", "commune", "--format", "csv",
    ]);
    assert!(out.status.success());
    let mut rdr = csv::Reader::from_reader(out.stdout.as_slice());
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>(),
        vec!["code", "name", "es", "area_km2"]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 47);
    let creteil = rows.iter().find(|r| &r[0] == "94028").unwrap();
    assert_eq!(&creteil[1], "Créteil");
    let total: f64 = rows.iter().map(|r| r[3].parse::<f64>().unwrap()).sum();
    assert!((total - 244.86).abs() < 0.25, "{total}");
    for level in ["iris", "es", "territoire", "departement", "qpv"] {
        let out = observatoire(&["--bundle", b, "zones", "--level", level, "--format", "csv"]);
        assert!(out.status.success(), "{level}: {}", text(&out.stderr));
        let n = csv::Reader::from_reader(out.stdout.as_slice())
            .records()
            .count();
        assert_eq!(
            n,
            [527, 20, 7, 1, 47][["iris", "es", "territoire", "departement", "qpv"]
                .iter()
                .position(|l| *l == level)
                .unwrap()]
        );
    }
}

#[test]
fn unknown_level_is_a_french_error() {
    let out = observatoire(&["zones", "--level", "canton"]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("niveau inconnu"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_failed_build_leaves_the_previous_bundle_intact() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("94.bundle");
    std::fs::copy(built_bundle(), &target).unwrap();
    let before = std::fs::read(&target).unwrap();
    // A configuration whose composition names an unknown IRIS.
    let conf_dir = dir.path().join("conf");
    std::fs::create_dir(&conf_dir).unwrap();
    let src = repo_root().join("boundaries/val-de-marne");
    for f in ["es.csv", "territoires.csv", "observatoire.toml"] {
        std::fs::copy(src.join(f), conf_dir.join(f)).unwrap();
    }
    let toml = std::fs::read_to_string(conf_dir.join("observatoire.toml")).unwrap();
    let data = std::fs::canonicalize(repo_root().join("../shared/data")).unwrap();
    std::fs::write(
        conf_dir.join("observatoire.toml"),
        toml.replace("../../../shared/data", data.to_str().unwrap()),
    )
    .unwrap();
    let comp = std::fs::read_to_string(src.join("composition.csv")).unwrap() + "949990101,ES01\n";
    std::fs::write(conf_dir.join("composition.csv"), comp).unwrap();
    let out = observatoire(&[
        "--config",
        conf_dir.join("observatoire.toml").to_str().unwrap(),
        "build",
        "--out",
        target.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("949990101"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::read(&target).unwrap(),
        before,
        "the old bundle is untouched"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file left behind");
}

#[test]
fn missing_configuration_is_explained() {
    let out = observatoire(&[
        "--config",
        "nowhere/observatoire.toml",
        "build",
        "--out",
        "/tmp/never-written.bundle",
    ]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("nowhere/observatoire.toml") && err.contains("introuvable"),
        "{err}"
    );
    assert!(!Path::new("/tmp/never-written.bundle").exists());
}

#[test]
fn help_has_examples_in_french() {
    let out = observatoire(&["--help"]);
    let help = text(&out.stdout);
    assert!(
        help.contains("Exemples") && help.contains("observatoire zones --level es"),
        "{help}"
    );
}

#[test]
fn indicators_export_csv_json_xlsx() {
    let b = built_bundle().to_str().unwrap();
    let out = observatoire(&[
        "--bundle",
        b,
        "indicators",
        "--level",
        "commune",
        "--indicator",
        "chomage_15_64",
        "--format",
        "csv",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut rdr = csv::Reader::from_reader(out.stdout.as_slice());
    let h = rdr.headers().unwrap().clone();
    for col in [
        "level",
        "code",
        "name",
        "indicator",
        "year",
        "value",
        "numerator",
        "denominator",
        "ref_departement",
        "ref_region",
        "ref_france",
        "gap_departement",
        "index_departement",
        "status",
    ] {
        assert!(h.iter().any(|c| c == col), "missing column {col}");
    }
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 47);
    let creteil = rows.iter().find(|r| &r[1] == "94028").unwrap();
    assert_eq!(&creteil[2], "Créteil");
    assert!(
        (creteil[5].parse::<f64>().unwrap() - 14.957).abs() < 0.001,
        "{creteil:?}"
    );

    let json = observatoire(&[
        "--bundle",
        b,
        "indicators",
        "--level",
        "es",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(v["records"].as_array().unwrap().len() >= 20 * 8);
    assert_eq!(v["illustrative_composition"], true);

    let no_out = observatoire(&[
        "--bundle",
        b,
        "indicators",
        "--level",
        "es",
        "--format",
        "xlsx",
    ]);
    assert!(!no_out.status.success() && text(&no_out.stderr).contains("--out"));
    let dir = tempfile::tempdir().unwrap();
    let x = dir.path().join("es.xlsx");
    let ok = observatoire(&[
        "--bundle",
        b,
        "indicators",
        "--level",
        "es",
        "--format",
        "xlsx",
        "--out",
        x.to_str().unwrap(),
    ]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert_eq!(
        &std::fs::read(&x).unwrap()[..2],
        b"PK",
        "an XLSX (zip) file"
    );

    let unknown = observatoire(&[
        "--bundle",
        b,
        "indicators",
        "--level",
        "es",
        "--indicator",
        "chomage",
    ]);
    assert!(!unknown.status.success());
    assert!(
        text(&unknown.stderr).contains("indicateur inconnu")
            && text(&unknown.stderr).contains("chomage_15_64")
    );
}

/// Run the binary from `dir` (so that the default bundle, `build/<territoire>.bundle`, lands
/// there) with the repository's configuration given by absolute path.
fn observatoire_in(dir: &Path, args: &[&str]) -> Output {
    let config = repo_root().join("boundaries/val-de-marne/observatoire.toml");
    Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .arg("--config")
        .arg(std::fs::canonicalize(config).unwrap())
        .args(args)
        .current_dir(dir)
        .env_remove("OBSERVATOIRE_CONFIG")
        .env_remove("OBSERVATOIRE_BUNDLE")
        .output()
        .expect("binary runs")
}

/// A copy of the built bundle whose header claims the previous format version.
fn older_format_bundle(to: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(built_bundle()).unwrap();
    bytes[8..12].copy_from_slice(&(zones::bundle::FORMAT_VERSION - 1).to_le_bytes());
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::write(to, &bytes).unwrap();
    bytes
}

#[test]
fn default_bundle_of_an_older_format_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let default = dir.path().join("build/val-de-marne.bundle");
    older_format_bundle(&default);
    let out = observatoire_in(
        dir.path(),
        &["zones", "--level", "commune", "--format", "csv"],
    );
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    let (old, new) = (
        zones::bundle::FORMAT_VERSION - 1,
        zones::bundle::FORMAT_VERSION,
    );
    assert!(
        err.contains(&format!(
            "paquet au format {old}, reconstruit au format {new}"
        )),
        "{err}"
    );
    assert_eq!(
        text(&out.stdout).lines().count(),
        48,
        "header + 47 communes"
    );
    let rebuilt = std::fs::read(&default).unwrap();
    assert_eq!(zones::bundle::format_version(&rebuilt), Some(new));
    zones::Bundle::from_bytes(&default, &rebuilt).expect("the rebuilt bundle loads");
}

#[test]
fn explicit_bundle_of_an_older_format_is_refused_with_the_command_to_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ancien.bundle");
    let before = older_format_bundle(&path);
    let out = observatoire(&[
        "--bundle",
        path.to_str().unwrap(),
        "zones",
        "--level",
        "commune",
    ]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains(&format!("au format {}", zones::bundle::FORMAT_VERSION - 1))
            && err.contains("observatoire --bundle")
            && err.contains(" build`")
            && err.contains("ancien.bundle"),
        "{err}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), before, "left untouched");
}

#[test]
fn a_reader_closing_the_pipe_early_is_not_an_error() {
    use std::io::Read;
    use std::process::Stdio;
    let b = built_bundle().to_str().unwrap();
    for args in [
        ["zones", "--level", "iris", "--format", "geojson"],
        ["indicators", "--level", "iris", "--format", "json"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_observatoire"))
            .args(["--bundle", b])
            .args(args)
            .current_dir(repo_root())
            .env_remove("OBSERVATOIRE_CONFIG")
            .env_remove("OBSERVATOIRE_BUNDLE")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary runs");
        // `| head -c 100`: read a little, then close the pipe while the writer is mid-output.
        let mut first = [0u8; 100];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        let out = child.wait_with_output().unwrap();
        let err = text(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {err}", out.status);
        assert!(!err.contains("erreur"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn short_outputs_to_a_pipe_closed_before_any_write_are_not_an_error() {
    use std::process::Stdio;
    let b = built_bundle().to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let rebuilt = dir.path().join("pipe.bundle");
    let rebuilt = rebuilt.to_str().unwrap();
    for args in [
        vec!["--bundle", b, "lookup", "--lon", "2.45", "--lat", "48.79"],
        vec!["--bundle", rebuilt, "build"],
        vec!["token", "--name", "etudes"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_observatoire"))
            .args(&args)
            .current_dir(repo_root())
            .env_remove("OBSERVATOIRE_CONFIG")
            .env_remove("OBSERVATOIRE_BUNDLE")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary runs");
        // `| head -0`: the reader is gone before the first line is written.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = text(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {err}", out.status);
        assert!(!err.contains("erreur"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    assert!(
        Path::new(rebuilt).is_file(),
        "the bundle is written before the summary"
    );
}

#[test]
fn token_prints_a_new_token_and_the_line_of_its_hash() {
    let out = observatoire(&["token", "--name", "etudes"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let token = stdout
        .split_whitespace()
        .find(|w| w.len() == 64 && w.bytes().all(|b| b.is_ascii_hexdigit()))
        .expect("a 256-bit token in hex");
    let line = format!(
        "{{ name = \"etudes\", sha256 = \"{}\" }}",
        server::config::token_hash(token)
    );
    assert!(stdout.contains(&line), "{stdout}");
    assert!(stdout.contains("[access]") && stdout.contains("server.toml"));
    // Two runs, two tokens.
    assert!(!text(&observatoire(&["token", "--name", "etudes"]).stdout).contains(token));
    // The line of an existing token; an admin token goes to admin_tokens.
    let out = observatoire(&["token", "--name", "proxy", "--hash", "abc", "--admin"]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(
            "{ name = \"proxy\", sha256 = \"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\" }"
        ) && stdout.contains("admin_tokens"),
        "{stdout}"
    );
    assert!(!stdout.contains("Nouveau jeton"));
}
