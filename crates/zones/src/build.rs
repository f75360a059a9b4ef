//! `observatoire build`: read the sources of a configuration, check them, and assemble the
//! nested levels and the QPV overlay into a [`Bundle`].
use geo::{Area, MultiPolygon, unary_union};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::bundle::{Bundle, Meta};
use crate::checks::{Diagnostic, Severity};
use crate::composition::{Composition, EsEntry, TerritoireEntry};
use crate::config::{Config, read_options, with_download_hint};
use crate::crs::Crs;
use crate::error::{Error, Result};
use crate::geometry::{invalidity, iou, oriented};
use crate::level::{Level, Zone};
use crate::qpv::{self, QpvZone};
use crate::source::{self, Layer};
use crate::topology::{TopoGeometry, Topology};

/// Progress reporting for long steps; the binary draws bars, tests stay silent.
pub trait Progress: Sync {
    fn stage(&self, _name: &str, _total: u64) {}
    fn advance(&self, _n: u64) {}
}

/// No progress output.
pub struct Silent;
impl Progress for Silent {}

/// What a build did, for the summary.
#[derive(Debug, Clone, Default)]
pub struct BuildReport {
    pub counts: Vec<(Level, usize)>,
    pub areas_km2: Vec<(Level, f64)>,
    pub diagnostics: Vec<Diagnostic>,
    pub timings: Vec<(String, Duration)>,
    pub arcs: usize,
    pub vertices: usize,
}

/// One IRIS as read: Lambert-93 geometry, shells counter-clockwise.
#[derive(Debug, Clone)]
pub struct IrisRecord {
    pub code: String,
    pub name: String,
    pub commune: String,
    pub commune_name: String,
    pub kind: Option<String>,
    pub geometry: MultiPolygon<f64>,
}

/// What groups IRIS above the commune: the ES of each IRIS (index in `es`), the ES directory,
/// the territoires, and the département.
#[derive(Debug, Clone)]
pub struct Grouping {
    pub iris_es: Vec<usize>,
    pub es: Vec<EsEntry>,
    pub territoires: Vec<TerritoireEntry>,
    pub departement: (String, String),
}

/// The nested levels built from IRIS, with their topology and findings.
pub struct Assembled {
    pub topology: Topology,
    pub levels: Vec<(Level, Vec<Zone>)>,
    pub diagnostics: Vec<Diagnostic>,
}

struct Timer(Vec<(String, Duration)>, Instant);
impl Timer {
    fn lap(&mut self, name: &str) {
        let now = Instant::now();
        self.0.push((name.to_string(), now - self.1));
        self.1 = now;
    }
}

