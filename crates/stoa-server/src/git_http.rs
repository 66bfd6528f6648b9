//! Git's smart HTTP protocol (`git clone`, `fetch`, `push`) on `/{P}{id}[.git]/...`.
//!
//! Fetches are served by `git upload-pack --stateless-rpc`, exactly as `git http-backend` does
//! (protocol v0 and v2, shallow clones, partial clones with filters). Pushes are parsed here and
//! applied by the domain (`Hub::receive_push`) with the same rules and locks as an HTTP commit.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use stoa_core::CoreError;
use stoa_core::ports::GitRef;
use stoa_core::push::PushReport;
use tokio::io::AsyncWriteExt;

use crate::AppState;
use crate::auth::Caller;
use crate::endpoint::RepoRef;
use crate::error::{ApiError, ApiResult};
use crate::pktline;
use crate::query::QueryParams;

/// The request of a fetch (wants and haves) is small; this bounds what is buffered.
const MAX_UPLOAD_PACK_REQUEST: usize = 64 * 1024 * 1024;
/// What a push may announce before its pack.
const MAX_PUSH_COMMANDS: usize = 1024 * 1024;
const RECEIVE_CAPABILITIES: &str =
    "report-status delete-refs side-band-64k quiet atomic ofs-delta object-format=sha1 agent=stoa";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Service {
    UploadPack,
    ReceivePack,
}

impl Service {
    fn name(self) -> &'static str {
        match self {
            Self::UploadPack => "git-upload-pack",
            Self::ReceivePack => "git-receive-pack",
        }
    }
}

/// The protocol version the client asked for (`Git-Protocol: version=2`), passed on to git.
fn git_protocol(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("git-protocol")?.to_str().ok()?;
    // Only what git itself sends: `key=value` pairs separated by colons.
    let safe = value.bytes().all(|b| b.is_ascii_alphanumeric() || b"=:._-".contains(&b));
    safe.then(|| value.to_owned())
}

fn git_response(content_type: &'static str, body: Body) -> Response {
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache, max-age=0, must-revalidate")),
    ];
    (StatusCode::OK, headers, body).into_response()
}

/// Who may use the service: readers fetch; writers push, and so do authors of open pull
/// requests, to their PR's ref only (checked per ref by `Hub::receive_push`). Anonymous callers
/// get 401 with `WWW-Authenticate` wherever a token could help, so that git asks for credentials.
async fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    repo_ref: &RepoRef,
    service: Service,
) -> ApiResult<(Caller, stoa_core::ports::Repo)> {
    let caller = Caller::from_headers(state, headers).await?;
    let repo = caller.repo(state, repo_ref).await?;
    if service == Service::ReceivePack
        && let Err(error) = state.hub.check_may_push(&caller.principal, &repo).await
    {
        return Err(match caller.principal.user() {
            None => ApiError::new(CoreError::Unauthenticated("authentication required to push".to_owned()), true),
            Some(_) => caller.fail(error),
        });
    }
    // A clone carries every file: a gated repo's contents need access.
    if service == Service::UploadPack {
        state.hub.check_content_read(&caller.principal, &repo).await.map_err(|error| caller.fail(error))?;
    }
    Ok((caller, repo))
}

/// `GET .../info/refs?service=...`: the ref advertisement.
pub(crate) async fn info_refs(
    state: &AppState,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    query: &QueryParams,
) -> ApiResult<Response> {
    let service = match query.get("service") {
        Some("git-upload-pack") => Service::UploadPack,
        Some("git-receive-pack") => Service::ReceivePack,
        _ => {
            return Err(ApiError::bad_request(
                "only git's smart HTTP protocol is served: add ?service=git-upload-pack",
            ));
        }
    };
    let (caller, repo) = authorize(state, headers, &repo_ref, service).await?;
    let dir = state.hub.git_transport_dir(&repo).await.map_err(|error| caller.fail(error))?;
    let protocol = git_protocol(headers);
    let mut body = Vec::new();
    // Protocol v2 starts with the capability advertisement itself (as git http-backend does).
    let v2 = service == Service::UploadPack && protocol.as_deref().is_some_and(|p| p.contains("version=2"));
    if !v2 {
        pktline::write(&mut body, format!("# service={}\n", service.name()).as_bytes());
        pktline::flush(&mut body);
    }
    match service {
        Service::UploadPack => {
            let mut command = upload_pack_command(&dir, protocol.as_deref());
            command.arg("--advertise-refs").arg(&dir);
            let output =
                command.output().await.map_err(|error| internal(format!("running git upload-pack: {error}")))?;
            if !output.status.success() {
                return Err(internal(format!("git upload-pack: {}", String::from_utf8_lossy(&output.stderr))));
            }
            body.extend_from_slice(&output.stdout);
        }
        Service::ReceivePack => {
            let refs = state.hub.git_refs(&repo).await.map_err(|error| caller.fail(error))?;
            advertise_receive_pack(&mut body, &refs);
        }
    }
    let content_type = match service {
        Service::UploadPack => "application/x-git-upload-pack-advertisement",
        Service::ReceivePack => "application/x-git-receive-pack-advertisement",
    };
    Ok(git_response(content_type, Body::from(body)))
}

