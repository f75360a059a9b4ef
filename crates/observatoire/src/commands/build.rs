//! `observatoire build`, and loading the bundle other commands need.
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::path::{Path, PathBuf};
use zones::{Bundle, Config, Level};

use crate::Cli;
use crate::fmt::format_fr;
use crate::progress;

/// Lit les contours IGN/INSEE, contrôle, construit les cinq niveaux emboîtés et les QPV, et
/// écrit le paquet de données (atomiquement : l'ancien reste intact en cas d'échec).
#[derive(clap::Args)]
#[command(
    after_help = "Exemples :\n  observatoire build\n  observatoire build --out /tmp/essai.bundle"
)]
pub struct Args {
    /// Fichier de sortie (défaut : --bundle, sinon build/<territoire>.bundle).
    #[arg(long)]
    out: Option<PathBuf>,
    /// N'affiche ni barre de progression ni résumé.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(cli: &Cli, args: &Args) -> Result<()> {
    let config_path = cli.config_path();
    let config = Config::load(&config_path)?;
    let out = args
        .out
        .clone()
        .or(cli.bundle.clone())
        .unwrap_or_else(|| default_bundle_path(&config_path));
    build(&config, &out, args.quiet)?;
    Ok(())
}

/// `build/<folder of the configuration>.bundle`, e.g. `build/val-de-marne.bundle`.
pub fn default_bundle_path(config: &Path) -> PathBuf {
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

/// Load the bundle, building it first from the configuration when it does not exist yet. The
/// default bundle (built from the configuration) is rebuilt when it is of an older format; an
/// explicit `--bundle` of an older format is refused (it may not come from this configuration).
pub fn load_or_build(config_path: &Path, bundle: Option<PathBuf>) -> Result<Bundle> {
    let explicit = bundle.is_some();
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
    let bytes = std::fs::read(&path).with_context(|| format!("lecture de {}", path.display()))?;
    match zones::bundle::format_version(&bytes) {
        Some(v) if v < zones::bundle::FORMAT_VERSION && !explicit => {
            eprintln!(
                "note : paquet au format {v}, reconstruit au format {} ({} à partir de {})",
                zones::bundle::FORMAT_VERSION,
                path.display(),
                config_path.display()
            );
            let config = Config::load(config_path)?;
            build(&config, &path, true)
        }
        Some(v) if v < zones::bundle::FORMAT_VERSION => bail!(
            "le paquet {} est au format {v}, cette version d'observatoire lit le format {} : \
             reconstruisez-le avec `observatoire --bundle {} build` (ajoutez --config si le \
             paquet vient d'une autre configuration)",
            path.display(),
            zones::bundle::FORMAT_VERSION,
            path.display()
        ),
        Some(v) if v > zones::bundle::FORMAT_VERSION => bail!(
            "le paquet {} est au format {v}, plus récent que celui que lit cette version \
             d'observatoire ({}) : mettez observatoire à jour, ou reconstruisez le paquet avec \
             `observatoire build`",
            path.display(),
            zones::bundle::FORMAT_VERSION
        ),
        _ => Ok(Bundle::from_bytes(&path, &bytes)?),
    }
}

pub fn build(config: &Config, out: &Path, quiet: bool) -> Result<Bundle> {
    let started = std::time::Instant::now();
    // Temporary files of an earlier build killed while writing (`kill -9`) go first.
    for p in [out.to_path_buf(), join_report_path(out)] {
        zones::bundle::remove_stale_temp_files(&p);
    }
    let bars = progress::Bars::new(quiet);
    let (mut bundle, report) = zones::build(config, &bars)?;
    bars.finish();
    let indicators = match &config.indicators {
        Some(catalogue) => Some(add_indicators(
            config,
            &config.config_path(catalogue),
            &mut bundle,
            out,
        )?),
        None => None,
    };
    bundle
        .save(out)
        .with_context(|| format!("écriture du paquet {}", out.display()))?;
    if bundle.zones(Level::Iris).is_empty() {
        bail!("aucun IRIS lu");
    }
    if !quiet {
        // A write error (closed pipe: `observatoire build | head -1`) is returned, not a panic.
        let mut w = std::io::stdout().lock();
        print_summary(&mut w, &bundle, &report, out, started.elapsed())?;
        if let Some(set) = &indicators {
            print_indicators_summary(&mut w, set, out)?;
        }
    }
    Ok(bundle)
}

fn print_summary(
    w: &mut impl Write,
    bundle: &Bundle,
    report: &zones::BuildReport,
    out: &Path,
    elapsed: std::time::Duration,
) -> std::io::Result<()> {
    let m = &bundle.meta;
    writeln!(
        w,
        "Paquet écrit : {} ({} — IRIS en {}, encodage {})",
        out.display(),
        m.name,
        m.iris_crs,
        m.iris_encoding.as_deref().unwrap_or("UTF-8")
    )?;
    writeln!(w, "{:<28} {:>7} {:>14}", "niveau", "zones", "surface (km²)")?;
    for (level, n) in &report.counts {
        let area = report
            .areas_km2
            .iter()
            .find(|(l, _)| l == level)
            .map(|(_, a)| format_fr(*a, 2))
            .unwrap_or_else(|| "—".into());
        writeln!(w, "{:<28} {:>7} {:>14}", level.label(), n, area)?;
    }
    writeln!(
        w,
        "topologie partagée : {} arcs, {} sommets ; {} recoupements IRIS × QPV",
        format_fr(report.arcs as f64, 0),
        format_fr(report.vertices as f64, 0),
        bundle.qpv_overlay.len()
    )?;
    if m.illustrative_composition {
        writeln!(
            w,
            "note : composition des ES et territoires ILLUSTRATIVE (remplacez-la par la table réelle du Département)."
        )?;
    }
    for d in &report.diagnostics {
        writeln!(w, "{d}")?;
    }
    let timings: Vec<String> = report
        .timings
        .iter()
        .map(|(n, d)| format!("{n} {} ms", d.as_millis()))
        .collect();
    writeln!(
        w,
        "durées : {} ; total {} ms",
        timings.join(", "),
        elapsed.as_millis()
    )?;
    Ok(())
}

/// Compute the catalogue's indicators, store them in the bundle, write the join report beside it.
fn add_indicators(
    config: &Config,
    catalogue_path: &Path,
    bundle: &mut Bundle,
    out: &Path,
) -> Result<indicators::IndicatorSet> {
    let catalogue = indicators::Catalogue::load(catalogue_path)?;
    let set = indicators::compute(&catalogue, bundle, &config.data_dir())?;
    bundle.set_section(indicators::SECTION, &set)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["source", "constat", "code", "ligne", "message"])?;
    for j in &set.joins {
        w.write_record([
            j.source.as_str(),
            j.kind.as_str(),
            j.code.as_str(),
            &j.line.map(|l| l.to_string()).unwrap_or_default(),
            j.message.as_str(),
        ])?;
    }
    zones::bundle::write_atomic(
        &join_report_path(out),
        &w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?,
    )?;
    Ok(set)
}

/// `build/val-de-marne.jointures.csv` beside `build/val-de-marne.bundle`.
pub fn join_report_path(bundle: &Path) -> PathBuf {
    bundle.with_extension("jointures.csv")
}

fn print_indicators_summary(
    w: &mut impl Write,
    set: &indicators::IndicatorSet,
    out: &Path,
) -> std::io::Result<()> {
    let mut by_kind: std::collections::BTreeMap<(&str, &str), usize> =
        std::collections::BTreeMap::new();
    for j in &set.joins {
        *by_kind
            .entry((j.source.as_str(), j.kind.as_str()))
            .or_default() += 1;
    }
    writeln!(
        w,
        "indicateurs : {} indicateurs, {} valeurs (zones × millésimes)",
        set.indicators.len(),
        set.records.len()
    )?;
    for ((source, kind), n) in by_kind {
        writeln!(w, "  jointure {source} : {n} × {}", kind.replace('_', " "))?;
    }
    if !set.joins.is_empty() {
        writeln!(
            w,
            "  détail des jointures : {}",
            join_report_path(out).display()
        )?;
    }
    for n in &set.notes {
        writeln!(w, "  note : {n}")?;
    }
    Ok(())
}
