//! Errors of the tiles crate. Messages are in French: they reach users as they are.
use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "plage de zooms invalide « {given} » : attendu MIN-MAX avec 0 ≤ MIN ≤ MAX ≤ {max}, par exemple 0-16"
    )]
    ZoomRange { given: String, max: u8 },

    #[error("paramètre de tuiles invalide : {0}")]
    Options(String),

    #[error("encodage MVT de la tuile {z}/{x}/{y} ({level}) impossible : {message}")]
    Encode {
        level: String,
        z: u8,
        x: u32,
        y: u32,
        message: String,
    },

    #[error("niveau « {0} » absent de la pyramide")]
    MissingLevel(String),

    #[error("écriture de l'archive PMTiles {path} impossible : {message}")]
    Pmtiles { path: PathBuf, message: String },

    #[error(transparent)]
    Zones(#[from] zones::Error),

    #[error("compression gzip impossible : {0}")]
    Gzip(#[from] std::io::Error),
}
