//! The composition of Espaces de Solidarité and territoires: which ES each IRIS belongs to
//! (rows per IRIS, or per commune meaning all its IRIS), the ES directory and the territoires.
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// One Espace de Solidarité of the directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EsEntry {
    pub code: String,
    pub name: String,
    pub territoire: String,
    pub address: String,
    pub hours: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TerritoireEntry {
    pub code: String,
    pub name: String,
}

/// A row of the IRIS → ES table, with its line for messages.
#[derive(Debug, Clone)]
pub struct CompositionRow {
    pub line: u64,
    pub code: String,
    pub es: String,
}

#[derive(Debug, Clone)]
pub struct Composition {
    pub path: PathBuf,
    pub rows: Vec<CompositionRow>,
    pub es: Vec<EsEntry>,
    pub territoires: Vec<TerritoireEntry>,
}

fn reader(path: &Path) -> Result<csv::Reader<std::fs::File>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    Ok(csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(file))
}

/// Read a CSV whose header must contain `columns`; returns rows of those columns with lines.
fn read_table(path: &Path, columns: &[&str]) -> Result<Vec<(u64, Vec<String>)>> {
    let mut rdr = reader(path)?;
    let headers = rdr
        .headers()
        .map_err(|e| Error::Table {
            path: path.to_path_buf(),
            line: 1,
            message: e.to_string(),
        })?
        .clone();
    let idx: Vec<usize> = columns
        .iter()
        .map(|c| {
            headers
                .iter()
                .position(|h| h.trim_start_matches('\u{feff}') == *c)
                .ok_or_else(|| Error::Table {
                    path: path.to_path_buf(),
                    line: 1,
                    message: format!(
                        "colonne « {c} » absente de l'en-tête (colonnes attendues : {})",
                        columns.join(", ")
                    ),
                })
        })
        .collect::<Result<_>>()?;
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| Error::Table {
            path: path.to_path_buf(),
            line: e.position().map(|p| p.line()).unwrap_or(0),
            message: e.to_string(),
        })?;
        let line = rec.position().map(|p| p.line()).unwrap_or(0);
        let values: Vec<String> = idx
            .iter()
            .map(|&i| rec.get(i).unwrap_or("").to_string())
            .collect();
        if let Some(k) = values.iter().position(|v| v.is_empty()) {
            return Err(Error::Table {
                path: path.to_path_buf(),
                line,
                message: format!("valeur vide dans la colonne « {} »", columns[k]),
            });
        }
        out.push((line, values));
    }
    Ok(out)
}

impl Composition {
    pub fn load(iris_to_es: &Path, es: &Path, territoires: &Path) -> Result<Composition> {
        let rows = read_table(iris_to_es, &["code", "es"])?
            .into_iter()
            .map(|(line, v)| CompositionRow {
                line,
                code: v[0].clone(),
                es: v[1].clone(),
            })
            .collect();
        let es = read_table(es, &["code", "name", "territoire", "address", "hours"])?
            .into_iter()
            .map(|(_, v)| EsEntry {
                code: v[0].clone(),
                name: v[1].clone(),
                territoire: v[2].clone(),
                address: v[3].clone(),
                hours: v[4].clone(),
            })
            .collect();
        let territoires = read_table(territoires, &["code", "name"])?
            .into_iter()
            .map(|(_, v)| TerritoireEntry {
                code: v[0].clone(),
                name: v[1].clone(),
            })
            .collect();
        Ok(Composition {
            path: iris_to_es.to_path_buf(),
            rows,
            es,
            territoires,
        })
    }

