//! Zones of the observatory: read boundary sources (shapefile, GeoJSON, and every OGR format
//! behind the `gdal` feature), detect their CRS and text encoding, reproject, validate, and
//! build the nested levels IRIS → commune → Espace de Solidarité → territoire → département
//! from one shared topology, plus the QPV overlay. The result is a versioned [`Bundle`].

pub mod build;
pub mod bundle;
pub mod checks;
pub mod composition;
pub mod config;
pub mod crs;
pub mod error;
pub mod export;
pub mod geometry;
pub mod level;
pub mod qpv;
pub mod source;
pub mod synthetic;
pub mod topology;
pub mod validate;

pub use build::{BuildReport, build};
pub use bundle::Bundle;
pub use config::Config;
pub use error::{Error, Result};
pub use level::Level;
