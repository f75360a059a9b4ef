//! Static maps on the real Val-de-Marne data (default configuration, `../shared/data`): SVG
//! structure (snapshot), PNG size, colours and pixel counts, PDF rendered by poppler, scale
//! bar against the geodesic distance, labels without overlap, seamless borders, the atlas,
//! and bad input refused in French.
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use carto::{ClassSpec, Context, MapSpec, Orientation, Page};
use indicators::IndicatorSet;
use zones::{Bundle, Level};

struct Data {
    bundle: Bundle,
    set: IndicatorSet,
    context: Context,
}

fn data() -> &'static Data {
    static D: OnceLock<Data> = OnceLock::new();
    D.get_or_init(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let config = zones::Config::load(&root.join("boundaries/val-de-marne/observatoire.toml"))
            .expect("default configuration (and ../shared/data beside the checkout)");
        let mut bundle = zones::build(&config, &zones::build::Silent).unwrap().0;
        let catalogue =
            indicators::Catalogue::load(&config.config_path(config.indicators.as_ref().unwrap()))
                .unwrap();
        let set = indicators::compute(&catalogue, &bundle, &config.data_dir()).unwrap();
        bundle.set_section(indicators::SECTION, &set).unwrap();
        let context = Context::from_bundle(&bundle);
        assert!(
            !context.is_empty(),
            "the default configuration has neighbouring départements"
        );
        Data {
            bundle,
            set,
            context,
        }
    })
}

fn render(spec: &MapSpec) -> carto::Map {
    let d = data();
    carto::render(&d.bundle, &d.set, &d.context, spec).unwrap()
}

fn commune_map(labels: bool) -> carto::Map {
    let mut spec = MapSpec::new("chomage_15_64", Level::Commune);
    spec.labels = labels;
    render(&spec)
}

/// What a report-maker sees in an editor: the layers, what each holds, and every text
/// outside the labels.
fn structure(svg: &str) -> String {
    let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
    let mut out = String::new();
    fn walk(n: roxmltree::Node, depth: usize, out: &mut String) {
        for c in n.children().filter(|c| c.is_element()) {
            let tag = c.tag_name().name();
            if tag == "g" {
                let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
                for e in c
                    .children()
                    .filter(|e| e.is_element() && e.tag_name().name() != "g")
                {
                    *counts.entry(e.tag_name().name()).or_default() += 1;
                }
                let id = c.attribute("id").unwrap_or("(g)");
                let label = c
                    .attribute(("http://www.inkscape.org/namespaces/inkscape", "label"))
                    .map(|l| format!(" « {l} »"))
                    .unwrap_or_default();
                let counts: Vec<String> = counts.iter().map(|(k, v)| format!("{k}×{v}")).collect();
                out.push_str(&format!(
                    "{}{id}{label} [{}]\n",
                    "  ".repeat(depth),
                    counts.join(" ")
                ));
                if id != "labels" {
                    for t in c.children().filter(|e| e.tag_name().name() == "text") {
                        let text: String = t
                            .descendants()
                            .filter(|d| d.is_text())
                            .filter_map(|d| d.text())
                            .collect::<Vec<_>>()
                            .join(" | ");
                        out.push_str(&format!("{}  « {text} »\n", "  ".repeat(depth)));
                    }
                }
                walk(c, depth + 1, out);
            }
        }
    }
    walk(doc.root_element(), 0, &mut out);
    out
}

#[test]
fn svg_structure_snapshot() {
    let map = commune_map(true);
    insta::assert_snapshot!("commune_chomage_a4_portrait", structure(&map.svg));
    let mut spec = MapSpec::new("revenu_median", Level::Es);
    spec.page = Page::parse("a4-landscape").unwrap();
    spec.classes = ClassSpec::parse("jenks:5").unwrap();
    spec.highlight = Some("ES10".into());
    let es = render(&spec);
    insta::assert_snapshot!("es_revenu_a4_landscape", structure(&es.svg));
    // The ES composition is illustrative: the map says so.
    assert!(es.svg.contains("ILLUSTRATIVE"));
    assert!(
        !map.svg.contains("ILLUSTRATIVE"),
        "a commune map does not show the composition"
    );
}

