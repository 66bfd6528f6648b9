//! Uploading files through the page (multipart form), as a commit or as a pull request.
//!
//! The form's first field is its CSRF token, checked before any file is read. Each file streams
//! to a temp file in the blob store's scratch dir, then becomes an inline-file operation of the
//! same commit machinery the JSON commit endpoint uses (`Hub::create_commit`): files over the
//! hub's git-blob limit or matching an LFS rule of `.gitattributes` are stored as LFS objects
//! there, paths are validated as `RepoPath`s, cards are checked, and `create_pr` opens a pull
//! request exactly as `?create_pr=1` does.

use askama::Template;
use axum::body::Body;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart};
use axum::http::{Request, StatusCode, header};
use base64::Engine as _;
use stoa_core::commit::{CommitOperations, InlineContent, Operation};
use stoa_core::ndjson::Spool;
use stoa_types::RepoPath;
use stoa_types::wire::CommitHeader;
use tokio::io::AsyncWriteExt;

use super::{RepoCtx, RepoHeader};
use crate::format;
use crate::pages::{Chrome, Ctx, PageResult, render_with};
use crate::respond::{WebError, redirect};
use crate::session;

/// Most bytes one upload may carry, all files together.
pub(crate) const MAX_UPLOAD_BYTES: u64 = 5 * 1024 * 1024 * 1024;
/// Most files in one upload.
pub(crate) const MAX_UPLOAD_FILES: usize = 100;
/// Room for the form's text fields and multipart framing on top of the files.
const FRAMING_BYTES: u64 = 1024 * 1024;
/// Longest text field (a description); the others are shorter still.
const MAX_TEXT_BYTES: usize = 64 * 1024;
/// A `.gitattributes` up to this size is handed to the commit in memory, where the commit reads
/// its LFS rules from (a bigger one is committed but not read for rules).
const MAX_ATTRIBUTES_BYTES: u64 = 1024 * 1024;

#[derive(Template)]
#[template(path = "repo/upload.html")]
struct UploadPage {
    chrome: Chrome,
    header: RepoHeader,
    revision: String,
    action: String,
    tree_url: String,
    error: Option<String>,
    path: String,
    summary: String,
    description: String,
    create_pr: bool,
    max_files: usize,
    max_size: String,
}

/// The form's text fields, kept when the page is shown again with an error.
#[derive(Debug, Default)]
struct Fields {
    path: String,
    summary: String,
    description: String,
    create_pr: bool,
}

fn form_page(ctx: &Ctx<'_>, repo: &RepoCtx, revision: &str, fields: Fields, error: Option<WebError>) -> PageResult {
    let revision_url = format::segment(revision);
    let status = error.as_ref().map_or(StatusCode::OK, |error| error.status);
    let page = UploadPage {
        chrome: ctx.chrome(format!("Upload files · {}", repo.repo.full_name())),
        header: repo.header("files"),
        revision: revision.to_owned(),
        action: format!("{}/upload/{revision_url}", repo.url),
        tree_url: format!("{}/tree/{revision_url}", repo.url),
        error: error.map(|error| error.message),
        path: fields.path,
        summary: fields.summary,
        description: fields.description,
        create_pr: fields.create_pr,
        max_files: MAX_UPLOAD_FILES,
        max_size: format::size(MAX_UPLOAD_BYTES),
    };
    render_with(status, &page)
}

