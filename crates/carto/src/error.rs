//! Errors of the carto crate. Messages are in French: they reach users as they are.
use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("indicateur inconnu « {id} » ; indicateurs disponibles : {available}")]
    UnknownIndicator { id: String, available: String },
    #[error("niveau inconnu « {0} » : iris, commune, es, territoire ou departement")]
    UnknownLevel(String),
    #[error(
        "le niveau « {0} » ne se cartographie pas ici : iris, commune, es, territoire ou departement"
    )]
    UnsupportedLevel(String),
    #[error("millésime {year} absent pour « {indicator} » (millésimes : {available})")]
    UnknownYear {
        indicator: String,
        year: i32,
        available: String,
    },
    #[error(
        "zone à mettre en évidence inconnue « {0} » (code IRIS, commune, ES, territoire ou département)"
    )]
    UnknownZone(String),
    #[error(
        "le paquet ne contient pas d'indicateurs : ajoutez `indicators = \"indicators.toml\"` à la configuration et relancez `observatoire build`"
    )]
    NoIndicators,
    #[error("aucune valeur diffusable pour « {indicator} » au niveau {level} en {year}")]
    NoValues {
        indicator: String,
        level: String,
        year: i32,
    },
    #[error(
        "« {0} » est un effectif : une carte choroplèthe ne convient pas aux effectifs (elle exagère les grandes zones) ; cartographiez un taux ou une densité (par exemple « densite »)"
    )]
    CountIndicator(String),
    #[error("classes : {0}")]
    Classes(String),
    #[error(
        "format de page « {0} » non reconnu : a4-portrait, a4-landscape, a3-portrait, a3-landscape, a5-portrait, a5-landscape ou LARGEURxHAUTEURmm (par exemple 180x120mm)"
    )]
    Page(String),
    #[error("page trop petite : {0}")]
    PageTooSmall(String),
    #[error("résolution {0} ppp hors limites (de 36 à 600)")]
    Dpi(f64),
    #[error(
        "image trop grande : {width} × {height} pixels (au plus {max} millions de pixels) ; réduisez la page ou la résolution"
    )]
    ImageTooLarge { width: u32, height: u32, max: u32 },
    #[error("atlas : {0}")]
    Atlas(String),
    #[error("fond de carte {path} illisible : {message}")]
    Context { path: PathBuf, message: String },
    #[error("rendu impossible : {0}")]
    Render(String),
    #[error(transparent)]
    Indicators(#[from] indicators::Error),
    #[error(transparent)]
    Zones(#[from] zones::Error),
}