fn hex(c: &str) -> [u8; 3] {
    let h = c.trim_start_matches('#');
    let v = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).unwrap();
    [v(0), v(2), v(4)]
}

#[test]
fn png_size_colours_and_pixel_counts() {
    use geo::Area;
    let d = data();
    let map = commune_map(false);
    let dpi = 150.0;
    let png = carto::encode(&map, carto::Format::Png, dpi).unwrap();
    let pix = tiny_skia::Pixmap::decode_png(&png).unwrap();
    // A4 at 150 dpi.
    assert_eq!((pix.width(), pix.height()), (1240, 1754));
    assert_eq!(map.page.pixels(dpi), (1240, 1754));

    // Colours inside the map frame, items drawn over it excluded.
    let k = dpi / 72.0;
    let r = map.frame.rect;
    let mut hist: HashMap<[u8; 3], usize> = HashMap::new();
    let mut total = 0usize;
    for y in (r.y * k).ceil() as u32 + 1..(r.bottom() * k).floor() as u32 - 1 {
        for x in (r.x * k).ceil() as u32 + 1..(r.right() * k).floor() as u32 - 1 {
            let (px, py) = (x as f64 / k, y as f64 / k);
            if map.reserved.iter().any(|b| {
                px >= b.x - 1.0
                    && px <= b.right() + 1.0
                    && py >= b.y - 1.0
                    && py <= b.bottom() + 1.0
            }) {
                continue;
            }
            let p = pix.pixel(x, y).unwrap();
            *hist.entry([p.red(), p.green(), p.blue()]).or_default() += 1;
            total += 1;
        }
    }
    let lg = &map.legend;
    let legend: Vec<[u8; 3]> = lg.colors.iter().map(|c| hex(c)).collect();
    let context = hex(carto::draw::CONTEXT_FILL);
    let white = [255, 255, 255];
    let outline = hex(carto::draw::TERRITORY_STROKE);
    // Every colour covering at least 0.2 % of the frame is a legend colour, the grey of the
    // neighbouring départements, white (borders) or the département's outline: no other fill.
    let dominant: Vec<[u8; 3]> = hist
        .iter()
        .filter(|(_, n)| **n * 500 >= total)
        .map(|(c, _)| *c)
        .collect();
    for c in &dominant {
        assert!(
            legend.contains(c) || *c == context || *c == white || *c == outline,
            "unexpected fill {c:?}"
        );
    }
    // …and every class of the legend is on the map.
    for (i, c) in legend.iter().enumerate() {
        assert!(
            lg.counts[i] == 0 || dominant.contains(c),
            "class {i} ({c:?}) missing"
        );
    }

    // Pixels per colour against the zones of each class: each zone loses half of the border
    // drawn over its perimeter — 0.45 pt white between zones, 0.9 pt dark on the département's
    // outline (its arcs, from the shared topology) — and the anti-aliased edge, within 1 %.
    use zones::topology::arc_index;
    let px_per_m = map.frame.scale * k;
    let topo = &d.bundle.topology;
    let arc_len = |i: usize| -> f64 {
        topo.arcs[i]
            .windows(2)
            .map(|w| {
                (((w[1][0] - w[0][0]) as f64).powi(2) + ((w[1][1] - w[0][1]) as f64).powi(2)).sqrt()
                    * topo.grid
            })
            .sum()
    };
    let outer: std::collections::HashSet<usize> = d.bundle.zones(Level::Departement)[0]
        .geometry
        .polygons
        .iter()
        .flat_map(|p| p.rings.iter().flatten().map(|a| arc_index(*a)))
        .collect();
    let mut expected = vec![0.0; legend.len()];
    for z in d.bundle.zones(Level::Commune) {
        let Some(Some(class)) = lg.class_of.get(&z.code) else {
            continue;
        };
        let area = topo.to_multipolygon(&z.geometry).unsigned_area() * px_per_m * px_per_m;
        let mut loss = 0.0;
        for a in z
            .geometry
            .polygons
            .iter()
            .flat_map(|p| p.rings.iter().flatten())
        {
            let i = arc_index(*a);
            let w = if outer.contains(&i) { 0.9 } else { 0.45 };
            // Half the line, plus on average half a pixel of anti-aliased edge, which is a blend.
            loss += arc_len(i) * px_per_m * (w * k / 2.0 + 0.5);
        }
        expected[*class] += area - loss;
    }
    for (i, c) in legend.iter().enumerate() {
        let got = *hist.get(c).unwrap_or(&0) as f64;
        let ratio = got / expected[i];
        eprintln!(
            "class {i}: {got} pixels, {:.0} expected ({ratio:.4})",
            expected[i]
        );
        assert!(
            (0.99..=1.01).contains(&ratio),
            "class {i}: {got} pixels, {:.0} expected ({ratio:.3})",
            expected[i]
        );
    }
}

