//! `observatoire indicators`: the indicator table of a level as CSV, XLSX or JSON.
use anyhow::{Context, Result, bail};
use clap::ValueEnum;
use std::io::Write;
use std::path::PathBuf;
use zones::Level;

use crate::Cli;

/// Exporte les indicateurs d'un niveau, comparés au département, à la région et à la France.
#[derive(clap::Args)]
#[command(
    after_help = "Exemples :\n  observatoire indicators --level commune --indicator chomage_15_64 --format csv\n  observatoire indicators --level es --format xlsx --out es.xlsx\n  observatoire indicators --level iris --format json > iris.json"
)]
pub struct Args {
    /// Niveau : iris, commune, es, territoire, departement, qpv.
    #[arg(long, value_parser = super::zones::parse_level)]
    level: Level,
    /// Un seul indicateur (identifiant du catalogue).
    #[arg(long)]
    indicator: Option<String>,
    /// Un seul millésime.
    #[arg(long)]
    year: Option<i32>,
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    format: Format,
    /// Fichier de sortie (obligatoire pour xlsx ; sinon la sortie standard).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Inclut les indicateurs internes au Département (diffusion restreinte).
    #[arg(long)]
    internal: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Csv,
    Xlsx,
    Json,
}

pub fn run(cli: &Cli, args: &Args) -> Result<()> {
    let bundle = super::build::load_or_build(&cli.config_path(), cli.bundle.clone())?;
    let Some(set) = bundle.section::<indicators::IndicatorSet>(indicators::SECTION)? else {
        bail!(
            "le paquet ne contient pas d'indicateurs : ajoutez `indicators = \"indicators.toml\"` à la configuration et relancez `observatoire build`"
        );
    };
    indicators::compute::check_query(&set, args.indicator.as_deref(), args.year, args.internal)?;
    let ind = args.indicator.as_deref();
    let bytes = match args.format {
        Format::Csv => {
            indicators::export::csv(&set, &bundle, args.level, ind, args.year, args.internal)?
        }
        Format::Json => {
            let mut v = serde_json::to_vec_pretty(&indicators::export::json(
                &set,
                &bundle,
                args.level,
                ind,
                args.year,
                args.internal,
            ))?;
            v.push(b'\n');
            v
        }
        Format::Xlsx => {
            if args.out.is_none() {
                bail!("le format xlsx s'écrit dans un fichier : ajoutez --out FICHIER.xlsx");
            }
            indicators::export::xlsx(&set, &bundle, args.level, ind, args.year, args.internal)?
        }
    };
    match &args.out {
        Some(path) => zones::bundle::write_atomic(path, &bytes)
            .with_context(|| format!("écriture de {}", path.display()))?,
        None => std::io::stdout().lock().write_all(&bytes)?,
    }
    Ok(())
}
