//! Indicators of the observatory: a catalogue describes each indicator (numerator and
//! denominator as sums of source variables, kind, secrecy rules); source tables (INSEE CSV,
//! XLSX, GeoJSON properties) are joined to the zones with diagnostics; values are aggregated
//! as ratios of sums up the nested levels, compared with the département, the région, France
//! and the commune's demographic stratum, followed over time, and classified for maps.
//! Withheld values (secret, small numbers) never leave this crate as numbers.

pub mod catalogue;
pub mod classify;
pub mod compute;
pub mod error;
pub mod export;
pub mod format;
pub mod palette;
pub mod table;

pub use catalogue::{Catalogue, Indicator, Kind, Visibility};
pub use compute::{IndicatorSet, Record, Status, compute};
pub use error::{Error, Result};

/// Name of the bundle section holding the computed indicators.
pub const SECTION: &str = "indicators";
