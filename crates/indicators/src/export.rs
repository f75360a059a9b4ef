//! The indicator table as users get it: CSV (RFC 4180, `.` decimals, one row per zone,
//! indicator and year), XLSX for French spreadsheet users (codes as text, French number formats,
//! a sheet of definitions and sources) and JSON. Withheld values have no number anywhere.
use serde_json::{Value, json};
use std::collections::HashMap;
use zones::{Bundle, Level};

use crate::catalogue::{Indicator, Kind};
use crate::compute::{IndicatorSet, Record};
use crate::error::{Error, Result};

pub const COLUMNS: [&str; 29] = [
    "level",
    "code",
    "name",
    "indicator",
    "year",
    "value",
    "numerator",
    "denominator",
    "ref_departement",
    "ref_region",
    "ref_france",
    "gap_departement",
    "index_departement",
    "status",
    "approximation",
    "gap_region",
    "index_region",
    "gap_france",
    "index_france",
    "ref_strate",
    "gap_strate",
    "index_strate",
    "strate",
    "rank",
    "rank_of",
    "evolution_from",
    "change",
    "annual_growth",
    "note",
];

/// Zone names by (level, code).
pub fn zone_names(bundle: &Bundle) -> HashMap<(Level, &str), &str> {
    let mut m = HashMap::new();
    for level in Level::NESTED {
        for z in bundle.zones(level) {
            m.insert((level, z.code.as_str()), z.name.as_str());
        }
    }
    for q in &bundle.qpv {
        m.insert((Level::Qpv, q.code.as_str()), q.name.as_str());
    }
    m
}

fn num(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => {
            let r = (x * 1e6).round() / 1e6;
            if r == r.trunc() && r.abs() < 1e15 {
                format!("{}", r as i64)
            } else {
                format!("{r}")
            }
        }
        _ => String::new(),
    }
}

/// One row of text per record, in [`COLUMNS`] order.
pub fn row(r: &Record, ind: &Indicator, name: &str) -> Vec<String> {
    let k = ind.kind;
    vec![
        r.level.key().to_string(),
        r.code.clone(),
        name.to_string(),
        r.indicator.clone(),
        r.year.to_string(),
        num(r.value),
        num(r.numerator),
        num(r.denominator),
        num(r.ref_departement),
        num(r.ref_region),
        num(r.ref_france),
        num(r.gap_departement(k)),
        num(r.index_departement(k)),
        r.status.key().to_string(),
        r.approximation.to_string(),
        num(r.gap_to(k, r.ref_region)),
        num(r.index_to(k, r.ref_region)),
        num(r.gap_to(k, r.ref_france)),
        num(r.index_to(k, r.ref_france)),
        num(r.ref_strate),
        num(r.gap_to(k, r.ref_strate)),
        num(r.index_to(k, r.ref_strate)),
        r.strate.clone().unwrap_or_default(),
        r.rank.map(|(a, _)| a.to_string()).unwrap_or_default(),
        r.rank.map(|(_, b)| b.to_string()).unwrap_or_default(),
        r.evolution_from.map(|y| y.to_string()).unwrap_or_default(),
        num(r.change),
        num(r.annual_growth),
        r.note.clone().unwrap_or_default(),
    ]
}

/// The selected records with their indicator.
pub fn selection<'a>(
    set: &'a IndicatorSet,
    level: Level,
    indicator: Option<&'a str>,
    year: Option<i32>,
    internal: bool,
) -> Vec<(&'a Record, &'a Indicator)> {
    set.select(level, indicator, year, internal)
        .filter_map(|r| set.indicator(&r.indicator).map(|i| (r, i)))
        .collect()
}

pub fn csv(
    set: &IndicatorSet,
    bundle: &Bundle,
    level: Level,
    indicator: Option<&str>,
    year: Option<i32>,
    internal: bool,
) -> Result<Vec<u8>> {
    let names = zone_names(bundle);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS)
        .map_err(|e| Error::Export(e.to_string()))?;
    for (r, ind) in selection(set, level, indicator, year, internal) {
        let name = names
            .get(&(r.level, r.code.as_str()))
            .copied()
            .unwrap_or_default();
        w.write_record(row(r, ind, name))
            .map_err(|e| Error::Export(e.to_string()))?;
    }
    w.into_inner().map_err(|e| Error::Export(e.to_string()))
}

