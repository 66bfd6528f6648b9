//! The file browser, the file view and raw file downloads.
//!
//! Raw files come from this origin, so they are sent so that no browser renders them as a
//! page: text as `text/plain`, the four common image types as images, everything else as an
//! `application/octet-stream` attachment, always with `nosniff` and a sandboxing CSP.

use std::sync::Arc;

use askama::Template;
use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use stoa_core::CoreError;
use stoa_core::files::FileEntry;
use stoa_core::ports::BlobKey;
use stoa_types::RepoPath;

use super::tree_view::{self, Crumb, EntryRow, RefSwitcher, file_url};
use super::{RepoCtx, RepoHeader};
use crate::format;
use crate::pages::{Chrome, Ctx, PageResult, render};
use crate::respond::redirect;

/// Rows per page of a folder listing (a 10,000-file folder is 50 pages).
const TREE_PAGE: usize = 200;
/// Text files up to this size are shown; larger ones are offered as downloads.
const MAX_SHOWN_TEXT: u64 = 1024 * 1024;
/// Images up to this size are shown inline (from the raw URL).
const MAX_SHOWN_IMAGE: u64 = 20 * 1024 * 1024;

#[derive(Template)]
#[template(path = "repo/tree.html")]
struct TreePage {
    chrome: Chrome,
    header: RepoHeader,
    crumbs: Vec<Crumb>,
    refs: RefSwitcher,
    rows: Vec<EntryRow>,
    /// Whether the rows carry last commits (small folders only).
    last_commits: bool,
    upload_url: Option<String>,
    /// "Entries 501–1,000 of 10,000" when paged.
    range: Option<String>,
    previous_url: Option<String>,
    next_url: Option<String>,
}

fn page_url(base: &str, page: usize) -> String {
    if page <= 1 { base.to_owned() } else { format!("{base}?page={page}") }
}

pub(crate) async fn tree(ctx: &Ctx<'_>, repo: &RepoCtx, revision: &str, path: &str) -> PageResult {
    let params = ctx.params();
    if let Some(wanted) = params.get("rev").map(str::trim).filter(|rev| !rev.is_empty()) {
        return Ok(redirect(&file_url(repo, "tree", wanted, path)));
    }
    let hub = ctx.hub();
    let resolved = hub.resolve_revision(&repo.repo, revision).await?;
    // The folder's entries come from the commit's file list, which the hub keeps per commit:
    // no tree walk and no pointer reads per view.
    let view = hub.commit_view(&repo.repo, &resolved.commit).await?;
    let mut entries = tree_view::folder_entries(&view.files, path);
    if entries.is_empty() && !path.is_empty() {
        // A file's tree URL (an edited address, a link from elsewhere) shows the file.
        if view.files.iter().any(|file| file.path == path) {
            return Ok(redirect(&file_url(repo, "blob", revision, path)));
        }
        return Err(CoreError::entry_not_found().into());
    }
    tree_view::sort_entries(&mut entries);
    let total = entries.len();
    let pages = total.div_ceil(TREE_PAGE).max(1);
    let page = params.get("page").and_then(|page| page.parse::<usize>().ok()).unwrap_or(1).clamp(1, pages);
    let start = (page - 1) * TREE_PAGE;
    let shown = &entries[start.min(total)..(start + TREE_PAGE).min(total)];
    let last_commits = total <= tree_view::LAST_COMMIT_MAX_ENTRIES;
    let rows = tree_view::entry_rows(ctx.web, repo, revision, &resolved.commit, shown, last_commits).await?;
    let base = file_url(repo, "tree", revision, path);
    let refs = tree_view::ref_switcher(hub, &ctx.viewer.principal, repo, revision, base.clone()).await?;
    let page = TreePage {
        chrome: ctx.chrome(format!("{} at {revision}", repo.repo.full_name())),
        header: repo.header("files"),
        crumbs: tree_view::breadcrumbs(repo, revision, path),
        refs,
        rows,
        last_commits,
        upload_url: repo.can_write().then(|| format!("{}/upload/{}", repo.url, format::segment(revision))),
        range: (pages > 1).then(|| format!("Entries {}–{} of {total}", start + 1, start + shown.len())),
        previous_url: (page > 1).then(|| page_url(&base, page - 1)),
        next_url: (page < pages).then(|| page_url(&base, page + 1)),
    };
    render(&page)
}

#[derive(Template)]
#[template(path = "repo/blob.html")]
struct BlobPage {
    chrome: Chrome,
    header: RepoHeader,
    crumbs: Vec<Crumb>,
    name: String,
    size: String,
    raw_url: String,
    history_url: String,
    view: FileView,
}

