//! Batch placement of a CSV file: every row gets the IRIS, commune, ES and territoire of its
//! point (lon/lat, Lambert-93 x/y, or a postal address geocoded on the BAN), and a summary
//! tells how many rows were not placed and why.
//!
//! Input: the delimiter is detected from the header (`;`, `,`, tab, `|`), text is UTF-8 (BOM
//! accepted) or else Latin-1/windows-1252, decimals may use a comma. Output: the same columns
//! and delimiter, in UTF-8, plus `iris, commune, es, territoire` (suffixed `_lookup` if the
//! input already has such a column), `motif` (why a row was not placed, empty otherwise) and,
//! in address mode, `adresse_trouvee` and `precision`. It is written to a temporary file in
//! the output folder and renamed at the end, so a failed run leaves no half-written file.
use geo::Coord;
use std::collections::BTreeMap;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use zones::crs::{Crs, reproject_coords};

use crate::Progress;
use crate::addresses::Tally;
use crate::error::{Error, Result};
use crate::index::Hit;
use crate::locator::Locator;
use crate::search::{Gazetteer, GeocodeFailure, Precision};

/// Where the point of a row comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// WGS84 longitude and latitude columns.
    LonLat { lon: String, lat: String },
    /// Projected (or any supported CRS) x and y columns.
    Xy { x: String, y: String, crs: Crs },
    /// A postal address column, geocoded on the imported BAN.
    Address { column: String },
}

#[derive(Debug, Clone)]
pub struct Options {
    pub input: PathBuf,
    pub output: PathBuf,
    pub source: Source,
    /// Force the delimiter instead of detecting it.
    pub delimiter: Option<u8>,
}

/// Why a row was not placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reason {
    EmptyCoordinates,
    UnreadableCoordinates,
    OutOfRange,
    LooksProjected,
    Swapped,
    Outside,
    EmptyAddress,
    AddressNotFound,
    AmbiguousAddress,
}

impl Reason {
    pub fn label(self) -> &'static str {
        match self {
            Reason::EmptyCoordinates => "coordonnées absentes (vides, NA, null…)",
            Reason::UnreadableCoordinates => "coordonnées illisibles",
            Reason::OutOfRange => "coordonnées hors des bornes longitude/latitude",
            Reason::LooksProjected => {
                "coordonnées en mètres, pas en degrés (Lambert-93 ? utilisez --x-col/--y-col)"
            }
            Reason::Swapped => "longitude et latitude inversées",
            Reason::Outside => "point hors du département",
            Reason::EmptyAddress => "adresse vide",
            Reason::AddressNotFound => "adresse introuvable dans la Base Adresse Nationale",
            Reason::AmbiguousAddress => {
                "adresse ambiguë (même voie dans plusieurs communes : ajoutez la commune ou le code postal)"
            }
        }
    }

    /// Short code written in the `motif` column.
    pub fn code(self) -> &'static str {
        match self {
            Reason::EmptyCoordinates => "coordonnees_vides",
            Reason::UnreadableCoordinates => "coordonnees_illisibles",
            Reason::OutOfRange => "hors_bornes",
            Reason::LooksProjected => "coordonnees_projetees",
            Reason::Swapped => "lon_lat_inversees",
            Reason::Outside => "hors_departement",
            Reason::EmptyAddress => "adresse_vide",
            Reason::AddressNotFound => "adresse_introuvable",
            Reason::AmbiguousAddress => "adresse_ambigue",
        }
    }
}

/// What a batch run did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub rows: u64,
    pub placed: u64,
    /// Rows placed on a border between IRIS (border rule applied).
    pub on_border: u64,
    pub unplaced: BTreeMap<Reason, Tally>,
    /// Rows placed per ES: `(code, name, count)`, in ES order.
    pub per_es: Vec<(String, String, u64)>,
    /// Address mode: rows geocoded per precision.
    pub precision: BTreeMap<Precision, u64>,
    pub delimiter: u8,
    /// The input was not UTF-8 and was read as Latin-1 (windows-1252).
    pub latin1: bool,
    /// The columns added, as named in the output.
    pub added_columns: Vec<String>,
}

