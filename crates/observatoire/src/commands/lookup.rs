//! `observatoire lookup`: the IRIS, commune, Espace de Solidarité and territoire of a point,
//! of an address, or of every row of a CSV file; and loading the places (town halls, imported
//! BAN addresses) that the search and the server use.
use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::{Path, PathBuf};
use zones::Bundle;
use zones::crs::Crs;

use crate::Cli;
use crate::fmt::format_fr;

/// Trouve l'IRIS, la commune, l'Espace de Solidarité et le territoire d'un point, d'une
/// adresse, ou de chaque ligne d'un fichier CSV.
#[derive(clap::Args)]
#[command(after_help = "Exemples :
  observatoire lookup --lon 2.4557 --lat 48.7803
  observatoire lookup --x 660001.4 --y 6853499.2
  observatoire lookup --address \"12 avenue du Général-de-Gaulle, Créteil\"
  observatoire lookup --search \"créteuil\"
  observatoire lookup --csv beneficiaires.csv --lon-col longitude --lat-col latitude --out places.csv
  observatoire lookup --csv bpe2019_94.csv --x-col LAMBERT_X --y-col LAMBERT_Y --crs EPSG:2154 --out bpe-es.csv
  observatoire lookup --csv beneficiaires.csv --address-col adresse --out places.csv

En mode fichier, les colonnes iris, commune, es, territoire et motif (raison d'une ligne non
placée) sont ajoutées à chaque ligne ; avec --address-col, aussi adresse_trouvee et precision.
Les adresses viennent de la Base Adresse Nationale importée par `observatoire import-addresses`.")]
pub struct Args {
    /// Longitude WGS84 (degrés) d'un point.
    #[arg(long, allow_hyphen_values = true)]
    lon: Option<String>,
    /// Latitude WGS84 (degrés) d'un point.
    #[arg(long, allow_hyphen_values = true)]
    lat: Option<String>,
    /// Abscisse Lambert-93 (mètres) d'un point.
    #[arg(long, allow_hyphen_values = true)]
    x: Option<String>,
    /// Ordonnée Lambert-93 (mètres) d'un point.
    #[arg(long, allow_hyphen_values = true)]
    y: Option<String>,
    /// Une adresse postale, géocodée sur la Base Adresse Nationale importée.
    #[arg(long)]
    address: Option<String>,
    /// Affiche les suggestions de la recherche (communes, ES, quartiers, mairies, adresses).
    #[arg(long, value_name = "TEXTE")]
    search: Option<String>,
    /// Nombre de suggestions avec --search.
    #[arg(long, default_value_t = 10)]
    limit: usize,
    /// Fichier CSV à traiter ligne par ligne.
    #[arg(long, value_name = "ENTREE.csv")]
    csv: Option<PathBuf>,
    /// Fichier CSV écrit (obligatoire avec --csv).
    #[arg(long, value_name = "SORTIE.csv")]
    out: Option<PathBuf>,
    /// Colonne de la longitude (WGS84).
    #[arg(long, value_name = "COLONNE")]
    lon_col: Option<String>,
    /// Colonne de la latitude (WGS84).
    #[arg(long, value_name = "COLONNE")]
    lat_col: Option<String>,
    /// Colonne de l'abscisse (voir --crs).
    #[arg(long, value_name = "COLONNE")]
    x_col: Option<String>,
    /// Colonne de l'ordonnée (voir --crs).
    #[arg(long, value_name = "COLONNE")]
    y_col: Option<String>,
    /// Système de coordonnées de --x-col/--y-col : EPSG:2154 (Lambert-93) ou EPSG:4326.
    #[arg(long, default_value = "EPSG:2154")]
    crs: String,
    /// Colonne de l'adresse postale (géocodée sur la Base Adresse Nationale importée).
    #[arg(long, value_name = "COLONNE")]
    address_col: Option<String>,
    /// Séparateur du CSV (détecté sinon parmi « ; », « , », tabulation, « | »).
    #[arg(long)]
    delimiter: Option<char>,
    /// Ni barre de progression ni résumé.
    #[arg(long, short)]
    quiet: bool,
}

