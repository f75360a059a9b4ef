//! `observatoire map`: one report-ready map (SVG, PNG or PDF) of an indicator on a level.
use anyhow::{Context as _, Result, bail};
use std::path::{Path, PathBuf};

use crate::Cli;

/// Dessine une carte prête pour un rapport : titre, légende (classes, effectifs, valeurs de
/// référence), sources, échelle, nord, étiquettes, carton de situation.
#[derive(clap::Args)]
#[command(
    after_help = "Exemples :\n  observatoire map --indicator chomage_15_64 --level commune --labels --out chomage.pdf\n  observatoire map --indicator revenu_median --level iris --classes jenks:6 --format png --dpi 300 --out revenu.png\n  observatoire map --indicator chomage_15_64 --level es --classes diverging:4 --page a4-landscape --highlight ES10 --out ecarts.svg\n  observatoire map --indicator emplois_precaires --level commune --breaks \"0 - 10 - 15 - 20 - 40\" --out precaires.pdf"
)]
pub struct Args {
    /// Indicateur (identifiant du catalogue, voir `observatoire indicators`).
    #[arg(long)]
    indicator: String,
    /// Niveau : iris, commune, es, territoire, departement.
    #[arg(long)]
    level: String,
    /// Millésime (défaut : le plus récent).
    #[arg(long)]
    year: Option<i32>,
    /// Méthode et nombre de classes : quantiles:5, jenks:6, equal:4, q6, msd:5, geom:5,
    /// headtail:4, nested_means:4, diverging:4 (écarts à la valeur départementale).
    #[arg(long, conflicts_with = "breaks")]
    classes: Option<String>,
    /// Bornes des classes, par exemple "0 - 10 - 20 - 30".
    #[arg(long)]
    breaks: Option<String>,
    /// Palette (Blues, Reds, Greens, Oranges, Purples, YlOrRd, YlGnBu, Viridis, RdBu, PuOr,
    /// BrBG ; suffixe _r pour l'inverser, par exemple RdBu_r) ; défaut selon le sens de
    /// l'indicateur (le défavorable en rouge).
    #[arg(long)]
    palette: Option<String>,
    /// Page : a4-portrait, a4-landscape, a3-portrait, a3-landscape, a5-…, ou 180x120mm.
    #[arg(long, default_value = "a4-portrait")]
    page: String,
    /// Résolution du PNG, en points par pouce.
    #[arg(long, default_value_t = 150.0)]
    dpi: f64,
    /// Légende : vertical ou horizontal (défaut : verticale en paysage, horizontale en portrait).
    #[arg(long)]
    legend: Option<String>,
    /// Écrit les noms des communes (ou des ES, des territoires).
    #[arg(long)]
    labels: bool,
    /// Met en évidence une zone (code IRIS, commune, ES, territoire).
    #[arg(long)]
    highlight: Option<String>,
    /// Format : svg, png ou pdf (défaut : l'extension de --out).
    #[arg(long)]
    format: Option<String>,
    /// Fichier à écrire.
    #[arg(long)]
    out: PathBuf,
    /// Sans carton de situation.
    #[arg(long)]
    no_inset: bool,
    /// Autorise les indicateurs internes au Département (diffusion restreinte).
    #[arg(long)]
    internal: bool,
}

/// The format asked for, or the one of the output file's extension.
pub fn format_of(format: Option<&str>, out: &Path) -> Result<carto::Format> {
    match format {
        Some(f) => Ok(carto::Format::parse(f)?),
        None => {
            let ext = out.extension().and_then(|e| e.to_str()).unwrap_or_default();
            carto::Format::parse(ext).map_err(|_| {
                anyhow::anyhow!(
                    "format de sortie inconnu pour {} : précisez --format svg, png ou pdf",
                    out.display()
                )
            })
        }
    }
}

/// The neighbouring départements stored in the bundle; without them the map is drawn with a
/// note, not refused.
pub fn load_context(bundle: &zones::Bundle) -> carto::Context {
    let c = carto::Context::from_bundle(bundle);
    if c.is_empty() {
        eprintln!(
            "note : le paquet ne contient pas les départements voisins (section [context] de la configuration) : carte sans fond de contexte"
        );
    }
    c
}

pub fn run(cli: &Cli, args: &Args) -> Result<()> {
    let format = format_of(args.format.as_deref(), &args.out)?;
    let level = carto::map::parse_level(&args.level)?;
    let mut spec = carto::MapSpec::new(&args.indicator, level);
    spec.year = args.year;
    spec.classes = match (&args.classes, &args.breaks) {
        (Some(c), _) => carto::ClassSpec::parse(c)?,
        (None, Some(b)) => carto::ClassSpec::Breaks(b.clone()),
        (None, None) => carto::ClassSpec::Default,
    };
    spec.palette = args.palette.clone();
    spec.page = carto::Page::parse(&args.page)?;
    spec.legend = args
        .legend
        .as_deref()
        .map(carto::Orientation::parse)
        .transpose()?;
    spec.labels = args.labels;
    spec.highlight = args.highlight.clone();
    spec.internal = args.internal;
    spec.inset = !args.no_inset;
    if format == carto::Format::Png {
        carto::render::pixel_size(&spec.page, args.dpi)?;
    }
    let bundle = super::build::load_or_build(&cli.config_path(), cli.bundle.clone())?;
    let Some(set) = bundle.section::<indicators::IndicatorSet>(indicators::SECTION)? else {
        bail!(carto::Error::NoIndicators);
    };
    let context = load_context(&bundle);
    let map = carto::render(&bundle, &set, &context, &spec)?;
    let bytes = carto::encode(&map, format, args.dpi)?;
    zones::bundle::write_atomic(&args.out, &bytes)
        .with_context(|| format!("écriture de {}", args.out.display()))?;
    if carto::map::shows_composition(&bundle, level) {
        eprintln!(
            "note : la composition des Espaces de Solidarité est ILLUSTRATIVE ; la carte le signale."
        );
    }
    eprintln!(
        "carte écrite : {} ({} classes, {} zones sans valeur)",
        args.out.display(),
        map.legend.counts.len(),
        map.legend.missing_count
    );
    Ok(())
}
