//! `observatoire map` and `observatoire atlas` end to end on the real bundle: files written in
//! each format, and bad input refused with a French message and no file (nor temporary file)
//! left behind.
use std::path::Path;
use std::process::{Command, Output};

fn run(dir: &Path, args: &[&str]) -> Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    Command::new(env!("CARGO_BIN_EXE_observatoire"))
        .current_dir(&root)
        .arg("--bundle")
        .arg(dir.join("test.bundle"))
        .args(args)
        .output()
        .expect("run observatoire")
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn maps_and_atlas_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The first command builds the bundle.
    let out = d.join("chomage.pdf");
    let o = run(
        d,
        &[
            "map",
            "--indicator",
            "chomage_15_64",
            "--level",
            "commune",
            "--labels",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read(&out).unwrap().starts_with(b"%PDF-"));
    let o = run(
        d,
        &[
            "map",
            "--indicator",
            "revenu_median",
            "--level",
            "es",
            "--classes",
            "jenks:5",
            "--page",
            "a4-landscape",
            "--legend",
            "vertical",
            "--highlight",
            "ES10",
            "--out",
            d.join("es.svg").to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("ILLUSTRATIVE"));
    let svg = std::fs::read_to_string(d.join("es.svg")).unwrap();
    assert!(svg.contains("id=\"legend\"") && svg.contains("ILLUSTRATIVE"));
    let o = run(
        d,
        &[
            "map",
            "--indicator",
            "taux_pauvrete",
            "--level",
            "iris",
            "--format",
            "png",
            "--dpi",
            "72",
            "--out",
            d.join("iris.img").to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        std::fs::read(d.join("iris.img"))
            .unwrap()
            .starts_with(b"\x89PNG")
    );

    let atlas = d.join("atlas");
    let o = run(
        d,
        &[
            "atlas",
            "--level",
            "territoire",
            "--indicators",
            "chomage_15_64,revenu_median",
            "--format",
            "svg",
            "--out",
            atlas.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let pages = files_in(&atlas);
    assert_eq!(pages.len(), 9, "{pages:?}");
    assert_eq!(pages[0], "00-couverture.svg");
    assert_eq!(pages[8], "08-definitions.svg");
}

#[test]
fn bad_input_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = run(d, &["build", "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let before = files_in(d);
    let out = d.join("carte.png");
    let o = out.to_str().unwrap();
    let (gif, pdf) = (d.join("carte.gif"), d.join("a.pdf"));
    let (gif, pdf) = (gif.to_str().unwrap(), pdf.to_str().unwrap());
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec![
                "map",
                "--indicator",
                "inconnu",
                "--level",
                "commune",
                "--out",
                o,
            ],
            "indicateur inconnu « inconnu »",
        ),
        (
            vec![
                "map",
                "--indicator",
                "chomage_15_64",
                "--level",
                "canton",
                "--out",
                o,
            ],
            "niveau inconnu « canton »",
        ),
        (
            vec![
                "map",
                "--indicator",
                "chomage_15_64",
                "--level",
                "commune",
                "--breaks",
                "0 - 5 - 10",
                "--out",
                o,
            ],
            "doivent couvrir toutes les valeurs",
        ),
        (
            vec![
                "map",
                "--indicator",
                "chomage_15_64",
                "--level",
                "commune",
                "--breaks",
                "10 - 5",
                "--out",
                o,
            ],
            "strictement croissantes",
        ),
        (
            vec![
                "map",
                "--indicator",
                "chomage_15_64",
                "--level",
                "commune",
                "--page",
                "50x50mm",
                "--out",
                o,
            ],
            "page trop petite",
        ),
        (
            vec![
                "map",
                "--indicator",
                "chomage_15_64",
                "--level",
                "commune",
                "--classes",
                "magie:4",
                "--out",
                o,
            ],
            "méthode inconnue",
        ),
        (
            vec![
                "map",
                "--indicator",
                "chomage_15_64",
                "--level",
                "commune",
                "--dpi",
                "5000",
                "--out",
                o,
            ],
            "résolution",
        ),
        (
            vec![
                "map",
                "--indicator",
                "chomage_15_64",
                "--level",
                "commune",
                "--out",
                gif,
            ],
            "format de sortie inconnu",
        ),
        (
            vec!["atlas", "--level", "commune", "--out", pdf],
            "es ou par territoire",
        ),
        (
            vec![
                "atlas",
                "--level",
                "es",
                "--indicators",
                "a,b,c,d,e,f,g",
                "--out",
                pdf,
            ],
            "au plus 6",
        ),
    ];
    for (args, msg) in cases {
        let r = run(d, &args);
        let err = String::from_utf8_lossy(&r.stderr);
        assert!(!r.status.success(), "{args:?} succeeded");
        assert!(err.contains(msg), "{args:?}: {err}");
        assert_eq!(files_in(d), before, "{args:?} left a file behind");
    }
}