/// The bundle path the other commands use.
pub fn bundle_path(cli: &Cli) -> PathBuf {
    cli.bundle
        .clone()
        .unwrap_or_else(|| super::build::default_bundle_path(&cli.config_path()))
}

/// Town halls (from the configuration's data folder) and the BAN addresses imported beside
/// the bundle. Problems are warnings: search then covers what it can.
pub fn load_places(cli: &Cli, bundle: &Bundle, verbose: bool) -> lookup::Places {
    places_at(&cli.config_path(), &bundle_path(cli), bundle, verbose)
}

/// [`load_places`] from explicit paths (the server's reloader keeps them, not the `Cli`).
pub fn places_at(
    config_path: &Path,
    bundle_path: &Path,
    bundle: &Bundle,
    verbose: bool,
) -> lookup::Places {
    let mairies = zones::Config::load(config_path)
        .ok()
        .map(|c| lookup::mairies_path(&c.data_dir(), &bundle.meta.code));
    let addresses = lookup::addresses::addresses_path_for(bundle_path);
    let (places, warnings) = lookup::Places::load(mairies.as_deref(), Some(&addresses));
    for w in warnings {
        eprintln!("attention : {w}");
    }
    if verbose {
        match &places.addresses {
            Some(book) => eprintln!(
                "recherche : {} adresses de {} voies importées de {}",
                format_fr(book.numbers.len() as f64, 0),
                format_fr(book.streets.len() as f64, 0),
                book.source
            ),
            None => eprintln!(
                "recherche : zones et mairies ; pour les adresses, importez la Base Adresse Nationale : observatoire import-addresses adresses-{}.csv.gz",
                bundle.meta.code
            ),
        }
    }
    places
}

/// A byte progress bar on stderr (hidden when stderr is not a terminal).
pub struct ByteBar(ProgressBar);

impl ByteBar {
    pub fn new(quiet: bool, message: &str) -> ByteBar {
        let bar = if quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr())
        };
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {percent:>3} % {bytes}/{total_bytes} ({eta})",
            )
            .expect("static template")
            .progress_chars("=> "),
        );
        bar.set_message(message.to_string());
        ByteBar(bar)
    }
}

