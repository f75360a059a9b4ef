//! Every number against known values: published INSEE totals, the expected values of
//! ../shared/data/derived, and sums recomputed here independently from the source file.
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::OnceLock;
use zones::Level;

use indicators::{Catalogue, IndicatorSet, Record, Status};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn data_dir() -> PathBuf {
    let d = root().join("../shared/data");
    assert!(
        d.join("insee/base-ic-activite-residents-2016-idf.csv")
            .is_file(),
        "real data missing: ../shared/data must sit beside the checkout"
    );
    d
}

struct Fixture {
    bundle: zones::Bundle,
    set: IndicatorSet,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        data_dir();
        let config =
            zones::Config::load(&root().join("boundaries/val-de-marne/observatoire.toml")).unwrap();
        let bundle = zones::build(&config, &zones::build::Silent).unwrap().0;
        let catalogue =
            Catalogue::load(&config.config_path(config.indicators.as_ref().unwrap())).unwrap();
        let set = indicators::compute(&catalogue, &bundle, &config.data_dir()).unwrap();
        Fixture { bundle, set }
    })
}

fn record<'a>(set: &'a IndicatorSet, level: Level, code: &str, ind: &str, year: i32) -> &'a Record {
    set.records
        .iter()
        .find(|r| r.level == level && r.code == code && r.indicator == ind && r.year == year)
        .unwrap_or_else(|| panic!("no record {level} {code} {ind} {year}"))
}

/// IRIS rows of the census file, read here with nothing but `str::split`.
fn census() -> HashMap<String, HashMap<String, f64>> {
    let text =
        std::fs::read_to_string(data_dir().join("insee/base-ic-activite-residents-2016-idf.csv"))
            .unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(';').collect();
    lines
        .map(|l| {
            let cells: Vec<&str> = l.split(';').collect();
            let vars = header
                .iter()
                .zip(&cells)
                .filter_map(|(h, c)| c.parse::<f64>().ok().map(|v| (h.to_string(), v)))
                .collect();
            (cells[0].to_string(), vars)
        })
        .collect()
}

#[test]
fn unemployment_of_val_de_marne_and_ile_de_france() {
    let r = record(
        &fixture().set,
        Level::Departement,
        "94",
        "chomage_15_64",
        2016,
    );
    assert_eq!(r.status, Status::Ok);
    assert!(
        (r.value.unwrap() - 13.02).abs() < 0.005,
        "94: {:?}",
        r.value
    );
    assert!(
        (r.ref_region.unwrap() - 12.71).abs() < 0.005,
        "IDF: {:?}",
        r.ref_region
    );
    assert_eq!(r.numerator, Some(89_737.0));
    assert_eq!(r.denominator, Some(689_040.0));
    assert_eq!(
        r.ref_france, None,
        "no France value without a traced publication"
    );
}

#[test]
fn commune_rates_equal_the_expected_values() {
    let text = std::fs::read_to_string(data_dir().join("derived/communes-94-expected-values.csv"))
        .unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let h = rdr.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let mut n = 0;
    for row in rdr.records() {
        let row = row.unwrap();
        let r = record(
            &fixture().set,
            Level::Commune,
            &row[col("code_insee")],
            "chomage_15_64",
            2016,
        );
        let expected: f64 = row[col("taux_chomage_1564_pct")].parse().unwrap();
        assert!(
            (r.value.unwrap() - expected).abs() < 0.0005,
            "{}: {:?} vs {expected}",
            &row[0],
            r.value
        );
        assert_eq!(
            r.numerator.unwrap(),
            row[col("P16_CHOM1564_sum_iris")].parse::<f64>().unwrap()
        );
        assert_eq!(
            r.denominator.unwrap(),
            row[col("P16_ACT1564_sum_iris")].parse::<f64>().unwrap()
        );
        let pop = record(
            &fixture().set,
            Level::Commune,
            &row[col("code_insee")],
            "population",
            2023,
        );
        assert_eq!(
            pop.value.unwrap(),
            row[col("population_decoupage_v5.3.0")]
                .parse::<f64>()
                .unwrap()
        );
        n += 1;
    }
    assert_eq!(n, 47);
}

#[test]
fn es_rates_are_ratios_of_sums_never_means_of_rates() {
    let f = fixture();
    let census = census();
    let mut differs = 0;
    for es in f.bundle.zones(Level::Es) {
        let codes: Vec<&str> = es
            .iris
            .iter()
            .map(|&i| f.bundle.zones(Level::Iris)[i as usize].code.as_str())
            .collect();
        let chom: f64 = codes.iter().map(|c| census[*c]["P16_CHOM1564"]).sum();
        let act: f64 = codes.iter().map(|c| census[*c]["P16_ACT1564"]).sum();
        let ratio = 100.0 * chom / act;
        let mean_of_rates = codes
            .iter()
            .map(|c| 100.0 * census[*c]["P16_CHOM1564"] / census[*c]["P16_ACT1564"])
            .sum::<f64>()
            / codes.len() as f64;
        let r = record(&f.set, Level::Es, &es.code, "chomage_15_64", 2016);
        assert!(
            (r.value.unwrap() - ratio).abs() < 1e-9,
            "{}: {:?} vs ratio of sums {ratio}",
            es.code,
            r.value
        );
        if (ratio - mean_of_rates).abs() > 0.05 {
            differs += 1;
            assert!(
                (r.value.unwrap() - mean_of_rates).abs() > 0.05,
                "{}: a mean of rates",
                es.code
            );
        }
    }
    assert!(
        differs >= 10,
        "the check must be able to fail: {differs} ES where the two differ"
    );
}