/// How a file is shown.
enum FileView {
    /// Escaped (and highlighted when the syntax is known) text.
    Text {
        html: Arc<str>,
        lines: usize,
    },
    Image,
    /// An LFS object: what is known about it, and whether it may be downloaded.
    Lfs {
        sha256: String,
        xet: bool,
        scan: Option<ScanView>,
        quarantine: Option<String>,
    },
    Binary,
    TooLarge,
    /// Held back by the namespace's scan policy: neither shown nor downloadable.
    Quarantined(String),
}

struct ScanView {
    status: &'static str,
    /// `module.name (safety)` of each pickle import.
    imports: Vec<String>,
    virus_names: Vec<String>,
}

fn is_image(path: &str) -> Option<&'static str> {
    match extension(path).as_str() {
        "png" => Some("image/png"),
        "jpg" | "jpeg" => Some("image/jpeg"),
        "gif" => Some("image/gif"),
        "webp" => Some("image/webp"),
        _ => None,
    }
}

fn extension(path: &str) -> String {
    tree_view::file_name(path).rsplit_once('.').map(|(_, extension)| extension.to_ascii_lowercase()).unwrap_or_default()
}

/// Text a browser would show as a page or run, and so never sends as text from here.
fn is_active_type(path: &str) -> bool {
    matches!(
        extension(path).as_str(),
        "html" | "htm" | "xhtml" | "shtml" | "svg" | "svgz" | "xml" | "xsl" | "xslt" | "js" | "mjs" | "pdf" | "swf"
    )
}

/// Text that is shown: UTF-8 without NUL bytes.
fn as_text(bytes: &[u8]) -> Option<&str> {
    if bytes.contains(&0) {
        return None;
    }
    std::str::from_utf8(bytes).ok()
}

/// The file at `path`, after the gate; a folder's blob URL goes to its tree.
async fn find_file(ctx: &Ctx<'_>, repo: &RepoCtx, revision: &str, path: &str) -> Result<FileEntry, FileLookup> {
    let hub = ctx.hub();
    hub.check_file_read(&ctx.viewer.principal, &repo.repo, path).await.map_err(FileLookup::Error)?;
    let resolved = hub.resolve_revision(&repo.repo, revision).await.map_err(FileLookup::Error)?;
    match hub.file_at(&repo.repo, &resolved.commit, path).await.map_err(FileLookup::Error)? {
        Some(entry) => Ok(entry),
        None => {
            let folder = RepoPath::parse(path).ok();
            match hub.list_tree(&repo.repo, &resolved.commit, folder, false).await {
                Ok(_) => Err(FileLookup::Folder),
                Err(_) => Err(FileLookup::Error(CoreError::entry_not_found())),
            }
        }
    }
}

enum FileLookup {
    Folder,
    Error(CoreError),
}

pub(crate) async fn blob(ctx: &Ctx<'_>, repo: &RepoCtx, revision: &str, path: &str) -> PageResult {
    let entry = match find_file(ctx, repo, revision, path).await {
        Ok(entry) => entry,
        Err(FileLookup::Folder) => return Ok(redirect(&file_url(repo, "tree", revision, path))),
        Err(FileLookup::Error(error)) => return Err(error.into()),
    };
    let hub = ctx.hub();
    let quarantine = match hub.check_not_quarantined(&repo.repo, &entry).await {
        Ok(()) => None,
        Err(CoreError::FileQuarantined(reason)) => Some(reason),
        Err(error) => return Err(error.into()),
    };
    let view = if let (Some(reason), None) = (&quarantine, &entry.lfs) {
        FileView::Quarantined(reason.clone())
    } else if is_image(path).is_some() && entry.size <= MAX_SHOWN_IMAGE && quarantine.is_none() {
        FileView::Image
    } else if let Some(info) = &entry.lfs {
        let reports = hub.file_reports(&[stoa_core::scan::content_key(&entry)]).await?;
        let scan = reports.values().next().map(|report| ScanView {
            status: report.status().as_str(),
            imports: report
                .pickle
                .iter()
                .flat_map(|pickle| &pickle.imports)
                .take(100)
                .map(|import| format!("{}.{} ({})", import.module, import.name, import.safety))
                .collect(),
            virus_names: report.av.iter().flat_map(|av| av.virus_names.iter().cloned()).collect(),
        });
        let xet = hub.xet_file_of(&repo.repo, info.pointer.oid.as_str()).await?.is_some();
        FileView::Lfs { sha256: info.pointer.oid.to_string(), xet, scan, quarantine }
    } else if entry.size > MAX_SHOWN_TEXT {
        FileView::TooLarge
    } else {
        let bytes = hub.read_git_blob(&repo.repo, &entry.oid).await?;
        match as_text(&bytes) {
            Some(text) => {
                let key = format!("blob:{}:{}", entry.oid, tree_view::file_name(path));
                let html = match ctx.web.caches().html.get(&key) {
                    Some(html) => html,
                    None => {
                        let html: Arc<str> = crate::highlight::highlight(path, None, text).into();
                        ctx.web.caches().html.insert(key, html.clone(), html.len());
                        html
                    }
                };
                FileView::Text { html, lines: text.lines().count() }
            }
            None => FileView::Binary,
        }
    };
    let folder = path.rsplit_once('/').map_or("", |(folder, _)| folder);
    let mut crumbs = tree_view::breadcrumbs(repo, revision, folder);
    crumbs.push(Crumb { name: tree_view::file_name(path).to_owned(), url: file_url(repo, "blob", revision, path) });
    let page = BlobPage {
        chrome: ctx.chrome(format!("{path} · {}", repo.repo.full_name())),
        header: repo.header("files"),
        crumbs,
        name: tree_view::file_name(path).to_owned(),
        size: format::size(entry.size),
        raw_url: file_url(repo, "raw", revision, path),
        history_url: format!("{}/commits/{}", repo.url, format::segment(revision)),
        view,
    };
    render(&page)
}

