//! Structural integrity of a decoded [`Bundle`]: what every reader of a bundle (tiles, lookup,
//! maps) takes for granted, checked once so that a crafted or damaged file is refused with a
//! message instead of making a reader index out of bounds. A server reloading its data runs
//! this before deriving anything from a new bundle.
//!
//! Checked: the grid step; every arc (at least two points, coordinates in a sane range); every
//! arc reference of every zone geometry (in bounds), every ring (its arcs chained end to end,
//! closed, at least three distinct points); the nested levels (all present, in order,
//! non-empty, codes unique, parents existing, member IRIS in bounds, each IRIS in exactly one
//! zone of each level and that zone being the parent the IRIS names); the ES directory and
//! territoires (codes unique); QPV, context and overlay (finite coordinates, known codes).
use std::collections::{HashMap, HashSet};

use crate::bundle::Bundle;
use crate::level::Level;
use crate::topology::{ArcRef, TopoGeometry, Topology, arc_index};

/// Why a bundle is refused, in French.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("paquet incohérent : {0}")]
pub struct Invalid(pub String);

/// Largest coordinate accepted, in metres from the projection's origin (Lambert-93 spans about
/// 1,300 km; this leaves room for any projected CRS while keeping arithmetic on quantised
/// points far from overflow).
const MAX_COORD_M: f64 = 1.0e8;

fn invalid<T>(message: String) -> Result<T, Invalid> {
    Err(Invalid(message))
}

impl Bundle {
    /// Check the bundle's structure (see the module documentation). Sections added by higher
    /// crates are theirs to check.
    pub fn validate(&self) -> Result<(), Invalid> {
        check_topology(&self.topology)?;
        check_levels(self)?;
        check_directory(self)?;
        check_free_geometries(self)?;
        Ok(())
    }
}

fn check_topology(t: &Topology) -> Result<(), Invalid> {
    if !(t.grid.is_finite() && t.grid > 0.0 && t.grid <= 1000.0) {
        return invalid(format!(
            "pas de la grille {} m (attendu entre 0 et 1000 m)",
            t.grid
        ));
    }
    let max = (MAX_COORD_M / t.grid).min(2f64.powi(52)) as i64;
    for (i, arc) in t.arcs.iter().enumerate() {
        if arc.len() < 2 {
            return invalid(format!(
                "arc {i} : {} point(s), au moins 2 attendus",
                arc.len()
            ));
        }
        if arc.iter().any(|p| p[0].abs() > max || p[1].abs() > max) {
            return invalid(format!("arc {i} : coordonnées hors du domaine"));
        }
    }
    Ok(())
}

/// First and last point of an arc reference in its direction of use; `None` out of bounds.
fn ends(t: &Topology, r: ArcRef) -> Option<([i64; 2], [i64; 2])> {
    let arc = t.arcs.get(arc_index(r))?;
    let (a, b) = (*arc.first()?, *arc.last()?);
    Some(if r >= 0 { (a, b) } else { (b, a) })
}

fn check_geometry(
    t: &Topology,
    g: &TopoGeometry,
    what: &dyn Fn() -> String,
) -> Result<(), Invalid> {
    for (pi, poly) in g.polygons.iter().enumerate() {
        if poly.rings.is_empty() {
            return invalid(format!("{} : polygone {pi} sans contour", what()));
        }
        for (ri, ring) in poly.rings.iter().enumerate() {
            if ring.is_empty() {
                return invalid(format!("{} : polygone {pi}, anneau {ri} vide", what()));
            }
            let mut points = 0usize;
            let mut first = None;
            let mut prev_end = None;
            for &r in ring {
                let Some((a, b)) = ends(t, r) else {
                    return invalid(format!(
                        "{} : référence à l'arc {} hors des {} arcs de la topologie",
                        what(),
                        arc_index(r),
                        t.arcs.len()
                    ));
                };
                if let Some(e) = prev_end
                    && e != a
                {
                    return invalid(format!(
                        "{} : polygone {pi}, anneau {ri} : arcs non enchaînés",
                        what()
                    ));
                }
                first.get_or_insert(a);
                prev_end = Some(b);
                points += t.arcs[arc_index(r)].len() - 1;
            }
            if prev_end != first {
                return invalid(format!("{} : polygone {pi}, anneau {ri} non fermé", what()));
            }
            if points < 3 {
                return invalid(format!(
                    "{} : polygone {pi}, anneau {ri} dégénéré ({points} sommets)",
                    what()
                ));
            }
        }
    }
    Ok(())
}

