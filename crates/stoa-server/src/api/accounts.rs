//! Accounts for people: `POST /api/signup`, `POST /api/login` (a session cookie), `POST
//! /api/logout`, `POST /api/settings/password`, and token management
//! (`GET`/`POST /api/settings/tokens`, `DELETE /api/settings/tokens/{id}`).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use stoa_core::identity::FineGrained;
use stoa_core::identity::tokens::NewToken;
use stoa_core::ports::{TokenRecord, TokenRole};

use crate::AppState;
use crate::api::{parse_json, read_body};
use crate::auth::{Caller, SESSION_COOKIE, session_secret};
use crate::error::{ApiError, ApiResult};

#[derive(Debug, serde::Deserialize)]
struct SignUpBody {
    username: String,
    password: String,
    email: Option<String>,
}

pub(crate) async fn sign_up(State(state): State<AppState>, body: Body) -> ApiResult<Response> {
    let request: SignUpBody = parse_json(&read_body(body).await?)?;
    let user = state
        .hub
        .sign_up(&request.username, &request.password, request.email)
        .await
        .map_err(|error| ApiError::new(error, true))?;
    Ok((StatusCode::CREATED, Json(json!({"name": user.name, "id": user.id}))).into_response())
}

#[derive(Debug, serde::Deserialize)]
struct SignInBody {
    username: String,
    password: String,
}

/// The session cookie: HttpOnly (no script reads it), SameSite=Lax (not sent on cross-site
/// posts), Secure when the hub is served over HTTPS.
fn session_cookie(state: &AppState, value: &str, max_age_seconds: i64) -> HeaderValue {
    let secure = if state.public_url.base().starts_with("https://") { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{secure}");
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static("stoa_session=; Max-Age=0"))
}

pub(crate) async fn sign_in(State(state): State<AppState>, body: Body) -> ApiResult<Response> {
    let request: SignInBody = parse_json(&read_body(body).await?)?;
    let session =
        state.hub.sign_in(&request.username, &request.password).await.map_err(|error| ApiError::new(error, true))?;
    let max_age = (session.expires_at - stoa_types::time::now_millis()) / 1000;
    let mut response = Json(json!({"name": session.user.name, "csrfToken": session.csrf_token})).into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie(&state, &session.secret, max_age));
    Ok(response)
}

pub(crate) async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(secret) = session_secret(&headers) {
        state.hub.sign_out(&secret).await.map_err(|error| ApiError::new(error, false))?;
    }
    let mut response = Json(json!({})).into_response();
    response.headers_mut().insert(header::SET_COOKIE, session_cookie(&state, "", 0));
    Ok(response)
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct PasswordBody {
    #[serde(default)]
    current_password: String,
    new_password: String,
}

pub(crate) async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Value>> {
    let caller = Caller::from_headers(&state, &headers).await?;
    let request: PasswordBody = parse_json(&read_body(body).await?)?;
    state
        .hub
        .change_password(&caller.principal, &request.current_password, &request.new_password)
        .await
        .map_err(|error| caller.fail(error))?;
    Ok(Json(json!({})))
}

fn token_json(token: &TokenRecord) -> Value {
    let when = |at: Option<i64>| at.map(stoa_types::time::format_unix);
    json!({
        "id": token.id,
        "displayName": token.name,
        "role": token.role.as_str(),
        "createdAt": stoa_types::time::format_unix(token.created_at),
        "lastUsedAt": when(token.last_used_at),
        "expiresAt": when(token.expires_at),
        "fineGrained": token.scopes,
    })
}

pub(crate) async fn list_tokens(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Json<Value>> {
    let caller = Caller::from_headers(&state, &headers).await?;
    let tokens = state.hub.list_own_tokens(&caller.principal).await.map_err(|error| caller.fail(error))?;
    Ok(Json(Value::Array(tokens.iter().map(token_json).collect())))
}

#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct NewTokenBody {
    display_name: String,
    role: String,
    fine_grained: Option<FineGrained>,
    /// Z-date or RFC 3339.
    expires_at: Option<String>,
}

pub(crate) async fn create_token(State(state): State<AppState>, headers: HeaderMap, body: Body) -> ApiResult<Response> {
    let caller = Caller::from_headers(&state, &headers).await?;
    let request: NewTokenBody = parse_json(&read_body(body).await?)?;
    let role = TokenRole::parse(&request.role)
        .ok_or_else(|| ApiError::bad_request("role must be read, write or fineGrained"))?;
    let expires_at = match request.expires_at.as_deref() {
        Some(text) => Some(
            chrono::DateTime::parse_from_rfc3339(text)
                .map_err(|_| ApiError::bad_request("expiresAt must be an RFC 3339 date"))?
                .timestamp(),
        ),
        None => None,
    };
    let new = NewToken { name: request.display_name, role, scopes: request.fine_grained, expires_at };
    let (record, secret) =
        state.hub.create_own_token(&caller.principal, new).await.map_err(|error| caller.fail(error))?;
    let mut body = token_json(&record);
    // Shown once: only its hash is kept.
    body["token"] = secret.into();
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let caller = Caller::from_headers(&state, &headers).await?;
    state.hub.revoke_own_token(&caller.principal, &id).await.map_err(|error| caller.fail(error))?;
    Ok(Json(json!({})))
}
