//! Errors of the lookup crate. Messages are in French: they reach users as they are, and name
//! the file, line or record in cause.
use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("fichier introuvable : {path}\n  {hint}")]
    MissingFile { path: PathBuf, hint: String },

    #[error("lecture impossible de {path} : {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("écriture impossible de {path} : {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{path} : colonne(s) absente(s) : {missing} (colonnes présentes : {available})")]
    MissingColumns {
        path: PathBuf,
        missing: String,
        available: String,
    },

    #[error("{path}, ligne {line} : {message}")]
    Csv {
        path: PathBuf,
        line: u64,
        message: String,
    },

    #[error("{path} : {message}")]
    Invalid { path: PathBuf, message: String },

    #[error(
        "fichier d'adresses {path} illisible : {message}\n  Réimportez la Base Adresse Nationale avec `observatoire import-addresses adresses-94.csv.gz`."
    )]
    AddressFile { path: PathBuf, message: String },

    #[error("GeoJSON {path} invalide{}: {message}", feature.map(|f| format!(" (objet n° {f})")).unwrap_or_default())]
    GeoJson {
        path: PathBuf,
        feature: Option<usize>,
        message: String,
    },

    #[error("{0}")]
    Usage(String),

    #[error(transparent)]
    Zones(#[from] zones::Error),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        if source.kind() == std::io::ErrorKind::NotFound {
            return Error::MissingFile {
                path,
                hint: "vérifiez le chemin".into(),
            };
        }
        Error::Io { path, source }
    }
}

/// Why one point cannot be placed: invalid input (HTTP 400) or outside every IRIS (HTTP 404).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PointError {
    #[error("coordonnées invalides : {0}")]
    Invalid(String),
    #[error(
        "le point (longitude {lon}, latitude {lat}) est hors du département {territory} : aucun IRIS ne le contient"
    )]
    Outside {
        lon: f64,
        lat: f64,
        territory: String,
    },
}
