//! The classes of a choropleth and everything its legend shows, computed exactly as the web
//! map's `/api/classify` computes them (same methods, same default class count, same
//! palettes from `styles/palettes.toml`), so a map exported from the page looks like the page.
use std::collections::HashMap;

use indicators::classify::{Method, classify, default_class_count, parse_breaks};
use indicators::{Indicator, IndicatorSet, Kind, Record, Visibility};
use zones::Level;

use crate::error::{Error, Result};

/// How the classes are chosen.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum ClassSpec {
    /// Quantiles, `round(1 + 3.3·log10(n))` classes (the web map's default).
    #[default]
    Default,
    /// A method and, optionally, a class count (`jenks:5`, `q6`, `diverging:4`).
    Method { method: String, k: Option<usize> },
    /// Breaks pasted as `0 - 10 - 20 - 30`.
    Breaks(String),
}

impl ClassSpec {
    /// Parse `METHOD[:N]` (`quantiles:5`, `jenks:6`, `q6`, `diverging:4`).
    pub fn parse(s: &str) -> Result<ClassSpec> {
        let s = s.trim();
        let (m, k) = match s.split_once(':') {
            Some((m, k)) => {
                let k: usize = k.trim().parse().map_err(|_| {
                    Error::Classes(format!(
                        "nombre de classes « {k} » illisible dans « {s} » (par exemple jenks:5)"
                    ))
                })?;
                if !(1..=9).contains(&k) {
                    return Err(Error::Classes(format!(
                        "{k} classes demandées : de 1 à 9 (au-delà, les couleurs ne se distinguent plus)"
                    )));
                }
                (m.trim(), Some(k))
            }
            None => (s, None),
        };
        if m.is_empty() {
            return Err(Error::Classes(
                "méthode absente (quantiles, equal, jenks, q6, msd, geom, headtail, nested_means, diverging)".into(),
            ));
        }
        if m != "diverging" {
            Method::parse(m)?;
        }
        Ok(ClassSpec::Method {
            method: m.to_string(),
            k,
        })
    }
}

/// Reference values of the indicator, for the legend's markers and the atlas tables.
#[derive(Debug, Clone, PartialEq)]
pub struct References {
    pub departement: Option<f64>,
    pub region: Option<f64>,
    pub france: Option<f64>,
}

/// Classes, colours and counts of one indicator on one level and year.
#[derive(Debug, Clone)]
pub struct Legend {
    pub indicator: Indicator,
    pub level: Level,
    pub year: i32,
    /// Key of the method (`quantiles`, `jenks`, `manual`, `diverging`…).
    pub method: String,
    /// `counts.len() + 1` breaks; class i is `[breaks[i] ; breaks[i+1][`, the last closed.
    pub breaks: Vec<f64>,
    pub counts: Vec<usize>,
    pub colors: Vec<String>,
    pub palette: String,
    pub missing_color: String,
    /// Zones with no value (secret, insufficient, not available).
    pub missing_count: usize,
    pub references: References,
    /// Some values are approximations (apportioned or weighted), said under the legend.
    pub approximations: bool,
    /// Class of each zone code (`None`: no value).
    pub class_of: HashMap<String, Option<usize>>,
}

impl Legend {
    /// Colour of a zone: its class colour, or the colour of missing values.
    pub fn color_of(&self, code: &str) -> &str {
        match self.class_of.get(code) {
            Some(Some(i)) => &self.colors[*i],
            _ => &self.missing_color,
        }
    }
}