    /// Assign every IRIS (given as `(iris code, commune code)`) to an ES index of `self.es`,
    /// and check the whole table. Every problem is collected, so one run lists them all.
    pub fn resolve(
        &self,
        iris: &[(String, String)],
    ) -> std::result::Result<Vec<usize>, Vec<String>> {
        let mut problems = Vec::new();
        let p = self.path.display();
        let es_index: HashMap<&str, usize> = self
            .es
            .iter()
            .enumerate()
            .map(|(i, e)| (e.code.as_str(), i))
            .collect();
        let mut seen_es = HashMap::new();
        for e in &self.es {
            if seen_es.insert(e.code.as_str(), ()).is_some() {
                problems.push(format!(
                    "[Z002] ES « {} » en double dans l'annuaire des ES",
                    e.code
                ));
            }
        }
        let terr: HashMap<&str, ()> = self
            .territoires
            .iter()
            .map(|t| (t.code.as_str(), ()))
            .collect();
        for e in &self.es {
            if !terr.contains_key(e.territoire.as_str()) {
                problems.push(format!(
                    "[Z004] ES « {} » rattaché au territoire inconnu « {} »",
                    e.code, e.territoire
                ));
            }
        }
        let iris_index: HashMap<&str, usize> = iris
            .iter()
            .enumerate()
            .map(|(i, (c, _))| (c.as_str(), i))
            .collect();
        let mut by_commune: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, (_, com)) in iris.iter().enumerate() {
            by_commune.entry(com.as_str()).or_default().push(i);
        }
        let mut assigned: Vec<Option<(usize, u64)>> = vec![None; iris.len()];
        for row in &self.rows {
            let Some(&es) = es_index.get(row.es.as_str()) else {
                problems.push(format!(
                    "[Z001] {p}, ligne {} : ES « {} » absent de l'annuaire des ES",
                    row.line, row.es
                ));
                continue;
            };
            let members: Vec<usize> = if let Some(&i) = iris_index.get(row.code.as_str()) {
                vec![i]
            } else if let Some(v) = by_commune.get(row.code.as_str()) {
                v.clone()
            } else {
                problems.push(format!(
                    "[Z001] {p}, ligne {} : code « {} » inconnu (ni IRIS ni commune des contours)",
                    row.line, row.code
                ));
                continue;
            };
            for i in members {
                if let Some((_, first)) = assigned[i] {
                    problems.push(format!(
                        "[Z002] {p}, ligne {} : l'IRIS {} est déjà rattaché à la ligne {first} (chaque IRIS doit appartenir à un seul ES)",
                        row.line, iris[i].0
                    ));
                } else {
                    assigned[i] = Some((es, row.line));
                }
            }
        }
        let missing: Vec<&str> = iris
            .iter()
            .zip(&assigned)
            .filter(|(_, a)| a.is_none())
            .map(|((c, _), _)| c.as_str())
            .collect();
        if !missing.is_empty() {
            let shown: Vec<&str> = missing.iter().take(10).copied().collect();
            problems.push(format!(
                "[Z003] {p} : {} IRIS sans ES ({}{})",
                missing.len(),
                shown.join(", "),
                if missing.len() > 10 { ", …" } else { "" }
            ));
        }
        let used: std::collections::HashSet<usize> =
            assigned.iter().flatten().map(|(e, _)| *e).collect();
        for (i, e) in self.es.iter().enumerate() {
            if !used.contains(&i) {
                problems.push(format!(
                    "[Z003] ES « {} » de l'annuaire sans aucun IRIS",
                    e.code
                ));
            }
        }
        if problems.is_empty() {
            Ok(assigned
                .into_iter()
                .map(|a| a.map(|(e, _)| e).unwrap_or(0))
                .collect())
        } else {
            Err(problems)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comp(rows: &[(&str, &str)]) -> Composition {
        Composition {
            path: "composition.csv".into(),
            rows: rows
                .iter()
                .enumerate()
                .map(|(i, (c, e))| CompositionRow {
                    line: i as u64 + 2,
                    code: c.to_string(),
                    es: e.to_string(),
                })
                .collect(),
            es: ["E1", "E2"]
                .iter()
                .map(|c| EsEntry {
                    code: c.to_string(),
                    name: c.to_string(),
                    territoire: "T1".into(),
                    address: "a".into(),
                    hours: "h".into(),
                })
                .collect(),
            territoires: vec![TerritoireEntry {
                code: "T1".into(),
                name: "t".into(),
            }],
        }
    }

    fn iris() -> Vec<(String, String)> {
        [
            ("940010000", "94001"),
            ("940020101", "94002"),
            ("940020102", "94002"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
    }

    #[test]
    fn rows_by_commune_and_by_iris() {
        let c = comp(&[("94001", "E1"), ("940020101", "E1"), ("940020102", "E2")]);
        assert_eq!(c.resolve(&iris()).unwrap(), vec![0, 0, 1]);
    }

    #[test]
    fn every_problem_is_reported() {
        let c = comp(&[
            ("94001", "E1"),
            ("94002", "E1"),
            ("940020102", "E2"),
            ("99999", "E1"),
            ("94001", "E9"),
        ]);
        let problems = c.resolve(&iris()).unwrap_err();
        let text = problems.join("\n");
        assert!(text.contains("940020102 est déjà rattaché"), "{text}");
        assert!(text.contains("« 99999 » inconnu"), "{text}");
        assert!(text.contains("« E9 » absent"), "{text}");
        let missing = comp(&[("94001", "E1")])
            .resolve(&iris())
            .unwrap_err()
            .join("\n");
        assert!(missing.contains("2 IRIS sans ES"), "{missing}");
        assert!(
            missing.contains("« E2 » de l'annuaire sans aucun IRIS"),
            "{missing}"
        );
    }
}