pub fn indicator_json(ind: &Indicator, set: &IndicatorSet) -> Value {
    let sources: Vec<Value> = ind
        .vintages
        .iter()
        .filter_map(|v| set.sources.iter().find(|s| s.id == v.source).map(|s| json!({"year": v.year, "label": v.label, "producer": s.producer, "title": s.title, "url": s.url})))
        .collect();
    json!({
        "id": ind.id, "label": ind.label, "definition": ind.definition, "theme": ind.theme, "unit": ind.unit,
        "kind": ind.kind, "higher_is_better": ind.higher_is_better, "decimals": ind.decimals,
        "min_denominator": ind.min_denominator, "visibility": ind.visibility,
        "years": ind.vintages.iter().map(|v| v.year).collect::<Vec<_>>(), "evolution": ind.evolution, "sources": sources,
    })
}

pub fn json(
    set: &IndicatorSet,
    bundle: &Bundle,
    level: Level,
    indicator: Option<&str>,
    year: Option<i32>,
    internal: bool,
) -> Value {
    let names = zone_names(bundle);
    let sel = selection(set, level, indicator, year, internal);
    let mut used: Vec<&Indicator> = Vec::new();
    for (_, i) in &sel {
        if !used.iter().any(|u| u.id == i.id) {
            used.push(i);
        }
    }
    let records: Vec<Value> = sel
        .iter()
        .map(|(r, ind)| {
            let row = row(
                r,
                ind,
                names
                    .get(&(r.level, r.code.as_str()))
                    .copied()
                    .unwrap_or_default(),
            );
            let mut obj = serde_json::Map::new();
            for (k, v) in COLUMNS.iter().zip(row) {
                let value = match *k {
                    "level" | "code" | "name" | "indicator" | "status" | "strate" | "note" => {
                        Value::String(v)
                    }
                    "approximation" => Value::Bool(v == "true"),
                    _ if v.is_empty() => Value::Null,
                    _ => v
                        .parse::<f64>()
                        .map(|f| json!(f))
                        .unwrap_or(Value::String(v)),
                };
                obj.insert(k.to_string(), value);
            }
            Value::Object(obj)
        })
        .collect();
    json!({
        "territoire": bundle.meta.name,
        "region": set.region_name,
        "level": level.key(),
        "illustrative_composition": bundle.meta.illustrative_composition,
        "indicators": used.iter().map(|i| indicator_json(i, set)).collect::<Vec<_>>(),
        "records": records,
    })
}

