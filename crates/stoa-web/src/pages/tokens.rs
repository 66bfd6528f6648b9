//! Access tokens: list, create (the secret shown once), revoke.
//!
//! Creating answers the page itself (200, not a redirect): the secret exists only in that one
//! answer, which is never cached (`Cache-Control: no-store` on every page); only its hash is kept.

use askama::Template;
use axum::body::Body;
use axum::http::StatusCode;
use stoa_core::identity::tokens::NewToken;
use stoa_core::ports::{TokenRecord, TokenRole};

use super::{Chrome, Ctx, PageResult, render_with};
use crate::format;
use crate::respond::{WebError, redirect};

const TOKENS_URL: &str = "/settings/tokens";

#[derive(Debug)]
struct TokenRow {
    id: String,
    /// The revoke form's action.
    revoke_url: String,
    name: String,
    role: &'static str,
    created: String,
    last_used: String,
    expires: String,
    expired: bool,
}

impl TokenRow {
    fn new(token: &TokenRecord, now: i64) -> Self {
        let when = |at: Option<i64>, none: &str| at.map_or_else(|| none.to_owned(), |at| format::date(at * 1000));
        Self {
            id: token.id.clone(),
            revoke_url: format!("{TOKENS_URL}/{}/delete", format::segment(&token.id)),
            name: token.name.clone(),
            role: token.role.as_str(),
            created: format::date(token.created_at * 1000),
            last_used: when(token.last_used_at, "never"),
            expires: when(token.expires_at, "never"),
            expired: token.expires_at.is_some_and(|at| at <= now),
        }
    }
}

/// A token just made: its secret, shown this once.
#[derive(Debug)]
struct Created {
    name: String,
    secret: String,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    chrome: Chrome,
    tokens: Vec<TokenRow>,
    created: Option<Created>,
    error: Option<String>,
    /// The form's values, kept when it is shown again with an error.
    name: String,
    role: String,
}

/// Anonymous visitors are sent to the login page, and back here after it.
fn sign_in_first(ctx: &Ctx<'_>) -> Option<axum::response::Response> {
    (!ctx.viewer.signed_in()).then(|| redirect(&format!("/login?next={TOKENS_URL}")))
}

async fn page(
    ctx: &Ctx<'_>,
    status: StatusCode,
    created: Option<Created>,
    error: Option<String>,
    form: (String, String),
) -> PageResult {
    let now = stoa_types::time::now_unix();
    let tokens = ctx.hub().list_own_tokens(&ctx.viewer.principal).await?;
    let (name, role) = form;
    let page = TokensPage {
        chrome: ctx.chrome("Access tokens"),
        tokens: tokens.iter().map(|token| TokenRow::new(token, now)).collect(),
        created,
        error,
        name,
        role,
    };
    render_with(status, &page)
}

pub(crate) async fn tokens(ctx: &Ctx<'_>, body: Body) -> PageResult {
    if let Some(response) = sign_in_first(ctx) {
        return Ok(response);
    }
    if !ctx.is_post() {
        return page(ctx, StatusCode::OK, None, None, (String::new(), "read".to_owned())).await;
    }
    let form = ctx.form(body).await?;
    let name = form.get("name").unwrap_or("").trim().to_owned();
    let role_text = form.get("role").unwrap_or("read").to_owned();
    // Fine-grained tokens need scopes this form does not ask for: the API makes those.
    let role = match role_text.as_str() {
        "read" => TokenRole::Read,
        "write" => TokenRole::Write,
        _ => {
            let error = Some("A token's role is read or write".to_owned());
            return page(ctx, StatusCode::BAD_REQUEST, None, error, (name, "read".to_owned())).await;
        }
    };
    let new = NewToken { name: name.clone(), role, scopes: None, expires_at: None };
    match ctx.hub().create_own_token(&ctx.viewer.principal, new).await {
        Ok((record, secret)) => {
            let created = Some(Created { name: record.name, secret });
            page(ctx, StatusCode::OK, created, None, (String::new(), "read".to_owned())).await
        }
        Err(error) => {
            let error = WebError::from(error);
            page(ctx, error.status, None, Some(error.message), (name, role_text)).await
        }
    }
}

pub(crate) async fn revoke_token(ctx: &Ctx<'_>, id: &str, body: Body) -> PageResult {
    if !ctx.is_post() {
        return Err(WebError::not_found());
    }
    if let Some(response) = sign_in_first(ctx) {
        return Ok(response);
    }
    ctx.form(body).await?;
    ctx.hub().revoke_own_token(&ctx.viewer.principal, id).await?;
    Ok(redirect(TOKENS_URL))
}
