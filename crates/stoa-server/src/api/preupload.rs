//! `POST /api/{T}/{id}/preupload/{rev}`: for each file, `regular` (inline in the commit) or
//! `lfs`, plus `shouldIgnore` and the current `oid` (hub-api.md §3.9).

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use stoa_core::files::{PreuploadItem, UploadClient};
use stoa_types::wire::{PreuploadAnswer, PreuploadRequest, PreuploadResponse};

use crate::AppState;
use crate::api::parse_json;
use crate::auth::Caller;
use crate::endpoint::RepoRef;
use crate::error::ApiResult;

/// huggingface_hub ≥ 1.20 uploads every `lfs` file through Xet with no fallback (hub-api.md
/// §2.2); older clients and git-lfs negotiate classic LFS.
fn upload_client(headers: &HeaderMap) -> UploadClient {
    let agent = headers.get(header::USER_AGENT).and_then(|value| value.to_str().ok()).unwrap_or_default();
    let Some(version) = agent.split("hf_hub/").nth(1) else {
        return UploadClient::Negotiating;
    };
    let mut numbers = version.split(|c: char| !c.is_ascii_digit()).filter_map(|part| part.parse::<u32>().ok());
    let major = numbers.next().unwrap_or(0);
    let minor = numbers.next().unwrap_or(0);
    if (major, minor) >= (1, 20) { UploadClient::XetOnly } else { UploadClient::Negotiating }
}

pub(crate) async fn preupload_lfs_files(
    state: &AppState,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    revision: &str,
    body: bytes::Bytes,
) -> ApiResult<Response> {
    let caller = Caller::from_headers(state, headers).await?;
    let fail = |error| caller.fail(error);
    let hub = &state.hub;
    let repo = caller.repo(state, &repo_ref).await?;
    let request: PreuploadRequest = parse_json(&body)?;
    let resolved = hub.resolve_revision(&repo, revision).await.map_err(fail)?;
    let items = request
        .files
        .into_iter()
        .map(|file| PreuploadItem { path: file.path, size: file.size, sample: file.sample })
        .collect();
    let outcome = hub
        .preupload(&repo, &resolved.commit, items, request.git_ignore, upload_client(headers))
        .await
        .map_err(fail)?;
    let files = outcome
        .files
        .into_iter()
        .map(|decision| PreuploadAnswer {
            path: decision.path,
            upload_mode: if decision.lfs { "lfs" } else { "regular" },
            should_ignore: decision.should_ignore,
            oid: decision.oid,
        })
        .collect();
    let mut response = Json(PreuploadResponse { files, commit_oid: outcome.commit.to_string() }).into_response();
    if outcome.needs_xet {
        let limit = hub.settings().inline_upload_max_bytes;
        let warning = format!(
            "xet; this server has no Xet storage yet: files above {limit} bytes need HF_HUB_DISABLE_XET=1 (classic LFS)"
        );
        if let Ok(value) = HeaderValue::from_str(&warning) {
            response.headers_mut().insert("x-hf-warning", value);
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(text: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::USER_AGENT, HeaderValue::from_str(text).expect("ascii"));
        headers
    }

    #[test]
    fn client_generations_are_told_apart() {
        assert_eq!(upload_client(&agent("unknown/None; hf_hub/2.4.0; python/3.11")), UploadClient::XetOnly);
        assert_eq!(upload_client(&agent("unknown/None; hf_hub/1.20.1; python/3.11")), UploadClient::XetOnly);
        assert_eq!(upload_client(&agent("unknown/None; hf_hub/0.36.0; python/3.11")), UploadClient::Negotiating);
        assert_eq!(upload_client(&agent("git-lfs/3.4.1")), UploadClient::Negotiating);
    }
}