pub(crate) async fn upload(ctx: &Ctx<'_>, repo: &RepoCtx, revision: &str, body: Body) -> PageResult {
    if !ctx.viewer.signed_in() {
        let next = format!("{}/upload/{}", repo.url, format::segment(revision));
        let query: String = form_urlencoded::Serializer::new(String::new()).append_pair("next", &next).finish();
        return Ok(redirect(&format!("/login?{query}")));
    }
    if !ctx.is_post() {
        if !repo.can_write() {
            return Err(forbidden(repo));
        }
        ctx.hub().resolve_revision(&repo.repo, revision).await?;
        return form_page(ctx, repo, revision, Fields::default(), None);
    }
    let mut multipart = open_multipart(ctx, body).await?;
    check_token_field(ctx, &mut multipart).await?;
    if !repo.can_write() {
        return Err(forbidden(repo));
    }
    let (files, fields) = match read_form(ctx, &mut multipart).await {
        Ok(read) => read,
        Err((error, fields)) => return form_page(ctx, repo, revision, fields, Some(error)),
    };
    let summary = match fields.summary.trim() {
        "" if files.len() == 1 => "Upload 1 file".to_owned(),
        "" => format!("Upload {} files", files.len()),
        summary => summary.to_owned(),
    };
    let operations = match operations(&fields.path, files).await {
        Ok(operations) => operations,
        Err(error) => return form_page(ctx, repo, revision, fields, Some(error)),
    };
    let header = CommitHeader { summary, description: fields.description.clone(), parent_commit: None };
    let commit = CommitOperations { header, operations };
    let result = ctx.hub().create_commit(&ctx.viewer.principal, &repo.repo, revision, commit, fields.create_pr).await;
    match result {
        Ok(result) => match result.pull_request {
            Some(num) => Ok(redirect(&format!("{}/discussions/{num}", repo.url))),
            None => Ok(redirect(&format!("{}/tree/{}", repo.url, format::segment(revision)))),
        },
        Err(error) => {
            let error = WebError::from(error);
            // A refused commit (bad path, invalid card, rejected content) is told on the form;
            // a missing revision or a failure on our side is an error page.
            if error.status.is_client_error() && error.status != StatusCode::NOT_FOUND {
                form_page(ctx, repo, revision, fields, Some(error))
            } else {
                Err(error)
            }
        }
    }
}

fn forbidden(repo: &RepoCtx) -> WebError {
    WebError::new(
        StatusCode::FORBIDDEN,
        stoa_core::ErrorCode::Forbidden,
        format!("You don't have the rights to upload files to {}", repo.repo.full_name()),
    )
}

fn multipart_error(error: &MultipartError) -> WebError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large();
    }
    WebError::bad_request(format!("The upload could not be read: {}", error.body_text()))
}

fn too_large() -> WebError {
    WebError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        stoa_core::ErrorCode::PayloadTooLarge,
        format!("An upload may hold at most {} in total", format::size(MAX_UPLOAD_BYTES)),
    )
}

async fn open_multipart(ctx: &Ctx<'_>, body: Body) -> Result<Multipart, WebError> {
    let content_type = ctx
        .headers
        .get(header::CONTENT_TYPE)
        .cloned()
        .ok_or_else(|| WebError::bad_request("The upload form must be sent as multipart/form-data"))?;
    let mut request = Request::new(body);
    request.headers_mut().insert(header::CONTENT_TYPE, content_type);
    // The whole body is capped here; files are also counted one by one for a clear message.
    let limit = usize::try_from(MAX_UPLOAD_BYTES + FRAMING_BYTES).unwrap_or(usize::MAX);
    DefaultBodyLimit::max(limit).apply(&mut request);
    Multipart::from_request(request, &())
        .await
        .map_err(|_| WebError::bad_request("The upload form must be sent as multipart/form-data"))
}

/// The first field must be the CSRF token: nothing else is read before it is checked.
async fn check_token_field(ctx: &Ctx<'_>, multipart: &mut Multipart) -> Result<(), WebError> {
    let token = match multipart.next_field().await {
        Ok(Some(field)) if field.name() == Some("csrf") => Some(read_text(field, 256).await.unwrap_or_default()),
        _ => None,
    };
    session::check_form_origin(ctx.web, ctx.headers, ctx.viewer, token.as_deref())
}

/// A text field, refused when longer than `max` bytes.
async fn read_text(mut field: Field<'_>, max: usize) -> Result<String, WebError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|error| multipart_error(&error))? {
        if bytes.len() + chunk.len() > max {
            let name = field.name().unwrap_or("a field").to_owned();
            return Err(WebError::bad_request(format!("\"{name}\" may hold at most {max} bytes")));
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes).map_err(|_| WebError::bad_request("A text field is not valid UTF-8"))
}

/// One uploaded file, on disk.
#[derive(Debug)]
struct Upload {
    name: String,
    file: tempfile::NamedTempFile,
    len: u64,
}