/// Build the bundle of `config`.
pub fn build(config: &Config, progress: &dyn Progress) -> Result<(Bundle, BuildReport)> {
    let mut timer = Timer(Vec::new(), Instant::now());
    let mut sources = Vec::new();

    // IRIS.
    progress.stage("lecture des IRIS", 1);
    let iris_path = config.data_path(&config.iris.path);
    let layer = source::read_layer(
        &iris_path,
        &read_options(&config.iris.encoding, &config.iris.crs),
    )
    .map_err(|e| with_download_hint(e, &config.iris.download))?;
    sources.push(source_entry(&config.iris.path, &iris_path));
    let source_crs = layer.crs;
    let encoding = layer.encoding.map(str::to_string);
    let iris = iris_records(config, layer.into_crs(Crs::Lambert93)?)?;
    progress.advance(1);
    timer.lap("lecture + reprojection des IRIS");

    // Composition.
    let c = &config.composition;
    let composition = Composition::load(
        &config.config_path(&c.iris_to_es),
        &config.config_path(&c.es),
        &config.config_path(&c.territoires),
    )?;
    let pairs: Vec<(String, String)> = iris
        .iter()
        .map(|r| (r.code.clone(), r.commune.clone()))
        .collect();
    let iris_es = composition.resolve(&pairs).map_err(Error::Composition)?;
    let grouping = Grouping {
        iris_es,
        es: composition.es.clone(),
        territoires: composition.territoires.clone(),
        departement: (config.code.clone(), config.name.clone()),
    };
    timer.lap("composition");

    let Assembled {
        topology,
        mut levels,
        mut diagnostics,
    } = assemble(&iris, &grouping, config.checks.grid_m, progress);
    timer.lap("topologie + unions");

    diagnostics.extend(coverage_check(&iris, &levels, config));
    timer.lap("contrôle recouvrements / trous");

    // Communes against their official outlines.
    if let Some(r) = &config.communes_reference {
        let path = config.data_path(&r.path);
        let reference = source::read_layer(&path, &read_options(&r.encoding, &r.crs))
            .map_err(|e| with_download_hint(e, &r.download))?
            .into_crs(Crs::Lambert93)?;
        sources.push(source_entry(&r.path, &path));
        let mut outlines: HashMap<String, MultiPolygon<f64>> = HashMap::new();
        for f in &reference.features {
            outlines.insert(
                reference.attribute(f, &r.code)?.to_string(),
                f.geometry.clone(),
            );
        }
        let communes = levels
            .iter_mut()
            .find(|(l, _)| *l == Level::Commune)
            .map(|(_, z)| z)
            .expect("commune level");
        diagnostics.extend(compare_communes(&topology, communes, &outlines, r.min_iou));
        timer.lap("comparaison aux contours communaux");
    }

    // QPV.
    let (qpv_zones, qpv_overlay) = match &config.qpv {
        Some(q) => {
            let path = config.data_path(&q.path);
            let layer = source::read_layer(&path, &read_options(&q.encoding, &q.crs))
                .map_err(|e| with_download_hint(e, &q.download))?
                .into_crs(Crs::Lambert93)?;
            sources.push(source_entry(&q.path, &path));
            let mut zones = Vec::new();
            for f in &layer.features {
                let geometry = oriented(f.geometry.clone());
                zones.push(QpvZone {
                    code: layer.attribute(f, &q.code)?.to_string(),
                    name: layer.attribute(f, &q.name)?.to_string(),
                    area_km2: geometry.unsigned_area() / 1e6,
                    geometry,
                });
            }
            zones.sort_by(|a, b| a.code.cmp(&b.code));
            let iris_geoms: Vec<(String, MultiPolygon<f64>)> = iris
                .iter()
                .map(|r| (r.code.clone(), r.geometry.clone()))
                .collect();
            let overlay = qpv::overlay(&zones, &iris_geoms);
            for z in &zones {
                if !overlay.iter().any(|o| o.qpv == z.code) {
                    diagnostics.push(Diagnostic::new(
                        "Z060",
                        Severity::Warning,
                        format!("QPV {} ({}) ne recoupe aucun IRIS", z.code, z.name),
                    ));
                }
            }
            timer.lap("QPV");
            (zones, overlay)
        }
        None => (Vec::new(), Vec::new()),
    };

    // Neighbouring territories, for grey context on maps.
    let mut context = Vec::new();
    if let Some(c) = &config.context {
        let path = config.data_path(&c.path);
        let layer = source::read_layer(&path, &read_options(&c.encoding, &c.crs))
            .map_err(|e| with_download_hint(e, &c.download))?
            .into_crs(Crs::Lambert93)?;
        sources.push(source_entry(&c.path, &path));
        for f in &layer.features {
            let code = layer.attribute(f, &c.code)?.to_string();
            if code == config.code {
                continue;
            }
            let geometry = oriented(f.geometry.clone());
            context.push(QpvZone {
                code,
                name: layer.attribute(f, &c.name)?.to_string(),
                area_km2: geometry.unsigned_area() / 1e6,
                geometry,
            });
        }
        timer.lap("contexte");
    }

    if let Some(first) = diagnostics.iter().find(|d| d.severity == Severity::Error) {
        let all: Vec<String> = diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| d.to_string())
            .collect();
        let _ = first;
        return Err(Error::Composition(all));
    }

    let report = BuildReport {
        counts: levels
            .iter()
            .map(|(l, z)| (*l, z.len()))
            .chain([(Level::Qpv, qpv_zones.len())])
            .collect(),
        areas_km2: levels
            .iter()
            .map(|(l, z)| (*l, z.iter().map(|z| z.area_km2).sum()))
            .collect(),
        diagnostics: diagnostics.clone(),
        timings: timer.0,
        arcs: topology.arcs.len(),
        vertices: topology.arcs.iter().map(Vec::len).sum(),
    };
    let bundle = Bundle {
        meta: Meta {
            name: config.name.clone(),
            code: config.code.clone(),
            built_at: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            sources,
            illustrative_composition: config.composition.illustrative,
            iris_encoding: encoding,
            iris_crs: format!("EPSG:{}", source_crs.epsg()),
        },
        topology,
        levels,
        es_directory: grouping.es,
        territoires: grouping.territoires,
        qpv: qpv_zones,
        qpv_overlay,
        context,
        diagnostics,
        sections: BTreeMap::new(),
    };
    Ok((bundle, report))
}

