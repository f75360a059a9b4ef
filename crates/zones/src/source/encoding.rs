//! Text encoding of DBF attribute tables: configuration, then `.cpg`, then the DBF's language
//! driver byte, then a sniff of the records (valid UTF-8 with a non-ASCII byte, or Latin-1).
use encoding_rs::Encoding;
use std::path::Path;

use crate::error::{Error, Result};

/// Resolve a user label (`UTF-8`, `ISO-8859-1`, `latin1`, `1252`, `65001`, `CP1252`…).
pub fn from_label(label: &str) -> Option<&'static Encoding> {
    let l = label.trim().trim_start_matches('\u{feff}');
    let upper = l.to_ascii_uppercase();
    let by_codepage = match upper.trim_start_matches("CP").trim_start_matches("ANSI ") {
        "65001" => Some(encoding_rs::UTF_8),
        "1252" | "28591" => Some(encoding_rs::WINDOWS_1252),
        "1250" => Some(encoding_rs::WINDOWS_1250),
        "850" | "437" => Some(encoding_rs::WINDOWS_1252),
        _ => None,
    };
    // ISO-8859-1 is decoded as windows-1252 (its superset), as the WHATWG labels do.
    by_codepage.or_else(|| Encoding::for_label(l.as_bytes()))
}

/// The encoding of the DBF at `dbf`, and how it was decided.
pub fn detect(dbf: &Path, forced: Option<&str>) -> Result<(&'static Encoding, &'static str)> {
    if let Some(label) = forced {
        return from_label(label)
            .map(|e| (e, "configuration"))
            .ok_or_else(|| Error::UnknownEncoding {
                path: dbf.to_path_buf(),
                label: label.to_string(),
            });
    }
    let cpg = dbf.with_extension("cpg");
    if let Ok(text) = std::fs::read_to_string(&cpg) {
        return from_label(&text)
            .map(|e| (e, ".cpg"))
            .ok_or_else(|| Error::UnknownEncoding {
                path: cpg,
                label: text.trim().to_string(),
            });
    }
    let bytes = std::fs::read(dbf).map_err(|e| Error::io(dbf, e))?;
    Ok((sniff(&bytes), "détection"))
}

/// Guess from the DBF bytes: the language driver id (byte 29) when it names a code page, else
/// UTF-8 if the records decode as UTF-8, else Latin-1 (windows-1252).
pub fn sniff(dbf: &[u8]) -> &'static Encoding {
    match dbf.get(29) {
        Some(0x57 | 0x03 | 0x01 | 0x02) => return encoding_rs::WINDOWS_1252,
        Some(0xC8) => return encoding_rs::WINDOWS_1250,
        _ => {}
    }
    let header_len = dbf
        .get(8..10)
        .map(|b| u16::from_le_bytes([b[0], b[1]]) as usize)
        .unwrap_or(0)
        .min(dbf.len());
    let records = &dbf[header_len..];
    if records.is_ascii() || std::str::from_utf8(records).is_ok() {
        encoding_rs::UTF_8
    } else {
        encoding_rs::WINDOWS_1252
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(from_label("UTF-8"), Some(encoding_rs::UTF_8));
        assert_eq!(from_label("ISO-8859-1\n"), Some(encoding_rs::WINDOWS_1252));
        assert_eq!(from_label("1252"), Some(encoding_rs::WINDOWS_1252));
        assert_eq!(from_label("latin1"), Some(encoding_rs::WINDOWS_1252));
        assert_eq!(from_label("klingon"), None);
    }

    #[test]
    fn sniffs_latin1_and_utf8() {
        let mut dbf = vec![0u8; 40];
        dbf[8] = 32; // header length
        dbf.extend_from_slice(b" Cr\xe9teil");
        assert_eq!(sniff(&dbf), encoding_rs::WINDOWS_1252);
        let mut utf = vec![0u8; 40];
        utf[8] = 32;
        utf.extend_from_slice("Créteil".as_bytes());
        assert_eq!(sniff(&utf), encoding_rs::UTF_8);
    }
}
