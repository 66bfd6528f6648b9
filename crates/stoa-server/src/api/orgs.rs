//! Organisations over HTTP: members and roles (`GET /api/organizations/{org}/members`,
//! `PUT .../members/{user}/role`, `DELETE .../members/{user}`) and the audit log
//! (`GET /api/organizations/{org}/audit-log`, and `/audit-log/export` as JSON lines).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use stoa_core::identity::OrgRole;
use stoa_core::identity::audit::MAX_AUDIT_PAGE;
use stoa_core::identity::store::AuditEntry;

use crate::AppState;
use crate::api::{parse_json, read_body};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::query::QueryParams;

pub(crate) async fn list_members(
    State(state): State<AppState>,
    Path(org): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let caller = Caller::from_headers(&state, &headers).await?;
    let (_, members) = state.hub.org_members(&caller.principal, &org).await.map_err(|error| caller.fail(error))?;
    let items = members
        .iter()
        .map(
            |(user, role)| json!({"user": user.name, "fullname": user.fullname, "type": "user", "role": role.as_str()}),
        )
        .collect();
    Ok(Json(Value::Array(items)))
}

#[derive(Debug, serde::Deserialize)]
struct RoleBody {
    role: String,
}

pub(crate) async fn set_member_role(
    State(state): State<AppState>,
    Path((org, user)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Json<Value>> {
    let caller = Caller::from_headers(&state, &headers).await?;
    let request: RoleBody = parse_json(&read_body(body).await?)?;
    let role = OrgRole::parse(&request.role)
        .ok_or_else(|| ApiError::bad_request("role must be read, contributor, write or admin"))?;
    state.hub.set_org_member_role(&caller.principal, &org, &user, role).await.map_err(|error| caller.fail(error))?;
    Ok(Json(json!({})))
}

pub(crate) async fn remove_member(
    State(state): State<AppState>,
    Path((org, user)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let caller = Caller::from_headers(&state, &headers).await?;
    state.hub.remove_org_member(&caller.principal, &org, &user).await.map_err(|error| caller.fail(error))?;
    Ok(Json(json!({})))
}

fn entry_json(entry: &AuditEntry) -> Value {
    let mut value = serde_json::to_value(entry).unwrap_or(Value::Null);
    value["createdAt"] = stoa_types::time::format_millis(entry.created_at).into();
    value
}

async fn audit_entries(
    state: &AppState,
    headers: &HeaderMap,
    org: &str,
    raw: Option<&str>,
    export: bool,
) -> ApiResult<Vec<AuditEntry>> {
    let caller = Caller::from_headers(state, headers).await?;
    let query = QueryParams::parse(raw);
    let number = |key: &str| query.get(key).and_then(|value| value.parse::<u64>().ok());
    let (offset, limit) = (number("offset").unwrap_or(0), number("limit").unwrap_or(MAX_AUDIT_PAGE));
    let entries = if export {
        state.hub.export_org_audit_log(&caller.principal, org, offset, limit).await
    } else {
        state.hub.org_audit_log(&caller.principal, org, offset, limit).await
    };
    entries.map_err(|error| caller.fail(error))
}

/// `GET /api/organizations/{org}/audit-log?offset=&limit=`: newest first, org admins only.
pub(crate) async fn audit_log(
    State(state): State<AppState>,
    Path(org): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let entries = audit_entries(&state, &headers, &org, raw.as_deref(), false).await?;
    Ok(Json(Value::Array(entries.iter().map(entry_json).collect())))
}

/// `GET /api/settings/audit-log?offset=&limit=`: the caller's own security log.
pub(crate) async fn own_audit_log(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Json<Value>> {
    let caller = Caller::from_headers(&state, &headers).await?;
    let query = QueryParams::parse(raw.as_deref());
    let number = |key: &str| query.get(key).and_then(|value| value.parse::<u64>().ok());
    let entries = state
        .hub
        .own_audit_log(&caller.principal, number("offset").unwrap_or(0), number("limit").unwrap_or(MAX_AUDIT_PAGE))
        .await
        .map_err(|error| caller.fail(error))?;
    Ok(Json(Value::Array(entries.iter().map(entry_json).collect())))
}

/// `GET /api/organizations/{org}/audit-log/export`: the same entries, one JSON object a line.
pub(crate) async fn export_audit_log(
    State(state): State<AppState>,
    Path(org): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let entries = audit_entries(&state, &headers, &org, raw.as_deref(), true).await?;
    let mut lines = String::new();
    for entry in &entries {
        lines.push_str(&entry_json(entry).to_string());
        lines.push('\n');
    }
    let disposition = format!("attachment; filename=\"{org}-audit-log.jsonl\"");
    Ok(([(header::CONTENT_TYPE, "application/x-ndjson".to_owned()), (header::CONTENT_DISPOSITION, disposition)], lines)
        .into_response())
}