/// Reads the rest of the form: the files into temp files, and the text fields. Errors come with
/// the fields read so far, to show the form again.
async fn read_form(ctx: &Ctx<'_>, multipart: &mut Multipart) -> Result<(Vec<Upload>, Fields), (WebError, Fields)> {
    let mut fields = Fields::default();
    let mut files = Vec::new();
    let mut total = 0u64;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => return Err((multipart_error(&error), fields)),
        };
        let name = field.name().unwrap_or_default().to_owned();
        let outcome = match name.as_str() {
            // Refused before the extra file is read.
            "files" if files.len() >= MAX_UPLOAD_FILES => {
                Err(WebError::bad_request(format!("An upload may hold at most {MAX_UPLOAD_FILES} files")))
            }
            "files" => read_file(ctx, field, &mut total).await.map(|upload| files.extend(upload)),
            "path" => read_text(field, 1024).await.map(|text| fields.path = text),
            "summary" => read_text(field, 1024).await.map(|text| fields.summary = text),
            "description" => read_text(field, MAX_TEXT_BYTES).await.map(|text| fields.description = text),
            "create_pr" => read_text(field, 16).await.map(|text| fields.create_pr = text == "1"),
            // Unknown fields are skipped (read through, unbounded only by the body's cap).
            _ => skip(field).await,
        };
        if let Err(error) = outcome {
            return Err((error, fields));
        }
    }
    if files.is_empty() {
        return Err((WebError::bad_request("Choose at least one file to upload"), fields));
    }
    Ok((files, fields))
}

async fn skip(mut field: Field<'_>) -> Result<(), WebError> {
    while field.chunk().await.map_err(|error| multipart_error(&error))?.is_some() {}
    Ok(())
}

/// Streams one file field to a temp file. `None` for the empty part browsers send when no file
/// was chosen.
async fn read_file(ctx: &Ctx<'_>, mut field: Field<'_>, total: &mut u64) -> Result<Option<Upload>, WebError> {
    let name = field.file_name().unwrap_or_default().to_owned();
    let io = |error: std::io::Error| {
        tracing::error!(error = %error, "upload spool failed");
        WebError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            stoa_core::ErrorCode::Internal,
            "The upload could not be stored",
        )
    };
    let temp = tempfile::NamedTempFile::new_in(ctx.hub().blobs().scratch_dir()).map_err(io)?;
    let mut writer = tokio::fs::File::from_std(temp.as_file().try_clone().map_err(io)?);
    let mut len = 0u64;
    while let Some(chunk) = field.chunk().await.map_err(|error| multipart_error(&error))? {
        len += chunk.len() as u64;
        *total += chunk.len() as u64;
        if *total > MAX_UPLOAD_BYTES {
            return Err(too_large());
        }
        writer.write_all(&chunk).await.map_err(io)?;
    }
    // tokio writes in the background: the bytes are in the file only once flushed.
    writer.flush().await.map_err(io)?;
    if name.is_empty() && len == 0 {
        return Ok(None);
    }
    if name.is_empty() {
        return Err(WebError::bad_request("Every uploaded file needs a name"));
    }
    Ok(Some(Upload { name, file: temp, len }))
}

/// Joins the optional folder prefix and a file's name (browsers send `dir/file` for folders).
fn repo_path(prefix: &str, name: &str) -> Result<RepoPath, WebError> {
    let prefix = prefix.trim().trim_matches('/');
    let name = name.trim_start_matches('/');
    let joined = if prefix.is_empty() { name.to_owned() } else { format!("{prefix}/{name}") };
    RepoPath::parse(&joined).map_err(|error| WebError::bad_request(error.to_string()))
}

/// The commit's operations: every file as inline content, as the JSON endpoint makes them.
async fn operations(prefix: &str, files: Vec<Upload>) -> Result<Vec<Operation>, WebError> {
    let mut operations = Vec::with_capacity(files.len());
    for upload in files {
        let path = repo_path(prefix, &upload.name)?;
        // The commit takes its LFS rules from a `.gitattributes` it writes only when that one
        // comes as base64 text (the form clients send it in).
        let content = if path.as_str() == ".gitattributes" && upload.len <= MAX_ATTRIBUTES_BYTES {
            let bytes = tokio::fs::read(upload.file.path())
                .await
                .map_err(|_| WebError::bad_request("The uploaded .gitattributes could not be read"))?;
            InlineContent::Base64Text(base64::engine::general_purpose::STANDARD.encode(&bytes))
        } else {
            // Raw bytes: a "UTF-8" spool is copied as it is, never decoded or checked.
            InlineContent::Utf8Spool(Spool { file: upload.file, len: upload.len })
        };
        operations.push(Operation::AddInline { path, content });
    }
    Ok(operations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_the_folder_prefix() {
        assert_eq!(repo_path("", "a.txt").expect("valid").as_str(), "a.txt");
        assert_eq!(repo_path("/data/", "a.txt").expect("valid").as_str(), "data/a.txt");
        assert!(repo_path("../x", "a.txt").is_err());
        assert!(repo_path("", ".git/config").is_err());
    }
}
