//! Source tables as INSEE publishes them: CSV (`;` or `,`, decimal comma or point, UTF-8 with
//! or without BOM, or Latin-1), XLSX (calamine), or the properties of a GeoJSON. Codes stay
//! text; `s`, `nd`, `ns` and empty cells keep their meaning, never read as zero; weighted
//! decimal counts keep their decimals.
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A cell of a numeric column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell {
    Value(f64),
    /// `s`: withheld by INSEE for statistical secrecy.
    Secret,
    /// `nd`, empty, `null`: not available.
    NotAvailable,
    /// `ns`: not significant.
    NotSignificant,
}

/// Parse a numeric cell; `None` for text that is neither a number nor a known marker.
pub fn parse_cell(raw: &str) -> Option<Cell> {
    // Fast path, no allocation: a plain number.
    if let Ok(v) = raw.parse::<f64>() {
        return v.is_finite().then_some(Cell::Value(v));
    }
    let t = raw.trim().trim_matches('"').trim();
    match t.to_ascii_lowercase().as_str() {
        "" | "nd" | "null" | "na" | "n/a" => return Some(Cell::NotAvailable),
        "s" | "secret" => return Some(Cell::Secret),
        "ns" => return Some(Cell::NotSignificant),
        _ => {}
    }
    let cleaned: String = t
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .collect();
    let normalised = if cleaned.contains(',') && !cleaned.contains('.') {
        cleaned.replace(',', ".")
    } else {
        cleaned
    };
    match normalised.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(Cell::Value(v)),
        _ => None,
    }
}

/// A table read as text, with the line of each row for messages.
#[derive(Debug, Clone)]
pub struct RawTable {
    pub path: PathBuf,
    pub header: Vec<String>,
    pub rows: Vec<(u64, Vec<String>)>,
    /// Source geometry per row (GeoJSON sources), Lambert-93, for geography changes.
    pub geometries: Option<Vec<geo::MultiPolygon<f64>>>,
}

impl RawTable {
    pub fn column(&self, name: &str) -> Result<usize> {
        self.header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| Error::Table {
                path: self.path.clone(),
                line: 1,
                message: format!(
                    "colonne « {name} » absente (colonnes : {}{})",
                    self.header
                        .iter()
                        .take(20)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", "),
                    if self.header.len() > 20 { ", …" } else { "" }
                ),
            })
    }

    /// Row indices by the text of column `key`; duplicates are kept in the list.
    pub fn index_by(&self, key: usize) -> HashMap<&str, Vec<usize>> {
        let mut m: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, (_, row)) in self.rows.iter().enumerate() {
            if let Some(k) = row.get(key) {
                m.entry(k.as_str()).or_default().push(i);
            }
        }
        m
    }
}

/// How to read a source table.
#[derive(Debug, Clone, Default)]
pub struct TableOptions {
    pub delimiter: Option<u8>,
    pub encoding: Option<String>,
    pub sheet: Option<String>,
}

pub fn read(path: &Path, opts: &TableOptions) -> Result<RawTable> {
    if !path.is_file() {
        return Err(Error::MissingFile {
            path: path.to_path_buf(),
            hint: "téléchargez la table sur insee.fr (bases infracommunales, populations légales…) et indiquez son chemin dans le catalogue".into(),
        });
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match ext.as_str() {
        "xlsx" | "xlsm" | "xls" | "ods" => read_spreadsheet(path, opts),
        "geojson" | "json" => read_geojson(path),
        _ => read_csv(path, opts),
    }
}

/// Decode bytes: UTF-8 (BOM stripped) if valid, else the configured or Latin-1 encoding.
pub fn decode(bytes: &[u8], forced: Option<&str>) -> std::result::Result<String, String> {
    if let Some(label) = forced {
        let enc = zones::source::encoding::from_label(label)
            .ok_or_else(|| format!("encodage inconnu « {label} »"))?;
        let (text, _, _) = enc.decode(bytes);
        return Ok(text.trim_start_matches('\u{feff}').to_string());
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(s.trim_start_matches('\u{feff}').to_string()),
        Err(_) => Ok(encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned()),
    }
}

pub fn read_csv(path: &Path, opts: &TableOptions) -> Result<RawTable> {
    let bytes = std::fs::read(path).map_err(|e| Error::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let text = decode(&bytes, opts.encoding.as_deref()).map_err(|m| Error::Read {
        path: path.to_path_buf(),
        message: m,
    })?;
    parse_csv(path, &text, opts.delimiter)
}

/// Parse CSV text; the delimiter is `;` when the header has more `;` than `,`.
pub fn parse_csv(path: &Path, text: &str, delimiter: Option<u8>) -> Result<RawTable> {
    let first = text.lines().next().unwrap_or_default();
    let delimiter = delimiter.unwrap_or(
        if first.matches(';').count() >= first.matches(',').count() {
            b';'
        } else {
            b','
        },
    );
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = rdr
        .headers()
        .map_err(|e| Error::Table {
            path: path.to_path_buf(),
            line: 1,
            message: e.to_string(),
        })?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    if header.is_empty() || header.iter().all(String::is_empty) {
        return Err(Error::Table {
            path: path.to_path_buf(),
            line: 1,
            message: "en-tête vide".into(),
        });
    }
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| Error::Table {
            path: path.to_path_buf(),
            line: e.position().map(|p| p.line()).unwrap_or(0),
            message: e.to_string(),
        })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        if rec.len() != header.len() {
            return Err(Error::Table {
                path: path.to_path_buf(),
                line,
                message: format!(
                    "{} champs au lieu de {} (séparateur « {} »)",
                    rec.len(),
                    header.len(),
                    delimiter as char
                ),
            });
        }
        rows.push((line, rec.iter().map(|c| c.trim().to_string()).collect()));
    }
    Ok(RawTable {
        path: path.to_path_buf(),
        header,
        rows,
        geometries: None,
    })
}