/// Detect the delimiter of a header line: the most frequent of `;`, `,`, tab, `|` outside
/// quotes; `,` when none.
pub fn detect_delimiter(header: &[u8]) -> u8 {
    let mut counts = [0usize; 4];
    let cands = [b';', b',', b'\t', b'|'];
    let mut quoted = false;
    for &b in header {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted && let Some(i) = cands.iter().position(|&c| c == b) {
            counts[i] += 1;
        }
    }
    let (i, &n) = counts
        .iter()
        .enumerate()
        .max_by_key(|&(i, &n)| (n, std::cmp::Reverse(i)))
        .unwrap_or((1, &0));
    if n == 0 { b',' } else { cands[i] }
}

/// Parse a coordinate written with a point or a comma as decimal separator.
pub fn parse_coordinate(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let v: f64 = if s.contains(',') && !s.contains('.') {
        s.replace(',', ".").parse().ok()?
    } else {
        s.parse().ok()?
    };
    v.is_finite().then_some(v)
}

/// An empty cell or a missing-value marker (`NA`, `null`, `nd`…).
fn is_missing(s: &str) -> bool {
    let t = s.trim();
    t.is_empty()
        || ["na", "n/a", "nan", "null", "none", "nd", "-", "?"]
            .iter()
            .any(|m| t.eq_ignore_ascii_case(m))
}

fn decode(field: &[u8], latin1: &mut bool) -> String {
    match std::str::from_utf8(field) {
        Ok(s) => s.to_string(),
        Err(_) => {
            *latin1 = true;
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(field)
                .0
                .into_owned()
        }
    }
}

/// What one row resolved to before output.
enum Outcome {
    Placed(Hit, Option<(String, Precision)>),
    Unplaced(Reason),
}

/// Rows are processed in chunks so that WGS84 points are reprojected together.
const CHUNK: usize = 4096;

