//! The catalogue: sources and indicators, read from TOML and validated with errors that name the
//! indicator and the field.
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// How an indicator is computed from its parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// scale × Σ numerator / Σ denominator (a ratio of sums, never a mean of rates).
    Rate,
    /// Σ numerator.
    Count,
    /// Σ numerator / area in km².
    Density,
    /// Published for one geography only (a median…): never summed; higher levels are
    /// unavailable, or a flagged population-weighted approximation.
    Median,
    /// scale × Σ numerator / Σ denominator with scale 100 by default (index base 100).
    Index,
}

impl Kind {
    pub fn additive(self) -> bool {
        !matches!(self, Kind::Median)
    }
    fn needs_denominator(self) -> bool {
        matches!(self, Kind::Rate | Kind::Index)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Public,
    /// The Département's own data: exported only on request, served only to authenticated users.
    Internal,
}

/// The geography a source table is published at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Geography {
    Iris,
    Commune,
    Qpv,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub id: String,
    pub producer: String,
    pub title: String,
    /// Relative to the data folder of the territory.
    pub path: PathBuf,
    pub geography: Geography,
    /// Column of the zone code (IRIS, commune or QPV code).
    pub key: String,
    /// Column of the commune code, for demographic strata of IRIS sources.
    pub commune: Option<String>,
    /// Column of the région code; the région reference needs it (or `region_all = true` when
    /// the whole file is the région).
    pub region: Option<String>,
    #[serde(default)]
    pub region_all: bool,
    /// Census-based (rolling census: vintages compared at least 5 years apart).
    #[serde(default)]
    pub census: bool,
    /// Geography change: `overlay` apportions rows whose code matches no zone to the zones they
    /// overlap (GeoJSON sources), flagged as approximations.
    pub resolve: Option<String>,
    pub delimiter: Option<String>,
    pub encoding: Option<String>,
    pub sheet: Option<String>,
    /// Keep only rows whose `filter_column` equals `filter_value` (e.g. `type` =
    /// `commune-actuelle`, so that Paris is not counted with its arrondissements).
    pub filter_column: Option<String>,
    pub filter_value: Option<String>,
    /// Rows whose numerator cells are all empty are absent (a commune that did not exist in
    /// that vintage), not unavailable.
    #[serde(default)]
    pub empty_means_absent: bool,
    /// Link to the publication.
    pub url: Option<String>,
}

/// One vintage of an indicator: where its parts come from.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vintage {
    pub year: i32,
    pub source: String,
    pub numerator: Vec<String>,
    #[serde(default)]
    pub denominator: Vec<String>,
    /// Label of the vintage when the year alone is not enough (`PL 2019`).
    pub label: Option<String>,
}

/// A population-weighted approximation for non-additive indicators at higher levels.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weight {
    pub source: String,
    pub variable: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIndicator {
    pub id: String,
    pub label: String,
    pub definition: String,
    pub theme: String,
    #[serde(default)]
    pub unit: String,
    pub kind: Kind,
    pub scale: Option<f64>,
    #[serde(default)]
    pub higher_is_better: Option<bool>,
    #[serde(default = "one")]
    pub decimals: usize,
    #[serde(default)]
    pub min_denominator: f64,
    #[serde(default = "public")]
    pub visibility: Visibility,
    pub source: Option<String>,
    pub year: Option<i32>,
    #[serde(default)]
    pub numerator: Vec<String>,
    #[serde(default)]
    pub denominator: Vec<String>,
    #[serde(default)]
    pub vintages: Vec<Vintage>,
    /// Two years to compare (absolute change and annual growth rate).
    pub evolution: Option<[i32; 2]>,
    pub approximation_weight: Option<Weight>,
}

fn one() -> usize {
    1
}
fn public() -> Visibility {
    Visibility::Public
}

