//! `POST /api/validate-yaml`: the pre-flight check of every README commit. The body is always
//! JSON (the client parses it before checking the status), except for `RepoCard.validate()`,
//! which asks for `text/plain` and shows the text as its error.

use axum::body::Body;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use stoa_core::cards::{CardValidation, validate_card};
use stoa_types::RepoType;
use stoa_types::wire::{ValidateYamlRequest, YamlMessage};

use crate::api::{parse_json, read_body};
use crate::error::ApiResult;

pub(crate) async fn validate_yaml(headers: HeaderMap, body: Body) -> ApiResult<Response> {
    let request: ValidateYamlRequest = parse_json(&read_body(body).await?)?;
    // The rules differ per repo type (dataset and Space fields); the client omits it for models.
    let result = match request.repo_type.as_deref().map(RepoType::parse) {
        None => validate_card(&request.content, RepoType::Model),
        Some(Ok(repo_type)) => validate_card(&request.content, repo_type),
        Some(Err(_)) => CardValidation {
            errors: vec!["\"repoType\" must be one of [model, dataset, space]".to_owned()],
            warnings: Vec::new(),
        },
    };
    let status = if result.errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let wants_text = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|accept| accept.contains("text/plain") && !accept.contains("json"));
    if wants_text {
        let mut text = String::new();
        for error in &result.errors {
            text.push_str(&format!("- Error: {error}\n"));
        }
        for warning in &result.warnings {
            text.push_str(&format!("- Warning: {warning}\n"));
        }
        return Ok((status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response());
    }
    let messages = |list: Vec<String>| list.into_iter().map(|message| YamlMessage { message }).collect::<Vec<_>>();
    let body = serde_json::json!({"errors": messages(result.errors), "warnings": messages(result.warnings)});
    Ok((status, axum::Json(body)).into_response())
}
