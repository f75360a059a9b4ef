//! `observatoire atlas`: one portrait page per Espace de Solidarité (or territoire).
use anyhow::{Context as _, Result, bail};
use std::path::PathBuf;

use crate::Cli;

/// Écrit l'atlas des portraits de zones : une couverture, une page par Espace de Solidarité
/// (ou par territoire) — situation, cartes des indicateurs, tableau comparé au département,
/// à la région et à la France — et une page de définitions et de sources.
#[derive(clap::Args)]
#[command(
    after_help = "Exemples :\n  observatoire atlas --level es --out atlas-es.pdf\n  observatoire atlas --level territoire --indicators chomage_15_64,revenu_median --out atlas-territoires.pdf\n  observatoire atlas --level es --format png --dpi 150 --out atlas-png/"
)]
pub struct Args {
    /// Niveau : es ou territoire.
    #[arg(long)]
    level: String,
    /// Indicateurs, séparés par des virgules (au plus 6 ; défaut : chômage, emplois précaires,
    /// revenu médian, taux de pauvreté).
    #[arg(long, value_delimiter = ',')]
    indicators: Vec<String>,
    /// Format : pdf (un fichier), svg ou png (un fichier par page dans le dossier --out).
    #[arg(long)]
    format: Option<String>,
    /// Fichier PDF, ou dossier pour svg/png.
    #[arg(long)]
    out: PathBuf,
    /// Page : a4-portrait (défaut), a3-portrait…
    #[arg(long, default_value = "a4-portrait")]
    page: String,
    /// Résolution des PNG, en points par pouce.
    #[arg(long, default_value_t = 150.0)]
    dpi: f64,
    /// Autorise les indicateurs internes au Département (diffusion restreinte).
    #[arg(long)]
    internal: bool,
}

pub fn run(cli: &Cli, args: &Args) -> Result<()> {
    let format = match &args.format {
        Some(f) => carto::Format::parse(f)?,
        None if args
            .out
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("pdf")) =>
        {
            carto::Format::Pdf
        }
        None => bail!(
            "précisez --format pdf (un fichier .pdf), svg ou png (un fichier par page dans le dossier {})",
            args.out.display()
        ),
    };
    let level = carto::map::parse_level(&args.level)?;
    let spec = carto::atlas::AtlasSpec {
        level,
        indicators: args
            .indicators
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        page: carto::Page::parse(&args.page)?,
        internal: args.internal,
    };
    if format == carto::Format::Png {
        carto::render::pixel_size(&spec.page, args.dpi)?;
    }
    let bundle = super::build::load_or_build(&cli.config_path(), cli.bundle.clone())?;
    let Some(set) = bundle.section::<indicators::IndicatorSet>(indicators::SECTION)? else {
        bail!(carto::Error::NoIndicators);
    };
    let context = super::map::load_context(&bundle);
    let atlas = carto::atlas::render(&bundle, &set, &context, &spec)?;
    match format {
        carto::Format::Pdf => {
            let bytes = carto::atlas::pdf(&atlas)?;
            zones::bundle::write_atomic(&args.out, &bytes)
                .with_context(|| format!("écriture de {}", args.out.display()))?;
        }
        _ => {
            // Every page is rendered before the first is written: an error leaves no partial
            // atlas behind.
            let files = carto::atlas::files(&atlas, format, args.dpi)?;
            for (name, bytes) in files {
                let path = args.out.join(name);
                zones::bundle::write_atomic(&path, &bytes)
                    .with_context(|| format!("écriture de {}", path.display()))?;
            }
        }
    }
    if bundle.meta.illustrative_composition {
        eprintln!(
            "note : la composition des Espaces de Solidarité est ILLUSTRATIVE ; l'atlas le signale."
        );
    }
    eprintln!(
        "atlas écrit : {} ({} pages)",
        args.out.display(),
        atlas.pages.len()
    );
    Ok(())
}
