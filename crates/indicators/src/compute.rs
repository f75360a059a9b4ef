//! From source tables to a value for every zone of every level, with references, ranks,
//! evolution and statuses. The rules that make the numbers right live here:
//! - a rate is Σ numerator / Σ denominator over the zone, never a mean of rates;
//! - a secret part makes the aggregate secret, a missing part makes it unavailable — never
//!   smaller;
//! - a non-additive indicator (median) is shown only where published, or as a flagged
//!   population-weighted approximation (withheld IRIS excluded);
//! - a value under the minimum denominator is withheld, and so are its numerator and
//!   denominator, which would give it away.
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use zones::{Bundle, Level};

use crate::catalogue::{Catalogue, Geography, Indicator, Kind, Source, Vintage};
use crate::error::{Error, Result};
use crate::table::{self, Cell, RawTable, TableOptions};

/// What a user may see of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Status {
    Ok,
    /// A part is under statistical secrecy.
    Secret,
    /// Denominator under the indicator's minimum: "effectif insuffisant".
    Insufficient,
    NotAvailable,
}

impl Status {
    pub fn key(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Secret => "secret",
            Status::Insufficient => "insufficient",
            Status::NotAvailable => "not_available",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "",
            Status::Secret => "secret statistique",
            Status::Insufficient => "effectif insuffisant",
            Status::NotAvailable => "donnée non disponible",
        }
    }
}

/// One value of one indicator for one zone and one year. Withheld records carry no number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub level: Level,
    pub code: String,
    pub indicator: String,
    pub year: i32,
    pub value: Option<f64>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub status: Status,
    /// Computed by apportioning or weighting rather than from published parts.
    pub approximation: bool,
    pub ref_departement: Option<f64>,
    pub ref_region: Option<f64>,
    pub ref_france: Option<f64>,
    /// Communes: the same indicator over the communes of the région in the same population
    /// class.
    pub ref_strate: Option<f64>,
    pub strate: Option<String>,
    /// Rank among the zones of the level with a value (1 = highest), and how many.
    pub rank: Option<(u32, u32)>,
    /// Evolution from `evolution_from` to `year`: absolute change and annual growth rate (%).
    pub evolution_from: Option<i32>,
    pub change: Option<f64>,
    pub annual_growth: Option<f64>,
    /// Why a value is missing or approximate, in French.
    pub note: Option<String>,
}

impl Record {
    fn gap(value: Option<f64>, reference: Option<f64>) -> Option<f64> {
        value.zip(reference).map(|(v, r)| v - r)
    }
    fn index(value: Option<f64>, reference: Option<f64>) -> Option<f64> {
        value
            .zip(reference)
            .and_then(|(v, r)| (r != 0.0).then_some(v / r * 100.0))
    }
    /// Gap to the département (points for rates); none for counts and medians.
    pub fn gap_departement(&self, kind: Kind) -> Option<f64> {
        if matches!(kind, Kind::Count | Kind::Median) {
            None
        } else {
            Self::gap(self.value, self.ref_departement)
        }
    }
    pub fn index_departement(&self, kind: Kind) -> Option<f64> {
        if kind == Kind::Count {
            None
        } else {
            Self::index(self.value, self.ref_departement)
        }
    }
    pub fn gap_to(&self, kind: Kind, reference: Option<f64>) -> Option<f64> {
        if matches!(kind, Kind::Count | Kind::Median) {
            None
        } else {
            Self::gap(self.value, reference)
        }
    }
    pub fn index_to(&self, kind: Kind, reference: Option<f64>) -> Option<f64> {
        if kind == Kind::Count {
            None
        } else {
            Self::index(self.value, reference)
        }
    }
}

/// A finding of the join between a source table and the zones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JoinIssue {
    pub source: String,
    /// `code_sans_zone`, `zone_sans_ligne`, `doublon`, `cellule_non_numerique`,
    /// `reparti_par_surface`.
    pub kind: String,
    pub code: String,
    pub line: Option<u64>,
    pub message: String,
}

/// Everything computed, stored in the bundle section [`crate::SECTION`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndicatorSet {
    pub region_name: String,
    pub indicators: Vec<Indicator>,
    pub sources: Vec<Source>,
    pub records: Vec<Record>,
    pub joins: Vec<JoinIssue>,
    /// Notes of the computation (evolutions refused, references missing…).
    pub notes: Vec<String>,
}

impl IndicatorSet {
    pub fn indicator(&self, id: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.id == id)
    }

    /// Records of one level (and optionally one indicator and year), public ones only unless
    /// `internal` is true.
    pub fn select<'a>(
        &'a self,
        level: Level,
        indicator: Option<&'a str>,
        year: Option<i32>,
        internal: bool,
    ) -> impl Iterator<Item = &'a Record> + 'a {
        let public: HashSet<&str> = self
            .indicators
            .iter()
            .filter(|i| internal || i.visibility == crate::Visibility::Public)
            .map(|i| i.id.as_str())
            .collect();
        self.records.iter().filter(move |r| {
            r.level == level
                && public.contains(r.indicator.as_str())
                && indicator.is_none_or(|i| i == r.indicator)
                && year.is_none_or(|y| y == r.year)
        })
    }

    /// The most recent year of an indicator.
    pub fn latest_year(&self, indicator: &str) -> Option<i32> {
        self.indicator(indicator)
            .and_then(|i| i.vintages.last())
            .map(|v| v.year)
    }
}