/// A validated indicator.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Indicator {
    pub id: String,
    pub label: String,
    pub definition: String,
    pub theme: String,
    pub unit: String,
    pub kind: Kind,
    pub scale: f64,
    pub higher_is_better: Option<bool>,
    pub decimals: usize,
    pub min_denominator: f64,
    pub visibility: Visibility,
    pub vintages: Vec<Vintage>,
    pub evolution: Option<[i32; 2]>,
    pub approximation_weight: Option<Weight>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Strata {
    pub source: String,
    pub variable: String,
    /// Lower bounds of the population classes, ascending (`[0, 2000, 5000, …]`).
    pub classes: Vec<f64>,
    pub label: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCatalogue {
    region_code: String,
    region_name: String,
    /// France values with their publication: `indicator,year,value,source`.
    references: Option<PathBuf>,
    strata: Option<Strata>,
    #[serde(default)]
    sources: Vec<Source>,
    #[serde(default)]
    indicators: Vec<RawIndicator>,
}

/// A France value traced to a publication.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FranceReference {
    pub indicator: String,
    pub year: i32,
    pub value: f64,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Catalogue {
    pub path: PathBuf,
    pub region_code: String,
    pub region_name: String,
    pub strata: Option<Strata>,
    pub sources: Vec<Source>,
    pub indicators: Vec<Indicator>,
    pub france: Vec<FranceReference>,
}

impl Catalogue {
    pub fn load(path: &Path) -> Result<Catalogue> {
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::MissingFile {
                path: path.to_path_buf(),
                hint: "le catalogue est indiqué par la clé `indicators` de la configuration".into(),
            },
            _ => Error::Read {
                path: path.to_path_buf(),
                message: e.to_string(),
            },
        })?;
        Catalogue::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Catalogue> {
        let raw: RawCatalogue = toml::from_str(text).map_err(|e| Error::Catalogue {
            path: path.to_path_buf(),
            message: match culprit(text) {
                Some(c) => format!("{c} : {e}"),
                None => e.to_string(),
            },
        })?;
        let france = match &raw.references {
            Some(r) => read_references(&path.parent().unwrap_or(Path::new(".")).join(r))?,
            None => Vec::new(),
        };
        let mut sources_seen = HashSet::new();
        for s in &raw.sources {
            if !sources_seen.insert(s.id.clone()) {
                return Err(Error::Catalogue {
                    path: path.to_path_buf(),
                    message: format!("source « {} » déclarée deux fois", s.id),
                });
            }
            if let Some(r) = &s.resolve
                && r != "overlay"
            {
                return Err(Error::Catalogue {
                    path: path.to_path_buf(),
                    message: format!(
                        "source « {} » : resolve = \"{r}\" inconnu (seul \"overlay\" existe)",
                        s.id
                    ),
                });
            }
            if let Some(d) = &s.delimiter
                && d.len() != 1
            {
                return Err(Error::Catalogue {
                    path: path.to_path_buf(),
                    message: format!(
                        "source « {} » : delimiter doit être un seul caractère",
                        s.id
                    ),
                });
            }
        }
        let source = |id: &str| raw.sources.iter().find(|s| s.id == id);
        let mut seen = HashSet::new();
        let mut indicators = Vec::new();
        for r in raw.indicators {
            let field = |field: &str, message: String| Error::IndicatorField {
                path: path.to_path_buf(),
                indicator: r.id.clone(),
                field: field.into(),
                message,
            };
            if r.id.is_empty()
                || !r
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(field(
                    "id",
                    "identifiant vide ou avec des caractères autres que lettres, chiffres, _ et -"
                        .into(),
                ));
            }
            if !seen.insert(r.id.clone()) {
                return Err(field("id", "identifiant déjà utilisé".into()));
            }
            if r.label.trim().is_empty() {
                return Err(field("label", "libellé vide".into()));
            }
            if r.decimals > 6 {
                return Err(field(
                    "decimals",
                    format!("{} décimales : 6 au plus", r.decimals),
                ));
            }
            if r.min_denominator < 0.0 {
                return Err(field("min_denominator", "doit être positif".into()));
            }
            let mut vintages = r.vintages.clone();
            match (&r.source, r.year) {
                (Some(s), Some(y)) => vintages.insert(
                    0,
                    Vintage {
                        year: y,
                        source: s.clone(),
                        numerator: r.numerator.clone(),
                        denominator: r.denominator.clone(),
                        label: None,
                    },
                ),
                (None, None) => {}
                _ => {
                    return Err(field(
                        "source",
                        "`source` et `year` vont ensemble (ou utilisez [[indicators.vintages]])"
                            .into(),
                    ));
                }
            }
            if vintages.is_empty() {
                return Err(field(
                    "vintages",
                    "aucun millésime : indiquez source, year et numerator".into(),
                ));
            }
            let mut years = BTreeSet::new();
            for v in &vintages {
                let Some(src) = source(&v.source) else {
                    return Err(field("source", format!("source « {} » inconnue", v.source)));
                };
                if !years.insert(v.year) {
                    return Err(field("vintages", format!("millésime {} en double", v.year)));
                }
                if v.numerator.is_empty() {
                    return Err(field(
                        "numerator",
                        format!("millésime {} : numérateur vide", v.year),
                    ));
                }
                if r.kind.needs_denominator() && v.denominator.is_empty() {
                    return Err(field(
                        "denominator",
                        format!(
                            "un indicateur de type {:?} a besoin d'un dénominateur",
                            r.kind
                        )
                        .to_lowercase(),
                    ));
                }
                if !r.kind.needs_denominator() && !v.denominator.is_empty() {
                    return Err(field(
                        "denominator",
                        "seuls les taux et indices ont un dénominateur".into(),
                    ));
                }
                if r.kind == Kind::Median && v.numerator.len() != 1 {
                    return Err(field(
                        "numerator",
                        "un indicateur non additif (médiane…) est une seule variable publiée"
                            .into(),
                    ));
                }
                let _ = src;
            }
            if let Some([a, b]) = r.evolution {
                if !(years.contains(&a) && years.contains(&b)) || a >= b {
                    return Err(field(
                        "evolution",
                        format!("[{a}, {b}] : deux millésimes déclarés, le plus ancien d'abord"),
                    ));
                }
                let census = vintages
                    .iter()
                    .filter(|v| v.year == a || v.year == b)
                    .any(|v| source(&v.source).is_some_and(|s| s.census));
                if census && b - a < 5 {
                    return Err(field(
                        "evolution",
                        format!(
                            "{a} et {b} ne sont distants que de {} an(s) : les données du recensement (enquêtes annuelles tournantes) ne se comparent qu'à 5 ans d'écart au moins",
                            b - a
                        ),
                    ));
                }
            }
            if let Some(w) = &r.approximation_weight {
                if r.kind != Kind::Median {
                    return Err(field(
                        "approximation_weight",
                        "réservé aux indicateurs non additifs".into(),
                    ));
                }
                if source(&w.source).is_none() {
                    return Err(field(
                        "approximation_weight",
                        format!("source « {} » inconnue", w.source),
                    ));
                }
            }
            let scale = r
                .scale
                .unwrap_or(if matches!(r.kind, Kind::Rate | Kind::Index) {
                    100.0
                } else {
                    1.0
                });
            if !(scale.is_finite() && scale > 0.0) {
                return Err(field("scale", "doit être un nombre positif".into()));
            }
            vintages.sort_by_key(|v| v.year);
            indicators.push(Indicator {
                id: r.id,
                label: r.label,
                definition: r.definition,
                theme: r.theme,
                unit: r.unit,
                kind: r.kind,
                scale,
                higher_is_better: r.higher_is_better,
                decimals: r.decimals,
                min_denominator: r.min_denominator,
                visibility: r.visibility,
                vintages,
                evolution: r.evolution,
                approximation_weight: r.approximation_weight,
            });
        }
        if let Some(s) = &raw.strata {
            if source(&s.source).is_none() {
                return Err(Error::Catalogue {
                    path: path.to_path_buf(),
                    message: format!("strata : source « {} » inconnue", s.source),
                });
            }
            if s.classes.is_empty() || s.classes.windows(2).any(|w| w[0] >= w[1]) {
                return Err(Error::Catalogue {
                    path: path.to_path_buf(),
                    message: "strata.classes : bornes croissantes attendues".into(),
                });
            }
        }
        for f in &france {
            if !indicators.iter().any(|i| i.id == f.indicator) {
                return Err(Error::Catalogue {
                    path: path.to_path_buf(),
                    message: format!(
                        "valeur France pour l'indicateur inconnu « {} »",
                        f.indicator
                    ),
                });
            }
        }
        Ok(Catalogue {
            path: path.to_path_buf(),
            region_code: raw.region_code,
            region_name: raw.region_name,
            strata: raw.strata,
            sources: raw.sources,
            indicators,
            france,
        })
    }

    pub fn indicator(&self, id: &str) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.id == id)
    }

    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }
}

