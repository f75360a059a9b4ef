//! `observatoire`: the map server and cartography tool of the Val-de-Marne social observatory.
//! A thin shell over the library crates: every subcommand parses its arguments, calls the
//! library and prints in French. One module per subcommand in `commands/`.
use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

mod commands;
mod fmt;
mod progress;

const DEFAULT_CONFIG: &str = "boundaries/val-de-marne/observatoire.toml";

#[derive(Parser)]
#[command(
    name = "observatoire",
    version,
    about = "Observatoire social du Val-de-Marne : zones, indicateurs et cartes",
    after_help = "Exemples :\n  observatoire serve\n  observatoire build\n  observatoire zones --level es --format geojson > es.geojson\n  observatoire zones --level iris --format csv > iris.csv\n  observatoire --config mon-territoire/observatoire.toml build --out build/mon-territoire.bundle"
)]
pub struct Cli {
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

impl Cli {
    pub fn config_path(&self) -> PathBuf {
        self.config
            .clone()
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG))
    }
}

#[derive(Subcommand)]
enum Command {
    Build(commands::build::Args),
    Zones(commands::zones::Args),
    Indicators(commands::indicators::Args),
    Serve(commands::serve::Args),
    ExportTiles(commands::export_tiles::Args),
    Lookup(commands::lookup::Args),
    ImportAddresses(commands::import_addresses::Args),
    Map(commands::map::Args),
    Atlas(commands::atlas::Args),
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
    if let Err(e) = run(&cli) {
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

fn run(cli: &Cli) -> Result<()> {
    match &cli.command {
        Command::Build(args) => commands::build::run(cli, args),
        Command::Zones(args) => commands::zones::run(cli, args),
        Command::Indicators(args) => commands::indicators::run(cli, args),
        Command::Serve(args) => commands::serve::run(cli, args),
        Command::ExportTiles(args) => commands::export_tiles::run(cli, args),
        Command::Lookup(args) => commands::lookup::run(cli, args),
        Command::ImportAddresses(args) => commands::import_addresses::run(cli, args),
        Command::Map(args) => commands::map::run(cli, args),
        Command::Atlas(args) => commands::atlas::run(cli, args),
    }
}
