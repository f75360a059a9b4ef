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
        let bundle: Bundle = postcard::from_bytes(payload).map_err(|e| err(e.to_string()))?;
        // A file that decodes can still be damaged or crafted (an arc index out of bounds
        // would make a reader panic): every reader gets a checked bundle.
        bundle.validate().map_err(|e| err(e.to_string()))?;
        Ok(bundle)
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

/// The format version written in a file's header, if it starts with the bundle signature
/// (read before the payload, so that an older bundle can be told from a damaged one).
pub fn format_version(bytes: &[u8]) -> Option<u32> {
    if bytes.len() < 12 || &bytes[..8] != MAGIC {
        return None;
    }
    Some(u32::from_le_bytes(
        bytes[8..12].try_into().expect("4 bytes"),
    ))
}

/// Random characters between the prefix and the suffix of a temporary file's name.
const TEMP_RAND_LEN: usize = 6;

/// Folder of `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Prefix of the temporary files written for `path`: `.<file name>.`, so that a temporary
/// file left by a killed process (`.val-de-marne.bundle.a1B2c3.tmp`) names its target.
fn temp_prefix(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "observatoire".into());
    format!(".{name}.")
}

/// Whether `file_name` is a temporary file of `write_atomic` for a target named by `prefix`.
fn is_temp_name(file_name: &str, prefix: &str) -> bool {
    file_name
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix(".tmp"))
        .is_some_and(|r| r.len() == TEMP_RAND_LEN && r.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Remove the temporary files of `path` left behind by a process killed while writing it
/// (`kill -9`, power cut). A temporary file being written by a live process is locked, and kept.
/// Returns the number of files removed; errors are ignored (this is housekeeping).
pub fn remove_stale_temp_files(path: &Path) -> usize {
    let prefix = temp_prefix(path);
    let Ok(entries) = std::fs::read_dir(parent_dir(path)) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        if !is_temp_name(&entry.file_name().to_string_lossy(), &prefix) {
            continue;
        }
        let p = entry.path();
        // The writer holds an exclusive lock until its file is renamed over the target; the
        // kernel releases it when the writer dies.
        let Ok(f) = std::fs::File::open(&p) else {
            continue;
        };
        if f.try_lock().is_ok() && std::fs::remove_file(&p).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Create the temporary file into which `path` is to be written, to be renamed over it once
/// complete: `.<file name>.XXXXXX.tmp` in the folder of `path` (which must exist), exclusively
/// locked until it is closed (after the rename) or until this process dies, so that
/// `remove_stale_temp_files` leaves it alone while it is being written.
pub fn create_temp_file(path: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let tmp = tempfile::Builder::new()
        .prefix(&temp_prefix(path))
        .rand_bytes(TEMP_RAND_LEN)
        .suffix(".tmp")
        .tempfile_in(parent_dir(path))?;
    tmp.as_file().lock()?;
    Ok(tmp)
}

/// Write `bytes` to `path` so that `path` is never seen half-written. Temporary files left by
/// an earlier, killed write of the same target are removed first.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let werr = |source: std::io::Error| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = parent_dir(path);
    std::fs::create_dir_all(&dir).map_err(werr)?;
    remove_stale_temp_files(path);
    let mut tmp = create_temp_file(path).map_err(werr)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_name_their_target() {
        let p = temp_prefix(Path::new("build/val-de-marne.bundle"));
        assert_eq!(p, ".val-de-marne.bundle.");
        assert!(is_temp_name(".val-de-marne.bundle.a1B2c3.tmp", &p));
        assert!(!is_temp_name(".val-de-marne.bundle.tmp", &p));
        assert!(!is_temp_name(".val-de-marne.bundle.old.a1B2c3.tmp", &p));
        assert!(!is_temp_name(".observatoire-a1B2c3.tmp", &p));
        assert!(!is_temp_name("val-de-marne.bundle", &p));
    }

    #[test]
    fn stale_temp_files_are_removed_but_not_live_ones_nor_others() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("x.bundle");
        let stale = dir.path().join(".x.bundle.AbC123.tmp");
        let live = dir.path().join(".x.bundle.ZzZ999.tmp");
        let other = dir.path().join(".y.bundle.AbC123.tmp");
        for p in [&stale, &live, &other] {
            std::fs::write(p, b"partial").unwrap();
        }
        // A writer still at work holds the lock on its temporary file.
        let writer = std::fs::OpenOptions::new().write(true).open(&live).unwrap();
        writer.lock().unwrap();
        assert_eq!(remove_stale_temp_files(&target), 1);
        assert!(!stale.exists());
        assert!(live.exists(), "a locked (live) temporary file is kept");
        assert!(other.exists(), "another target's temporary file is kept");
        drop(writer);

        // A write of the target cleans up the (now unlocked) leftover and leaves nothing else.
        write_atomic(&target, b"new").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, [".y.bundle.AbC123.tmp", "x.bundle"]);
    }

    #[test]
    fn format_version_is_read_from_the_header() {
        let mut b = MAGIC.to_vec();
        b.extend_from_slice(&2u32.to_le_bytes());
        assert_eq!(format_version(&b), Some(2));
        assert_eq!(format_version(b"OBSVBNDL"), None);
        assert_eq!(format_version(b"PK\x03\x04 not a bundle"), None);
    }
}