fn check_levels(b: &Bundle) -> Result<(), Invalid> {
    let found: Vec<Level> = b.levels.iter().map(|(l, _)| *l).collect();
    if found != Level::NESTED {
        return invalid(format!(
            "niveaux {} au lieu de {}",
            keys(&found),
            keys(&Level::NESTED)
        ));
    }
    let mut codes: HashMap<Level, HashSet<&str>> = HashMap::new();
    for (level, zones) in &b.levels {
        if zones.is_empty() {
            return invalid(format!("niveau {level} vide"));
        }
        let set = codes.entry(*level).or_default();
        for z in zones {
            if z.code.is_empty() {
                return invalid(format!("niveau {level} : zone sans code"));
            }
            if !set.insert(z.code.as_str()) {
                return invalid(format!("niveau {level} : code {} en double", z.code));
            }
            if !z.area_km2.is_finite() {
                return invalid(format!("{level} {} : surface non finie", z.code));
            }
            check_geometry(&b.topology, &z.geometry, &|| format!("{level} {}", z.code))?;
        }
    }
    let iris = b.zones(Level::Iris);
    let n = iris.len();
    for (i, z) in iris.iter().enumerate() {
        if z.iris != [i as u32] {
            return invalid(format!("IRIS {} : liste de membres incohérente", z.code));
        }
    }
    for (level, zones) in &b.levels {
        for z in zones {
            for (parent_level, code) in &z.parents {
                if parent_level <= level || *parent_level == Level::Qpv {
                    return invalid(format!(
                        "{level} {} : parent de niveau {parent_level} impossible",
                        z.code
                    ));
                }
                if !codes[parent_level].contains(code.as_str()) {
                    return invalid(format!(
                        "{level} {} : parent {parent_level} {code} inconnu",
                        z.code
                    ));
                }
            }
        }
        if *level == Level::Iris {
            continue;
        }
        // Each IRIS in exactly one zone of the level, the one it names as its parent.
        let mut seen = vec![false; n];
        for z in zones {
            for &i in &z.iris {
                let Some(member) = iris.get(i as usize) else {
                    return invalid(format!(
                        "{level} {} : IRIS n° {i} hors des {n} IRIS",
                        z.code
                    ));
                };
                if std::mem::replace(&mut seen[i as usize], true) {
                    return invalid(format!(
                        "{level} : l'IRIS {} appartient à plusieurs zones",
                        member.code
                    ));
                }
                if let Some(p) = member.parent(*level)
                    && p != z.code
                {
                    return invalid(format!(
                        "{level} {} contient l'IRIS {} qui se dit de {p}",
                        z.code, member.code
                    ));
                }
            }
        }
        if let Some(i) = seen.iter().position(|s| !s) {
            return invalid(format!(
                "{level} : l'IRIS {} n'appartient à aucune zone",
                iris[i].code
            ));
        }
    }
    Ok(())
}

fn keys(levels: &[Level]) -> String {
    if levels.is_empty() {
        return "(aucun)".into();
    }
    levels
        .iter()
        .map(|l| l.key())
        .collect::<Vec<_>>()
        .join(", ")
}