/// The file's bytes: git blobs read here, LFS objects streamed from the store, files only Xet
/// holds rebuilt from their xorbs.
pub(crate) async fn raw(ctx: &Ctx<'_>, repo: &RepoCtx, revision: &str, path: &str) -> PageResult {
    let entry = match find_file(ctx, repo, revision, path).await {
        Ok(entry) => entry,
        Err(FileLookup::Folder) => return Ok(redirect(&file_url(repo, "tree", revision, path))),
        Err(FileLookup::Error(error)) => return Err(error.into()),
    };
    let hub = ctx.hub();
    hub.check_not_quarantined(&repo.repo, &entry).await?;
    let (body, text) = match &entry.lfs {
        None => {
            let bytes = hub.read_git_blob(&repo.repo, &entry.oid).await?;
            let text = as_text(&bytes).is_some();
            (Body::from(bytes), text)
        }
        Some(info) => match hub.blobs().size(&info.pointer.oid).await {
            Ok(Some(_)) => {
                let key = BlobKey::Lfs(info.pointer.oid.clone());
                let stream = hub.blobs().read_range(&key, 0, entry.size).await.map_err(CoreError::from)?;
                (Body::from_stream(stream), false)
            }
            // Only Xet holds it: rebuilt piece by piece, a few MiB in memory at a time.
            _ => (xet_body(hub.clone(), repo.repo.clone(), entry.clone()), false),
        },
    };
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    let content_type = match is_image(path) {
        Some(image) => image,
        None if text && !is_active_type(path) => "text/plain; charset=utf-8",
        None => {
            let name = tree_view::file_name(path);
            let ascii: String =
                name.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect();
            let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", format::segment(name));
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            "application/octet-stream"
        }
    };
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(entry.size));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    Ok(response)
}

/// How much of a Xet-only file is rebuilt per piece of the raw answer.
const XET_PIECE: u64 = 4 * 1024 * 1024;

fn xet_body(hub: stoa_core::Hub, repo: stoa_core::ports::Repo, entry: FileEntry) -> Body {
    let pieces = futures_util::stream::unfold(0_u64, move |at| {
        let (hub, repo, entry) = (hub.clone(), repo.clone(), entry.clone());
        async move {
            if at >= entry.size {
                return None;
            }
            let length = XET_PIECE.min(entry.size - at);
            let piece = hub
                .read_file_range(&repo, &entry, at, length)
                .await
                .map(axum::body::Bytes::from)
                .map_err(|error| std::io::Error::other(error.to_string()));
            Some((piece, at + length))
        }
    });
    Body::from_stream(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_types_are_never_text() {
        for path in ["a.html", "b/c.SVG", "x.xml", "y.js"] {
            assert!(is_active_type(path), "{path}");
        }
        assert!(!is_active_type("README.md"));
        assert_eq!(is_image("p.JPG"), Some("image/jpeg"));
        assert_eq!(is_image("p.svg"), None);
        assert!(as_text(b"a\0b").is_none());
    }
}
