//! The configuration of a territory: which files hold the boundaries and the composition, which
//! fields hold codes and names, encodings and CRS overrides. Paths in the file are relative to
//! the file itself (and `data_dir` to it), so a configuration works from any working directory.
use serde::Deserialize;
use std::path::{Path, PathBuf};

use crate::crs::Crs;
use crate::error::{Error, Result};
use crate::source::ReadOptions;

/// Environment variable that overrides `data_dir` (where the IGN/INSEE files are).
pub const DATA_DIR_ENV: &str = "OBSERVATOIRE_DATA_DIR";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Name of the territory (`Val-de-Marne`).
    pub name: String,
    /// Code of the département (`94`).
    pub code: String,
    /// Folder of the source data, relative to this file.
    pub data_dir: PathBuf,
    pub iris: IrisSource,
    pub composition: CompositionFiles,
    pub communes_reference: Option<ReferenceSource>,
    pub qpv: Option<QpvSource>,
    /// Neighbouring territories drawn as grey context on maps (not zones).
    pub context: Option<ContextSource>,
    #[serde(default)]
    pub checks: Checks,
    /// Indicator catalogue (read by the indicators crate), relative to this file.
    pub indicators: Option<PathBuf>,
    /// Settings of `observatoire serve` (access, HTTP limits; read by the server crate),
    /// relative to this file.
    pub server: Option<PathBuf>,
    /// Where this configuration was read from (set on load).
    #[serde(skip)]
    pub path: PathBuf,
}

/// The IRIS layer: the finest level, from which every other nested level is built.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IrisSource {
    /// File path relative to `data_dir`.
    pub path: PathBuf,
    pub code: String,
    pub name: String,
    pub commune: String,
    pub commune_name: String,
    /// Field of the IRIS type (H, A, Z, D), optional.
    pub r#type: Option<String>,
    pub encoding: Option<String>,
    pub crs: Option<String>,
    /// Where to get such data, shown when the file is missing.
    pub download: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompositionFiles {
    /// Whether the composition is illustrative (not the Département's real table); shown
    /// wherever ES or territoires appear.
    #[serde(default)]
    pub illustrative: bool,
    /// `code,es` rows: a commune code (all its IRIS) or an IRIS code. Relative to this file.
    pub iris_to_es: PathBuf,
    /// `code,name,territoire,address,hours`.
    pub es: PathBuf,
    /// `code,name`.
    pub territoires: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceSource {
    pub path: PathBuf,
    pub code: String,
    pub name: Option<String>,
    pub encoding: Option<String>,
    pub crs: Option<String>,
    pub download: Option<String>,
    /// Minimum intersection over union between an IRIS union and its official outline.
    #[serde(default = "default_min_iou")]
    pub min_iou: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QpvSource {
    pub path: PathBuf,
    pub code: String,
    pub name: String,
    pub encoding: Option<String>,
    pub crs: Option<String>,
    pub download: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextSource {
    pub path: PathBuf,
    pub code: String,
    pub name: String,
    pub encoding: Option<String>,
    pub crs: Option<String>,
    pub download: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checks {
    /// Grid step of the shared topology, metres.
    #[serde(default = "default_grid")]
    pub grid_m: f64,
    /// Overlap between IRIS above which a warning is raised, m².
    #[serde(default = "default_tolerance")]
    pub overlap_tolerance_m2: f64,
    /// Gap (hole of the département not in any IRIS) above which a warning is raised, m².
    #[serde(default = "default_tolerance")]
    pub gap_tolerance_m2: f64,
}

impl Default for Checks {
    fn default() -> Self {
        Checks {
            grid_m: default_grid(),
            overlap_tolerance_m2: default_tolerance(),
            gap_tolerance_m2: default_tolerance(),
        }
    }
}

fn default_grid() -> f64 {
    0.001
}
fn default_tolerance() -> f64 {
    1.0
}
fn default_min_iou() -> f64 {
    0.9
}

impl Config {
    /// Read and check a configuration file.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::MissingFile {
                path: path.to_path_buf(),
                hint: "la configuration par défaut est boundaries/val-de-marne/observatoire.toml ; indiquez-en une autre avec --config".into(),
            },
            _ => Error::io(path, e),
        })?;
        let mut config: Config = toml::from_str(&text).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        config.path = path.to_path_buf();
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<()> {
        let err = |message: String| {
            Err(Error::Config {
                path: self.path.clone(),
                message,
            })
        };
        if !(self.checks.grid_m > 0.0 && self.checks.grid_m <= 1.0) {
            return err(format!(
                "checks.grid_m = {} : une valeur entre 0 et 1 m est attendue",
                self.checks.grid_m
            ));
        }
        for (what, crs) in [
            ("iris.crs", &self.iris.crs),
            (
                "communes_reference.crs",
                &self.communes_reference.as_ref().and_then(|r| r.crs.clone()),
            ),
            ("qpv.crs", &self.qpv.as_ref().and_then(|r| r.crs.clone())),
        ] {
            if let Some(c) = crs
                && Crs::from_user(c).is_none()
            {
                return err(format!(
                    "{what} = \"{c}\" : seuls EPSG:2154 (Lambert-93) et EPSG:4326 (WGS84) sont pris en charge"
                ));
            }
        }
        Ok(())
    }

    /// Folder holding this configuration.
    pub fn dir(&self) -> PathBuf {
        self.path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }

    /// The data folder: `$OBSERVATOIRE_DATA_DIR`, else `data_dir` relative to this file.
    pub fn data_dir(&self) -> PathBuf {
        match std::env::var_os(DATA_DIR_ENV) {
            Some(d) if !d.is_empty() => PathBuf::from(d),
            _ => self.dir().join(&self.data_dir),
        }
    }

    pub fn data_path(&self, p: &Path) -> PathBuf {
        self.data_dir().join(p)
    }

    pub fn config_path(&self, p: &Path) -> PathBuf {
        self.dir().join(p)
    }
}

/// Reader options from a source's `encoding` and `crs` settings.
pub(crate) fn read_options(encoding: &Option<String>, crs: &Option<String>) -> ReadOptions {
    ReadOptions {
        encoding: encoding.clone(),
        crs: crs.as_deref().and_then(Crs::from_user),
        layer: None,
    }
}

/// Turn a missing source file into an error that says where such data is downloaded.
pub(crate) fn with_download_hint(e: Error, download: &Option<String>) -> Error {
    match (e, download) {
        (Error::MissingFile { path, hint }, Some(d)) => Error::MissingFile {
            path,
            hint: format!("{hint}\n  Source des données : {d}"),
        },
        (e, _) => e,
    }
}
