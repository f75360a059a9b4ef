//! `observatoire serve`: build the default bundle if none exists, load it, serve it.
use anyhow::{Context, Result};
use std::net::SocketAddr;

use crate::Cli;

/// Sert la carte et l'API sur l'intranet (construit le paquet de données s'il n'existe pas).
#[derive(clap::Args)]
#[command(
    after_help = "Exemples :\n  observatoire serve\n  observatoire serve --addr 0.0.0.0:8080"
)]
pub struct Args {
    /// Adresse d'écoute.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
}

pub fn run(cli: &Cli, args: &Args) -> Result<()> {
    let bundle = super::build::load_or_build(&cli.config_path(), cli.bundle.clone())?;
    let state = super::lookup::server_state(cli, bundle);
    let runtime = tokio::runtime::Runtime::new().context("démarrage du serveur")?;
    eprintln!(
        "observatoire : carte servie sur http://{}/ (Ctrl-C pour arrêter)",
        args.addr
    );
    runtime
        .block_on(server::serve(args.addr, state))
        .with_context(|| format!("écoute sur {}", args.addr))?;
    Ok(())
}
