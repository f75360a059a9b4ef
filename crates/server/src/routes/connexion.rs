//! Browser sign-in to the internal indicators:
//!
//! - `GET /connexion`: a small French page (same look as the map page, no script, nothing
//!   inline: it works under a strict Content-Security-Policy) with one field, the token.
//! - `POST /connexion` (form field `jeton`): a token of `[access] tokens` sets the cookie
//!   [`COOKIE`]`=<token>; HttpOnly; SameSite=Strict; Path=/` (`Secure` too when a trusted
//!   reverse proxy says the request came over HTTPS) and redirects (303) to the map; any other
//!   value is answered 401 « jeton refusé », without detail and without cookie.
//! - `POST /deconnexion`: clears the cookie and redirects (303) to the map.
//!
//! The cookie holds the token itself (the server keeps only its SHA-256): HttpOnly keeps it
//! from scripts, SameSite=Strict from other sites' requests. Both forms refuse a request that
//! the browser marks as coming from another site (`Sec-Fetch-Site: cross-site`). Redirects go
//! to `./`, relative, so that the pages also work under a reverse proxy's path prefix.
use axum::extract::{Form, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Router, middleware::from_fn};
use serde::Deserialize;

use crate::access::{COOKIE, audience_dependent, cookie_token, forwarded_https};
use crate::config::token_matches;
use crate::routes::map::embedded;
use crate::{AppState, Audience};

const TEMPLATE: &str = include_str!("../../assets/map/connexion.html");

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/connexion", get(page).post(sign_in))
        .route("/deconnexion", axum::routing::post(sign_out))
        .route_layer(from_fn(audience_dependent))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The sign-in page around `content` (HTML), never cached.
fn html(state: &AppState, status: StatusCode, content: &str) -> Response {
    let name = escape(&state.snapshot().bundle.meta.name);
    let mut page = TEMPLATE
        .replace("{{territoire}}", &name)
        .replace("{{contenu}}", content);
    for a in embedded::ASSETS {
        page = page.replace(&format!("{{{{asset:{}}}}}", a.name), &embedded::url(a.name));
    }
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        page,
    )
        .into_response()
}

const FORM: &str = r#"<form method="post" action="connexion">
  <label for="jeton">Jeton d'accès</label>
  <input id="jeton" name="jeton" type="password" autocomplete="current-password" required autofocus>
  <button type="submit">Se connecter</button>
</form>"#;

fn form_page(state: &AppState, status: StatusCode, error: Option<&str>) -> Response {
    let mut content = String::from(
        "<h2>Indicateurs internes du Département</h2>\n<p>Les indicateurs internes (données des services départementaux) sont réservés aux agents habilités. Saisissez le jeton d'accès que l'administrateur de l'observatoire vous a remis.</p>\n",
    );
    if let Some(e) = error {
        content.push_str(&format!(
            "<p class=\"error\" role=\"alert\">{}</p>\n",
            escape(e)
        ));
    }
    content.push_str(FORM);
    content.push_str("\n<p><a href=\"./\">Retour à la carte publique</a></p>");
    html(state, status, &content)
}

async fn page(State(state): State<AppState>, audience: Audience, parts: Parts) -> Response {
    if !audience.internal {
        return form_page(&state, StatusCode::OK, None);
    }
    let by_cookie = cookie_token(&parts)
        .is_some_and(|t| token_matches(&state.config().access.tokens, &t).is_some());
    let mut content = String::from(
        "<h2>Connecté</h2>\n<p>Les indicateurs internes sont visibles sur la carte, dans les tableaux et les exports.</p>\n",
    );
    if by_cookie {
        content.push_str(
            "<form method=\"post\" action=\"deconnexion\"><button type=\"submit\">Se déconnecter</button></form>\n",
        );
    }
    content.push_str("<p><a href=\"./\">Aller à la carte</a></p>");
    html(&state, StatusCode::OK, &content)
}

#[derive(Deserialize)]
struct SignIn {
    #[serde(default)]
    jeton: String,
}

/// A request the browser marks as sent by another site.
fn cross_site(parts: &Parts) -> bool {
    parts
        .headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"))
}

/// A token can travel in a cookie only if it is made of cookie characters (tokens printed by
/// `observatoire token` are hexadecimal).
fn cookie_safe(token: &str) -> bool {
    !token.is_empty()
        && token
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b';' | b',' | b'"' | b'\\'))
}

fn cookie(value: &str, secure: bool, clear: bool) -> String {
    let mut c = format!("{COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/");
    if clear {
        c.push_str("; Max-Age=0");
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

fn see_other(set_cookie: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    let h = r.headers_mut();
    h.insert(header::LOCATION, HeaderValue::from_static("./"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(set_cookie) {
        h.insert(header::SET_COOKIE, v);
    }
    r
}

async fn sign_in(State(state): State<AppState>, parts: Parts, form: Form<SignIn>) -> Response {
    if cross_site(&parts) {
        return form_page(&state, StatusCode::FORBIDDEN, Some("Requête refusée."));
    }
    let access = &state.config().access;
    let token = form.0.jeton.trim().to_string();
    match token_matches(&access.tokens, &token) {
        Some(t) if cookie_safe(&token) => {
            tracing::info!("connexion aux indicateurs internes : {}", t.name);
            see_other(&cookie(&token, forwarded_https(access, &parts), false))
        }
        _ => form_page(&state, StatusCode::UNAUTHORIZED, Some("Jeton refusé.")),
    }
}

async fn sign_out(State(state): State<AppState>, parts: Parts) -> Response {
    if cross_site(&parts) {
        return form_page(&state, StatusCode::FORBIDDEN, Some("Requête refusée."));
    }
    see_other(&cookie(
        "",
        forwarded_https(&state.config().access, &parts),
        true,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies() {
        assert_eq!(
            cookie("abc", false, false),
            "observatoire_jeton=abc; HttpOnly; SameSite=Strict; Path=/"
        );
        assert!(cookie("", true, true).ends_with("; Max-Age=0; Secure"));
        assert!(cookie_safe("0123abcdef"));
        assert!(!cookie_safe("a;b") && !cookie_safe("a b") && !cookie_safe(""));
    }

    #[test]
    fn the_page_has_nothing_inline() {
        for forbidden in ["<script", "style=", "onclick", "onsubmit", "javascript:"] {
            assert!(!TEMPLATE.contains(forbidden), "{forbidden}");
            assert!(!FORM.contains(forbidden), "{forbidden}");
        }
    }
}
