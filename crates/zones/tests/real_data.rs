//! The five levels of Val-de-Marne built from the real IGN/INSEE data, against known values.
mod common;

use common::{bundle, data_dir};
use geo::{Area, BooleanOps, Validation, unary_union};
use std::collections::{BTreeMap, BTreeSet};
use zones::Level;
use zones::crs::Crs;
use zones::source::{ReadOptions, read_layer};

/// Σ of IRIS areas in Lambert-93 (PROVENANCE.md: 244.863 km², spatialite).
const IRIS_AREA_KM2: f64 = 244.86;

#[test]
fn counts_per_level() {
    let b = bundle();
    let counts: Vec<usize> = Level::NESTED.iter().map(|&l| b.zones(l).len()).collect();
    assert_eq!(counts, vec![527, 47, 20, 7, 1]);
    assert_eq!(b.qpv.len(), 47);
    let context: Vec<&str> = b.context.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(
        context,
        vec!["75", "77", "78", "91", "92", "93", "95"],
        "the other départements of Île-de-France"
    );
}

#[test]
fn commune_codes_are_those_of_the_source() {
    let layer = read_layer(
        &data_dir().join("iris-94-shp/map_iris.shp"),
        &ReadOptions::default(),
    )
    .unwrap();
    let source: BTreeSet<String> = layer
        .features
        .iter()
        .map(|f| f.attributes["INSEE_COM"].clone())
        .collect();
    let built: BTreeSet<String> = bundle()
        .zones(Level::Commune)
        .iter()
        .map(|z| z.code.clone())
        .collect();
    assert_eq!(source.len(), 47);
    assert_eq!(built, source);
    assert!(
        built.contains("94001"),
        "codes stay text with their leading characters"
    );
}

#[test]
fn areas_add_up_at_every_level() {
    let b = bundle();
    let iris: f64 = b.zones(Level::Iris).iter().map(|z| z.area_km2).sum();
    assert!(
        (iris - IRIS_AREA_KM2).abs() / IRIS_AREA_KM2 < 0.001,
        "Σ IRIS = {iris} km²"
    );
    for level in Level::NESTED {
        let total: f64 = b.zones(level).iter().map(|z| z.area_km2).sum();
        assert!(
            (total - iris).abs() < 1e-6,
            "{level}: {total} km² vs {iris} km²"
        );
    }
    // Every zone's area is the sum of its IRIS (no sliver, no lost piece).
    let iris_area: Vec<f64> = b.zones(Level::Iris).iter().map(|z| z.area_km2).collect();
    for level in &Level::NESTED[1..] {
        for z in b.zones(*level) {
            let sum: f64 = z.iris.iter().map(|&i| iris_area[i as usize]).sum();
            assert!(
                (z.area_km2 - sum).abs() < 1e-9,
                "{level} {}: {} vs {sum}",
                z.code,
                z.area_km2
            );
        }
    }
}

#[test]
fn latin1_names_are_decoded() {
    let b = bundle();
    let creteil = b
        .zones(Level::Commune)
        .iter()
        .find(|z| z.code == "94028")
        .unwrap();
    assert_eq!(creteil.name, "Créteil");
    let hay = b
        .zones(Level::Commune)
        .iter()
        .find(|z| z.code == "94038")
        .unwrap();
    assert_eq!(hay.name, "L'Haÿ-les-Roses");
    for level in Level::NESTED {
        for z in b.zones(level) {
            assert!(
                !z.name.contains('\u{fffd}'),
                "{level} {} has a broken name: {}",
                z.code,
                z.name
            );
        }
    }
    assert_eq!(b.meta.iris_encoding.as_deref(), Some("windows-1252"));
}