/// The indicator `id`, visible to this audience (an internal indicator does not exist for
/// the public: the error is the one of an unknown id).
pub fn find_indicator<'a>(
    set: &'a IndicatorSet,
    id: &str,
    internal: bool,
) -> Result<&'a Indicator> {
    set.indicator(id)
        .filter(|i| internal || i.visibility == Visibility::Public)
        .ok_or_else(|| Error::UnknownIndicator {
            id: id.to_string(),
            available: set
                .indicators
                .iter()
                .filter(|i| internal || i.visibility == Visibility::Public)
                .map(|i| i.id.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}

/// The year asked for, checked, or the latest one.
pub fn resolve_year(ind: &Indicator, year: Option<i32>) -> Result<i32> {
    let available = || {
        ind.vintages
            .iter()
            .map(|v| v.year.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match year {
        Some(y) if ind.vintages.iter().any(|v| v.year == y) => Ok(y),
        Some(y) => Err(Error::UnknownYear {
            indicator: ind.id.clone(),
            year: y,
            available: available(),
        }),
        None => ind
            .vintages
            .last()
            .map(|v| v.year)
            .ok_or(Error::UnknownYear {
                indicator: ind.id.clone(),
                year: 0,
                available: available(),
            }),
    }
}

/// Compute the legend of `indicator` on `level` (the records of `set`), as `/api/classify`.
pub fn legend(
    set: &IndicatorSet,
    level: Level,
    indicator: &str,
    year: Option<i32>,
    spec: &ClassSpec,
    palette: Option<&str>,
    internal: bool,
) -> Result<Legend> {
    let ind = find_indicator(set, indicator, internal)?;
    let year = resolve_year(ind, year)?;
    let records: Vec<&Record> = set
        .select(level, Some(&ind.id), Some(year), internal)
        .collect();
    let values: Vec<f64> = records.iter().filter_map(|r| r.value).collect();
    if values.is_empty() {
        return Err(Error::NoValues {
            indicator: ind.id.clone(),
            level: level.key().into(),
            year,
        });
    }
    let first = records.first();
    let dep = first.and_then(|r| r.ref_departement);
    let (method, k) = match spec {
        ClassSpec::Breaks(b) => (Method::Manual(parse_breaks(b)?), None),
        ClassSpec::Method { method, k } if method == "diverging" => (
            Method::Diverging {
                center: dep.ok_or_else(|| {
                    Error::Classes("pas de valeur départementale pour centrer les classes".into())
                })?,
            },
            *k,
        ),
        ClassSpec::Method { method, k } => (Method::parse(method)?, *k),
        ClassSpec::Default => (Method::Quantiles, None),
    };
    let k = k
        .unwrap_or_else(|| default_class_count(values.len()))
        .clamp(1, 9);
    let classes = classify(&values, &method, k)?;
    let diverging = matches!(method, Method::Diverging { .. });
    let palette = palette.map(str::to_string).unwrap_or_else(|| {
        indicators::palette::default_for(ind.higher_is_better, diverging).into()
    });
    let colors = indicators::palette::colors(&palette, classes.counts.len())?;
    let class_of = records
        .iter()
        .map(|r| (r.code.clone(), r.value.and_then(|v| classes.class_of(v))))
        .collect();
    Ok(Legend {
        indicator: ind.clone(),
        level,
        year,
        method: classes.method,
        breaks: classes.breaks,
        counts: classes.counts,
        colors,
        palette,
        missing_color: indicators::palette::missing_color().to_string(),
        missing_count: records.iter().filter(|r| r.value.is_none()).count(),
        references: References {
            departement: dep,
            region: first.and_then(|r| r.ref_region),
            france: first.and_then(|r| r.ref_france),
        },
        approximations: records.iter().any(|r| r.approximation),
        class_of,
    })
}

/// Refuse counts on a choropleth (they belong in proportional symbols).
pub fn check_mappable(ind: &Indicator) -> Result<()> {
    if ind.kind == Kind::Count {
        return Err(Error::CountIndicator(ind.id.clone()));
    }
    Ok(())
}

/// French name of a classification method.
pub fn method_label(key: &str) -> &'static str {
    match key {
        "quantiles" => "quantiles",
        "equal" => "amplitudes égales",
        "jenks" => "seuils naturels (Jenks)",
        "q6" => "Q6",
        "msd" => "moyenne et écart type",
        "geom" => "progression géométrique",
        "headtail" => "head/tail",
        "nested_means" => "moyennes emboîtées",
        "manual" => "seuils choisis",
        "diverging" => "écarts à la valeur départementale",
        _ => "classes",
    }
}

/// Decimals that tell every break apart: the indicator's, more if two breaks would print the
/// same (at most 3 more).
pub fn break_decimals(breaks: &[f64], base: usize) -> usize {
    (base..=base + 3)
        .find(|&d| {
            let s: Vec<String> = breaks
                .iter()
                .map(|b| indicators::format::number(*b, d))
                .collect();
            s.windows(2).all(|w| w[0] != w[1])
        })
        .unwrap_or(base + 3)
}

/// Interval labels, left-closed `[a ; b[`, the last closed `[a ; b]`, in French numbers.
pub fn interval_labels(breaks: &[f64], decimals: usize) -> Vec<String> {
    let n = breaks.len().saturating_sub(1);
    (0..n)
        .map(|i| {
            let close = if i + 1 == n { "]" } else { "[" };
            format!(
                "[{} ; {}{close}",
                indicators::format::number(breaks[i], decimals),
                indicators::format::number(breaks[i + 1], decimals)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        assert_eq!(
            ClassSpec::parse("jenks:5").unwrap(),
            ClassSpec::Method {
                method: "jenks".into(),
                k: Some(5)
            }
        );
        assert!(matches!(
            ClassSpec::parse("q6").unwrap(),
            ClassSpec::Method { k: None, .. }
        ));
        assert!(ClassSpec::parse("diverging:4").is_ok());
        for bad in ["", "jenks:", "jenks:0", "jenks:12", "magic:3", ":3"] {
            assert!(ClassSpec::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn labels() {
        let l = interval_labels(&[0.0, 10.0, 12.5], 1);
        assert_eq!(l, vec!["[0,0 ; 10,0[", "[10,0 ; 12,5]"]);
        assert_eq!(break_decimals(&[10.01, 10.04, 11.0], 1), 2);
    }
}