fn poppler(tool: &str) -> Command {
    // poppler-utils is installed by tests/all.sh and .ci/run; a missing tool fails the test.
    let c = Command::new(tool);
    assert!(
        Command::new(tool).arg("-v").output().is_ok(),
        "{tool} introuvable : installez poppler-utils (apt-get install -y poppler-utils)"
    );
    c
}

#[test]
fn pdf_renders_and_keeps_the_title_as_text() {
    let map = commune_map(true);
    let pdf = carto::encode(&map, carto::Format::Pdf, 150.0).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("carte.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let out = poppler("pdftoppm")
        .args(["-r", "40", "-png", "-singlefile"])
        .arg(&path)
        .arg(dir.path().join("page"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = tiny_skia::Pixmap::decode_png(&std::fs::read(dir.path().join("page.png")).unwrap())
        .unwrap();
    // A4 at 40 dpi, and the map is drawn (dark legend colours present).
    assert_eq!((page.width(), page.height()), (331, 468));
    let dark = page
        .pixels()
        .iter()
        .filter(|p| p.red() < 150 && p.green() < 60)
        .count();
    assert!(dark > 500, "{dark} dark red pixels");
    let text = poppler("pdftotext").arg(&path).arg("-").output().unwrap();
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(
        text.contains("Taux de chômage des 15-64 ans (au sens du recensement)"),
        "{text}"
    );
    assert!(
        text.contains("Créteil")
            && text.contains("Traitement : Observatoire social du Val-de-Marne")
    );
    let fonts = poppler("pdffonts").arg(&path).output().unwrap();
    let fonts = String::from_utf8(fonts.stdout).unwrap();
    assert!(
        fonts.contains("DejaVuSans") && fonts.contains(" yes yes "),
        "embedded subset: {fonts}"
    );
}

#[test]
fn scale_bar_length_matches_the_geodesic_distance() {
    use geo::{Distance, Geodesic, Point};
    for page in ["a4-portrait", "a3-landscape", "120x90mm"] {
        let mut spec = MapSpec::new("chomage_15_64", Level::Commune);
        spec.page = Page::parse(page).unwrap();
        let map = render(&spec);
        let bar = &map.scale_bar;
        // The bar's Lambert-93 length, laid at the map's centre, measured on the ellipsoid.
        let l93 = (bar.x1 - bar.x0) / map.frame.scale;
        let c = map.frame.center();
        let a = carto::proj::to_lonlat(c[0] - l93 / 2.0, c[1]).unwrap();
        let b = carto::proj::to_lonlat(c[0] + l93 / 2.0, c[1]).unwrap();
        let ground = Geodesic.distance(Point::new(a.0, a.1), Point::new(b.0, b.1));
        let err = (ground - bar.ground_m).abs() / bar.ground_m;
        assert!(
            err < 0.01,
            "{page}: label {} m, projected {ground:.1} m",
            bar.ground_m
        );
        // With the scale factor the agreement is far better than 1 %.
        assert!(err < 2e-4, "{page}: {err}");
        // The label says the same length, and the drawn line is the bar.
        let km = bar.ground_m / 1000.0;
        assert!(
            bar.label == format!("{} km", km as i64) || bar.label.ends_with(" m"),
            "{}",
            bar.label
        );
        let doc = roxmltree::Document::parse(&map.svg).unwrap();
        let line = doc
            .descendants()
            .find(|n| n.attribute("id") == Some("scale-bar-line"))
            .unwrap();
        let x1: f64 = line.attribute("x1").unwrap().parse().unwrap();
        let x2: f64 = line.attribute("x2").unwrap().parse().unwrap();
        assert!(((x2 - x1) - (bar.x1 - bar.x0)).abs() < 0.02);
        let texts: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .collect();
        assert!(texts.contains(&bar.label.as_str()));
    }
}

#[test]
fn labels_never_overlap_and_avoid_map_items() {
    for (level, min) in [(Level::Commune, 40), (Level::Es, 18), (Level::Iris, 40)] {
        let mut spec = MapSpec::new("chomage_15_64", level);
        spec.labels = true;
        let map = render(&spec);
        let placed = &map.labels;
        assert!(placed.len() >= min, "{level}: {} labels", placed.len());
        for (i, a) in placed.iter().enumerate() {
            assert!(map.frame.rect.contains(&a.bbox));
            for r in &map.reserved {
                assert!(!a.bbox.intersects(r), "{} under a map item", a.code);
            }
            for b in &placed[i + 1..] {
                assert!(
                    !a.bbox.intersects(&b.bbox),
                    "{level}: {} overlaps {}",
                    a.code,
                    b.code
                );
            }
        }
    }
}

#[test]
fn borders_are_seamless_at_every_tolerance() {
    use geo::{Area, LineString, Polygon};
    let d = data();
    let s = carto::simplify::Simplifier::new(&d.bundle.topology);
    for tol in [0.0, 5.0, 25.0, 100.0] {
        let arcs = s.at(&d.bundle.topology, tol);
        let area = |g: &zones::topology::TopoGeometry| -> f64 {
            let rings = arcs.rings(g);
            // Shells are counter-clockwise, holes clockwise: signed areas add up.
            rings
                .iter()
                .map(|r| {
                    Polygon::new(
                        LineString::from(r.iter().map(|p| (p[0], p[1])).collect::<Vec<_>>()),
                        vec![],
                    )
                    .signed_area()
                })
                .sum()
        };
        let dep = area(&d.bundle.zones(Level::Departement)[0].geometry);
        for level in [Level::Iris, Level::Commune, Level::Es] {
            let sum: f64 = d
                .bundle
                .zones(level)
                .iter()
                .map(|z| area(&z.geometry))
                .sum();
            assert!(
                (sum - dep).abs() < 1.0,
                "tolerance {tol} m, {level}: {sum} vs {dep} m²"
            );
        }
    }
}

#[test]
fn same_classes_as_the_web_map() {
    // The legend is /api/classify's: quantiles and the default class count by default.
    let map = commune_map(false);
    assert_eq!(map.legend.method, "quantiles");
    assert_eq!(
        map.legend.counts.len(),
        indicators::classify::default_class_count(47)
    );
    assert_eq!(
        map.legend.counts.iter().sum::<usize>() + map.legend.missing_count,
        47
    );
    assert_eq!(map.legend.palette, "Reds");
    assert_eq!(
        map.legend.colors,
        indicators::palette::colors("Reds", map.legend.counts.len()).unwrap()
    );
    // Each zone is drawn in its class colour.
    let doc = roxmltree::Document::parse(&map.svg).unwrap();
    let zones = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("zones"))
        .unwrap();
    let mut n = 0;
    for p in zones.children().filter(|c| c.has_tag_name("path")) {
        let code = p.attribute("data-code").unwrap();
        assert_eq!(p.attribute("fill").unwrap(), map.legend.color_of(code));
        n += 1;
    }
    assert_eq!(n, 47);
}

#[test]
fn diverging_maps_draw_the_unfavourable_side_red() {
    let red = |c: &str| {
        let [r, _, b] = hex(c);
        i32::from(r) - i32::from(b)
    };
    // Chômage: higher is worse, so the classes above the département are red.
    let mut spec = MapSpec::new("chomage_15_64", Level::Commune);
    spec.classes = ClassSpec::parse("diverging:4").unwrap();
    let map = render(&spec);
    let c = &map.legend.colors;
    assert_eq!(map.legend.palette, "RdBu_r");
    assert!(
        red(&c[c.len() - 1]) > 0 && red(&c[0]) < 0,
        "chômage: high red, low blue: {c:?}"
    );
    // Revenu médian: higher is better, so the classes above the département are blue.
    let mut spec = MapSpec::new("revenu_median", Level::Commune);
    spec.classes = ClassSpec::parse("diverging:4").unwrap();
    let map = render(&spec);
    let c = &map.legend.colors;
    assert_eq!(map.legend.palette, "RdBu");
    assert!(
        red(&c[c.len() - 1]) < 0 && red(&c[0]) > 0,
        "revenu: high blue, low red: {c:?}"
    );
    // The zones use the legend's colours.
    let doc = roxmltree::Document::parse(&map.svg).unwrap();
    let zones = doc
        .descendants()
        .find(|n| n.attribute("id") == Some("zones"))
        .unwrap();
    for p in zones.children().filter(|c| c.has_tag_name("path")) {
        let code = p.attribute("data-code").unwrap();
        assert_eq!(p.attribute("fill").unwrap(), map.legend.color_of(code));
    }
}

#[test]
fn atlas_of_the_es_has_a_page_per_es_naming_it() {
    let d = data();
    let spec = carto::atlas::AtlasSpec {
        level: Level::Es,
        indicators: Vec::new(),
        page: Page::a4_portrait(),
        internal: false,
    };
    let atlas = carto::atlas::render(&d.bundle, &d.set, &d.context, &spec).unwrap();
    let es = d.bundle.zones(Level::Es);
    assert_eq!(es.len(), 20);
    assert_eq!(atlas.pages.len(), 22, "cover + 20 ES + definitions");
    let pdf = carto::atlas::pdf(&atlas).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("atlas.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let info = poppler("pdfinfo").arg(&path).output().unwrap();
    assert!(String::from_utf8_lossy(&info.stdout).contains("Pages:           22"));
    let page_text = |i: usize| {
        let o = poppler("pdftotext")
            .args(["-f", &i.to_string(), "-l", &i.to_string()])
            .arg(&path)
            .arg("-")
            .output()
            .unwrap();
        String::from_utf8(o.stdout).unwrap()
    };
    let cover = page_text(1);
    assert!(cover.contains("Atlas des Espaces de Solidarité") && cover.contains("ILLUSTRATIVE"));
    for (i, z) in es.iter().enumerate() {
        let t = page_text(i + 2);
        assert!(
            t.contains(&z.name),
            "page {} does not name {}",
            i + 2,
            z.name
        );
        assert!(
            t.contains("Val-de-Marne") && t.contains("Île-de-France"),
            "comparison table"
        );
        assert_eq!(atlas.pages[i + 1].zone.as_deref(), Some(z.code.as_str()));
    }
    let last = page_text(22);
    assert!(last.contains("Définitions et sources") && last.contains("Taux de chômage"));

    // Territoires: 7 pages and the same frame.
    let spec = carto::atlas::AtlasSpec {
        level: Level::Territoire,
        indicators: vec!["chomage_15_64".into(), "revenu_median".into()],
        ..spec
    };
    let atlas = carto::atlas::render(&d.bundle, &d.set, &d.context, &spec).unwrap();
    assert_eq!(atlas.pages.len(), 9);
}

#[test]
fn bad_input_is_refused_in_french() {
    let d = data();
    let err = |spec: &MapSpec| {
        carto::render(&d.bundle, &d.set, &d.context, spec)
            .unwrap_err()
            .to_string()
    };
    let base = MapSpec::new("chomage_15_64", Level::Commune);

    let e = err(&MapSpec::new("chomage", Level::Commune));
    assert!(
        e.contains("indicateur inconnu « chomage »") && e.contains("chomage_15_64"),
        "{e}"
    );
    assert!(
        carto::map::parse_level("arrondissement")
            .unwrap_err()
            .to_string()
            .contains("niveau inconnu")
    );
    assert!(carto::map::parse_level("qpv").is_err());

    let mut s = base.clone();
    s.classes = ClassSpec::Breaks("0 - 5".into());
    assert!(
        err(&s).contains("doivent couvrir toutes les valeurs"),
        "{}",
        err(&s)
    );
    s.classes = ClassSpec::Breaks("20 - 10 - 30".into());
    assert!(err(&s).contains("strictement croissantes"));
    s.classes = ClassSpec::Breaks("0 - dix".into());
    assert!(err(&s).contains("illisible"));
    assert!(
        ClassSpec::parse("jenks:0")
            .unwrap_err()
            .to_string()
            .contains("classes")
    );

    let mut s = base.clone();
    s.page = Page::parse("60x60mm").unwrap();
    assert!(err(&s).contains("page trop petite"), "{}", err(&s));
    s.page = Page::parse("100x70mm").unwrap();
    s.legend = Some(Orientation::Horizontal);
    s.classes = ClassSpec::parse("quantiles:9").unwrap();
    assert!(err(&s).contains("page trop petite"), "{}", err(&s));
    assert!(
        Page::parse("a4-sideways")
            .unwrap_err()
            .to_string()
            .contains("format de page")
    );

    let mut s = base.clone();
    s.year = Some(1999);
    assert!(err(&s).contains("millésime 1999 absent"));
    s.year = None;
    s.highlight = Some("ES99".into());
    assert!(err(&s).contains("zone à mettre en évidence inconnue"));
    assert!(err(&MapSpec::new("population_15_64", Level::Commune)).contains("effectif"));
    assert!(
        carto::render::pixel_size(&Page::parse("a0-portrait").unwrap(), 600.0)
            .unwrap_err()
            .to_string()
            .contains("image trop grande")
    );
    assert!(carto::render::check_dpi(10.0).is_err());

    // An internal indicator does not exist unless asked for.
    let mut set = d.set.clone();
    set.indicators
        .iter_mut()
        .find(|i| i.id == "chomage_15_64")
        .unwrap()
        .visibility = indicators::Visibility::Internal;
    let e = carto::render(&d.bundle, &set, &d.context, &base)
        .unwrap_err()
        .to_string();
    assert!(e.contains("indicateur inconnu"), "{e}");
    let mut s = base.clone();
    s.internal = true;
    assert!(carto::render(&d.bundle, &set, &d.context, &s).is_ok());

    // The atlas.
    let spec = carto::atlas::AtlasSpec {
        level: Level::Commune,
        indicators: vec![],
        page: Page::a4_portrait(),
        internal: false,
    };
    assert!(
        carto::atlas::render(&d.bundle, &d.set, &d.context, &spec)
            .unwrap_err()
            .to_string()
            .contains("es ou par territoire")
    );
    let spec = carto::atlas::AtlasSpec {
        level: Level::Es,
        indicators: vec!["x".into()],
        ..spec
    };
    assert!(
        carto::atlas::render(&d.bundle, &d.set, &d.context, &spec)
            .unwrap_err()
            .to_string()
            .contains("indicateur inconnu")
    );
}