fn check_directory(b: &Bundle) -> Result<(), Invalid> {
    let mut es = HashSet::new();
    for e in &b.es_directory {
        if !es.insert(e.code.as_str()) {
            return invalid(format!("annuaire des ES : code {} en double", e.code));
        }
    }
    let mut terr = HashSet::new();
    for t in &b.territoires {
        if !terr.insert(t.code.as_str()) {
            return invalid(format!("territoires : code {} en double", t.code));
        }
    }
    Ok(())
}

fn check_free_geometries(b: &Bundle) -> Result<(), Invalid> {
    let mut qpv = HashSet::new();
    for (what, list) in [("QPV", &b.qpv), ("contexte", &b.context)] {
        for z in list {
            if what == "QPV" && !qpv.insert(z.code.as_str()) {
                return invalid(format!("QPV {} en double", z.code));
            }
            let finite = z.geometry.0.iter().all(|p| {
                std::iter::once(p.exterior())
                    .chain(p.interiors())
                    .flat_map(|r| r.0.iter())
                    .all(|c| {
                        c.x.is_finite()
                            && c.y.is_finite()
                            && c.x.abs() <= MAX_COORD_M
                            && c.y.abs() <= MAX_COORD_M
                    })
            });
            if !finite || !z.area_km2.is_finite() {
                return invalid(format!("{what} {} : coordonnées hors du domaine", z.code));
            }
        }
    }
    let iris: HashSet<&str> = b
        .zones(Level::Iris)
        .iter()
        .map(|z| z.code.as_str())
        .collect();
    for o in &b.qpv_overlay {
        if !qpv.contains(o.qpv.as_str()) || !iris.contains(o.iris.as_str()) {
            return invalid(format!(
                "recoupement QPV {} × IRIS {} : code inconnu",
                o.qpv, o.iris
            ));
        }
        if ![o.shared_km2, o.share_of_iris, o.share_of_qpv]
            .iter()
            .all(|v| v.is_finite())
        {
            return invalid(format!(
                "recoupement QPV {} × IRIS {} : valeur non finie",
                o.qpv, o.iris
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle() -> Bundle {
        crate::synthetic::bundle(6)
    }

    #[test]
    fn a_built_bundle_is_valid() {
        bundle().validate().unwrap();
    }

    #[test]
    fn refuses_broken_structures() {
        let check = |f: &dyn Fn(&mut Bundle), needle: &str| {
            let mut b = bundle();
            f(&mut b);
            let e = b.validate().unwrap_err().to_string();
            assert!(e.contains(needle), "{e} (attendu : {needle})");
        };
        check(
            &|b| b.levels[1].1[0].geometry.polygons[0].rings[0][0] = 1_000_000,
            "hors des",
        );
        check(
            &|b| b.levels[1].1[0].geometry.polygons[0].rings[0][0] = i32::MIN,
            "hors des",
        );
        check(&|b| b.topology.arcs[0].truncate(1), "au moins 2");
        check(
            &|b| b.topology.arcs[0][0] = [i64::MAX, 0],
            "hors du domaine",
        );
        check(&|b| b.topology.grid = f64::NAN, "grille");
        check(&|b| b.levels[2].1.clear(), "vide");
        check(&|b| b.levels.truncate(3), "niveaux");
        check(
            &|b| {
                let z = b.levels[1].1[0].clone();
                b.levels[1].1.push(z);
            },
            "en double",
        );
        check(&|b| b.levels[1].1[0].iris.push(9999), "hors des");
        check(
            &|b| {
                b.levels[0].1[0]
                    .parents
                    .insert(Level::Commune, "nulle-part".into());
            },
            "inconnu",
        );
        check(
            &|b| {
                let m = b.levels[1].1[0].iris.pop().unwrap();
                b.levels[1].1[1].iris.push(m);
            },
            "se dit de",
        );
        check(
            &|b| {
                let ring = &mut b.levels[0].1[0].geometry.polygons[0].rings[0];
                ring.pop();
            },
            "anneau",
        );
    }
}
