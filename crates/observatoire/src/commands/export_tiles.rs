//! `observatoire export-tiles`: the tile pyramid as one PMTiles v3 archive.
use anyhow::{Context, Result};
use std::io::Write;
use std::path::PathBuf;
use zones::Level;

use crate::Cli;
use crate::fmt::format_fr;

/// Exporte la pyramide de tuiles vectorielles (MVT) dans une archive PMTiles v3, pour un
/// hébergement statique ou un CDN. Chaque tuile porte une couche par niveau exporté.
#[derive(clap::Args)]
#[command(
    after_help = "Exemples :\n  observatoire export-tiles --out build/val-de-marne.pmtiles\n  observatoire export-tiles --out iris.pmtiles --level iris --zoom 8-14"
)]
pub struct Args {
    /// Archive à écrire (écrite d'un seul coup : l'ancienne reste intacte en cas d'échec).
    #[arg(long)]
    out: PathBuf,
    /// Niveau à exporter (répétable) : iris, commune, es, territoire, departement, qpv.
    /// Par défaut : tous les niveaux du paquet.
    #[arg(long, value_parser = super::zones::parse_level)]
    level: Vec<Level>,
    /// Plage de zooms MIN-MAX (défaut : 0-16, ou la variable OBSERVATOIRE_TILES_ZOOM).
    #[arg(long, value_parser = parse_zoom)]
    zoom: Option<(u8, u8)>,
    /// N'affiche pas le résumé.
    #[arg(long, short)]
    quiet: bool,
}

fn parse_zoom(s: &str) -> Result<(u8, u8), String> {
    tiles::options::parse_zoom_range(s).map_err(|e| e.to_string())
}

pub fn run(cli: &Cli, args: &Args) -> Result<()> {
    let started = std::time::Instant::now();
    let bundle = super::build::load_or_build(&cli.config_path(), cli.bundle.clone())?;
    let mut options = tiles::TileOptions::from_env()?;
    if let Some((min, max)) = args.zoom {
        (options.min_zoom, options.max_zoom) = (min, max);
    }
    let levels = if args.level.is_empty() {
        tiles::available_levels(&bundle)
    } else {
        args.level.clone()
    };
    let tileset = tiles::Tileset::build_levels(&bundle, options, &levels)?;
    let report = tiles::pmtiles_export::write_pmtiles(&tileset, &levels, &args.out)
        .with_context(|| format!("export vers {}", args.out.display()))?;
    if !args.quiet {
        // Write errors (closed pipe) are returned, not a panic.
        let mut w = std::io::stdout().lock();
        writeln!(
            w,
            "Archive écrite : {} ({} tuiles, {} Ko, zooms {} à {}, niveaux : {})",
            args.out.display(),
            format_fr(report.tiles as f64, 0),
            format_fr(report.bytes as f64 / 1024.0, 0),
            options.min_zoom,
            options.max_zoom,
            levels
                .iter()
                .map(|l| l.key())
                .collect::<Vec<_>>()
                .join(", ")
        )?;
        writeln!(
            w,
            "durées : pyramide {} ms ; total {} ms",
            tileset.elapsed.as_millis(),
            started.elapsed().as_millis()
        )?;
    }
    Ok(())
}
