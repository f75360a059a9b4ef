//! The levels of the observatory and the zones they hold.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::topology::TopoGeometry;

/// A level of territory. The first five nest (each zone is a union of whole IRIS); QPV do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Level {
    Iris,
    Commune,
    Es,
    Territoire,
    Departement,
    Qpv,
}

impl Level {
    /// The nested levels, from the finest.
    pub const NESTED: [Level; 5] = [
        Level::Iris,
        Level::Commune,
        Level::Es,
        Level::Territoire,
        Level::Departement,
    ];

    /// The identifier used in commands, URLs and files.
    pub fn key(self) -> &'static str {
        match self {
            Level::Iris => "iris",
            Level::Commune => "commune",
            Level::Es => "es",
            Level::Territoire => "territoire",
            Level::Departement => "departement",
            Level::Qpv => "qpv",
        }
    }

    /// The French label shown to users (plural).
    pub fn label(self) -> &'static str {
        match self {
            Level::Iris => "IRIS",
            Level::Commune => "communes",
            Level::Es => "Espaces de Solidarité",
            Level::Territoire => "territoires",
            Level::Departement => "département",
            Level::Qpv => "quartiers prioritaires (QPV)",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        match s.trim().to_ascii_lowercase().as_str() {
            "iris" => Some(Level::Iris),
            "commune" | "communes" => Some(Level::Commune),
            "es" | "eds" | "espace" => Some(Level::Es),
            "territoire" | "territoires" => Some(Level::Territoire),
            "departement" | "département" | "dep" => Some(Level::Departement),
            "qpv" => Some(Level::Qpv),
            _ => None,
        }
    }
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// A zone of a nested level: a union of whole IRIS, drawn from the shared topology.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Zone {
    /// Code as text (`940280101`, `94028`, `ES05`, `T3`, `94`).
    pub code: String,
    pub name: String,
    /// Codes of the zones containing this one, by level (an IRIS knows its commune, ES,
    /// territoire and département; an ES its territoire…).
    pub parents: BTreeMap<Level, String>,
    /// Planimetric area in Lambert-93, km².
    pub area_km2: f64,
    /// Indices of the member IRIS in the IRIS level.
    pub iris: Vec<u32>,
    pub geometry: TopoGeometry,
    /// Further attributes (IRIS type, ES address and opening hours…).
    pub attributes: BTreeMap<String, String>,
}

impl Zone {
    pub fn parent(&self, level: Level) -> Option<&str> {
        self.parents.get(&level).map(String::as_str)
    }
}
