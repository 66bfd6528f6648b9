//! Who is looking at a page, and the CSRF token their forms must carry.
//!
//! Signed-in people have a session (cookie `stoa_session`) whose CSRF token the domain keeps.
//! Anonymous forms (sign-up, login) use a double-submit token: a random value in an HttpOnly,
//! SameSite=Strict cookie that the form must repeat. Every POST also has to come from this origin
//! (`Origin` or `Sec-Fetch-Site`), so a cross-site page can neither read nor replay a token.

use axum::http::{HeaderMap, HeaderValue, header};
use stoa_core::CoreError;
use stoa_core::access::Principal;

use crate::Web;
use crate::respond::WebError;

pub(crate) const SESSION_COOKIE: &str = "stoa_session";
const ANONYMOUS_CSRF_COOKIE: &str = "stoa_csrf";

#[derive(Debug, Clone)]
pub(crate) struct Viewer {
    pub(crate) principal: Principal,
    /// The token every form of the page carries.
    pub(crate) csrf: String,
    /// A new anonymous CSRF cookie to set with the answer.
    pub(crate) set_cookie: Option<HeaderValue>,
}

impl Viewer {
    pub(crate) fn name(&self) -> Option<&str> {
        self.principal.user().map(|user| user.name.as_str())
    }

    pub(crate) fn signed_in(&self) -> bool {
        self.principal.user().is_some()
    }

    /// The signed-in user, or an error page asking to sign in.
    pub(crate) fn require_user(&self) -> Result<&stoa_core::ports::User, WebError> {
        self.principal.user().ok_or_else(WebError::sign_in_required)
    }
}

pub(crate) fn cookie(headers: &HeaderMap, wanted: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, value)| value.to_owned())
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` value: HttpOnly always, `Secure` when served over HTTPS.
pub(crate) fn set_cookie(web: &Web, name: &str, value: &str, same_site: &str, max_age: i64) -> HeaderValue {
    let secure = if web.secure_cookies() { "; Secure" } else { "" };
    let text = format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("stoa_csrf=; Max-Age=0"))
}

pub(crate) fn session_cookie(web: &Web, secret: &str, max_age: i64) -> HeaderValue {
    set_cookie(web, SESSION_COOKIE, secret, "Lax", max_age)
}

/// The viewer of a request: its session if the cookie names a live one, else anonymous.
pub(crate) async fn viewer(web: &Web, headers: &HeaderMap) -> Result<Viewer, WebError> {
    if let Some(secret) = cookie(headers, SESSION_COOKIE)
        && let Some((principal, csrf)) = web.hub().session_principal(&secret).await?
    {
        return Ok(Viewer { principal, csrf, set_cookie: None });
    }
    let principal = web.hub().authenticate(None).await?;
    match cookie(headers, ANONYMOUS_CSRF_COOKIE).filter(|value| value.len() >= 32 && value.len() <= 64) {
        Some(csrf) => Ok(Viewer { principal, csrf, set_cookie: None }),
        None => {
            let csrf = stoa_core::tokens::generate_token().trim_start_matches("hf_").to_owned();
            let set_cookie = Some(set_cookie(web, ANONYMOUS_CSRF_COOKIE, &csrf, "Strict", 86_400));
            Ok(Viewer { principal, csrf, set_cookie })
        }
    }
}

/// Refuses a POST that did not come from one of this hub's own forms.
pub(crate) fn check_form_origin(
    web: &Web,
    headers: &HeaderMap,
    viewer: &Viewer,
    sent: Option<&str>,
) -> Result<(), WebError> {
    let same_origin = match headers.get(header::ORIGIN).and_then(|value| value.to_str().ok()) {
        Some(origin) => {
            origin == web.origin()
                || host_origin(headers).is_some_and(|[http, https]| http == origin || https == origin)
        }
        None => headers
            .get("sec-fetch-site")
            .and_then(|value| value.to_str().ok())
            .is_none_or(|site| site == "same-origin" || site == "none"),
    };
    let token_matches = sent.is_some_and(|sent| constant_time_eq(sent.as_bytes(), viewer.csrf.as_bytes()));
    if same_origin && token_matches && viewer.set_cookie.is_none() {
        Ok(())
    } else {
        Err(WebError::from(CoreError::Forbidden(
            "This form has expired or did not come from this site; reload the page and try again".to_owned(),
        )))
    }
}

/// The origin the browser used, from `Host` (for hubs reached under several names).
fn host_origin(headers: &HeaderMap) -> Option<[String; 2]> {
    let host = headers.get(header::HOST)?.to_str().ok()?;
    Some([format!("http://{host}"), format!("https://{host}")])
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0_u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