#[test]
fn both_prj_variants_are_lambert93() {
    let by_name = read_layer(
        &data_dir().join("iris-94-shp/map_iris.shp"),
        &ReadOptions::default(),
    )
    .unwrap();
    let by_parameters = read_layer(
        &data_dir().join("iris-mgp-shp/map_iris.shp"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(by_name.crs, Crs::Lambert93);
    assert_eq!(by_parameters.crs, Crs::Lambert93);
}

#[test]
fn every_zone_of_every_level_is_valid() {
    let b = bundle();
    for level in Level::NESTED {
        for z in b.zones(level) {
            let g = b.topology.to_multipolygon(&z.geometry);
            assert!(
                g.is_valid(),
                "{level} {}: {:?}",
                z.code,
                g.validation_errors()
            );
        }
    }
    assert!(
        b.diagnostics
            .iter()
            .all(|d| d.code != "Z040" && d.code != "Z050"),
        "{:?}",
        b.diagnostics
    );
}

#[test]
fn unions_match_an_independent_overlay_union() {
    // Dissolving on shared arcs must give what i_overlay's unary union gives.
    let b = bundle();
    let iris: Vec<_> = b
        .zones(Level::Iris)
        .iter()
        .map(|z| b.topology.to_multipolygon(&z.geometry))
        .collect();
    for level in [Level::Es, Level::Departement] {
        for z in b.zones(level) {
            let ours = b.topology.to_multipolygon(&z.geometry);
            let theirs = unary_union(z.iris.iter().map(|&i| &iris[i as usize]));
            let sym = ours.xor(&theirs).unsigned_area();
            assert!(
                sym < 1.0,
                "{level} {}: symmetric difference {sym} m²",
                z.code
            );
            assert_eq!(ours.0.len(), theirs.0.len(), "{level} {}: parts", z.code);
        }
    }
    let dep = &b.zones(Level::Departement)[0];
    assert_eq!(
        b.topology.to_multipolygon(&dep.geometry).0.len(),
        1,
        "Val-de-Marne is one polygon"
    );
}

#[test]
fn nesting_is_a_partition() {
    let b = bundle();
    let iris = b.zones(Level::Iris);
    for z in iris {
        assert_eq!(
            &z.code[..5],
            z.parent(Level::Commune).unwrap(),
            "IRIS code starts with its commune"
        );
        assert_eq!(z.parent(Level::Departement), Some("94"));
    }
    for level in &Level::NESTED[1..] {
        let mut seen = vec![0u32; iris.len()];
        for z in b.zones(*level) {
            for &i in &z.iris {
                seen[i as usize] += 1;
            }
        }
        assert!(
            seen.iter().all(|&n| n == 1),
            "{level}: every IRIS in exactly one zone"
        );
    }
    let es_terr: BTreeMap<&str, &str> = b
        .zones(Level::Es)
        .iter()
        .map(|z| (z.code.as_str(), z.parent(Level::Territoire).unwrap()))
        .collect();
    for z in iris {
        assert_eq!(
            es_terr[z.parent(Level::Es).unwrap()],
            z.parent(Level::Territoire).unwrap()
        );
    }
}

#[test]
fn known_facts_of_the_composition() {
    let b = bundle();
    let iris = b.zones(Level::Iris);
    let communes_of = |es: &str| -> BTreeSet<&str> {
        iris.iter()
            .filter(|z| z.parent(Level::Es) == Some(es))
            .map(|z| z.parent(Level::Commune).unwrap())
            .collect()
    };
    let es_of_commune = |c: &str| -> BTreeSet<&str> {
        iris.iter()
            .filter(|z| z.parent(Level::Commune) == Some(c))
            .map(|z| z.parent(Level::Es).unwrap())
            .collect()
    };
    let sucy = es_of_commune("94071");
    assert_eq!(sucy.len(), 1);
    let sucy_communes = communes_of(sucy.iter().next().unwrap());
    assert_eq!(
        sucy_communes,
        BTreeSet::from([
            "94071", "94055", "94053", "94047", "94056", "94075", "94048", "94070"
        ])
    );
    let villejuif = es_of_commune("94076");
    assert_eq!(villejuif.len(), 1);
    assert_eq!(
        communes_of(villejuif.iter().next().unwrap()),
        BTreeSet::from(["94076"])
    );
    assert_eq!(
        es_of_commune("94017").len(),
        2,
        "Champigny-sur-Marne is split between two ES"
    );
    assert!(b.meta.illustrative_composition);
    // Contiguity: no Z010/Z011 warning for the illustrative composition.
    assert!(
        b.diagnostics
            .iter()
            .all(|d| d.code != "Z010" && d.code != "Z011"),
        "{:?}",
        b.diagnostics
    );
}

#[test]
fn communes_match_their_official_outlines() {
    for z in bundle().zones(Level::Commune) {
        let iou: f64 = z.attributes["iou_reference"].parse().unwrap();
        assert!(iou >= 0.9, "{} {}: IoU {iou}", z.code, z.name);
    }
}

#[test]
fn no_overlap_or_gap_between_iris() {
    assert!(
        bundle()
            .diagnostics
            .iter()
            .all(|d| d.code != "Z020" && d.code != "Z021"),
        "{:?}",
        bundle().diagnostics
    );
}

#[test]
fn qpv_overlay_apportions_areas() {
    let b = bundle();
    let mut by_qpv: BTreeMap<&str, f64> = BTreeMap::new();
    for o in &b.qpv_overlay {
        assert!(o.share_of_iris > 0.0 && o.share_of_iris <= 1.0 + 1e-9);
        *by_qpv.entry(o.qpv.as_str()).or_default() += o.share_of_qpv;
    }
    assert_eq!(by_qpv.len(), 47, "every QPV of 94 meets some IRIS");
    for (code, share) in by_qpv {
        // QPV outlines and IRIS come from different sources: a QPV may spill a little outside
        // the IRIS union, never be counted twice.
        assert!(
            (0.95..=1.0 + 1e-6).contains(&share),
            "{code}: shares add up to {share}"
        );
    }
}

#[test]
fn the_mgp_iris_set_loads_at_scale() {
    let layer = read_layer(
        &data_dir().join("iris-mgp-shp/map_iris.shp"),
        &ReadOptions::default(),
    )
    .unwrap();
    assert_eq!(layer.features.len(), 2841);
    let total: f64 = layer
        .features
        .iter()
        .filter(|f| f.attributes["CODE_IRIS"].starts_with("94"))
        .map(|f| f.geometry.unsigned_area())
        .sum::<f64>()
        / 1e6;
    assert!(
        (total - IRIS_AREA_KM2).abs() / IRIS_AREA_KM2 < 0.001,
        "94 subset of the MGP set: {total} km²"
    );
}