/// Records, join findings and notes of one indicator.
type IndicatorOutput = (Vec<Record>, Vec<JoinIssue>, Vec<String>);

/// A sum in progress: withheld or missing parts make it unknown, never smaller.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Part {
    Value(f64),
    Secret,
    /// `nd`, `ns`, empty or null in the source.
    Unavailable,
    /// No row at all for this zone.
    NoRow,
}

impl Part {
    fn add(self, other: Part) -> Part {
        match (self, other) {
            (Part::Value(a), Part::Value(b)) => Part::Value(a + b),
            (Part::Secret, _) | (_, Part::Secret) => Part::Secret,
            (Part::NoRow, _) | (_, Part::NoRow) => Part::NoRow,
            _ => Part::Unavailable,
        }
    }
    fn scale(self, f: f64) -> Part {
        match self {
            Part::Value(v) => Part::Value(v * f),
            other => other,
        }
    }
    fn from_cell(c: Cell) -> Part {
        match c {
            Cell::Value(v) => Part::Value(v),
            Cell::Secret => Part::Secret,
            Cell::NotAvailable | Cell::NotSignificant => Part::Unavailable,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Parts {
    num: Part,
    den: Part,
    approx: bool,
}

impl Parts {
    const NONE: Parts = Parts {
        num: Part::NoRow,
        den: Part::NoRow,
        approx: false,
    };
    const ZERO: Parts = Parts {
        num: Part::Value(0.0),
        den: Part::Value(0.0),
        approx: false,
    };
    fn add(self, o: Parts) -> Parts {
        Parts {
            num: self.num.add(o.num),
            den: self.den.add(o.den),
            approx: self.approx || o.approx,
        }
    }
}

/// Parts of one vintage at the source's geography, plus région and commune sums.
struct VintageParts {
    /// Per base zone of the source geography (IRIS, commune or QPV index in the bundle).
    base: Vec<Parts>,
    region: Option<Parts>,
    /// All communes of the région (for strata), by commune code.
    communes: HashMap<String, Parts>,
    /// In-territory rows whose code matches no zone (another geography), by code.
    unmatched: Vec<(String, Parts)>,
}

/// Read every source table once.
fn load_tables(
    catalogue: &Catalogue,
    data_dir: &std::path::Path,
) -> Result<HashMap<String, RawTable>> {
    let needed: HashSet<&str> = catalogue
        .indicators
        .iter()
        .flat_map(|i| {
            i.vintages
                .iter()
                .map(|v| v.source.as_str())
                .chain(i.approximation_weight.iter().map(|w| w.source.as_str()))
        })
        .chain(catalogue.strata.iter().map(|s| s.source.as_str()))
        .collect();
    let list: Vec<&Source> = catalogue
        .sources
        .iter()
        .filter(|s| needed.contains(s.id.as_str()))
        .collect();
    let read: Vec<Result<(String, RawTable)>> = list
        .par_iter()
        .map(|s| {
            let opts = TableOptions {
                delimiter: s.delimiter.as_ref().and_then(|d| d.bytes().next()),
                encoding: s.encoding.clone(),
                sheet: s.sheet.clone(),
            };
            table::read(&data_dir.join(&s.path), &opts).map(|t| (s.id.clone(), t))
        })
        .collect();
    read.into_iter().collect()
}

/// Compute every indicator of the catalogue for every zone of the bundle.
pub fn compute(
    catalogue: &Catalogue,
    bundle: &Bundle,
    data_dir: &std::path::Path,
) -> Result<IndicatorSet> {
    let tables = load_tables(catalogue, data_dir)?;
    compute_with_tables(catalogue, bundle, &tables)
}

/// The same, from tables already read (benchmarks, tests with crafted tables).
pub fn compute_with_tables(
    catalogue: &Catalogue,
    bundle: &Bundle,
    tables: &HashMap<String, RawTable>,
) -> Result<IndicatorSet> {
    let mut ctx = Context::new(bundle);
    ctx.region_code = catalogue.region_code.clone();
    ctx.prepare_overlays(catalogue, tables)?;
    ctx.prepare_cells(catalogue, tables);
    let mut joins: Vec<JoinIssue> = Vec::new();
    let mut notes = Vec::new();
    let strata = strata_classes(catalogue, tables, &mut notes)?;
    let results: Vec<Result<IndicatorOutput>> = catalogue
        .indicators
        .par_iter()
        .map(|ind| ctx.indicator(catalogue, ind, tables, &strata))
        .collect();
    let mut records = Vec::new();
    for r in results {
        let (recs, j, n) = r?;
        records.extend(recs);
        joins.extend(j);
        notes.extend(n);
    }
    joins.sort_by(|a, b| (&a.source, &a.kind, &a.code).cmp(&(&b.source, &b.kind, &b.code)));
    joins.dedup();
    Ok(IndicatorSet {
        region_name: catalogue.region_name.clone(),
        indicators: catalogue.indicators.clone(),
        sources: catalogue.sources.clone(),
        records,
        joins,
        notes,
    })
}

/// Population class of every commune of the région, and its label.
fn strata_classes(
    catalogue: &Catalogue,
    tables: &HashMap<String, RawTable>,
    notes: &mut Vec<String>,
) -> Result<HashMap<String, (usize, String)>> {
    let Some(s) = &catalogue.strata else {
        return Ok(HashMap::new());
    };
    let src = catalogue.source(&s.source).expect("validated");
    let t = &tables[&s.source];
    let key = t.column(&src.key)?;
    let var = t.column(&s.variable)?;
    let region = src.region.as_ref().map(|r| t.column(r)).transpose()?;
    let filter = src
        .filter_column
        .as_ref()
        .map(|c| t.column(c))
        .transpose()?;
    let mut out = HashMap::new();
    for (_, row) in &t.rows {
        if let (Some(fc), Some(fv)) = (filter, &src.filter_value)
            && &row[fc] != fv
        {
            continue;
        }
        if let Some(rc) = region
            && row[rc] != catalogue.region_code
        {
            continue;
        }
        if let Some(Cell::Value(pop)) = table::parse_cell(&row[var]) {
            let class = s.classes.iter().rposition(|&lo| pop >= lo).unwrap_or(0);
            let lo = s.classes[class];
            let label = match s.classes.get(class + 1) {
                Some(hi) => format!(
                    "communes de {} à moins de {} habitants",
                    crate::format::number(lo, 0),
                    crate::format::number(*hi, 0)
                ),
                None => format!(
                    "communes de {} habitants ou plus",
                    crate::format::number(lo, 0)
                ),
            };
            out.insert(row[key].clone(), (class, label));
        }
    }
    if out.is_empty() {
        notes.push(format!(
            "strates démographiques : aucune population lue dans {}",
            t.path.display()
        ));
    }
    Ok(out)
}

/// Bundle facts the computation needs, indexed once.
struct Context<'a> {
    bundle: &'a Bundle,
    iris_index: HashMap<&'a str, usize>,
    commune_index: HashMap<&'a str, usize>,
    qpv_index: HashMap<&'a str, usize>,
    /// For each zone of each nested level above IRIS: the communes it holds whole, or `None`
    /// when it cuts a commune.
    whole_communes: HashMap<(Level, usize), Option<Vec<usize>>>,
    /// Area shares of rows of another IRIS geography in the IRIS of their commune, per source
    /// and row, computed once (several indicators read the same source).
    overlay_shares: HashMap<String, HashMap<usize, Vec<(usize, f64)>>>,
    /// Code of the région whose rows make the région reference.
    region_code: String,
    /// Cells of the columns the catalogue reads, parsed once per source and column (every
    /// indicator-vintage scans the région's rows; parsing text again each time dominated).
    cells: HashMap<(String, usize), Vec<Option<Cell>>>,
}

impl<'a> Context<'a> {
    fn new(bundle: &'a Bundle) -> Context<'a> {
        let iris = bundle.zones(Level::Iris);
        let communes = bundle.zones(Level::Commune);
        let iris_index = iris
            .iter()
            .enumerate()
            .map(|(i, z)| (z.code.as_str(), i))
            .collect();
        let commune_index: HashMap<&str, usize> = communes
            .iter()
            .enumerate()
            .map(|(i, z)| (z.code.as_str(), i))
            .collect();
        let qpv_index = bundle
            .qpv
            .iter()
            .enumerate()
            .map(|(i, q)| (q.code.as_str(), i))
            .collect();
        let commune_of_iris: Vec<usize> = iris
            .iter()
            .map(|z| commune_index[z.parent(Level::Commune).unwrap_or_default()])
            .collect();
        let mut whole_communes = HashMap::new();
        for level in [
            Level::Commune,
            Level::Es,
            Level::Territoire,
            Level::Departement,
        ] {
            for (zi, z) in bundle.zones(level).iter().enumerate() {
                let members: HashSet<u32> = z.iris.iter().copied().collect();
                let mut held: Vec<usize> = z
                    .iris
                    .iter()
                    .map(|&i| commune_of_iris[i as usize])
                    .collect();
                held.sort_unstable();
                held.dedup();
                let whole = held
                    .iter()
                    .all(|&c| communes[c].iris.iter().all(|i| members.contains(i)));
                whole_communes.insert((level, zi), whole.then_some(held));
            }
        }
        Context {
            bundle,
            iris_index,
            commune_index,
            qpv_index,
            whole_communes,
            overlay_shares: HashMap::new(),
            region_code: String::new(),
            cells: HashMap::new(),
        }
    }

    /// Parse the cells of every column the catalogue's indicators read (numerators,
    /// denominators, approximation weights), once per source and column.
    fn prepare_cells(&mut self, catalogue: &Catalogue, tables: &HashMap<String, RawTable>) {
        let mut wanted: HashSet<(&str, &str)> = HashSet::new();
        for ind in &catalogue.indicators {
            for v in &ind.vintages {
                for c in v.numerator.iter().chain(&v.denominator) {
                    wanted.insert((v.source.as_str(), c.as_str()));
                }
            }
            if let Some(w) = &ind.approximation_weight {
                wanted.insert((w.source.as_str(), w.variable.as_str()));
            }
        }
        let columns: Vec<(String, usize, &RawTable)> = wanted
            .into_iter()
            .filter_map(|(source, column)| {
                let t = tables.get(source)?;
                let c = t.column(column).ok()?; // a missing column is reported where it is read
                Some((source.to_string(), c, t))
            })
            .collect();
        self.cells = columns
            .into_par_iter()
            .map(|(source, c, t)| {
                let cells = t
                    .rows
                    .iter()
                    .map(|(_, row)| table::parse_cell(&row[c]))
                    .collect();
                ((source, c), cells)
            })
            .collect();
    }

    /// Shares of each unmatched row's area in the IRIS of its commune, for every source with
    /// `resolve = "overlay"` and geometry. Slivers under 1 % (generalisation differences
    /// between editions) are dropped and the rest renormalised, so a row's count is conserved.
    fn prepare_overlays(
        &mut self,
        catalogue: &Catalogue,
        tables: &HashMap<String, RawTable>,
    ) -> Result<()> {
        use geo::{Area, BooleanOps};
        let iris = self.bundle.zones(Level::Iris);
        for src in catalogue
            .sources
            .iter()
            .filter(|s| s.geography == Geography::Iris && s.resolve.as_deref() == Some("overlay"))
        {
            let Some(t) = tables.get(&src.id) else {
                continue;
            };
            let Some(geoms) = &t.geometries else { continue };
            let key = t.column(&src.key)?;
            let mut rows = HashMap::new();
            for (ri, (_, row)) in t.rows.iter().enumerate() {
                let code = row[key].as_str();
                if self.iris_index.contains_key(code) || !self.in_territory(Geography::Iris, code) {
                    continue;
                }
                let commune = &code[..5];
                let mut shares: Vec<(usize, f64)> = iris
                    .iter()
                    .enumerate()
                    .filter(|(_, z)| z.parent(Level::Commune) == Some(commune))
                    .map(|(i, z)| {
                        (
                            i,
                            self.bundle
                                .topology
                                .to_multipolygon(&z.geometry)
                                .intersection(&geoms[ri])
                                .unsigned_area(),
                        )
                    })
                    .collect();
                let total: f64 = shares.iter().map(|s| s.1).sum();
                if total <= 0.0 {
                    continue;
                }
                shares.retain(|s| s.1 / total >= 0.01);
                let kept: f64 = shares.iter().map(|s| s.1).sum();
                rows.insert(ri, shares.into_iter().map(|(i, a)| (i, a / kept)).collect());
            }
            self.overlay_shares.insert(src.id.clone(), rows);
        }
        Ok(())
    }

    fn base_len(&self, g: Geography) -> usize {
        match g {
            Geography::Iris => self.bundle.zones(Level::Iris).len(),
            Geography::Commune => self.bundle.zones(Level::Commune).len(),
            Geography::Qpv => self.bundle.qpv.len(),
        }
    }

    fn base_index(&self, g: Geography, code: &str) -> Option<usize> {
        match g {
            Geography::Iris => self.iris_index.get(code).copied(),
            Geography::Commune => self.commune_index.get(code).copied(),
            Geography::Qpv => self.qpv_index.get(code).copied(),
        }
    }

    /// Whether an unmatched code belongs to the territory (and so should have matched).
    fn in_territory(&self, g: Geography, code: &str) -> bool {
        match g {
            Geography::Iris => code
                .get(..5)
                .is_some_and(|c| self.commune_index.contains_key(c)),
            Geography::Commune => code.starts_with(&self.bundle.meta.code),
            Geography::Qpv => code
                .get(2..5)
                .is_some_and(|d| d.trim_start_matches('0') == self.bundle.meta.code),
        }
    }

    /// Read the parts of one vintage from its table, joining codes to zones.
    fn vintage_parts(
        &self,
        src: &Source,
        t: &RawTable,
        numerator: &[String],
        denominator: &[String],
        joins: &mut Vec<JoinIssue>,
        apportion: bool,
    ) -> Result<VintageParts> {
        let key = t.column(&src.key)?;
        // Each column with its cells parsed beforehand (`prepare_cells`), when they were.
        let with_cells = |c: usize| (c, self.cells.get(&(src.id.clone(), c)));
        let num_cols: Vec<(usize, Option<&Vec<Option<Cell>>>)> = numerator
            .iter()
            .map(|c| t.column(c).map(with_cells))
            .collect::<Result<_>>()?;
        let den_cols: Vec<(usize, Option<&Vec<Option<Cell>>>)> = denominator
            .iter()
            .map(|c| t.column(c).map(with_cells))
            .collect::<Result<_>>()?;
        let region_col = src.region.as_ref().map(|r| t.column(r)).transpose()?;
        let commune_col = match (src.geography, &src.commune) {
            (Geography::Commune, _) => Some(key),
            (_, Some(c)) => Some(t.column(c)?),
            _ => None,
        };
        let issue = |kind: &str, code: &str, line: Option<u64>, message: String| JoinIssue {
            source: src.id.clone(),
            kind: kind.into(),
            code: code.into(),
            line,
            message,
        };
        let sum_cols = |cols: &[(usize, Option<&Vec<Option<Cell>>>)],
                        ri: usize,
                        row: &[String],
                        line: u64,
                        joins: &mut Vec<JoinIssue>|
         -> Part {
            let mut acc = Part::Value(0.0);
            for &(c, parsed) in cols {
                let cell = match parsed.map_or_else(|| table::parse_cell(&row[c]), |p| p[ri]) {
                    Some(cell) => cell,
                    None => {
                        joins.push(issue(
                            "cellule_non_numerique",
                            &row[key],
                            Some(line),
                            format!(
                                "colonne {} : « {} » n'est ni un nombre ni s/nd/ns",
                                t.header[c], row[c]
                            ),
                        ));
                        Cell::NotAvailable
                    }
                };
                acc = acc.add(Part::from_cell(cell));
            }
            acc
        };
        let n = self.base_len(src.geography);
        let mut base = vec![Parts::NONE; n];
        let mut seen: Vec<Option<u64>> = vec![None; n];
        let mut region = src
            .region_all
            .then_some(Parts::ZERO)
            .or(region_col.map(|_| Parts::ZERO));
        let mut communes: HashMap<String, Parts> = HashMap::new();
        let mut unmatched: Vec<(usize, Parts)> = Vec::new();
        let mut unmatched_codes: Vec<(String, Parts)> = Vec::new();
        let filter = src
            .filter_column
            .as_ref()
            .map(|c| t.column(c))
            .transpose()?;
        for (ri, (line, row)) in t.rows.iter().enumerate() {
            if let (Some(fc), Some(fv)) = (filter, &src.filter_value)
                && &row[fc] != fv
            {
                continue;
            }
            let code = row[key].as_str();
            if src.empty_means_absent && num_cols.iter().all(|&(c, _)| row[c].trim().is_empty()) {
                continue;
            }
            let parts = Parts {
                num: sum_cols(&num_cols, ri, row, *line, joins),
                den: if den_cols.is_empty() {
                    Part::Value(0.0)
                } else {
                    sum_cols(&den_cols, ri, row, *line, joins)
                },
                approx: false,
            };
            let in_region =
                src.region_all || region_col.is_some_and(|rc| row[rc] == self.region_code);
            if in_region {
                region = region.map(|r| r.add(parts));
                if let Some(cc) = commune_col {
                    match communes.get_mut(row[cc].as_str()) {
                        Some(e) => *e = e.add(parts),
                        None => {
                            communes.insert(row[cc].clone(), Parts::ZERO.add(parts));
                        }
                    }
                }
            }
            match self.base_index(src.geography, code) {
                Some(i) => {
                    if let Some(first) = seen[i] {
                        joins.push(issue("doublon", code, Some(*line), format!("code présent aussi ligne {first} : valeur de la zone rendue indisponible")));
                        base[i] = Parts {
                            num: Part::Unavailable,
                            den: Part::Unavailable,
                            approx: false,
                        };
                    } else {
                        seen[i] = Some(*line);
                        base[i] = parts;
                    }
                }
                None if self.in_territory(src.geography, code) => {
                    joins.push(issue(
                        "code_sans_zone",
                        code,
                        Some(*line),
                        "code du territoire absent des zones (géographie différente ?)".into(),
                    ));
                    unmatched.push((ri, parts));
                    unmatched_codes.push((code.to_string(), parts));
                }
                None => {}
            }
        }
        // Geography change: apportion unmatched rows by area to the IRIS they overlap.
        if apportion
            && src.geography == Geography::Iris
            && src.resolve.as_deref() == Some("overlay")
            && !unmatched.is_empty()
            && let Some(shares) = self.overlay_shares.get(&src.id)
        {
            {
                let iris = self.bundle.zones(Level::Iris);
                for (ri, parts) in &unmatched {
                    for &(i, share) in shares.get(ri).map(Vec::as_slice).unwrap_or_default() {
                        let add = Parts {
                            num: parts.num.scale(share),
                            den: parts.den.scale(share),
                            approx: true,
                        };
                        base[i] = if seen[i].is_some() || base[i].approx {
                            base[i].add(add)
                        } else {
                            add
                        };
                        joins.push(issue(
                            "reparti_par_surface",
                            &iris[i].code,
                            None,
                            format!(
                                "reçoit {:.1} % de la ligne {} ({})",
                                share * 100.0,
                                t.rows[*ri].0,
                                t.rows[*ri].1[key]
                            ),
                        ));
                    }
                }
            }
        }
        for (i, s) in seen.iter().enumerate() {
            if s.is_none() && !base[i].approx {
                let code = match src.geography {
                    Geography::Iris => &self.bundle.zones(Level::Iris)[i].code,
                    Geography::Commune => &self.bundle.zones(Level::Commune)[i].code,
                    Geography::Qpv => &self.bundle.qpv[i].code,
                };
                joins.push(issue(
                    "zone_sans_ligne",
                    code,
                    None,
                    "aucune ligne de la table pour cette zone".into(),
                ));
            }
        }
        Ok(VintageParts {
            base,
            region,
            communes,
            unmatched: unmatched_codes,
        })
    }

    /// Parts of a zone of `level` from base parts at the source geography.
    fn zone_parts(&self, g: Geography, level: Level, zi: usize, base: &[Parts]) -> Option<Parts> {
        match (g, level) {
            (Geography::Iris, Level::Qpv) => {
                // Apportioned by the shared area: always an approximation.
                let code = &self.bundle.qpv[zi].code;
                let mut acc = Parts::ZERO;
                let mut any = false;
                for o in self.bundle.qpv_overlay.iter().filter(|o| &o.qpv == code) {
                    let i = self.iris_index[o.iris.as_str()];
                    let p = base[i];
                    acc = acc.add(Parts {
                        num: p.num.scale(o.share_of_iris),
                        den: p.den.scale(o.share_of_iris),
                        approx: true,
                    });
                    any = true;
                }
                any.then_some(acc)
            }
            (Geography::Iris, l) => Some(
                self.bundle.zones(l)[zi]
                    .iris
                    .iter()
                    .fold(Parts::ZERO, |a, &i| a.add(base[i as usize])),
            ),
            (Geography::Commune, Level::Iris | Level::Qpv) => None,
            (Geography::Commune, l) => {
                let held = self.whole_communes.get(&(l, zi))?.as_ref()?;
                Some(held.iter().fold(Parts::ZERO, |a, &c| a.add(base[c])))
            }
            (Geography::Qpv, Level::Qpv) => Some(base[zi]),
            (Geography::Qpv, _) => None,
        }
    }

    fn zone_count(&self, level: Level) -> usize {
        if level == Level::Qpv {
            self.bundle.qpv.len()
        } else {
            self.bundle.zones(level).len()
        }
    }

    fn zone_code(&self, level: Level, zi: usize) -> &str {
        if level == Level::Qpv {
            &self.bundle.qpv[zi].code
        } else {
            &self.bundle.zones(level)[zi].code
        }
    }

    fn zone_area(&self, level: Level, zi: usize) -> f64 {
        if level == Level::Qpv {
            self.bundle.qpv[zi].area_km2
        } else {
            self.bundle.zones(level)[zi].area_km2
        }
    }

    /// All records of one indicator.
    fn indicator(
        &self,
        catalogue: &Catalogue,
        ind: &Indicator,
        tables: &HashMap<String, RawTable>,
        strata: &HashMap<String, (usize, String)>,
    ) -> Result<(Vec<Record>, Vec<JoinIssue>, Vec<String>)> {
        let mut joins = Vec::new();
        let mut notes = Vec::new();
        let mut records = Vec::new();
        let levels = [
            Level::Iris,
            Level::Commune,
            Level::Es,
            Level::Territoire,
            Level::Departement,
            Level::Qpv,
        ];
        for v in &ind.vintages {
            let src = catalogue.source(&v.source).expect("validated");
            let t = &tables[&v.source];
            let parts = self.vintage_parts(
                src,
                t,
                &v.numerator,
                &v.denominator,
                &mut joins,
                ind.kind.additive(),
            )?;
            let weights = match &ind.approximation_weight {
                Some(w) => {
                    let wsrc = catalogue.source(&w.source).expect("validated");
                    let mut wj = Vec::new();
                    let wp = self.vintage_parts(
                        wsrc,
                        &tables[&w.source],
                        std::slice::from_ref(&w.variable),
                        &[],
                        &mut wj,
                        true,
                    )?;
                    (wsrc.geography == src.geography).then_some(wp)
                }
                None => None,
            };
            let france = catalogue
                .france
                .iter()
                .find(|f| f.indicator == ind.id && f.year == v.year)
                .map(|f| f.value);
            let dep_parts = self.zone_parts(src.geography, Level::Departement, 0, &parts.base);
            let dep = dep_parts.map(|p| evaluate(ind, p, self.zone_area(Level::Departement, 0)));
            let reference = |e: Option<Evaluated>| {
                e.filter(|e| e.status == Status::Ok && !matches!(ind.kind, Kind::Median))
                    .and_then(|e| e.value)
            };
            let ref_dep = match ind.kind {
                Kind::Median => self
                    .weighted(
                        ind,
                        src.geography,
                        Level::Departement,
                        0,
                        &parts,
                        weights.as_ref(),
                    )
                    .and_then(|e| (e.status == Status::Ok).then_some(e.value).flatten()),
                _ => reference(dep),
            };
            let ref_region = match (ind.kind, parts.region) {
                (Kind::Rate | Kind::Index | Kind::Count, Some(p)) => {
                    reference(Some(evaluate(ind, p, f64::NAN)))
                }
                _ => None,
            };
            if ref_region.is_none() && ind.kind != Kind::Median {
                notes.push(format!("{} {} : pas de valeur régionale (la source {} ne couvre pas la région ou une part est manquante)", ind.id, v.year, src.id));
            }
            // Strata: ratio of sums over the région's communes of the same class.
            let mut strata_sums: HashMap<usize, Parts> = HashMap::new();
            if matches!(ind.kind, Kind::Rate | Kind::Index) {
                for (code, p) in &parts.communes {
                    if let Some((class, _)) = strata.get(code) {
                        let e = strata_sums.entry(*class).or_insert(Parts::ZERO);
                        *e = e.add(*p);
                    }
                }
            }
            for level in levels {
                let mut level_records = Vec::with_capacity(self.zone_count(level));
                for zi in 0..self.zone_count(level) {
                    let code = self.zone_code(level, zi).to_string();
                    let e = if ind.kind == Kind::Median {
                        self.median(ind, src.geography, level, zi, &parts, weights.as_ref())
                    } else {
                        self.zone_parts(src.geography, level, zi, &parts.base)
                            .map(|p| evaluate(ind, p, self.zone_area(level, zi)))
                    };
                    let e = e.unwrap_or(Evaluated::missing(match (src.geography, level) {
                        (Geography::Commune, Level::Es | Level::Territoire) => {
                            "publié par commune : zone qui coupe une commune"
                        }
                        _ => "non publié à ce niveau",
                    }));
                    let (ref_strate, strate) = match (level, strata.get(&code)) {
                        (Level::Commune, Some((class, label))) => (
                            strata_sums
                                .get(class)
                                .and_then(|p| reference(Some(evaluate(ind, *p, f64::NAN)))),
                            Some(label.clone()),
                        ),
                        _ => (None, None),
                    };
                    level_records.push(Record {
                        level,
                        code,
                        indicator: ind.id.clone(),
                        year: v.year,
                        value: e.value,
                        numerator: e.numerator,
                        denominator: e.denominator,
                        status: e.status,
                        approximation: e.approximation,
                        ref_departement: ref_dep,
                        ref_region,
                        ref_france: france,
                        ref_strate,
                        strate,
                        rank: None,
                        evolution_from: None,
                        change: None,
                        annual_growth: None,
                        note: e.note,
                    });
                }
                rank(&mut level_records);
                records.extend(level_records);
            }
        }
        if let Some([a, b]) = ind.evolution {
            evolve(&mut records, a, b);
        }
        Ok((records, joins, notes))
    }

    /// A non-additive value: as published at the source geography; above it, a
    /// population-weighted mean of the published values (withheld IRIS excluded), flagged.
    fn median(
        &self,
        ind: &Indicator,
        g: Geography,
        level: Level,
        zi: usize,
        values: &VintageParts,
        weights: Option<&VintageParts>,
    ) -> Option<Evaluated> {
        let published = matches!(
            (g, level),
            (Geography::Iris, Level::Iris)
                | (Geography::Commune, Level::Commune)
                | (Geography::Qpv, Level::Qpv)
        );
        if published {
            return Some(evaluate(ind, values.base[zi], f64::NAN));
        }
        self.weighted(ind, g, level, zi, values, weights)
    }

    fn weighted(
        &self,
        ind: &Indicator,
        g: Geography,
        level: Level,
        zi: usize,
        values: &VintageParts,
        weights: Option<&VintageParts>,
    ) -> Option<Evaluated> {
        let weights = weights?;
        let members: Vec<usize> = match (g, level) {
            (Geography::Iris, Level::Qpv | Level::Iris) => return None,
            (Geography::Iris, l) => self.bundle.zones(l)[zi]
                .iris
                .iter()
                .map(|&i| i as usize)
                .collect(),
            (Geography::Commune, Level::Iris | Level::Qpv) => return None,
            (Geography::Commune, l) => self.whole_communes.get(&(l, zi))?.clone()?,
            (Geography::Qpv, _) => return None,
        };
        // Communes held whole by the zone: rows of another IRIS geography inside them can stand
        // in for IRIS that have no row.
        let communes = self.bundle.zones(Level::Commune);
        let whole: HashSet<&str> = match self.whole_communes.get(&(level, zi)) {
            Some(Some(list)) => list.iter().map(|&c| communes[c].code.as_str()).collect(),
            _ => HashSet::new(),
        };
        let iris = self.bundle.zones(Level::Iris);
        let (mut sw, mut swv) = (0.0, 0.0);
        let mut add = |v: Part, w: Part| {
            if let (Part::Value(v), Part::Value(w)) = (v, w) {
                sw += w;
                swv += w * v;
            }
        };
        for i in members {
            let v = values.base[i].num;
            if v == Part::NoRow {
                let commune = if g == Geography::Iris {
                    iris[i].parent(Level::Commune).unwrap_or_default()
                } else {
                    communes[i].code.as_str()
                };
                if whole.contains(commune) {
                    continue;
                }
                return Some(Evaluated::missing(
                    "une zone sans donnée (géographie différente)",
                ));
            }
            add(v, weights.base[i].num);
        }
        for (code, p) in &values.unmatched {
            if code.get(..5).is_some_and(|c| whole.contains(c)) {
                let w = weights
                    .unmatched
                    .iter()
                    .find(|(c, _)| c == code)
                    .map(|(_, w)| w.num)
                    .unwrap_or(Part::NoRow);
                add(p.num, w);
            }
        }
        if sw <= 0.0 {
            return Some(Evaluated::missing("aucune valeur publiée dans la zone"));
        }
        let mut e = Evaluated::ok(ind, swv / sw, None, None);
        e.approximation = true;
        e.note = Some("approximation : moyenne des valeurs IRIS pondérée par la population, IRIS non diffusés exclus".into());
        Some(e)
    }
}

#[derive(Debug, Clone)]
struct Evaluated {
    value: Option<f64>,
    numerator: Option<f64>,
    denominator: Option<f64>,
    status: Status,
    approximation: bool,
    note: Option<String>,
}

impl Evaluated {
    fn ok(
        _ind: &Indicator,
        value: f64,
        numerator: Option<f64>,
        denominator: Option<f64>,
    ) -> Evaluated {
        Evaluated {
            value: Some(value),
            numerator,
            denominator,
            status: Status::Ok,
            approximation: false,
            note: None,
        }
    }
    /// A withheld value: no number at all, so nothing can be derived from it.
    fn withheld(status: Status, approximation: bool, note: &str) -> Evaluated {
        Evaluated {
            value: None,
            numerator: None,
            denominator: None,
            status,
            approximation,
            note: Some(note.into()),
        }
    }
    fn missing(note: &str) -> Evaluated {
        Evaluated::withheld(Status::NotAvailable, false, note)
    }
}

/// The value of an indicator from the parts of one zone.
fn evaluate(ind: &Indicator, p: Parts, area_km2: f64) -> Evaluated {
    let withheld = |part: Part| match part {
        Part::Secret => Some(Evaluated::withheld(
            Status::Secret,
            p.approx,
            "une partie est couverte par le secret statistique",
        )),
        Part::Unavailable => Some(Evaluated::withheld(
            Status::NotAvailable,
            p.approx,
            "une partie n'est pas disponible",
        )),
        Part::NoRow => Some(Evaluated::withheld(
            Status::NotAvailable,
            p.approx,
            "absent de la source",
        )),
        Part::Value(_) => None,
    };
    if let Some(e) = withheld(p.num) {
        return e;
    }
    let Part::Value(num) = p.num else {
        unreachable!("checked above")
    };
    let mut e = match ind.kind {
        Kind::Rate | Kind::Index => {
            if let Some(e) = withheld(p.den) {
                return e;
            }
            let Part::Value(den) = p.den else {
                unreachable!("checked above")
            };
            if den < ind.min_denominator || den <= 0.0 {
                let status = if den <= 0.0 && ind.min_denominator <= 0.0 {
                    Status::NotAvailable
                } else {
                    Status::Insufficient
                };
                return Evaluated::withheld(status, p.approx, "effectif insuffisant");
            }
            Evaluated::ok(ind, ind.scale * num / den, Some(num), Some(den))
        }
        Kind::Count => {
            if num < ind.min_denominator {
                return Evaluated::withheld(Status::Insufficient, p.approx, "effectif insuffisant");
            }
            Evaluated::ok(ind, num * ind.scale, Some(num), None)
        }
        Kind::Density => {
            if area_km2.is_nan() || area_km2 <= 0.0 {
                return Evaluated::missing("surface inconnue");
            }
            Evaluated::ok(ind, num / area_km2, Some(num), Some(area_km2))
        }
        Kind::Median => Evaluated::ok(ind, num, None, None),
    };
    e.approximation = p.approx;
    if p.approx {
        e.note = Some("approximation : comptes répartis au prorata des surfaces".into());
    }
    e
}

/// Rank zones with a value, 1 = highest.
fn rank(records: &mut [Record]) {
    let mut order: Vec<(usize, f64)> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.value.map(|v| (i, v)))
        .collect();
    order.sort_by(|a, b| b.1.total_cmp(&a.1));
    let n = order.len() as u32;
    for (k, (i, _)) in order.into_iter().enumerate() {
        records[i].rank = Some((k as u32 + 1, n));
    }
}

/// Absolute change and annual growth rate from year `a` to year `b`, on the records of `b`.
fn evolve(records: &mut [Record], a: i32, b: i32) {
    let before: BTreeMap<(Level, String), Option<f64>> = records
        .iter()
        .filter(|r| r.year == a)
        .map(|r| ((r.level, r.code.clone()), r.value))
        .collect();
    for r in records.iter_mut().filter(|r| r.year == b) {
        r.evolution_from = Some(a);
        if let (Some(v2), Some(Some(v1))) = (r.value, before.get(&(r.level, r.code.clone()))) {
            r.change = Some(v2 - v1);
            if *v1 > 0.0 && v2 > 0.0 {
                r.annual_growth = Some(((v2 / v1).powf(1.0 / f64::from(b - a)) - 1.0) * 100.0);
            }
        }
    }
}

/// Errors of a query against the computed set.
pub fn check_query(
    set: &IndicatorSet,
    indicator: Option<&str>,
    year: Option<i32>,
    internal: bool,
) -> Result<()> {
    if let Some(id) = indicator {
        let Some(ind) = set.indicator(id) else {
            let known: Vec<&str> = set
                .indicators
                .iter()
                .filter(|i| internal || i.visibility == crate::Visibility::Public)
                .map(|i| i.id.as_str())
                .collect();
            return Err(Error::Query(format!(
                "indicateur inconnu « {id} » (indicateurs : {})",
                known.join(", ")
            )));
        };
        if ind.visibility == crate::Visibility::Internal && !internal {
            return Err(Error::Query(format!("indicateur inconnu « {id} »")));
        }
        if let Some(y) = year
            && !ind.vintages.iter().any(|v| v.year == y)
        {
            let years: Vec<String> = ind.vintages.iter().map(|v| v.year.to_string()).collect();
            return Err(Error::Query(format!(
                "millésime {y} absent pour « {id} » (millésimes : {})",
                years.join(", ")
            )));
        }
    }
    Ok(())
}

/// Used by tests: the parts API is private, so expose the vintage list of an indicator.
pub fn vintages(ind: &Indicator) -> &[Vintage] {
    &ind.vintages
}
