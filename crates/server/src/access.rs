//! Who is asking: the public, or someone allowed to see the Département's internal indicators.
//! Every route that answers with indicator data takes an [`Audience`] and passes
//! `audience.internal` down to the library calls (`IndicatorSet::select`, `carto`), which leave
//! internal indicators out for the public — so they do not exist for the public, anywhere.
//!
//! Credentials, checked in this order:
//! 1. `Authorization: Bearer <token>` — for scripts;
//! 2. the cookie [`COOKIE`] set by the sign-in page — for browsers;
//! 3. the configured `trusted_header`, only from a configured reverse proxy's address.
//!
//! Answers that depend on the audience must not be shared by caches: see [`Audience::vary`].
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::{AUTHORIZATION, COOKIE as COOKIE_HEADER};
use axum::http::request::Parts;
use std::convert::Infallible;
use std::net::SocketAddr;

use crate::AppState;
use crate::config::{AccessConfig, token_matches};

/// Name of the sign-in cookie (HttpOnly, SameSite=Strict).
pub const COOKIE: &str = "observatoire_jeton";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Audience {
    /// Internal indicators are visible.
    pub internal: bool,
    /// Name of the token, or the proxy's user, for the logs.
    pub who: Option<String>,
}

impl Audience {
    pub const PUBLIC: Audience = Audience {
        internal: false,
        who: None,
    };

    /// The audience of a request, from its headers and peer address.
    pub fn of(config: &AccessConfig, parts: &Parts) -> Audience {
        if let Some(token) = bearer(parts).or_else(|| cookie(parts, COOKIE))
            && let Some(t) = token_matches(&config.tokens, &token)
        {
            return Audience {
                internal: true,
                who: Some(t.name.clone()),
            };
        }
        if let Some(name) = &config.trusted_header {
            let peer = parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip());
            let trusted = peer.is_some_and(|ip| config.trusted_proxies.contains(&ip));
            if trusted
                && let Some(v) = parts.headers.get(name.as_str())
                && let Ok(user) = v.to_str()
                && !user.trim().is_empty()
            {
                return Audience {
                    internal: true,
                    who: Some(user.trim().to_string()),
                };
            }
        }
        Audience::PUBLIC
    }

    /// The request headers an audience-dependent answer varies with (for `Vary`).
    pub fn vary(config: &AccessConfig) -> String {
        let mut v = String::from("Authorization, Cookie");
        if let Some(h) = &config.trusted_header {
            v.push_str(", ");
            v.push_str(h);
        }
        v
    }
}

impl FromRequestParts<AppState> for Audience {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        Ok(Audience::of(&state.config().access, parts))
    }
}

/// Whether the request carries one of the admin tokens (`Authorization: Bearer …`).
pub fn is_admin(config: &AccessConfig, parts: &Parts) -> bool {
    bearer(parts).is_some_and(|t| token_matches(&config.admin_tokens, &t).is_some())
}

fn bearer(parts: &Parts) -> Option<String> {
    let v = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
        .filter(|t| !t.is_empty())
}

fn cookie(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(COOKIE_HEADER)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{TokenHash, token_hash};
    use axum::http::Request;

    fn parts(headers: &[(&str, &str)], peer: Option<&str>) -> Parts {
        let mut b = Request::builder().uri("/");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let (mut p, ()) = b.body(()).unwrap().into_parts();
        if let Some(peer) = peer {
            p.extensions
                .insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        }
        p
    }

    fn config() -> AccessConfig {
        AccessConfig {
            tokens: vec![TokenHash {
                name: "etudes".into(),
                sha256: token_hash("t0k3n"),
            }],
            admin_tokens: vec![TokenHash {
                name: "deploy".into(),
                sha256: token_hash("adm1n"),
            }],
            trusted_header: Some("X-Remote-User".into()),
            ..AccessConfig::default()
        }
    }

    #[test]
    fn credentials() {
        let c = config();
        let a = |h: &[(&str, &str)], peer| Audience::of(&c, &parts(h, peer)).internal;
        assert!(!a(&[], None));
        assert!(a(&[("Authorization", "Bearer t0k3n")], None));
        assert!(a(&[("Authorization", "bearer  t0k3n ")], None));
        assert!(!a(&[("Authorization", "Bearer wrong")], None));
        assert!(!a(&[("Authorization", "Basic t0k3n")], None));
        assert!(a(&[("Cookie", "a=b; observatoire_jeton=t0k3n")], None));
        assert!(!a(&[("Cookie", "observatoire_jeton=")], None));
        // The proxy's header counts only from the proxy.
        assert!(a(&[("X-Remote-User", "marie")], Some("127.0.0.1:5000")));
        assert!(!a(&[("X-Remote-User", "marie")], Some("10.1.2.3:5000")));
        assert!(!a(&[("X-Remote-User", "marie")], None));
        assert!(!a(&[("X-Remote-User", " ")], Some("127.0.0.1:5000")));
        // An admin token is not a reader token, and the reverse.
        assert!(!a(&[("Authorization", "Bearer adm1n")], None));
        assert!(is_admin(
            &c,
            &parts(&[("Authorization", "Bearer adm1n")], None)
        ));
        assert!(!is_admin(
            &c,
            &parts(&[("Authorization", "Bearer t0k3n")], None)
        ));
    }
}
