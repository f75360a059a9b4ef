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

/// Most cells a spreadsheet table may have once laid out as rows × columns (several times the
/// largest INSEE base of France's IRIS): a sheet whose used cells span more is refused rather
/// than allocated.
pub const MAX_SHEET_CELLS: usize = 30_000_000;

fn read_spreadsheet(path: &Path, opts: &TableOptions) -> Result<RawTable> {
    use calamine::{Data, Reader, Sheets, open_workbook_auto};
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
    let sheet_err = |e: String| err(format!("feuille « {sheet} » : {e}"));
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
    // The used cells, sparse: calamine's dense `worksheet_range` would allocate the whole
    // rectangle they span (two cells at A1 and XFD1048576: 17 billion cells) and abort.
    let mut cells: Vec<(u32, u32, String)> = Vec::new();
    match &mut wb {
        Sheets::Xlsx(x) => {
            let mut reader = x
                .worksheet_cells_reader(&sheet)
                .map_err(|e| sheet_err(e.to_string()))?;
            while let Some(c) = reader.next_cell().map_err(|e| sheet_err(e.to_string()))? {
                let t = text(&Data::from(c.get_value().clone()));
                if !t.trim().is_empty() {
                    let (r, col) = c.get_position();
                    cells.push((r, col, t));
                }
            }
        }
        other => {
            let range = other
                .worksheet_range(&sheet)
                .map_err(|e| sheet_err(e.to_string()))?;
            let (r0, c0) = range.start().unwrap_or((0, 0));
            for (r, c, d) in range.used_cells() {
                let t = text(d);
                if !t.trim().is_empty() {
                    cells.push((r0 + r as u32, c0 + c as u32, t));
                }
            }
        }
    }
    let (header, rows) = rows_of_cells(cells).map_err(sheet_err)?;
    Ok(RawTable {
        path: path.to_path_buf(),
        header,
        rows,
        geometries: None,
    })
}

/// Lay out used cells `(row, column, text)` as a table: the first used row is the header,
/// columns run from the first to the last used column, rows without any cell are skipped, and
/// each row carries its line in the sheet (from 1).
#[allow(clippy::type_complexity)]
fn rows_of_cells(
    mut cells: Vec<(u32, u32, String)>,
) -> std::result::Result<(Vec<String>, Vec<(u64, Vec<String>)>), String> {
    if cells.is_empty() {
        return Err("feuille vide".into());
    }
    cells.sort_by_key(|(r, c, _)| (*r, *c));
    let first_col = cells.iter().map(|c| c.1).min().unwrap_or(0);
    let last_col = cells.iter().map(|c| c.1).max().unwrap_or(0);
    let width = (last_col - first_col) as usize + 1;
    let mut lines: Vec<u32> = cells.iter().map(|c| c.0).collect();
    lines.dedup();
    if lines.len().saturating_mul(width) > MAX_SHEET_CELLS {
        return Err(format!(
            "table trop grande : {} lignes × {width} colonnes (au plus {} millions de cellules)",
            lines.len(),
            MAX_SHEET_CELLS / 1_000_000
        ));
    }
    let mut table: Vec<(u64, Vec<String>)> = Vec::with_capacity(lines.len());
    for (r, c, t) in cells {
        if table
            .last()
            .is_none_or(|(line, _)| *line != u64::from(r) + 1)
        {
            table.push((u64::from(r) + 1, vec![String::new(); width]));
        }
        if let Some((_, row)) = table.last_mut() {
            row[(c - first_col) as usize] = t.trim().to_string();
        }
    }
    let mut rows = table.into_iter();
    let header = rows.next().map(|(_, h)| h).unwrap_or_default();
    Ok((header, rows.collect()))
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
    fn sheet_cells_are_laid_out_sparsely() {
        let cell = |r: u32, c: u32, t: &str| (r, c, t.to_string());
        let (header, rows) = rows_of_cells(vec![
            cell(1, 2, "P"),
            cell(1, 1, "CODGEO"),
            cell(2, 1, "94028"),
            cell(7, 2, " 12,5 "),
        ])
        .unwrap();
        assert_eq!(header, ["CODGEO", "P"]);
        assert_eq!(
            rows,
            [
                (3, vec!["94028".to_string(), String::new()]),
                (8, vec![String::new(), "12,5".to_string()])
            ]
        );
        // Opposite corners of a sheet: three rows, not 17 billion cells.
        let (header, rows) =
            rows_of_cells(vec![cell(0, 0, "A"), cell(1_048_575, 16_383, "1")]).unwrap();
        assert_eq!((header.len(), rows.len()), (16_384, 1));
        let mut many: Vec<_> = (0..2_000).map(|r| cell(r, 0, "x")).collect();
        many.push(cell(0, 16_383, "far"));
        assert!(rows_of_cells(many).unwrap_err().contains("trop grande"));
        assert!(rows_of_cells(Vec::new()).is_err());
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
