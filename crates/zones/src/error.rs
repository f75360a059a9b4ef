//! Errors of the zones crate. Messages are in French: they reach users as they are.
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

    #[error("shapefile {path} illisible{}: {message}", record.map(|r| format!(" (enregistrement {r})")).unwrap_or_default())]
    Shapefile {
        path: PathBuf,
        record: Option<usize>,
        message: String,
    },

    #[error("table attributaire {path} (.dbf) illisible{}: {message}", record.map(|r| format!(" (enregistrement {r})")).unwrap_or_default())]
    Dbf {
        path: PathBuf,
        record: Option<usize>,
        message: String,
    },

    #[error("GeoJSON {path} invalide{}: {message}", feature.map(|r| format!(" (objet n° {r})")).unwrap_or_default())]
    GeoJson {
        path: PathBuf,
        feature: Option<usize>,
        message: String,
    },

    #[error(
        "système de coordonnées non reconnu pour {path} : {message}\n  Indiquez-le dans la configuration (crs = \"EPSG:2154\" ou \"EPSG:4326\")."
    )]
    UnknownCrs { path: PathBuf, message: String },

    #[error(
        "encodage inconnu « {label} » pour {path} : utilisez par exemple \"UTF-8\" ou \"ISO-8859-1\""
    )]
    UnknownEncoding { path: PathBuf, label: String },

    #[error("géométrie invalide dans {path}, objet {code} : {message}")]
    InvalidGeometry {
        path: PathBuf,
        code: String,
        message: String,
    },

    #[error(
        "{path}, enregistrement {record} : champ « {field} » absent ou vide (champs présents : {available})"
    )]
    MissingField {
        path: PathBuf,
        record: usize,
        field: String,
        available: String,
    },

    #[error("{path} : {message}")]
    Config { path: PathBuf, message: String },

    #[error("{path}, ligne {line} : {message}")]
    Table {
        path: PathBuf,
        line: u64,
        message: String,
    },

    #[error("composition incohérente :\n{}", .0.join("\n"))]
    Composition(Vec<String>),

    #[error("reprojection impossible : {0}")]
    Projection(String),

    #[error("format de fichier non pris en charge : {path} ({hint})")]
    UnsupportedFormat { path: PathBuf, hint: String },

    #[error(
        "paquet de données {path} illisible : {message}\n  Reconstruisez-le avec `observatoire build`."
    )]
    Bundle { path: PathBuf, message: String },

    #[error("écriture impossible de {path} : {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        if source.kind() == std::io::ErrorKind::NotFound {
            return Error::MissingFile {
                hint: "vérifiez le chemin dans la configuration".into(),
                path,
            };
        }
        Error::Io { path, source }
    }
}