fn source_entry(configured: &std::path::Path, actual: &std::path::Path) -> (String, u64) {
    (
        configured.display().to_string(),
        std::fs::metadata(actual).map(|m| m.len()).unwrap_or(0),
    )
}

/// IRIS records from the layer, with duplicate codes and broken geometry as errors.
fn iris_records(config: &Config, layer: Layer) -> Result<Vec<IrisRecord>> {
    let f = &config.iris;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::with_capacity(layer.features.len());
    let mut problems = Vec::new();
    for feat in &layer.features {
        let code = layer.attribute(feat, &f.code)?.to_string();
        if let Some(first) = seen.insert(code.clone(), feat.record) {
            problems.push(format!(
                "[Z005] {}, enregistrements {first} et {} : code IRIS {code} en double",
                layer.path.display(),
                feat.record
            ));
            continue;
        }
        if feat.geometry.0.is_empty() {
            return Err(Error::InvalidGeometry {
                path: layer.path.clone(),
                code,
                message: "aucun anneau exploitable (moins de 4 points)".into(),
            });
        }
        let geometry = oriented(feat.geometry.clone());
        if let Some(why) = invalidity(&geometry) {
            return Err(Error::InvalidGeometry {
                path: layer.path.clone(),
                code: format!("{code} (enregistrement {})", feat.record),
                message: format!(
                    "{why} — corrigez-la (par exemple avec QGIS « Réparer les géométries ») puis relancez"
                ),
            });
        }
        out.push(IrisRecord {
            name: layer.attribute(feat, &f.name).unwrap_or(&code).to_string(),
            commune: layer.attribute(feat, &f.commune)?.to_string(),
            commune_name: layer.attribute(feat, &f.commune_name)?.to_string(),
            kind: f
                .r#type
                .as_ref()
                .and_then(|t| feat.attributes.get(t).cloned()),
            code,
            geometry,
        });
    }
    if !problems.is_empty() {
        return Err(Error::Composition(problems));
    }
    out.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(out)
}

