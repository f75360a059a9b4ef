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
//! [`identify`] (installed over the whole router) works out the audience once per request;
//! [`audience_dependent`] (a route layer on every route whose answer depends on it: page,
//! catalogue, values, classes, styles, exports) adds `Vary` to every answer and
//! `Cache-Control: private, no-store` to the answers given to an internal audience, so that no
//! shared cache or CDN ever hands an internal answer to the public. Public answers keep their
//! own caching (`no-cache` + ETag).
//!
//! Vector tiles and TileJSON are not audience-dependent, on purpose: tiles carry the geometry,
//! `code` and `name` of the zones only — never an indicator value — and are the same for
//! everyone (public, immutable, cacheable by any CDN). The page colours them with
//! feature-state from `/api/indicators/{id}` and the style's `match` on zone codes. So the
//! values of an internal indicator travel only through authenticated, non-cacheable answers
//! (values, classes, style, exports): that is the separate, authenticated path of internal
//! data, and a public tile cannot contain an internal value because no tile contains any value.
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, COOKIE as COOKIE_HEADER, VARY};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
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
        if let Some(a) = parts.extensions.get::<Audience>() {
            return Ok(a.clone());
        }
        Ok(Audience::of(&state.config().access, parts))
    }
}

/// `Cache-Control` of every answer given to an internal audience on an audience-dependent
/// route.
pub const PRIVATE: &str = "private, no-store";

/// The `Vary` value of audience-dependent answers, stored beside the [`Audience`] in the
/// request's extensions by [`identify`].
#[derive(Debug, Clone)]
struct VaryOn(HeaderValue);

/// Middleware over the whole router: the audience of the request, worked out once and kept in
/// its extensions (the [`Audience`] extractor and [`audience_dependent`] read it there).
pub async fn identify(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let access = &state.config().access;
    let audience = Audience::of(access, &parts);
    if let Some(who) = &audience.who {
        tracing::debug!("indicateurs internes ouverts à {who}");
    }
    let vary = state.vary().clone();
    parts.extensions.insert(audience);
    parts.extensions.insert(VaryOn(vary));
    next.run(Request::from_parts(parts, body)).await
}

/// Route layer of the audience-dependent routes: `Vary` on every answer (errors included:
/// a 404 for the public must not be served to a signed-in user, nor the reverse), and
/// `Cache-Control: private, no-store` when the audience is internal. Without [`identify`]
/// upstream the audience is unknown, and the answer is treated as internal (never shared).
pub async fn audience_dependent(request: Request, next: Next) -> Response {
    let internal = request
        .extensions()
        .get::<Audience>()
        .is_none_or(|a| a.internal);
    let vary = request
        .extensions()
        .get::<VaryOn>()
        .map(|v| v.0.clone())
        .unwrap_or(HeaderValue::from_static("Authorization, Cookie"));
    let mut response = next.run(request).await;
    seal(response.headers_mut(), internal, &vary);
    response
}

/// Add the audience headers to an answer's headers (see [`audience_dependent`]).
pub fn seal(headers: &mut HeaderMap, internal: bool, vary: &HeaderValue) {
    let present: Vec<String> = headers
        .get_all(VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .collect();
    let missing: Vec<&str> = vary
        .to_str()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty() && !present.iter().any(|p| p.eq_ignore_ascii_case(t)))
        .collect();
    if !missing.is_empty()
        && let Ok(v) = HeaderValue::from_str(&missing.join(", "))
    {
        headers.append(VARY, v);
    }
    if internal {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(PRIVATE));
    }
}

/// The sign-in cookie of a request, if any (whether or not it is a valid token).
pub fn cookie_token(parts: &Parts) -> Option<String> {
    cookie(parts, COOKIE)
}

/// Whether the request reached us over HTTPS, as told by `X-Forwarded-Proto` from one of the
/// trusted reverse proxies (for the cookie's `Secure` attribute).
pub fn forwarded_https(config: &AccessConfig, parts: &Parts) -> bool {
    let trusted = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|c| config.trusted_proxies.contains(&c.0.ip()));
    trusted
        && parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
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