#[test]
fn strata_compare_a_commune_with_communes_of_its_size() {
    let f = fixture();
    // Independent: classes from the legal populations, sums from the census file by COM.
    let pops = std::fs::read_to_string(
        data_dir().join("decoupage-administratif/population-communes-idf-by-package-version.csv"),
    )
    .unwrap();
    let mut rdr = csv::Reader::from_reader(pops.as_bytes());
    let mut class: HashMap<String, usize> = HashMap::new();
    let bounds = [0.0, 2000.0, 5000.0, 10000.0, 20000.0, 50000.0, 100000.0];
    for row in rdr.records() {
        let row = row.unwrap();
        if &row[2] == "commune-actuelle"
            && &row[4] == "11"
            && let Ok(p) = row[10].parse::<f64>()
        {
            class.insert(
                row[0].to_string(),
                bounds.iter().rposition(|&b| p >= b).unwrap(),
            );
        }
    }
    let census = census();
    let mut sums: BTreeMap<usize, (f64, f64)> = BTreeMap::new();
    for (code, vars) in &census {
        if let Some(c) = class.get(&code[..5]) {
            let e = sums.entry(*c).or_default();
            e.0 += vars["P16_CHOM1564"];
            e.1 += vars["P16_ACT1564"];
        }
    }
    for code in ["94028", "94001", "94081"] {
        let r = record(&f.set, Level::Commune, code, "chomage_15_64", 2016);
        let (a, b) = sums[&class[code]];
        assert!(
            (r.ref_strate.unwrap() - 100.0 * a / b).abs() < 1e-9,
            "{code}"
        );
        assert!(r.strate.as_ref().unwrap().starts_with("communes de"));
    }
}

#[test]
fn geography_change_is_resolved_and_reported() {
    let f = fixture();
    // Population 2021 on the 2024 IRIS map: totals conserved, Choisy apportioned by area.
    let dep = record(&f.set, Level::Departement, "94", "population_rp2021", 2021);
    assert!(
        (dep.value.unwrap() - 1_415_367.0).abs() < 0.5,
        "{:?}",
        dep.value
    );
    assert!(dep.approximation);
    let choisy_old = record(&f.set, Level::Iris, "940220101", "population_rp2021", 2021);
    assert!(choisy_old.approximation && choisy_old.value.unwrap() > 0.0);
    let unmatched: Vec<&str> = f
        .set
        .joins
        .iter()
        .filter(|j| j.source == "filosofi2021" && j.kind == "code_sans_zone")
        .map(|j| j.code.as_str())
        .collect();
    assert_eq!(
        unmatched,
        vec![
            "940220109",
            "940220110",
            "940220111",
            "940220112",
            "940220113",
            "940220114"
        ]
    );
    let no_row: Vec<&str> = f
        .set
        .joins
        .iter()
        .filter(|j| j.source == "filosofi2021" && j.kind == "zone_sans_ligne")
        .map(|j| j.code.as_str())
        .collect();
    assert_eq!(no_row, vec!["940220101", "940220103", "940220104"]);
}

#[test]
fn medians_are_never_summed() {
    let f = fixture();
    // Published at IRIS: as is.
    let iris = record(&f.set, Level::Iris, "940410204", "revenu_median", 2021);
    assert_eq!(iris.value, Some(17_680.0));
    assert!(!iris.approximation);
    // Masked by INSEE: unavailable, no number.
    let masked = record(&f.set, Level::Iris, "940010000", "revenu_median", 2021);
    assert_eq!((masked.status, masked.value), (Status::NotAvailable, None));
    // Above IRIS: a flagged population-weighted approximation, within the range of its IRIS.
    for c in f.bundle.zones(Level::Commune) {
        let r = record(&f.set, Level::Commune, &c.code, "revenu_median", 2021);
        if let Some(v) = r.value {
            assert!(r.approximation, "{}", c.code);
            let vals: Vec<f64> = c
                .iris
                .iter()
                .filter_map(|&i| {
                    record(
                        &f.set,
                        Level::Iris,
                        &f.bundle.zones(Level::Iris)[i as usize].code,
                        "revenu_median",
                        2021,
                    )
                    .value
                })
                .collect();
            if !vals.is_empty() {
                let (lo, hi) = vals
                    .iter()
                    .fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
                assert!(
                    v >= lo - 1e-9 && v <= hi + 1e-9 || c.code == "94022",
                    "{}: {v} outside [{lo}, {hi}]",
                    c.code
                );
            }
            assert!(r.numerator.is_none() && r.denominator.is_none());
        }
    }
    // A median has an index to the département but no gap in points.
    let r = record(&f.set, Level::Commune, "94028", "revenu_median", 2021);
    assert!(
        r.gap_departement(indicators::Kind::Median).is_none()
            && r.index_departement(indicators::Kind::Median).is_some()
    );
}

#[test]
fn qpv_estimates_are_flagged_approximations() {
    let f = fixture();
    let q = &f.bundle.qpv[0].code;
    let r = record(&f.set, Level::Qpv, q, "chomage_15_64", 2016);
    assert!(r.approximation);
    assert!(r.value.is_some());
}

#[test]
fn ranks_and_class_counts() {
    let f = fixture();
    let recs: Vec<&Record> = f
        .set
        .select(Level::Commune, Some("chomage_15_64"), Some(2016), false)
        .collect();
    assert_eq!(recs.len(), 47);
    let first = recs.iter().find(|r| r.rank == Some((1, 47))).unwrap();
    assert!(
        recs.iter()
            .all(|r| r.value.unwrap() <= first.value.unwrap())
    );
    let values: Vec<f64> = recs.iter().filter_map(|r| r.value).collect();
    let k = indicators::classify::default_class_count(values.len());
    let c =
        indicators::classify::classify(&values, &indicators::classify::Method::Jenks, k).unwrap();
    assert_eq!(c.counts.iter().sum::<usize>(), 47);
}
