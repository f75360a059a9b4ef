//! `observatoire serve`: build the default bundle if none exists, load it, serve it; reload it
//! on `SIGHUP` or `POST /admin/reload`; stop gracefully on SIGTERM or Ctrl-C.
use anyhow::{Context, Result, bail};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::Cli;

/// Sert la carte et l'API sur l'intranet (construit le paquet de données s'il n'existe pas).
#[derive(clap::Args)]
#[command(after_help = "Exemples :
  observatoire serve
  observatoire serve --addr 0.0.0.0:8080

Réglages du serveur (jetons d'accès, limites HTTP, CORS, métriques) : le fichier nommé par la
clé `server` de la configuration du territoire (boundaries/val-de-marne/server.toml).

Après `observatoire build`, le serveur relit le paquet sans s'arrêter : `kill -HUP <pid>`, ou
`curl -X POST -H \"Authorization: Bearer <jeton d'administration>\" http://127.0.0.1:8080/admin/reload`.
Un paquet invalide est refusé et l'ancien reste servi. Métriques Prometheus : GET /metrics.")]
pub struct Args {
    /// Adresse d'écoute.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
}

pub fn run(cli: &Cli, args: &Args) -> Result<()> {
    let config_path = cli.config_path();
    let bundle_path = super::lookup::bundle_path(cli);
    let settings = server_config(&config_path)?;
    let bundle = super::build::load_or_build(&config_path, cli.bundle.clone())?;
    if let Err(e) = server::reload::check_bundle(&bundle) {
        bail!("{} : {e}", bundle_path.display());
    }
    let places = super::lookup::places_at(&config_path, &bundle_path, &bundle, true);
    let snapshot = server::Snapshot::with_places(bundle, places);
    let state = server::AppState::with_config(Arc::new(snapshot), settings)
        .with_reloader(reloader(config_path, bundle_path));
    let runtime = tokio::runtime::Runtime::new().context("démarrage du serveur")?;
    eprintln!(
        "observatoire : carte servie sur http://{}/ (Ctrl-C pour arrêter ; kill -HUP {} relit le paquet)",
        args.addr,
        std::process::id()
    );
    let served = runtime.block_on(server::serve(args.addr, state));
    // A reload still building on a blocking thread does not hold the exit back.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    served.with_context(|| format!("écoute sur {}", args.addr))?;
    Ok(())
}

/// The server settings: the file named by the territory configuration's `server` key, or the
/// defaults (public indicators only, no admin token, CORS off) when there is no such key, or
/// no configuration file at all (a server given only `--bundle`).
fn server_config(config_path: &Path) -> Result<server::ServerConfig> {
    if !config_path.exists() {
        tracing::info!(
            "pas de configuration {} : réglages du serveur par défaut",
            config_path.display()
        );
        return Ok(server::ServerConfig::default());
    }
    let config = zones::Config::load(config_path)?;
    match &config.server {
        Some(p) => {
            let path = config.config_path(p);
            let settings = server::ServerConfig::load(&path)
                .with_context(|| format!("réglages du serveur invalides ({})", path.display()))?;
            tracing::info!(
                path = %path.display(),
                tokens = settings.access.tokens.len(),
                admin_tokens = settings.access.admin_tokens.len(),
                cors_origins = settings.http.cors_origins.len(),
                "réglages du serveur"
            );
            Ok(settings)
        }
        None => Ok(server::ServerConfig::default()),
    }
}

/// How the server reloads: read the same bundle file again, check it, load the town halls and
/// BAN addresses beside it, build the snapshot. Runs on a blocking thread of the server.
fn reloader(config_path: PathBuf, bundle_path: PathBuf) -> server::Reloader {
    server::Reloader::new(move || {
        let bundle = server::reload::read_bundle(&bundle_path)?;
        let places = super::lookup::places_at(&config_path, &bundle_path, &bundle, false);
        server::reload::build_snapshot(bundle, Some(places))
    })
}