/// Build the shared topology and the five nested levels from IRIS and their grouping.
pub fn assemble(
    iris: &[IrisRecord],
    grouping: &Grouping,
    grid: f64,
    progress: &dyn Progress,
) -> Assembled {
    let geoms: Vec<MultiPolygon<f64>> = iris.iter().map(|r| r.geometry.clone()).collect();
    progress.stage("topologie partagée", 1);
    let (topology, iris_topo) = Topology::build(&geoms, grid);
    progress.advance(1);
    let mut diagnostics = Vec::new();

    let es_of = |i: usize| &grouping.es[grouping.iris_es[i]];
    let terr_name: HashMap<&str, &str> = grouping
        .territoires
        .iter()
        .map(|t| (t.code.as_str(), t.name.as_str()))
        .collect();
    let dep = &grouping.departement;

    // Groups: (code, name, parents, attributes, member IRIS).
    type Group = (
        String,
        String,
        BTreeMap<Level, String>,
        BTreeMap<String, String>,
        Vec<u32>,
    );
    let mut communes: BTreeMap<&str, Group> = BTreeMap::new();
    let mut es: BTreeMap<&str, Group> = BTreeMap::new();
    let mut terr: BTreeMap<&str, Group> = BTreeMap::new();
    for (i, r) in iris.iter().enumerate() {
        let e = es_of(i);
        let g = communes.entry(&r.commune).or_insert_with(|| {
            (
                r.commune.clone(),
                r.commune_name.clone(),
                BTreeMap::from([(Level::Departement, dep.0.clone())]),
                BTreeMap::new(),
                vec![],
            )
        });
        g.4.push(i as u32);
        let list = g.3.entry("es".into()).or_default();
        if !list.split(',').any(|c| c == e.code) {
            if !list.is_empty() {
                list.push(',');
            }
            list.push_str(&e.code);
        }
        es.entry(&e.code)
            .or_insert_with(|| {
                let parents = BTreeMap::from([
                    (Level::Territoire, e.territoire.clone()),
                    (Level::Departement, dep.0.clone()),
                ]);
                let attrs = BTreeMap::from([
                    ("address".to_string(), e.address.clone()),
                    ("hours".to_string(), e.hours.clone()),
                ]);
                (e.code.clone(), e.name.clone(), parents, attrs, vec![])
            })
            .4
            .push(i as u32);
        terr.entry(&e.territoire)
            .or_insert_with(|| {
                let name = terr_name
                    .get(e.territoire.as_str())
                    .copied()
                    .unwrap_or(&e.territoire)
                    .to_string();
                (
                    e.territoire.clone(),
                    name,
                    BTreeMap::from([(Level::Departement, dep.0.clone())]),
                    BTreeMap::new(),
                    vec![],
                )
            })
            .4
            .push(i as u32);
    }
    let all: Group = (
        dep.0.clone(),
        dep.1.clone(),
        BTreeMap::new(),
        BTreeMap::new(),
        (0..iris.len() as u32).collect(),
    );

    let iris_zones: Vec<Zone> = iris
        .iter()
        .zip(iris_topo.iter())
        .enumerate()
        .map(|(i, (r, g))| {
            let e = es_of(i);
            let parents = BTreeMap::from([
                (Level::Commune, r.commune.clone()),
                (Level::Es, e.code.clone()),
                (Level::Territoire, e.territoire.clone()),
                (Level::Departement, dep.0.clone()),
            ]);
            let mut attributes = BTreeMap::new();
            if let Some(k) = &r.kind {
                attributes.insert("type".to_string(), k.clone());
            }
            Zone {
                code: r.code.clone(),
                name: r.name.clone(),
                parents,
                area_km2: topology.to_multipolygon(g).unsigned_area() / 1e6,
                iris: vec![i as u32],
                geometry: g.clone(),
                attributes,
            }
        })
        .collect();

    let mut levels = vec![(Level::Iris, iris_zones)];
    for (level, groups) in [
        (Level::Commune, communes.into_values().collect::<Vec<_>>()),
        (Level::Es, es.into_values().collect()),
        (Level::Territoire, terr.into_values().collect()),
        (Level::Departement, vec![all]),
    ] {
        progress.stage(&format!("unions : {}", level.label()), groups.len() as u64);
        let zones: Vec<(Zone, Vec<Diagnostic>)> = groups
            .into_par_iter()
            .map(|(code, name, parents, attributes, members)| {
                let (geometry, anomalies) = topology.merge(members.iter().map(|&i| &iris_topo[i as usize]));
                let mp = topology.to_multipolygon(&geometry);
                let mut diags = Vec::new();
                if anomalies.same_direction_arcs > 0 || anomalies.open_walks > 0 {
                    diags.push(Diagnostic::new(
                        "Z050",
                        Severity::Warning,
                        format!("{} {code} : topologie incohérente ({} arcs superposés, {} contours ouverts)", level.key(), anomalies.same_direction_arcs, anomalies.open_walks),
                    ));
                }
                if let Some(why) = invalidity(&mp) {
                    diags.push(Diagnostic::new("Z040", Severity::Warning, format!("{} {code} : géométrie invalide ({why})", level.key())));
                }
                let parts = geometry.polygons.len();
                if parts > 1 && matches!(level, Level::Es | Level::Territoire) {
                    let code_d = if level == Level::Es { "Z010" } else { "Z011" };
                    diags.push(Diagnostic::new(code_d, Severity::Warning, format!("{} {code} ({name}) n'est pas d'un seul tenant : {parts} parties", level.key())));
                }
                progress.advance(1);
                (Zone { code, name, parents, area_km2: mp.unsigned_area() / 1e6, iris: members, geometry, attributes }, diags)
            })
            .collect();
        let mut list = Vec::with_capacity(zones.len());
        for (z, d) in zones {
            list.push(z);
            diagnostics.extend(d);
        }
        levels.push((level, list));
    }
    Assembled {
        topology,
        levels,
        diagnostics,
    }
}