fn advertise_receive_pack(body: &mut Vec<u8>, refs: &[GitRef]) {
    if refs.is_empty() {
        let line = format!("{} capabilities^{{}}\0{RECEIVE_CAPABILITIES}\n", "0".repeat(40));
        pktline::write(body, line.as_bytes());
    }
    for (index, GitRef { name, target: oid, .. }) in refs.iter().enumerate() {
        let line =
            if index == 0 { format!("{oid} {name}\0{RECEIVE_CAPABILITIES}\n") } else { format!("{oid} {name}\n") };
        pktline::write(body, line.as_bytes());
    }
    pktline::flush(body);
}

fn internal(message: String) -> ApiError {
    ApiError::new(CoreError::Internal(message), false)
}

fn upload_pack_command(dir: &std::path::Path, protocol: Option<&str>) -> tokio::process::Command {
    let mut command = tokio::process::Command::new("git");
    // Partial clones (`--filter=blob:none`) and shallow clones by commit need these.
    command
        .args(["-c", "uploadpack.allowFilter=true", "-c", "uploadpack.allowAnySHA1InWant=true"])
        .args(["upload-pack", "--stateless-rpc", "--strict"])
        .env("GIT_TERMINAL_PROMPT", "0")
        .current_dir(dir)
        .kill_on_drop(true);
    if let Some(protocol) = protocol {
        command.env("GIT_PROTOCOL", protocol);
    }
    command
}

/// Reads a whole request body, gunzipped when git compressed it.
async fn request_bytes(headers: &HeaderMap, body: Body, limit: usize) -> ApiResult<Vec<u8>> {
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|error| ApiError::new(CoreError::PayloadTooLarge(format!("git request too large: {error}")), false))?;
    let gzip =
        headers.get(header::CONTENT_ENCODING).is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"gzip"));
    if !gzip {
        return Ok(bytes.to_vec());
    }
    let mut decoded = Vec::new();
    let reader = flate2::read::GzDecoder::new(bytes.as_ref());
    std::io::Read::read_to_end(&mut std::io::Read::take(reader, limit as u64), &mut decoded)
        .map_err(|error| ApiError::bad_request(format!("invalid gzip request body: {error}")))?;
    Ok(decoded)
}

/// `POST .../git-upload-pack`: one round of a fetch, answered by git as it produces it.
pub(crate) async fn upload_pack(
    state: &AppState,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    body: Body,
) -> ApiResult<Response> {
    let (caller, repo) = authorize(state, headers, &repo_ref, Service::UploadPack).await?;
    let dir = state.hub.git_transport_dir(&repo).await.map_err(|error| caller.fail(error))?;
    let request = request_bytes(headers, body, MAX_UPLOAD_PACK_REQUEST).await?;
    let mut command = upload_pack_command(&dir, git_protocol(headers).as_deref());
    command.arg(&dir).stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
    command.stderr(std::process::Stdio::piped());
    let mut child = command.spawn().map_err(|error| internal(format!("running git upload-pack: {error}")))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    tokio::spawn(async move {
        // A client that hangs up early closes the pipe; git sees it and stops.
        let _ = stdin.write_all(&request).await;
        drop(stdin);
        let mut messages = String::new();
        let _ = tokio::io::AsyncReadExt::read_to_string(&mut tokio::io::BufReader::new(stderr), &mut messages).await;
        match child.wait().await {
            Ok(status) if !status.success() => {
                tracing::warn!(%status, stderr = %messages.trim(), "git upload-pack failed")
            }
            Err(error) => tracing::warn!(error = %error, "git upload-pack did not finish"),
            Ok(_) => {}
        }
    });
    let stream = tokio_util::io::ReaderStream::with_capacity(stdout, 64 * 1024);
    Ok(git_response("application/x-git-upload-pack-result", Body::from_stream(stream)))
}

