//! `observatoire token`: a new access token for the internal indicators, and the line of
//! `server.toml` that declares it (only the token's SHA-256 is stored there). `--hash TOKEN`
//! prints the line of an existing token instead.
use anyhow::{Context, Result, bail};
use std::io::Write;

use crate::Cli;

/// Crée un jeton d'accès aux indicateurs internes et affiche la ligne à coller dans server.toml.
#[derive(clap::Args)]
#[command(
    after_help = "Exemples :\n  observatoire token --name etudes\n  observatoire token --name proxy --hash 'jeton-existant'\n\nLe jeton s'affiche une seule fois : remettez-le à la personne habilitée (elle le saisit sur la page /connexion, ou l'envoie en en-tête « Authorization: Bearer … »). Le fichier server.toml ne garde que son empreinte SHA-256."
)]
pub struct Args {
    /// Nom du jeton (qui l'utilise : service, personne, script), repris dans les journaux.
    #[arg(long)]
    name: String,

    /// Donner l'empreinte d'un jeton existant au lieu d'en créer un.
    #[arg(long, value_name = "JETON")]
    hash: Option<String>,

    /// Jeton d'administration (rechargement des données, `admin_tokens`) plutôt que de lecture.
    #[arg(long)]
    admin: bool,
}

/// The TOML inline table of a token: `{ name = "…", sha256 = "…" }`.
pub fn toml_line(name: &str, token: &str) -> String {
    let name = name.replace('\\', "\\\\").replace('"', "\\\"");
    format!(
        "{{ name = \"{name}\", sha256 = \"{}\" }}",
        server::config::token_hash(token)
    )
}

pub fn run(_cli: &Cli, args: &Args) -> Result<()> {
    if args.name.trim().is_empty() {
        bail!("--name : donnez un nom au jeton (par exemple « etudes »)");
    }
    let key = if args.admin { "admin_tokens" } else { "tokens" };
    let (token, fresh) = match &args.hash {
        Some(t) if t.trim().is_empty() => bail!("--hash : jeton vide"),
        Some(t) => (t.trim().to_string(), false),
        None => (
            server::config::new_token().context("tirage d'un jeton aléatoire")?,
            true,
        ),
    };
    let line = toml_line(args.name.trim(), &token);
    // Write errors (closed pipe) are returned, not a panic.
    let mut w = std::io::stdout().lock();
    if fresh {
        writeln!(
            w,
            "Nouveau jeton « {} » (à remettre à son utilisateur, il ne sera plus affiché) :",
            args.name.trim()
        )?;
        writeln!(w)?;
        writeln!(w, "    {token}")?;
        writeln!(w)?;
    }
    writeln!(
        w,
        "Ligne à ajouter à la liste `{key}` de la section [access] de server.toml (boundaries/val-de-marne/server.toml) :"
    )?;
    writeln!(w)?;
    writeln!(w, "    {line}")?;
    writeln!(w)?;
    writeln!(w, "par exemple :")?;
    writeln!(w)?;
    writeln!(w, "    [access]")?;
    writeln!(w, "    {key} = [")?;
    writeln!(w, "      {line},")?;
    writeln!(w, "    ]")?;
    writeln!(w)?;
    writeln!(w, "puis redémarrez `observatoire serve`.")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_parses_as_the_server_reads_it() {
        let line = toml_line("études \"A\"", "abc");
        let text = format!("[access]\ntokens = [{line}]\n");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("server.toml");
        std::fs::write(&p, text).unwrap();
        let c = server::ServerConfig::load(&p).unwrap();
        assert_eq!(c.access.tokens[0].name, "études \"A\"");
        assert!(server::config::token_matches(&c.access.tokens, "abc").is_some());
    }
}
