//! `observatoire import-addresses`: import the Base Adresse Nationale file of the département
//! so that search and `lookup --address-col` know street addresses.
use anyhow::{Context, Result};
use std::io::Write;
use std::path::PathBuf;

use super::lookup::{ByteBar, bundle_path};
use crate::Cli;
use crate::fmt::format_fr;

/// Importe les adresses de la Base Adresse Nationale (BAN) du département pour la recherche
/// d'adresses et le géocodage des fichiers (`lookup --address-col`).
#[derive(clap::Args)]
#[command(after_help = "Exemples :
  observatoire import-addresses adresses-94.csv.gz
  observatoire import-addresses adresses-94.csv --out build/val-de-marne.addresses

Le fichier se télécharge sur adresse.data.gouv.fr (Base Adresse Nationale, Licence Ouverte) :
  https://adresse.data.gouv.fr/data/ban/adresses/latest/csv/adresses-94.csv.gz
Il peut rester compressé. Les adresses sont écrites à côté du paquet de données
(build/val-de-marne.addresses) ; le serveur et `lookup --address-col` les y lisent. Refaites
l'import pour mettre les adresses à jour : l'ancien fichier reste intact tant que le nouveau
n'est pas complet.")]
pub struct Args {
    /// Fichier de la BAN du département (« adresses-94.csv.gz » ou décompressé).
    file: PathBuf,
    /// Fichier écrit (défaut : à côté du paquet, même nom, extension .addresses).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Ni barre de progression ni résumé.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(cli: &Cli, args: &Args) -> Result<()> {
    let started = std::time::Instant::now();
    let bundle = super::build::load_or_build(&cli.config_path(), cli.bundle.clone())?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| lookup::addresses::addresses_path_for(&bundle_path(cli)));
    let locator = lookup::Locator::new(&bundle);
    let bar = ByteBar::new(args.quiet, "import BAN");
    let (book, report) =
        lookup::addresses::import_ban(&args.file, &bundle.meta.code, Some(&locator), &bar)?;
    book.save(&out)
        .with_context(|| format!("écriture des adresses {}", out.display()))?;
    if args.quiet {
        return Ok(());
    }
    // Write errors (closed pipe) are returned, not a panic.
    let mut w = std::io::stdout().lock();
    writeln!(
        w,
        "Adresses écrites : {} ({} adresses, {} voies, {} communes, depuis {})",
        out.display(),
        format_fr(report.numbers as f64, 0),
        format_fr(report.streets as f64, 0),
        report.communes,
        book.source
    )?;
    writeln!(w, "lignes lues : {}", format_fr(report.rows as f64, 0))?;
    for (reason, tally) in &report.skipped {
        let lines: Vec<String> = tally.lines.iter().map(|l| l.to_string()).collect();
        writeln!(
            w,
            "  ignorées, {} : {} (lignes {}{})",
            reason.label(),
            format_fr(tally.count as f64, 0),
            lines.join(", "),
            if tally.count > tally.lines.len() as u64 {
                ", …"
            } else {
                ""
            }
        )?;
    }
    for (what, tally) in [
        ("hors de tout IRIS du paquet (gardées)", &report.outside),
        (
            "dans un IRIS d'une autre commune que celle de la BAN (gardées ; contours différents aux limites)",
            &report.other_commune,
        ),
    ] {
        if tally.count > 0 {
            let lines: Vec<String> = tally.lines.iter().map(|l| l.to_string()).collect();
            writeln!(
                w,
                "  {what} : {} (lignes {}{})",
                format_fr(tally.count as f64, 0),
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
        "durée : {} s",
        format_fr(started.elapsed().as_secs_f64(), 2)
    )?;
    Ok(())
}
