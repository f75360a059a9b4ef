//! A deterministic synthetic territory at national scale, for benchmarks and scale tests:
//! `side × side` IRIS-like cells tiling a square, with jittered shared borders (both
//! neighbours use the very same points, as in IGN's data), grouped into communes (4×4 cells),
//! ES (3×3 communes) and territoires (2×2 ES).
use geo::{Coord, LineString, MultiPolygon, Polygon};

use crate::build::{Grouping, IrisRecord};
use crate::composition::{EsEntry, TerritoireEntry};

/// splitmix64: a tiny deterministic generator, enough for jitter.
fn hash(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A value in [-1, 1) from a key.
fn unit(key: u64) -> f64 {
    (hash(key) >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

/// Cells of `cell_m` metres with `inner` extra points per border.
pub fn tiling(side: usize, inner: usize, cell_m: f64) -> (Vec<IrisRecord>, Grouping) {
    let origin = (600_000.0, 6_600_000.0);
    let node = |i: usize, j: usize| -> Coord<f64> {
        let key = (i * 100_003 + j) as u64;
        let (mut dx, mut dy) = (0.25 * unit(key * 2), 0.25 * unit(key * 2 + 1));
        if i == 0 || i == side {
            dx = 0.0;
        }
        if j == 0 || j == side {
            dy = 0.0;
        }
        Coord {
            x: origin.0 + (i as f64 + dx) * cell_m,
            y: origin.1 + (j as f64 + dy) * cell_m,
        }
    };
    // A border from node a to node b with `inner` points bent sideways, tapered at the ends so
    // that borders meeting at a node never cross.
    let border = |a: Coord<f64>, b: Coord<f64>, key: u64, outer: bool| -> Vec<Coord<f64>> {
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        let mut pts = vec![a];
        for k in 1..=inner {
            let t = k as f64 / (inner + 1) as f64;
            let amplitude = if outer { 0.0 } else { 0.06 };
            let off = amplitude * unit(key * 64 + k as u64) * (std::f64::consts::PI * t).sin();
            pts.push(Coord {
                x: a.x + t * dx - off * dy,
                y: a.y + t * dy + off * dx,
            });
        }
        pts.push(b);
        pts
    };
    let h = |i: usize, j: usize| {
        border(
            node(i, j),
            node(i + 1, j),
            (i * 100_003 + j) as u64 * 2,
            j == 0 || j == side,
        )
    };
    let v = |i: usize, j: usize| {
        border(
            node(i, j),
            node(i, j + 1),
            (i * 100_003 + j) as u64 * 2 + 1,
            i == 0 || i == side,
        )
    };

    let communes_side = side.div_ceil(4);
    let es_side = communes_side.div_ceil(3);
    let mut iris = Vec::with_capacity(side * side);
    let mut iris_es = Vec::with_capacity(side * side);
    for j in 0..side {
        for i in 0..side {
            let mut ring = h(i, j);
            ring.extend(v(i + 1, j).into_iter().skip(1));
            let mut top = h(i, j + 1);
            top.reverse();
            ring.extend(top.into_iter().skip(1));
            let mut left = v(i, j);
            left.reverse();
            ring.extend(left.into_iter().skip(1));
            let (ci, cj) = (i / 4, j / 4);
            let commune = format!("C{:05}", cj * communes_side + ci);
            iris.push(IrisRecord {
                code: format!("{:09}", j * side + i),
                name: format!("IRIS {i}-{j}"),
                commune_name: format!("Commune {ci}-{cj}"),
                commune,
                kind: Some("H".into()),
                geometry: MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]),
            });
            iris_es.push((cj / 3) * es_side + ci / 3);
        }
    }
    let terr_side = es_side.div_ceil(2);
    let es = (0..es_side * es_side)
        .map(|e| {
            let (ei, ej) = (e % es_side, e / es_side);
            EsEntry {
                code: format!("ES{e:04}"),
                name: format!("ES {ei}-{ej}"),
                territoire: format!("T{:03}", (ej / 2) * terr_side + ei / 2),
                address: String::new(),
                hours: String::new(),
            }
        })
        .collect();
    let territoires = (0..terr_side * terr_side)
        .map(|t| TerritoireEntry {
            code: format!("T{t:03}"),
            name: format!("Territoire {t}"),
        })
        .collect();
    (
        iris,
        Grouping {
            iris_es,
            es,
            territoires,
            departement: ("00".into(), "Synthétique".into()),
        },
    )
}

/// A whole bundle of the synthetic territory (no QPV), for benchmarks of the crates above.
pub fn bundle(side: usize) -> crate::Bundle {
    let (iris, grouping) = tiling(side, 6, 400.0);
    let a = crate::build::assemble(&iris, &grouping, 0.001, &crate::build::Silent);
    crate::Bundle {
        meta: crate::bundle::Meta {
            name: "Synthétique".into(),
            code: "00".into(),
            built_at: 0,
            tool_version: env!("CARGO_PKG_VERSION").into(),
            sources: Vec::new(),
            illustrative_composition: true,
            iris_encoding: None,
            iris_crs: "EPSG:2154".into(),
        },
        topology: a.topology,
        levels: a.levels,
        es_directory: grouping.es,
        territoires: grouping.territoires,
        qpv: Vec::new(),
        qpv_overlay: Vec::new(),
        context: Vec::new(),
        diagnostics: a.diagnostics,
        sections: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::level::Level;
    use geo::{Area, Validation};

    #[test]
    fn synthetic_tiling_dissolves_into_one_square() {
        let (iris, grouping) = tiling(12, 5, 400.0);
        assert!(iris.iter().all(|r| r.geometry.is_valid()));
        let a = crate::build::assemble(&iris, &grouping, 0.001, &crate::build::Silent);
        assert!(a.diagnostics.is_empty(), "{:?}", a.diagnostics);
        let dep = &a
            .levels
            .iter()
            .find(|(l, _)| *l == Level::Departement)
            .unwrap()
            .1[0];
        let mp = a.topology.to_multipolygon(&dep.geometry);
        assert_eq!(mp.0.len(), 1);
        assert!((mp.unsigned_area() - (12.0f64 * 400.0).powi(2)).abs() < 1.0);
        let counts: Vec<usize> = a.levels.iter().map(|(_, z)| z.len()).collect();
        assert_eq!(counts, vec![144, 9, 1, 1, 1]);
    }
}
