//! The bundle: one versioned file holding everything later steps need (zones of every level,
//! the shared topology, QPV and their overlay, diagnostics, provenance). Layout:
//!
//! ```text
//! b"OBSVBNDL"  magic, 8 bytes
//! u32 LE       format version (FORMAT_VERSION)
//! u64 LE       payload length
//! [u8; 32]     reserved (zero)
//! payload      postcard-encoded `Bundle`
//! ```
//!
//! It is written to a temporary file in the target folder, flushed to disk, then renamed over
//! the target, so a reader sees the old bundle or the new one, never a partial file.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::checks::Diagnostic;
use crate::composition::{EsEntry, TerritoireEntry};
use crate::error::{Error, Result};
use crate::level::{Level, Zone};
use crate::qpv::{QpvOverlap, QpvZone};
use crate::topology::Topology;

pub const MAGIC: &[u8; 8] = b"OBSVBNDL";
pub const FORMAT_VERSION: u32 = 3;
const HEADER_LEN: usize = 8 + 4 + 8 + 32;

/// Provenance and facts about a build.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meta {
    /// Territory name and code (`Val-de-Marne`, `94`).
    pub name: String,
    pub code: String,
    /// Seconds since the Unix epoch.
    pub built_at: u64,
    pub tool_version: String,
    /// The source files read, as given in the configuration, with their sizes.
    pub sources: Vec<(String, u64)>,
    /// Whether the ES/territoire composition is illustrative.
    pub illustrative_composition: bool,
    pub iris_encoding: Option<String>,
    pub iris_crs: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Bundle {
    pub meta: Meta,
    pub topology: Topology,
    /// Nested levels, in `Level::NESTED` order.
    pub levels: Vec<(Level, Vec<Zone>)>,
    pub es_directory: Vec<EsEntry>,
    pub territoires: Vec<TerritoireEntry>,
    pub qpv: Vec<QpvZone>,
    pub qpv_overlay: Vec<QpvOverlap>,
    /// Neighbouring territories for grey context on maps (Lambert-93), the territory itself
    /// excluded.
    pub context: Vec<QpvZone>,
    pub diagnostics: Vec<Diagnostic>,
    /// Sections added by higher crates (indicators…), each postcard-encoded under its name, so
    /// that one artefact holds everything while this crate knows nothing above it.
    pub sections: BTreeMap<String, Vec<u8>>,
}

impl Bundle {
    /// Store a section (replacing one of the same name).
    pub fn set_section<T: Serialize>(&mut self, name: &str, value: &T) -> Result<()> {
        let bytes = postcard::to_stdvec(value).map_err(|e| Error::Bundle {
            path: PathBuf::new(),
            message: format!("section {name} : {e}"),
        })?;
        self.sections.insert(name.to_string(), bytes);
        Ok(())
    }

    /// Read a section, `None` when absent.
    pub fn section<T: for<'de> Deserialize<'de>>(&self, name: &str) -> Result<Option<T>> {
        self.sections
            .get(name)
            .map(|b| {
                postcard::from_bytes(b).map_err(|e| Error::Bundle {
                    path: PathBuf::new(),
                    message: format!("section {name} : {e}"),
                })
            })
            .transpose()
    }

    pub fn zones(&self, level: Level) -> &[Zone] {
        self.levels
            .iter()
            .find(|(l, _)| *l == level)
            .map(|(_, z)| z.as_slice())
            .unwrap_or(&[])
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let payload = postcard::to_stdvec(self).map_err(|e| Error::Bundle {
            path: PathBuf::new(),
            message: e.to_string(),
        })?;
        let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&[0u8; 32]);
        out.extend_from_slice(&payload);
        Ok(out)
    }

    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Bundle> {
        let err = |message: String| Error::Bundle {
            path: path.to_path_buf(),
            message,
        };
        if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
            return Err(err(
                "ce n'est pas un paquet observatoire (signature absente)".into(),
            ));
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        if version != FORMAT_VERSION {
            return Err(err(format!(
                "version de format {version}, cette version lit la version {FORMAT_VERSION}"
            )));
        }
        let len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
        let payload = &bytes[HEADER_LEN..];
        if payload.len() as u64 != len {
            return Err(err(format!(
                "fichier tronqué ({} octets de données au lieu de {len})",
                payload.len()
            )));
        }
        postcard::from_bytes(payload).map_err(|e| err(e.to_string()))
    }

    pub fn load(path: &Path) -> Result<Bundle> {
        let bytes = std::fs::read(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::MissingFile {
                path: path.to_path_buf(),
                hint: "construisez-le d'abord avec `observatoire build`".into(),
            },
            _ => Error::io(path, e),
        })?;
        Bundle::from_bytes(path, &bytes)
    }

    /// Write atomically: temporary file in the same folder, fsync, rename.
    pub fn save(&self, path: &Path) -> Result<()> {
        write_atomic(path, &self.to_bytes()?)
    }
}

/// Write `bytes` to `path` so that `path` is never seen half-written.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let werr = |source: std::io::Error| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(werr)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".observatoire-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(werr)?;
    tmp.write_all(bytes).map_err(werr)?;
    // tempfile creates 0600; a bundle is read by the server, possibly as another user.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(werr)?;
    }
    tmp.as_file().sync_all().map_err(werr)?;
    tmp.persist(path).map_err(|e| werr(e.error))?;
    if let Ok(d) = std::fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
