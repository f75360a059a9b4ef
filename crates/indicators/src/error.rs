//! Errors of the indicators crate; French messages naming the file, line, indicator and field.
use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("fichier introuvable : {path}\n  {hint}")]
    MissingFile { path: PathBuf, hint: String },
    #[error("lecture impossible de {path} : {message}")]
    Read { path: PathBuf, message: String },
    #[error("{path}, ligne {line} : {message}")]
    Table {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("catalogue {path} : {message}")]
    Catalogue { path: PathBuf, message: String },
    #[error("catalogue {path}, indicateur « {indicator} », champ « {field} » : {message}")]
    IndicatorField {
        path: PathBuf,
        indicator: String,
        field: String,
        message: String,
    },
    #[error("classification impossible : {0}")]
    Classification(String),
    #[error("{0}")]
    Query(String),
    #[error("export : {0}")]
    Export(String),
    #[error(transparent)]
    Zones(#[from] zones::Error),
}