/// `POST .../git-receive-pack`: the commands, then the pack, spooled to a temp file.
pub(crate) async fn receive_pack(
    state: &AppState,
    headers: &HeaderMap,
    repo_ref: RepoRef,
    body: Body,
) -> ApiResult<Response> {
    let (caller, repo) = authorize(state, headers, &repo_ref, Service::ReceivePack).await?;
    let gzip =
        headers.get(header::CONTENT_ENCODING).is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"gzip"));
    if gzip {
        return Err(ApiError::bad_request("compressed push requests are not supported"));
    }
    let mut stream = body.into_data_stream();
    let mut head = Vec::new();
    let commands = loop {
        if let Some((commands, used)) = pktline::parse_commands(&head).map_err(ApiError::bad_request)? {
            head.drain(..used);
            break commands;
        }
        if head.len() > MAX_PUSH_COMMANDS {
            return Err(ApiError::bad_request("too many ref updates in one push"));
        }
        match stream.next().await {
            Some(chunk) => head.extend_from_slice(&chunk.map_err(|error| ApiError::bad_request(error.to_string()))?),
            None => return Err(ApiError::bad_request("the push ended before its ref updates")),
        }
    };
    if commands.updates.is_empty() {
        return Ok(git_response("application/x-git-receive-pack-result", Body::empty()));
    }
    let capabilities = commands.capabilities;
    let needs_pack = commands.updates.iter().any(|update| update.new.is_some());
    let pack = if needs_pack {
        let scratch = state.hub.blobs().scratch_dir();
        let file = tempfile::NamedTempFile::new_in(&scratch).map_err(|error| internal(error.to_string()))?;
        let mut writer = tokio::fs::File::from_std(file.reopen().map_err(|error| internal(error.to_string()))?);
        writer.write_all(&head).await.map_err(|error| internal(error.to_string()))?;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|error| ApiError::bad_request(error.to_string()))?;
            writer.write_all(&chunk).await.map_err(|error| internal(error.to_string()))?;
        }
        writer.flush().await.map_err(|error| internal(error.to_string()))?;
        Some(file.into_temp_path())
    } else {
        None
    };
    let atomic = capabilities.iter().any(|capability| capability == "atomic");
    let report = state
        .hub
        .receive_push(&caller.principal, &repo, commands.updates, pack.as_ref().map(|path| path.to_path_buf()), atomic)
        .await
        .map_err(|error| caller.fail(error))?;
    drop(pack);
    let side_band = capabilities.iter().any(|capability| capability == "side-band-64k");
    Ok(git_response("application/x-git-receive-pack-result", Body::from(report_status(&report, side_band))))
}

/// The `report-status` answer, inside side-band channel 1 when the client asked for it.
fn report_status(report: &PushReport, side_band: bool) -> Vec<u8> {
    let mut status = Vec::new();
    match &report.unpack {
        Ok(()) => pktline::write(&mut status, b"unpack ok\n"),
        Err(reason) => pktline::write(&mut status, format!("unpack {reason}\n").as_bytes()),
    }
    for (name, outcome) in &report.refs {
        let line = match outcome {
            None => format!("ok {name}\n"),
            Some(reason) => format!("ng {name} {}\n", reason.replace('\n', " ")),
        };
        pktline::write(&mut status, line.as_bytes());
    }
    pktline::flush(&mut status);
    if !side_band {
        return status;
    }
    let mut wrapped = Vec::new();
    for chunk in status.chunks(pktline::MAX_DATA - 1) {
        let mut packet = Vec::with_capacity(chunk.len() + 1);
        packet.push(1);
        packet.extend_from_slice(chunk);
        pktline::write(&mut wrapped, &packet);
    }
    pktline::flush(&mut wrapped);
    wrapped
}
