//! Settings of `observatoire serve`: who may see internal indicators, who may reload, and the
//! HTTP limits. Read from the TOML file named by the `server` key of the territory's
//! configuration (`boundaries/val-de-marne/server.toml`); every key has a safe default, so an
//! absent file means: public indicators only, no admin, CORS off.
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::net::IpAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path} : {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} : {message}")]
    Invalid { path: PathBuf, message: String },
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    #[serde(default)]
    pub access: AccessConfig,
    #[serde(default)]
    pub http: HttpConfig,
}

/// Who sees internal indicators and who may reload the data.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessConfig {
    /// Tokens that open the internal indicators (sent as `Authorization: Bearer …` or through
    /// the sign-in page's cookie). Only their SHA-256 is stored.
    #[serde(default)]
    pub tokens: Vec<TokenHash>,
    /// Tokens allowed to `POST /admin/reload` (they do not open internal indicators by
    /// themselves).
    #[serde(default)]
    pub admin_tokens: Vec<TokenHash>,
    /// A header set by the intranet's reverse proxy for signed-in users (e.g. `X-Remote-User`):
    /// a request that carries it, non-empty, from one of `trusted_proxies`, sees everything.
    pub trusted_header: Option<String>,
    /// Addresses of the reverse proxies whose `trusted_header` is believed (default: loopback).
    #[serde(default = "loopback")]
    pub trusted_proxies: Vec<IpAddr>,
}

impl Default for AccessConfig {
    fn default() -> Self {
        AccessConfig {
            tokens: Vec::new(),
            admin_tokens: Vec::new(),
            trusted_header: None,
            trusted_proxies: loopback(),
        }
    }
}

fn loopback() -> Vec<IpAddr> {
    vec![
        IpAddr::from([127, 0, 0, 1]),
        IpAddr::from([0, 0, 0, 0, 0, 0, 0, 1]),
    ]
}

/// A token as stored in the configuration: a name for the logs and the token's SHA-256.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenHash {
    pub name: String,
    /// SHA-256 of the token, 64 hexadecimal digits (`observatoire token` prints one).
    pub sha256: String,
}

/// HTTP limits and cross-origin policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpConfig {
    /// Origins allowed by CORS; empty (the default) = CORS off.
    #[serde(default)]
    pub cors_origins: Vec<String>,
    /// A request that takes longer is answered 503 (seconds).
    #[serde(default = "default_timeout")]
    pub request_timeout_s: u64,
    /// Largest request body accepted (bytes).
    #[serde(default = "default_body")]
    pub max_body_bytes: usize,
    /// Largest total size of the request headers (bytes); larger → 431.
    #[serde(default = "default_headers")]
    pub max_header_bytes: usize,
    /// Highest resolution of a PNG export (dpi).
    #[serde(default = "default_dpi")]
    pub max_export_dpi: f64,
    /// Largest PNG export (pixels).
    #[serde(default = "default_pixels")]
    pub max_export_pixels: u64,
    /// Serve `GET /metrics` (Prometheus text format).
    #[serde(default = "yes")]
    pub metrics: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            cors_origins: Vec::new(),
            request_timeout_s: default_timeout(),
            max_body_bytes: default_body(),
            max_header_bytes: default_headers(),
            max_export_dpi: default_dpi(),
            max_export_pixels: default_pixels(),
            metrics: true,
        }
    }
}

fn default_timeout() -> u64 {
    30
}
fn default_body() -> usize {
    16 * 1024
}
fn default_headers() -> usize {
    16 * 1024
}
fn default_dpi() -> f64 {
    600.0
}
fn default_pixels() -> u64 {
    // A3 at 300 dpi.
    18_000_000
}
fn yes() -> bool {
    true
}

impl ServerConfig {
    /// Read and check a settings file.
    pub fn load(path: &Path) -> Result<ServerConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let config: ServerConfig = toml::from_str(&text).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        config.validate().map_err(|message| ConfigError::Invalid {
            path: path.to_path_buf(),
            message,
        })?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        for (key, list) in [
            ("access.tokens", &self.access.tokens),
            ("access.admin_tokens", &self.access.admin_tokens),
        ] {
            for t in list {
                if t.sha256.len() != 64 || !t.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(format!(
                        "{key} « {} » : sha256 doit compter 64 chiffres hexadécimaux (le SHA-256 du jeton, que `observatoire token` affiche), pas le jeton lui-même",
                        t.name
                    ));
                }
            }
        }
        if let Some(h) = &self.access.trusted_header
            && axum::http::HeaderName::from_bytes(h.as_bytes()).is_err()
        {
            return Err(format!(
                "access.trusted_header = « {h} » : nom d'en-tête HTTP invalide"
            ));
        }
        for o in &self.http.cors_origins {
            if axum::http::HeaderValue::from_str(o).is_err()
                || !(o.starts_with("http://") || o.starts_with("https://"))
            {
                return Err(format!(
                    "http.cors_origins : « {o} » n'est pas une origine (https://hote[:port])"
                ));
            }
        }
        if self.http.request_timeout_s == 0 {
            return Err("http.request_timeout_s doit être au moins 1".into());
        }
        if !(self.http.max_export_dpi >= 72.0 && self.http.max_export_dpi <= 1200.0) {
            return Err("http.max_export_dpi : entre 72 et 1200 dpi".into());
        }
        Ok(())
    }
}

/// SHA-256 of a token, lower-case hex.
pub fn token_hash(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The entry of `list` whose hash is the token's. Compares fixed-length hashes without early
/// exit.
pub fn token_matches<'a>(list: &'a [TokenHash], token: &str) -> Option<&'a TokenHash> {
    let h = token_hash(token);
    list.iter().find(|t| {
        let stored = t.sha256.to_ascii_lowercase();
        stored.len() == h.len()
            && stored
                .bytes()
                .zip(h.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    })
}

/// A new random token (256 bits, hex), for `observatoire token`.
pub fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_matches() {
        // SHA-256("abc"), FIPS 180-2 test vector.
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let list = vec![TokenHash {
            name: "x".into(),
            sha256: token_hash("secret-1").to_uppercase(),
        }];
        assert!(token_matches(&list, "secret-1").is_some());
        assert!(token_matches(&list, "secret-2").is_none());
        assert!(token_matches(&list, "").is_none());
        let t = new_token().unwrap();
        assert_eq!(t.len(), 64);
        assert_ne!(t, new_token().unwrap());
    }

    #[test]
    fn rejects_a_raw_token_in_place_of_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("server.toml");
        std::fs::write(
            &p,
            "[access]\ntokens = [{ name = \"a\", sha256 = \"motdepasse\" }]\n",
        )
        .unwrap();
        let e = ServerConfig::load(&p).unwrap_err().to_string();
        assert!(
            e.contains("server.toml") && e.contains("64 chiffres"),
            "{e}"
        );
        std::fs::write(&p, "[http]\nunknown = 1\n").unwrap();
        assert!(ServerConfig::load(&p).is_err());
        std::fs::write(&p, "").unwrap();
        let c = ServerConfig::load(&p).unwrap();
        assert!(c.access.tokens.is_empty() && c.http.cors_origins.is_empty());
    }
}
