//! Sign-up, login and logout. A successful sign-in replaces any session the browser had
//! (a new secret and CSRF token: no session fixation).

use askama::Template;
use axum::body::Body;
use axum::http::header;

use super::{Chrome, Ctx, PageResult};
use crate::respond::{WebError, redirect};
use crate::session::{self, SESSION_COOKIE};

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    chrome: Chrome,
    /// `join` or `login`.
    mode: &'static str,
    error: Option<String>,
    username: String,
    next: String,
}

/// Only local paths are followed after login (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => path.to_owned(),
        _ => "/".to_owned(),
    }
}

fn form_page(ctx: &Ctx<'_>, mode: &'static str, error: Option<String>, username: String) -> PageResult {
    let title = if mode == "join" { "Sign up" } else { "Log in" };
    let next = safe_next(ctx.params().get("next"));
    let page = AccountPage { chrome: ctx.chrome(title), mode, error, username, next };
    let status = if page.error.is_some() { axum::http::StatusCode::BAD_REQUEST } else { axum::http::StatusCode::OK };
    super::render_with(status, &page)
}

async fn start_session(ctx: &Ctx<'_>, username: &str, password: &str, next: &str) -> PageResult {
    let session = ctx.hub().sign_in(username, password).await?;
    let max_age = (session.expires_at - stoa_types::time::now_millis()) / 1000;
    let mut response = redirect(next);
    response.headers_mut().append(header::SET_COOKIE, session::session_cookie(ctx.web, &session.secret, max_age));
    Ok(response)
}

pub(crate) async fn join(ctx: &Ctx<'_>, body: Body) -> PageResult {
    if !ctx.is_post() {
        return form_page(ctx, "join", None, String::new());
    }
    let form = ctx.form(body).await?;
    let username = form.get("username").unwrap_or("").trim().to_owned();
    let password = form.get("password").unwrap_or("");
    let email = form.get("email").map(str::trim).filter(|email| !email.is_empty()).map(str::to_owned);
    match ctx.hub().sign_up(&username, password, email).await {
        Ok(user) => start_session(ctx, &user.name, password, "/").await,
        Err(error) => form_page(ctx, "join", Some(WebError::from(error).message), username),
    }
}

pub(crate) async fn login(ctx: &Ctx<'_>, body: Body) -> PageResult {
    if !ctx.is_post() {
        return form_page(ctx, "login", None, String::new());
    }
    let form = ctx.form(body).await?;
    let username = form.get("username").unwrap_or("").trim().to_owned();
    let password = form.get("password").unwrap_or("");
    let next = safe_next(form.get("next"));
    match start_session(ctx, &username, password, &next).await {
        Ok(response) => Ok(response),
        Err(error) if error.status == axum::http::StatusCode::UNAUTHORIZED => {
            form_page(ctx, "login", Some("Wrong username or password".to_owned()), username)
        }
        Err(error) => form_page(ctx, "login", Some(error.message), username),
    }
}

pub(crate) async fn logout(ctx: &Ctx<'_>, body: Body) -> PageResult {
    if !ctx.is_post() {
        return Err(WebError::not_found());
    }
    ctx.form(body).await?;
    if let Some(secret) = session::cookie(ctx.headers, SESSION_COOKIE) {
        ctx.hub().sign_out(&secret).await?;
    }
    let mut response = redirect("/");
    response.headers_mut().append(header::SET_COOKIE, session::session_cookie(ctx.web, "", 0));
    Ok(response)
}
