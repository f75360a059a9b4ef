//! `observatoire`: the map server and cartography tool of the Val-de-Marne social observatory.
//! A thin shell over the library crates: every subcommand parses its arguments, calls the
//! library and prints in French.
use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};

mod progress;

use zones::{Bundle, Config, Level};

const DEFAULT_CONFIG: &str = "boundaries/val-de-marne/observatoire.toml";

#[derive(Parser)]
#[command(
    name = "observatoire",
    version,
    about = "Observatoire social du Val-de-Marne : zones, indicateurs et cartes",
    after_help = "Exemples :\n  observatoire build\n  observatoire zones --level es --format geojson > es.geojson\n  observatoire zones --level iris --format csv > iris.csv\n  observatoire --config mon-territoire/observatoire.toml build --out build/mon-territoire.bundle"
)]
struct Cli {
    /// Fichier de configuration du territoire (défaut : boundaries/val-de-marne/observatoire.toml,
    /// ou la variable OBSERVATOIRE_CONFIG).
    #[arg(long, global = true, env = "OBSERVATOIRE_CONFIG")]
    config: Option<PathBuf>,

    /// Paquet de données construit par `build` (défaut : build/<territoire>.bundle).
    #[arg(long, global = true, env = "OBSERVATOIRE_BUNDLE")]
    bundle: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lit les contours IGN/INSEE, contrôle, construit les cinq niveaux emboîtés et les QPV,
    /// et écrit le paquet de données (atomiquement : l'ancien reste intact en cas d'échec).
    #[command(
        after_help = "Exemple :\n  observatoire build\n  observatoire build --out /tmp/essai.bundle"
    )]
    Build {
        /// Fichier de sortie (défaut : --bundle).
        #[arg(long)]
        out: Option<PathBuf>,
        /// N'affiche ni barre de progression ni résumé.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Exporte les zones d'un niveau sur la sortie standard.
    #[command(
        after_help = "Exemples :\n  observatoire zones --level commune --format geojson > communes.geojson\n  observatoire zones --level es --format csv"
    )]
    Zones {
        /// Niveau : iris, commune, es, territoire, departement, qpv.
        #[arg(long, value_parser = parse_level)]
        level: Level,
        /// Format de sortie.
        #[arg(long, value_enum, default_value_t = ZonesFormat::Geojson)]
        format: ZonesFormat,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ZonesFormat {
    Geojson,
    Csv,
}

fn parse_level(s: &str) -> Result<Level, String> {
    Level::parse(s).ok_or_else(|| {
        format!("niveau inconnu « {s} » : iris, commune, es, territoire, departement ou qpv")
    })
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("OBSERVATOIRE_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        // A closed pipe (`observatoire zones … | head`) is the reader's choice, not an error.
        if e.chain().any(|c| {
            c.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
        }) {
            return;
        }
        eprintln!("erreur : {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    let config_path = cli
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG));
    match cli.command {
        Command::Build { out, quiet } => {
            let config = Config::load(&config_path)?;
            let out = out
                .or(cli.bundle)
                .unwrap_or_else(|| default_bundle_path(&config_path));
            build(&config, &out, quiet)?;
        }
        Command::Zones { level, format } => {
            let bundle = load_or_build(&config_path, cli.bundle)?;
            if bundle.meta.illustrative_composition
                && matches!(level, Level::Es | Level::Territoire | Level::Iris)
            {
                eprintln!(
                    "note : la composition des Espaces de Solidarité et des territoires est ILLUSTRATIVE (pas la table réelle du Département)."
                );
            }
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            match format {
                ZonesFormat::Geojson => {
                    serde_json::to_writer(&mut out, &zones::export::geojson(&bundle, level)?)?;
                    writeln!(out)?;
                }
                ZonesFormat::Csv => {
                    let mut w = csv::Writer::from_writer(&mut out);
                    w.write_record(zones::export::columns(level))?;
                    for row in zones::export::rows(&bundle, level) {
                        w.write_record(row)?;
                    }
                    w.flush()?;
                }
            }
            out.flush()?;
        }
    }
    Ok(())
}

/// `build/<folder of the configuration>.bundle`, e.g. `build/val-de-marne.bundle`.
fn default_bundle_path(config: &Path) -> PathBuf {
    let name = config
        .canonicalize()
        .ok()
        .and_then(|p| {
            p.parent()
                .and_then(|d| d.file_name())
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "observatoire".into());
    PathBuf::from("build").join(format!("{name}.bundle"))
}

/// Load the bundle, building it first from the configuration when it does not exist yet.
fn load_or_build(config_path: &Path, bundle: Option<PathBuf>) -> Result<Bundle> {
    let path = bundle.unwrap_or_else(|| default_bundle_path(config_path));
    if !path.exists() {
        eprintln!(
            "paquet {} absent : construction à partir de {}",
            path.display(),
            config_path.display()
        );
        let config = Config::load(config_path)?;
        return build(&config, &path, true);
    }
    Ok(Bundle::load(&path)?)
}

fn build(config: &Config, out: &Path, quiet: bool) -> Result<Bundle> {
    let started = std::time::Instant::now();
    let bars = progress::Bars::new(quiet);
    let (bundle, report) = zones::build(config, &bars)?;
    bars.finish();
    bundle
        .save(out)
        .with_context(|| format!("écriture du paquet {}", out.display()))?;
    if bundle.zones(Level::Iris).is_empty() {
        bail!("aucun IRIS lu");
    }
    if !quiet {
        print_summary(&bundle, &report, out, started.elapsed());
    }
    Ok(bundle)
}

fn print_summary(
    bundle: &Bundle,
    report: &zones::BuildReport,
    out: &Path,
    elapsed: std::time::Duration,
) {
    let m = &bundle.meta;
    println!(
        "Paquet écrit : {} ({} — IRIS en {}, encodage {})",
        out.display(),
        m.name,
        m.iris_crs,
        m.iris_encoding.as_deref().unwrap_or("UTF-8")
    );
    println!("{:<28} {:>7} {:>14}", "niveau", "zones", "surface (km²)");
    for (level, n) in &report.counts {
        let area = report
            .areas_km2
            .iter()
            .find(|(l, _)| l == level)
            .map(|(_, a)| format_fr(*a, 2))
            .unwrap_or_else(|| "—".into());
        println!("{:<28} {:>7} {:>14}", level.label(), n, area);
    }
    println!(
        "topologie partagée : {} arcs, {} sommets ; {} recoupements IRIS × QPV",
        format_fr(report.arcs as f64, 0),
        format_fr(report.vertices as f64, 0),
        bundle.qpv_overlay.len()
    );
    if m.illustrative_composition {
        println!(
            "note : composition des ES et territoires ILLUSTRATIVE (remplacez-la par la table réelle du Département)."
        );
    }
    for d in &report.diagnostics {
        println!("{d}");
    }
    let timings: Vec<String> = report
        .timings
        .iter()
        .map(|(n, d)| format!("{n} {} ms", d.as_millis()))
        .collect();
    println!(
        "durées : {} ; total {} ms",
        timings.join(", "),
        elapsed.as_millis()
    );
}

/// French number formatting: narrow no-break space between thousands, comma for decimals.
fn format_fr(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s
        .split_once('.')
        .map(|(a, b)| (a.to_string(), Some(b.to_string())))
        .unwrap_or((s.clone(), None));
    let mut grouped = String::new();
    for (i, ch) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('\u{202f}');
        }
        grouped.push(ch);
    }
    let sign = if v < 0.0 && v.abs() >= 0.5 * 10f64.powi(-(decimals as i32)) {
        "-"
    } else {
        ""
    };
    match frac {
        Some(f) => format!("{sign}{grouped},{f}"),
        None => format!("{sign}{grouped}"),
    }
}

#[cfg(test)]
mod tests {
    use super::format_fr;

    #[test]
    fn french_numbers() {
        assert_eq!(format_fr(1_234_567.0, 0), "1\u{202f}234\u{202f}567");
        assert_eq!(format_fr(244.863, 2), "244,86");
        assert_eq!(format_fr(-12.5, 1), "-12,5");
        assert_eq!(format_fr(999.0, 0), "999");
    }
}