/// The indicator or source a TOML error lies in (`indicateur « chomage_15_64 »`), found by
/// reading each entry on its own: the TOML error gives a line, but for a key nested in a
/// sub-table (`[indicators.approximation_weight]`, `[[indicators.vintages]]`) that line does
/// not show which indicator it belongs to.
fn culprit(text: &str) -> Option<String> {
    let table: toml::Table = text.parse().ok()?;
    let entries = |list: &str| -> Vec<toml::Value> {
        table
            .get(list)
            .and_then(toml::Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let name =
        |what: &str, i: usize, item: &toml::Value| match item.get("id").and_then(|v| v.as_str()) {
            Some(id) => format!("{what} « {id} »"),
            None => format!("{what} n° {}", i + 1),
        };
    for (i, item) in entries("indicators").iter().enumerate() {
        if item.clone().try_into::<RawIndicator>().is_err() {
            return Some(name("indicateur", i, item));
        }
    }
    for (i, item) in entries("sources").iter().enumerate() {
        if item.clone().try_into::<Source>().is_err() {
            return Some(name("source", i, item));
        }
    }
    None
}

fn read_references(path: &Path) -> Result<Vec<FranceReference>> {
    let table = crate::table::read(path, &Default::default())?;
    let cols = ["indicator", "year", "value", "source"].map(|c| table.column(c));
    let [ci, cy, cv, cs] = [
        cols[0].as_ref(),
        cols[1].as_ref(),
        cols[2].as_ref(),
        cols[3].as_ref(),
    ];
    let (ci, cy, cv, cs) = (
        *ci.map_err(clone_err)?,
        *cy.map_err(clone_err)?,
        *cv.map_err(clone_err)?,
        *cs.map_err(clone_err)?,
    );
    let mut out = Vec::new();
    for (line, row) in &table.rows {
        let err = |m: &str| Error::Table {
            path: path.to_path_buf(),
            line: *line,
            message: m.to_string(),
        };
        let year = row[cy].parse().map_err(|_| err("année invalide"))?;
        let value = match crate::table::parse_cell(&row[cv]) {
            Some(crate::table::Cell::Value(v)) => v,
            _ => return Err(err("valeur invalide")),
        };
        if row[cs].trim().is_empty() {
            return Err(err(
                "une valeur France sans publication source n'est pas admise",
            ));
        }
        out.push(FranceReference {
            indicator: row[ci].clone(),
            year,
            value,
            source: row[cs].clone(),
        });
    }
    Ok(out)
}

fn clone_err(e: &Error) -> Error {
    Error::Catalogue {
        path: PathBuf::new(),
        message: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = r#"
region_code = "11"
region_name = "Île-de-France"

[[sources]]
id = "rp"
producer = "INSEE"
title = "RP"
path = "rp.csv"
geography = "iris"
key = "IRIS"
"#;

    /// A wrong key in a sub-table of an indicator: the TOML error shows only that key's line,
    /// the message also names the indicator.
    #[test]
    fn errors_in_sub_tables_name_the_indicator() {
        let text = format!(
            r#"{SOURCE}
[[indicators]]
id = "revenu"
label = "Revenu"
definition = "d"
theme = "t"
kind = "median"
source = "rp"
year = 2016
numerator = ["X"]

[indicators.approximation_weight]
a = "rate"
"#
        );
        let err = Catalogue::parse(Path::new("c.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains("indicateur « revenu »"), "{err}");
        assert!(err.contains("unknown field `a`"), "{err}");
        let bad_source = SOURCE.replace("geography = \"iris\"", "geography = \"canton\"");
        let err = Catalogue::parse(Path::new("c.toml"), &bad_source)
            .unwrap_err()
            .to_string();
        assert!(err.contains("source « rp »"), "{err}");
    }
}