pub fn xlsx(
    set: &IndicatorSet,
    bundle: &Bundle,
    level: Level,
    indicator: Option<&str>,
    year: Option<i32>,
    internal: bool,
) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let x = |e: rust_xlsxwriter::XlsxError| Error::Export(e.to_string());
    let names = zone_names(bundle);
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let text = Format::new().set_num_format("@");
    let formats: Vec<Format> = (0..=6)
        .map(|d| {
            Format::new().set_num_format(if d == 0 {
                "#,##0".to_string()
            } else {
                format!("#,##0.{}", "0".repeat(d))
            })
        })
        .collect();
    let sheet = wb.add_worksheet().set_name("Indicateurs").map_err(x)?;
    let headers = [
        "Niveau",
        "Code",
        "Nom",
        "Indicateur",
        "Année",
        "Valeur",
        "Numérateur",
        "Dénominateur",
        "Département",
        "Région",
        "France",
        "Écart au département (points)",
        "Indice (département = 100)",
        "Statut",
        "Approximation",
        "Rang",
        "Sur",
        "Évolution depuis",
        "Variation",
        "Taux annuel (%)",
        "Note",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *h, &bold)
            .map_err(x)?;
    }
    for (i, (r, ind)) in selection(set, level, indicator, year, internal)
        .into_iter()
        .enumerate()
    {
        let row = i as u32 + 1;
        let f = &formats[ind.decimals.min(6)];
        let k = ind.kind;
        sheet.write_string(row, 0, r.level.label()).map_err(x)?;
        // Codes as text: 01004 keeps its zero.
        sheet
            .write_string_with_format(row, 1, &r.code, &text)
            .map_err(x)?;
        sheet
            .write_string(
                row,
                2,
                names
                    .get(&(r.level, r.code.as_str()))
                    .copied()
                    .unwrap_or_default(),
            )
            .map_err(x)?;
        sheet.write_string(row, 3, &ind.label).map_err(x)?;
        sheet.write_number(row, 4, f64::from(r.year)).map_err(x)?;
        let cells = [
            r.value,
            r.numerator,
            r.denominator,
            r.ref_departement,
            r.ref_region,
            r.ref_france,
            r.gap_departement(k),
            r.index_departement(k),
        ];
        for (c, v) in cells.iter().enumerate() {
            if let Some(v) = v {
                let fmt = if c == 1 || c == 2 { &formats[1] } else { f };
                sheet
                    .write_number_with_format(row, 5 + c as u16, *v, fmt)
                    .map_err(x)?;
            }
        }
        let status = if r.status == crate::Status::Ok {
            ""
        } else {
            r.status.label()
        };
        sheet.write_string(row, 13, status).map_err(x)?;
        sheet
            .write_string(row, 14, if r.approximation { "oui" } else { "" })
            .map_err(x)?;
        if let Some((a, b)) = r.rank {
            sheet.write_number(row, 15, f64::from(a)).map_err(x)?;
            sheet.write_number(row, 16, f64::from(b)).map_err(x)?;
        }
        if let Some(y) = r.evolution_from {
            sheet.write_number(row, 17, f64::from(y)).map_err(x)?;
        }
        if let Some(v) = r.change {
            sheet.write_number_with_format(row, 18, v, f).map_err(x)?;
        }
        if let Some(v) = r.annual_growth {
            sheet
                .write_number_with_format(row, 19, v, &formats[2])
                .map_err(x)?;
        }
        sheet
            .write_string(row, 20, r.note.as_deref().unwrap_or_default())
            .map_err(x)?;
    }
    sheet.set_freeze_panes(1, 3).map_err(x)?;
    let defs = wb.add_worksheet().set_name("Définitions").map_err(x)?;
    for (c, h) in [
        "Identifiant",
        "Libellé",
        "Définition",
        "Thème",
        "Unité",
        "Type",
        "Millésimes",
        "Sources",
        "Sens favorable",
        "Effectif minimum",
        "Diffusion",
    ]
    .iter()
    .enumerate()
    {
        defs.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(x)?;
    }
    let listed: Vec<&Indicator> = set
        .indicators
        .iter()
        .filter(|i| {
            (internal || i.visibility == crate::Visibility::Public)
                && indicator.is_none_or(|id| id == i.id)
        })
        .collect();
    for (i, ind) in listed.iter().enumerate() {
        let row = i as u32 + 1;
        let sources: Vec<String> = ind
            .vintages
            .iter()
            .filter_map(|v| {
                set.sources.iter().find(|s| s.id == v.source).map(|s| {
                    format!(
                        "{} : {} ({})",
                        v.label.clone().unwrap_or_else(|| v.year.to_string()),
                        s.title,
                        s.producer
                    )
                })
            })
            .collect();
        let kind = match ind.kind {
            Kind::Rate => "taux (rapport de sommes)",
            Kind::Count => "effectif",
            Kind::Density => "densité",
            Kind::Median => "non additif (médiane, taux publié)",
            Kind::Index => "indice",
        };
        let sense = match ind.higher_is_better {
            Some(true) => "plus élevé = plus favorable",
            Some(false) => "plus élevé = moins favorable",
            None => "",
        };
        let years: Vec<String> = ind.vintages.iter().map(|v| v.year.to_string()).collect();
        for (c, v) in [
            ind.id.as_str(),
            &ind.label,
            &ind.definition,
            &ind.theme,
            &ind.unit,
            kind,
            &years.join(", "),
            &sources.join(" ; "),
            sense,
        ]
        .iter()
        .enumerate()
        {
            defs.write_string(row, c as u16, *v).map_err(x)?;
        }
        defs.write_number(row, 9, ind.min_denominator).map_err(x)?;
        defs.write_string(
            row,
            10,
            if ind.visibility == crate::Visibility::Internal {
                "interne"
            } else {
                "publique"
            },
        )
        .map_err(x)?;
    }
    let note = wb.add_worksheet().set_name("Notes").map_err(x)?;
    note.write_string(0, 0, "Taux : rapport des sommes des numérateurs et dénominateurs de la zone (jamais une moyenne de taux).").map_err(x)?;
    note.write_string(1, 0, "Valeurs non diffusées : secret statistique, effectif insuffisant ou donnée non disponible ; aucune valeur n'est alors donnée.").map_err(x)?;
    if bundle.meta.illustrative_composition {
        note.write_string(
            2,
            0,
            "La composition des Espaces de Solidarité et des territoires est ILLUSTRATIVE.",
        )
        .map_err(x)?;
    }
    note.write_string(3, 0, "Traitement : Observatoire social du Val-de-Marne.")
        .map_err(x)?;
    wb.save_to_buffer().map_err(x)
}