impl lookup::Progress for ByteBar {
    fn start(&self, total: u64) {
        self.0.set_length(total);
    }
    fn set(&self, done: u64) {
        self.0.set_position(done);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

fn number(name: &str, v: &str) -> Result<f64> {
    lookup::batch::parse_coordinate(v)
        .with_context(|| format!("--{name} « {v} » n'est pas un nombre"))
}

pub fn run(cli: &Cli, args: &Args) -> Result<()> {
    let single = [
        args.lon.is_some() || args.lat.is_some(),
        args.x.is_some() || args.y.is_some(),
        args.address.is_some(),
        args.search.is_some(),
        args.csv.is_some(),
    ];
    match single.iter().filter(|&&b| b).count() {
        0 => bail!(
            "indiquez un point (--lon/--lat ou --x/--y), une adresse (--address), une recherche (--search) ou un fichier (--csv … --out …) ; voir observatoire lookup --help"
        ),
        1 => {}
        _ => bail!(
            "une seule demande à la fois : --lon/--lat, --x/--y, --address, --search ou --csv"
        ),
    }
    if args.csv.is_none()
        && (args.out.is_some()
            || args.lon_col.is_some()
            || args.lat_col.is_some()
            || args.x_col.is_some()
            || args.y_col.is_some()
            || args.address_col.is_some())
    {
        bail!("--out et les options --…-col ne s'emploient qu'avec --csv");
    }
    let bundle = super::build::load_or_build(&cli.config_path(), cli.bundle.clone())?;
    if let Some(input) = &args.csv {
        return batch(cli, args, bundle, input);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    use std::io::Write;
    if let Some(q) = &args.search {
        let places = load_places(cli, &bundle, false);
        let l = lookup::Lookup::with_places(&bundle, places);
        let results = l.gazetteer.search(q, args.limit.clamp(1, 50));
        let text = serde_json::to_string_pretty(&lookup::search::Answer::new(q, &results))?;
        writeln!(out, "{text}")?;
        return Ok(());
    }
    let locator = lookup::Locator::new(&bundle);
    let placement = if let Some(address) = &args.address {
        let places = load_places(cli, &bundle, false);
        if places.addresses.is_none() {
            bail!(
                "aucune adresse importée : lancez d'abord `observatoire import-addresses adresses-{}.csv.gz` (téléchargement : {})",
                bundle.meta.code,
                lookup::addresses::ban_download_url(&bundle.meta.code)
            );
        }
        let g = lookup::Gazetteer::new(&bundle, &[], places.addresses);
        let found = g.geocode(address).map_err(|f| {
            use lookup::search::GeocodeFailure as F;
            anyhow::anyhow!(match f {
                F::Empty => "adresse vide".to_string(),
                F::NotFound => format!("adresse introuvable dans la Base Adresse Nationale : « {address} »"),
                F::Ambiguous => format!("adresse ambiguë (la même voie existe dans plusieurs communes) : « {address} » — ajoutez la commune ou le code postal"),
            })
        })?;
        eprintln!(
            "adresse trouvée : {} ({})",
            found.label,
            found.precision.label()
        );
        locator.lookup_l93(found.x, found.y)
    } else if args.x.is_some() || args.y.is_some() {
        let (Some(x), Some(y)) = (&args.x, &args.y) else {
            bail!("--x et --y vont ensemble (Lambert-93, mètres)");
        };
        locator.lookup_l93(number("x", x)?, number("y", y)?)
    } else {
        let (Some(lon), Some(lat)) = (&args.lon, &args.lat) else {
            bail!("--lon et --lat vont ensemble (degrés WGS84)");
        };
        locator.lookup_lonlat(number("lon", lon)?, number("lat", lat)?)
    };
    let placement = placement.map_err(|e| anyhow::anyhow!("{e}"))?;
    let text = serde_json::to_string_pretty(&placement)?;
    writeln!(out, "{text}")?;
    if placement.illustrative {
        eprintln!(
            "note : composition des Espaces de Solidarité ILLUSTRATIVE (pas la table réelle du Département)."
        );
    }
    Ok(())
}

fn batch(cli: &Cli, args: &Args, bundle: Bundle, input: &Path) -> Result<()> {
    let Some(output) = &args.out else {
        bail!("--out SORTIE.csv est obligatoire avec --csv");
    };
    let source = match (
        (&args.lon_col, &args.lat_col),
        (&args.x_col, &args.y_col),
        &args.address_col,
    ) {
        ((Some(lon), Some(lat)), (None, None), None) => lookup::batch::Source::LonLat {
            lon: lon.clone(),
            lat: lat.clone(),
        },
        ((None, None), (Some(x), Some(y)), None) => {
            let crs = Crs::from_user(&args.crs).with_context(|| {
                format!(
                    "--crs « {} » : seuls EPSG:2154 (Lambert-93) et EPSG:4326 (WGS84) sont pris en charge",
                    args.crs
                )
            })?;
            lookup::batch::Source::Xy {
                x: x.clone(),
                y: y.clone(),
                crs,
            }
        }
        ((None, None), (None, None), Some(c)) => {
            lookup::batch::Source::Address { column: c.clone() }
        }
        _ => bail!(
            "indiquez les colonnes du point : --lon-col et --lat-col, ou --x-col et --y-col (avec --crs), ou --address-col"
        ),
    };
    let delimiter = match args.delimiter {
        None => None,
        Some(c) if c.is_ascii() && c != '"' && c != '\n' => Some(c as u8),
        Some(c) => {
            bail!("--delimiter « {c} » : un caractère ASCII autre que le guillemet est attendu")
        }
    };
    let started = std::time::Instant::now();
    let locator = lookup::Locator::new(&bundle);
    let gazetteer = if matches!(source, lookup::batch::Source::Address { .. }) {
        let places = load_places(cli, &bundle, false);
        if places.addresses.is_none() {
            bail!(
                "aucune adresse importée : lancez d'abord `observatoire import-addresses adresses-{}.csv.gz` (téléchargement : {})",
                bundle.meta.code,
                lookup::addresses::ban_download_url(&bundle.meta.code)
            );
        }
        Some(lookup::Gazetteer::new(&bundle, &[], places.addresses))
    } else {
        None
    };
    let options = lookup::batch::Options {
        input: input.to_path_buf(),
        output: output.clone(),
        source,
        delimiter,
    };
    let bar = ByteBar::new(args.quiet, "placement");
    let report = lookup::batch::place_csv(&options, &locator, gazetteer.as_ref(), &bar)?;
    if !args.quiet {
        print_report(
            &mut std::io::stdout().lock(),
            &report,
            output,
            bundle.meta.illustrative_composition,
            started.elapsed(),
        )?;
    }
    Ok(())
}

fn percent(part: u64, total: u64) -> String {
    if total == 0 {
        "—".into()
    } else {
        format!("{} %", format_fr(100.0 * part as f64 / total as f64, 1))
    }
}

fn print_report(
    w: &mut impl std::io::Write,
    r: &lookup::batch::Report,
    output: &Path,
    illustrative: bool,
    elapsed: std::time::Duration,
) -> std::io::Result<()> {
    let delim = match r.delimiter {
        b'\t' => "tabulation".to_string(),
        d => format!("« {} »", d as char),
    };
    writeln!(
        w,
        "Fichier écrit : {} (séparateur {delim}, UTF-8{}) ; colonnes ajoutées : {}",
        output.display(),
        if r.latin1 {
            ", converti depuis Latin-1"
        } else {
            ""
        },
        r.added_columns.join(", ")
    )?;
    let unplaced = r.rows - r.placed;
    writeln!(
        w,
        "lignes : {} ; placées : {} ({}) ; non placées : {} ({})",
        format_fr(r.rows as f64, 0),
        format_fr(r.placed as f64, 0),
        percent(r.placed, r.rows),
        format_fr(unplaced as f64, 0),
        percent(unplaced, r.rows)
    )?;
    if r.on_border > 0 {
        writeln!(
            w,
            "  dont {} sur une limite entre IRIS (rattachées à l'IRIS de plus petit code)",
            format_fr(r.on_border as f64, 0)
        )?;
    }
    if !r.precision.is_empty() {
        let parts: Vec<String> = r
            .precision
            .iter()
            .map(|(p, n)| format!("{} au {}", format_fr(*n as f64, 0), p.label()))
            .collect();
        writeln!(w, "  géocodage : {}", parts.join(", "))?;
    }
    if !r.unplaced.is_empty() {
        writeln!(w, "Lignes non placées, par motif (colonne « motif ») :")?;
        for (reason, tally) in &r.unplaced {
            let lines: Vec<String> = tally.lines.iter().map(|l| l.to_string()).collect();
            writeln!(
                w,
                "  {:<60} {:>9}   {} : lignes {}{}",
                reason.label(),
                format_fr(tally.count as f64, 0),
                reason.code(),
                lines.join(", "),
                if tally.count > tally.lines.len() as u64 {
                    ", …"
                } else {
                    ""
                }
            )?;
        }
    }
    writeln!(
        w,
        "Répartition par Espace de Solidarité{} :",
        if illustrative {
            " (composition ILLUSTRATIVE)"
        } else {
            ""
        }
    )?;
    for (code, name, n) in &r.per_es {
        writeln!(w, "  {code:<6} {name:<50} {:>9}", format_fr(*n as f64, 0))?;
    }
    let secs = elapsed.as_secs_f64();
    writeln!(
        w,
        "durée : {} s ({} lignes par seconde)",
        format_fr(secs, 2),
        format_fr(
            if secs > 0.0 {
                r.rows as f64 / secs
            } else {
                0.0
            },
            0
        )
    )?;
    Ok(())
}