/// Overlaps and gaps between IRIS, measured against an independent union (i_overlay): the
/// overlap is Σ IRIS areas − union area; gaps are holes of the union that no IRIS fills.
fn coverage_check(
    iris: &[IrisRecord],
    levels: &[(Level, Vec<Zone>)],
    config: &Config,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let union = unary_union(iris.iter().map(|r| &r.geometry));
    let sum: f64 = iris.iter().map(|r| r.geometry.unsigned_area()).sum();
    let overlap = sum - union.unsigned_area();
    if overlap > config.checks.overlap_tolerance_m2 {
        out.push(Diagnostic::new(
            "Z020",
            Severity::Warning,
            format!(
                "les IRIS se chevauchent sur {overlap:.1} m² au total (tolérance {} m²)",
                config.checks.overlap_tolerance_m2
            ),
        ));
    }
    let holes: Vec<f64> = union
        .0
        .iter()
        .flat_map(|p| p.interiors())
        .map(|h| geo::Polygon::new(h.clone(), vec![]).unsigned_area())
        .collect();
    let gaps: Vec<f64> = holes
        .iter()
        .copied()
        .filter(|a| *a > config.checks.gap_tolerance_m2)
        .collect();
    if !gaps.is_empty() {
        out.push(Diagnostic::new(
            "Z021",
            Severity::Warning,
            format!(
                "{} trou(s) entre IRIS au-dessus de la tolérance, {:.1} m² au total",
                gaps.len(),
                gaps.iter().sum::<f64>()
            ),
        ));
    }
    if let Some((_, dep)) = levels.iter().find(|(l, _)| *l == Level::Departement) {
        let topo_area: f64 = dep.iter().map(|z| z.area_km2 * 1e6).sum();
        let diff = (topo_area - union.unsigned_area()).abs();
        if diff > config.checks.overlap_tolerance_m2.max(1.0) {
            out.push(Diagnostic::new("Z050", Severity::Warning, format!("l'union topologique du département diffère de l'union géométrique de {diff:.1} m²")));
        }
    }
    out
}

/// Intersection over union of each commune's IRIS union with its official outline.
fn compare_communes(
    topology: &Topology,
    communes: &mut [Zone],
    outlines: &HashMap<String, MultiPolygon<f64>>,
    min_iou: f64,
) -> Vec<Diagnostic> {
    let results: Vec<Option<f64>> = communes
        .par_iter()
        .map(|z| {
            outlines
                .get(&z.code)
                .map(|o| iou(&topology.to_multipolygon(&z.geometry), o))
        })
        .collect();
    let mut out = Vec::new();
    let mut values = Vec::new();
    for (z, r) in communes.iter_mut().zip(results) {
        match r {
            None => out.push(Diagnostic::new(
                "Z031",
                Severity::Warning,
                format!(
                    "commune {} ({}) absente des contours communaux de référence",
                    z.code, z.name
                ),
            )),
            Some(v) => {
                z.attributes
                    .insert("iou_reference".into(), format!("{v:.4}"));
                values.push(v);
                if v < min_iou {
                    out.push(Diagnostic::new("Z030", Severity::Warning, format!("commune {} ({}) : IoU {v:.3} avec le contour officiel, sous le seuil {min_iou}", z.code, z.name)));
                }
            }
        }
    }
    if !values.is_empty() {
        let min = values.iter().copied().fold(f64::INFINITY, f64::min);
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        out.push(Diagnostic::new(
            "Z030",
            Severity::Note,
            format!("{} communes comparées à leur contour officiel : IoU minimale {min:.3}, moyenne {mean:.3}", values.len()),
        ));
    }
    out
}

/// Re-export for benchmarks and tests that feed their own IRIS.
pub fn topo_geometry_area(topology: &Topology, g: &TopoGeometry) -> f64 {
    topology.to_multipolygon(g).unsigned_area()
}