/// Place every row of a CSV file. `gazetteer` (with imported addresses) is required in
/// address mode.
pub fn place_csv(
    options: &Options,
    locator: &Locator,
    gazetteer: Option<&Gazetteer>,
    progress: &dyn Progress,
) -> Result<Report> {
    let input = &options.input;
    if same_file(input, &options.output) {
        return Err(Error::Usage(format!(
            "le fichier de sortie doit être différent du fichier d'entrée ({})",
            input.display()
        )));
    }
    let geocoder = match (&options.source, gazetteer) {
        (Source::Address { .. }, Some(g)) if g.street_count() > 0 => Some(g),
        (Source::Address { .. }, _) => {
            return Err(Error::Usage(
                "aucune adresse importée : lancez d'abord `observatoire import-addresses adresses-94.csv.gz` (Base Adresse Nationale)".into(),
            ));
        }
        _ => None,
    };
    let file = std::fs::File::open(input).map_err(|e| Error::io(input, e))?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = std::io::BufReader::new(file);
    let delimiter = match options.delimiter {
        Some(d) => d,
        None => {
            use std::io::BufRead;
            let head = reader.fill_buf().map_err(|e| Error::io(input, e))?;
            let end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
            detect_delimiter(&head[..end])
        }
    };
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(reader);
    let csv_err = |line: u64, e: csv::Error| Error::Csv {
        path: input.clone(),
        line,
        message: e.to_string(),
    };
    let mut latin1 = false;
    let headers: Vec<String> = rdr
        .byte_headers()
        .map_err(|e| csv_err(1, e))?
        .iter()
        .map(|h| decode(h, &mut latin1).trim().to_string())
        .collect();
    let find = |name: &str| -> Result<usize> {
        headers
            .iter()
            .position(|h| h == name)
            .or_else(|| {
                headers
                    .iter()
                    .position(|h| h.eq_ignore_ascii_case(name.trim()))
            })
            .ok_or_else(|| Error::MissingColumns {
                path: input.clone(),
                missing: format!("« {name} »"),
                available: headers.join(", "),
            })
    };
    let (a, b, crs) = match &options.source {
        Source::LonLat { lon, lat } => (find(lon)?, find(lat)?, Crs::Wgs84),
        Source::Xy { x, y, crs } => (find(x)?, find(y)?, *crs),
        Source::Address { column } => {
            let c = find(column)?;
            (c, c, Crs::Lambert93)
        }
    };

    let mut added: Vec<String> = ["iris", "commune", "es", "territoire", "motif"]
        .map(String::from)
        .to_vec();
    if geocoder.is_some() {
        added.extend(["adresse_trouvee", "precision"].map(String::from));
    }
    for c in &mut added {
        if headers.iter().any(|h| h.eq_ignore_ascii_case(c)) {
            c.push_str("_lookup");
        }
    }

    let werr = |source: std::io::Error| Error::Write {
        path: options.output.clone(),
        source,
    };
    // Written to `.<output name>.XXXXXX.tmp` beside the output, locked while written, then
    // renamed over it; leftovers of an earlier killed run for this output are removed first.
    zones::bundle::remove_stale_temp_files(&options.output);
    let tmp = zones::bundle::create_temp_file(&options.output).map_err(werr)?;
    let mut wtr = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        .from_writer(BufWriter::with_capacity(1 << 16, tmp));
    let write_err = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(io) => werr(io),
        other => werr(std::io::Error::other(format!("{other:?}"))),
    };
    let mut header_out = headers.clone();
    header_out.extend(added.iter().cloned());
    wtr.write_record(&header_out).map_err(write_err)?;

    progress.start(total);
    let mut report = Report {
        delimiter,
        added_columns: added.clone(),
        ..Report::default()
    };
    let es_list = locator.es_list();
    let mut per_es = vec![0u64; es_list.len()];
    let mut chunk: Vec<(csv::ByteRecord, u64)> = Vec::with_capacity(CHUNK);
    let mut eof = false;
    while !eof {
        chunk.clear();
        while chunk.len() < CHUNK {
            let mut rec = csv::ByteRecord::new();
            match rdr.read_byte_record(&mut rec) {
                Ok(true) => {
                    let line = rec.position().map(|p| p.line()).unwrap_or(0);
                    chunk.push((rec, line));
                }
                Ok(false) => {
                    eof = true;
                    break;
                }
                Err(e) => {
                    let line = e.position().map(|p| p.line()).unwrap_or(0);
                    return Err(csv_err(line, e));
                }
            }
        }
        // 1. Points (or their absence) for the chunk.
        let mut points: Vec<Result<Coord<f64>, Reason>> = Vec::with_capacity(chunk.len());
        let mut geocoded: Vec<Option<(String, Precision)>> = vec![None; chunk.len()];
        for (k, (rec, _)) in chunk.iter().enumerate() {
            let mut field = |i: usize| decode(rec.get(i).unwrap_or(b""), &mut latin1);
            if let Some(g) = geocoder {
                let text = field(a);
                points.push(match g.geocode(&text) {
                    Ok(found) => {
                        geocoded[k] = Some((found.label, found.precision));
                        Ok(Coord {
                            x: found.x,
                            y: found.y,
                        })
                    }
                    Err(GeocodeFailure::Empty) => Err(Reason::EmptyAddress),
                    Err(GeocodeFailure::NotFound) => Err(Reason::AddressNotFound),
                    Err(GeocodeFailure::Ambiguous) => Err(Reason::AmbiguousAddress),
                });
                continue;
            }
            let (sa, sb) = (field(a), field(b));
            points.push(if is_missing(&sa) || is_missing(&sb) {
                Err(Reason::EmptyCoordinates)
            } else {
                match (parse_coordinate(&sa), parse_coordinate(&sb)) {
                    (Some(x), Some(y)) => Ok(Coord { x, y }),
                    _ => Err(Reason::UnreadableCoordinates),
                }
            });
        }
        // 2. WGS84 → Lambert-93, all valid points of the chunk at once.
        let mut swapped_ok: Vec<bool> = vec![false; chunk.len()];
        if crs == Crs::Wgs84 && geocoder.is_none() {
            for p in points.iter_mut() {
                if let Ok(c) = p
                    && (c.x.abs() > 180.0 || c.y.abs() > 90.0)
                {
                    *p = Err(if c.x.abs() > 1000.0 && c.y.abs() > 1000.0 {
                        Reason::LooksProjected
                    } else {
                        Reason::OutOfRange
                    });
                }
            }
            let mut coords: Vec<Coord<f64>> = points
                .iter()
                .filter_map(|p| p.as_ref().ok().copied())
                .collect();
            let originals = coords.clone();
            if reproject_coords(&mut coords, Crs::Wgs84, Crs::Lambert93).is_err() {
                // One bad point spoils the batch call: redo one by one.
                for (c, o) in coords.iter_mut().zip(&originals) {
                    let mut one = [*o];
                    *c = match reproject_coords(&mut one, Crs::Wgs84, Crs::Lambert93) {
                        Ok(()) => one[0],
                        Err(_) => Coord {
                            x: f64::NAN,
                            y: f64::NAN,
                        },
                    };
                }
            }
            let mut it = coords.into_iter().zip(originals);
            for (k, p) in points.iter_mut().enumerate() {
                if p.is_ok()
                    && let Some((c, o)) = it.next()
                {
                    *p = Ok(c);
                    // Would the point be inside with longitude and latitude swapped?
                    if locator.locate_l93(c.x, c.y).is_none()
                        && let Ok((x, y)) = Locator::lonlat_to_l93(o.y, o.x)
                    {
                        swapped_ok[k] = locator.locate_l93(x, y).is_some();
                    }
                }
            }
        }
        // 3. Locate and write.
        for (k, ((rec, line), p)) in chunk.iter().zip(points).enumerate() {
            report.rows += 1;
            let outcome = match p {
                Err(r) => Outcome::Unplaced(r),
                Ok(c) => match locator.locate_l93(c.x, c.y) {
                    Some(hit) => Outcome::Placed(hit, geocoded[k].take()),
                    None if swapped_ok[k] => Outcome::Unplaced(Reason::Swapped),
                    None => Outcome::Unplaced(Reason::Outside),
                },
            };
            let mut out: Vec<String> = (0..rec.len())
                .map(|i| decode(rec.get(i).unwrap_or(b""), &mut latin1))
                .collect();
            match outcome {
                Outcome::Placed(hit, geo) => {
                    report.placed += 1;
                    if hit.border {
                        report.on_border += 1;
                    }
                    let codes = locator.codes(hit);
                    out.extend(codes.iter().map(|c| c.to_string()));
                    out.push(String::new());
                    if let Some(pos) = es_list.iter().position(|e| e.code == codes[2]) {
                        per_es[pos] += 1;
                    }
                    if geocoder.is_some() {
                        let (label, precision) = geo.unwrap_or((String::new(), Precision::Street));
                        *report.precision.entry(precision).or_default() += 1;
                        out.push(label);
                        out.push(precision.label().to_string());
                    }
                }
                Outcome::Unplaced(reason) => {
                    report.unplaced.entry(reason).or_default().add(*line);
                    out.extend(std::iter::repeat_n(String::new(), 4));
                    out.push(reason.code().to_string());
                    if geocoder.is_some() {
                        out.extend([String::new(), String::new()]);
                    }
                }
            }
            wtr.write_record(&out).map_err(write_err)?;
        }
        progress.set(rdr.position().byte());
    }
    progress.set(total);
    progress.finish();
    report.latin1 = latin1;
    report.per_es = es_list
        .iter()
        .zip(per_es)
        .map(|(e, n)| (e.code.clone(), e.name.clone(), n))
        .collect();

    let buf = wtr
        .into_inner()
        .map_err(|e| werr(std::io::Error::other(e.to_string())))?;
    let tmp = buf.into_inner().map_err(|e| werr(e.into_error()))?;
    tmp.as_file().sync_all().map_err(werr)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(werr)?;
    }
    tmp.persist(&options.output).map_err(|e| werr(e.error))?;
    Ok(report)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_and_numbers() {
        assert_eq!(detect_delimiter(b"a;b;c"), b';');
        assert_eq!(detect_delimiter(b"a,b,c"), b',');
        assert_eq!(detect_delimiter(b"\"x;y\",b,c"), b',');
        assert_eq!(detect_delimiter(b"a\tb"), b'\t');
        assert_eq!(detect_delimiter(b"abc"), b',');
        assert_eq!(parse_coordinate(" 2,45 "), Some(2.45));
        assert_eq!(parse_coordinate("652941.5"), Some(652_941.5));
        assert_eq!(parse_coordinate("1,234.5"), None);
        assert_eq!(parse_coordinate("NaN"), None);
        assert_eq!(parse_coordinate("inf"), None);
        assert_eq!(parse_coordinate(""), None);
    }
}
