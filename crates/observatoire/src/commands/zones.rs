//! `observatoire zones`: a level as GeoJSON or CSV on stdout.
use anyhow::Result;
use clap::ValueEnum;
use std::io::Write;
use zones::Level;

use crate::Cli;

/// Exporte les zones d'un niveau sur la sortie standard.
#[derive(clap::Args)]
#[command(
    after_help = "Exemples :\n  observatoire zones --level commune --format geojson > communes.geojson\n  observatoire zones --level es --format csv"
)]
pub struct Args {
    /// Niveau : iris, commune, es, territoire, departement, qpv.
    #[arg(long, value_parser = parse_level)]
    level: Level,
    /// Format de sortie.
    #[arg(long, value_enum, default_value_t = Format::Geojson)]
    format: Format,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Geojson,
    Csv,
}

pub fn parse_level(s: &str) -> Result<Level, String> {
    Level::parse(s).ok_or_else(|| {
        format!("niveau inconnu « {s} » : iris, commune, es, territoire, departement ou qpv")
    })
}

pub fn run(cli: &Cli, args: &Args) -> Result<()> {
    let bundle = super::build::load_or_build(&cli.config_path(), cli.bundle.clone())?;
    if bundle.meta.illustrative_composition
        && matches!(args.level, Level::Es | Level::Territoire | Level::Iris)
    {
        eprintln!(
            "note : la composition des Espaces de Solidarité et des territoires est ILLUSTRATIVE (pas la table réelle du Département)."
        );
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match args.format {
        Format::Geojson => {
            serde_json::to_writer(&mut out, &zones::export::geojson(&bundle, args.level)?)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record(zones::export::columns(args.level))?;
            for row in zones::export::rows(&bundle, args.level) {
                w.write_record(row)?;
            }
            w.flush()?;
        }
    }
    out.flush()?;
    Ok(())
}
