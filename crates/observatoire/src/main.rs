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

    /// Format des journaux sur la sortie d'erreur : text (lisible) ou json (une ligne JSON par
    /// évènement, pour un collecteur). Filtre : variable OBSERVATOIRE_LOG (par exemple « info »).
    #[arg(
        long,
        global = true,
        env = "OBSERVATOIRE_LOG_FORMAT",
        value_enum,
        default_value = "text"
    )]
    log_format: LogFormat,

    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Structured logs (`tracing`) on stderr. Default filter: warnings, and the server's own
/// events (start, reloads, stop); `OBSERVATOIRE_LOG` replaces it (`info`, `debug`,
/// `server=debug,tower_http=debug`…).
fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("OBSERVATOIRE_LOG")
        .unwrap_or_else(|_| "warn,server=info,observatoire::commands::serve=info".into());
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
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
    Token(commands::token::Args),
}

fn main() {
    let cli = Cli::parse();
    init_logs(cli.log_format);
    if let Err(e) = run(&cli) {
        // A closed pipe (`observatoire zones … | head`) is the reader's choice, not an error.
        if is_broken_pipe(&e) {
            return;
        }
        eprintln!("erreur : {e:#}");
        std::process::exit(1);
    }
}

/// Whether the error comes from writing to a closed pipe, wherever the `io::Error` sits: in
/// the chain of causes, inside a `serde_json::Error` or a `csv::Error` (which do not expose it
/// as their source), or wrapped in another `io::Error` (`io::Error::other`).
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(cause_is_broken_pipe)
}

fn cause_is_broken_pipe(c: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    if let Some(io) = c.downcast_ref::<std::io::Error>() {
        return io.kind() == BrokenPipe
            || io
                .get_ref()
                .is_some_and(|inner| cause_is_broken_pipe(inner));
    }
    if let Some(j) = c.downcast_ref::<serde_json::Error>() {
        return j.io_error_kind() == Some(BrokenPipe);
    }
    if let Some(csv) = c.downcast_ref::<csv::Error>()
        && let csv::ErrorKind::Io(io) = csv.kind()
    {
        return cause_is_broken_pipe(io);
    }
    // Any other wrapper: follow its own chain of sources.
    c.source().is_some_and(cause_is_broken_pipe)
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
        Command::Token(args) => commands::token::run(cli, args),
    }
}

#[cfg(test)]
mod tests {
    use super::is_broken_pipe;
    use std::io::{Error, ErrorKind, Write};

    /// A writer whose reader has gone.
    struct ClosedPipe;
    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(Error::from(ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn broken_pipe_is_seen_through_wrappers() {
        let json = serde_json::to_writer(ClosedPipe, &serde_json::json!({"a": 1})).unwrap_err();
        assert!(is_broken_pipe(&anyhow::Error::new(json)));
        let json = serde_json::to_writer(ClosedPipe, &[1, 2, 3]).unwrap_err();
        assert!(is_broken_pipe(
            &anyhow::Error::new(json).context("export des zones")
        ));
        let mut w = csv::Writer::from_writer(ClosedPipe);
        w.write_record(["a", "b"]).unwrap();
        let csv = w.flush().map_err(csv::Error::from).unwrap_err();
        assert!(is_broken_pipe(&anyhow::Error::new(csv)));
        let wrapped = Error::other(Error::from(ErrorKind::BrokenPipe));
        assert!(is_broken_pipe(&anyhow::Error::new(wrapped)));
        assert!(is_broken_pipe(&anyhow::Error::new(Error::from(
            ErrorKind::BrokenPipe
        ))));

        let other = serde_json::from_str::<u8>("x").unwrap_err();
        assert!(!is_broken_pipe(&anyhow::Error::new(other)));
        assert!(!is_broken_pipe(&anyhow::anyhow!("paquet illisible")));
        assert!(!is_broken_pipe(&anyhow::Error::new(Error::from(
            ErrorKind::PermissionDenied
        ))));
    }
}