fn read_spreadsheet(path: &Path, opts: &TableOptions) -> Result<RawTable> {
    use calamine::{Data, Reader, open_workbook_auto};
    let err = |m: String| Error::Read {
        path: path.to_path_buf(),
        message: m,
    };
    let mut wb = open_workbook_auto(path).map_err(|e| err(e.to_string()))?;
    let sheet = match &opts.sheet {
        Some(s) => s.clone(),
        None => wb
            .sheet_names()
            .first()
            .cloned()
            .ok_or_else(|| err("classeur sans feuille".into()))?,
    };
    let range = wb
        .worksheet_range(&sheet)
        .map_err(|e| err(format!("feuille « {sheet} » : {e}")))?;
    let text = |d: &Data| -> String {
        match d {
            Data::Empty => String::new(),
            Data::String(s) => s.clone(),
            // Integral floats are written without ".0" so that numeric codes stay codes.
            Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
            Data::Float(f) => f.to_string(),
            Data::Int(i) => i.to_string(),
            Data::Bool(b) => b.to_string(),
            other => other.to_string(),
        }
    };
    let mut it = range.rows();
    let header: Vec<String> = it
        .next()
        .map(|r| r.iter().map(|c| text(c).trim().to_string()).collect())
        .ok_or_else(|| err("feuille vide".into()))?;
    let rows = it
        .enumerate()
        .map(|(i, r)| {
            (
                i as u64 + 2,
                r.iter().map(|c| text(c).trim().to_string()).collect(),
            )
        })
        .collect();
    Ok(RawTable {
        path: path.to_path_buf(),
        header,
        rows,
        geometries: None,
    })
}

fn read_geojson(path: &Path) -> Result<RawTable> {
    let layer = zones::source::read_layer(path, &zones::source::ReadOptions::default())?
        .into_crs(zones::crs::Crs::Lambert93)?;
    let mut header: Vec<String> = Vec::new();
    for f in &layer.features {
        for k in f.attributes.keys() {
            if !header.contains(k) {
                header.push(k.clone());
            }
        }
    }
    let rows = layer
        .features
        .iter()
        .map(|f| {
            (
                f.record as u64,
                header
                    .iter()
                    .map(|h| f.attributes.get(h).cloned().unwrap_or_default())
                    .collect(),
            )
        })
        .collect();
    let geometries = Some(layer.features.into_iter().map(|f| f.geometry).collect());
    Ok(RawTable {
        path: path.to_path_buf(),
        header,
        rows,
        geometries,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_keep_their_meaning() {
        assert_eq!(parse_cell("1413,2"), Some(Cell::Value(1413.2)));
        assert_eq!(parse_cell("1413.2"), Some(Cell::Value(1413.2)));
        assert_eq!(parse_cell("1 234,5"), Some(Cell::Value(1234.5)));
        assert_eq!(parse_cell("s"), Some(Cell::Secret));
        assert_eq!(parse_cell("nd"), Some(Cell::NotAvailable));
        assert_eq!(parse_cell(""), Some(Cell::NotAvailable));
        assert_eq!(parse_cell("ns"), Some(Cell::NotSignificant));
        assert_eq!(parse_cell("abc"), None);
        assert_eq!(parse_cell("NaN"), None);
    }

    #[test]
    fn csv_dialects() {
        let t = parse_csv(Path::new("x.csv"), "CODGEO;P\n01004;1413,2\n", None).unwrap();
        assert_eq!(t.rows[0].1, vec!["01004", "1413,2"]);
        let t = parse_csv(Path::new("x.csv"), "CODGEO,P\n01004,1413.2\n", None).unwrap();
        assert_eq!(t.rows[0].1[0], "01004");
        let latin1 = decode(b"COM;LIB\n94028;Cr\xe9teil\n", None).unwrap();
        assert!(latin1.contains("Créteil"));
        let bom = decode("\u{feff}A;B\n".as_bytes(), None).unwrap();
        assert!(bom.starts_with("A;B"));
        let err = parse_csv(Path::new("x.csv"), "A;B\n1;2;3\n", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("ligne 2"), "{err}");
    }
}
