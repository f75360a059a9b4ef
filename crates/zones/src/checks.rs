//! Diagnostics of a build, each with a stable code so that reports can be searched and tests
//! can assert on them. Errors stop the build; warnings and notes go into the summary.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Note => "info",
            Severity::Warning => "avertissement",
            Severity::Error => "erreur",
        }
    }
}

/// A finding of the build. Codes:
/// - `Z001`–`Z005`: composition and codes (unknown, duplicate, missing, bad reference);
/// - `Z010`/`Z011`: ES / territoire not contiguous;
/// - `Z020`/`Z021`: overlaps / gaps between IRIS above the tolerance;
/// - `Z030`/`Z031`: commune union against the official outline (IoU), outline missing;
/// - `Z040`: invalid geometry at some level; `Z050`: topology anomalies;
/// - `Z060`: QPV outside every IRIS.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub code: String,
    pub severity: Severity,
    pub message: String,
}

impl Diagnostic {
    pub fn new(code: &str, severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            code: code.into(),
            severity,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[{}] {} : {}",
            self.code,
            self.severity.label(),
            self.message
        )
    }
}
