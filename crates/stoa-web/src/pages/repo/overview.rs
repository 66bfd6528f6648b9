//! The repo's front page: the card, the metadata side panel, and the access form of a gated repo.

use std::sync::Arc;

use askama::Template;
use serde_json::{Map, Value};
use stoa_core::CoreError;
use stoa_core::identity::store::RequestStatus;
use stoa_core::ports::{CommitInfo, ObjectId};
use stoa_core::scan::CommitScanState;
use stoa_types::RepoType;

use super::card::{self, GateField};
use super::{RepoCtx, RepoHeader};
use crate::format;
use crate::pages::{Chrome, Ctx, PageResult, render};

/// Cards above this are not shown (the Hub's limit for the card it parses).
const MAX_CARD_BYTES: u64 = 1024 * 1024;

#[derive(Template)]
#[template(path = "repo/overview.html")]
struct OverviewPage {
    chrome: Chrome,
    header: RepoHeader,
    /// Sanitised HTML of the card's body; `None` when the repo has no README.
    card_html: Option<Arc<str>>,
    /// Why the front matter could not be read.
    card_error: Option<String>,
    upload_url: Option<String>,
    gate: Option<Gate>,
    meta: Metadata,
}

/// What a viewer without access to a gated repo sees in place of its files.
struct Gate {
    /// `form`, `pending`, `rejected` or `anonymous`.
    state: &'static str,
    /// Sanitised HTML of `extra_gated_prompt`.
    prompt_html: String,
    fields: Vec<GateField>,
    button: String,
    action: String,
    login_url: String,
}

struct BaseModel {
    id: String,
    relation: String,
    /// The parent's page, when it is on this hub and visible.
    url: Option<String>,
}

struct Metadata {
    licenses: Vec<String>,
    pipeline_tag: Option<String>,
    library: Option<String>,
    languages: Vec<String>,
    /// (id, page).
    datasets: Vec<(String, String)>,
    base_models: Vec<BaseModel>,
    tags: Vec<String>,
    downloads: String,
    likes: i64,
    last_commit: Option<LastCommit>,
    scan: Arc<ScanInfo>,
    clone_command: String,
}

struct LastCommit {
    title: String,
    url: String,
    author: String,
    ago: String,
}

#[derive(Debug)]
pub(crate) struct ScanInfo {
    done: bool,
    issues: usize,
    parameters: Option<String>,
    /// (dtype, count) per safetensors dtype.
    dtypes: Vec<(String, String)>,
    gguf_architecture: Option<String>,
    gguf_quantization: Option<String>,
}

pub(crate) async fn overview(ctx: &Ctx<'_>, repo: &RepoCtx) -> PageResult {
    let hub = ctx.hub();
    let principal = &ctx.viewer.principal;
    let resolved = hub.resolve_revision(&repo.repo, "main").await?;
    let commit = &resolved.commit;

    // The commit's file list, card metadata and log entry come from the hub's commit cache; the
    // README's blob id names its rendered card in the page cache.
    let view = hub.commit_view(&repo.repo, commit).await?;
    let readme_entry = view.files.iter().find(|file| file.path == "README.md");
    let card_key = readme_entry.map(|entry| format!("card:{}", entry.oid));
    let cached = card_key.as_deref().and_then(|key| ctx.web.caches().html.get(key));
    let readme = match readme_entry {
        _ if cached.is_some() && view.card_data.is_some() => None,
        Some(entry) if entry.lfs.is_none() && entry.size <= MAX_CARD_BYTES => {
            Some(String::from_utf8_lossy(&hub.read_git_blob(&repo.repo, &entry.oid).await?).into_owned())
        }
        Some(entry) if entry.lfs.is_some() => {
            Some("*The card is stored as a large (LFS) file and is not shown.*".to_owned())
        }
        Some(_) => Some("*The card is too large to show.*".to_owned()),
        None => None,
    };
    // Cards that parse are in the commit view; the others are parsed again for their error.
    let (card_data, card_error) = match (&view.card_data, readme.as_deref().map(stoa_core::cards::parse_card_data)) {
        (Some(data), _) => (Some(data.clone()), None),
        (None, Some(Err(error))) => (None, Some(error.to_string())),
        (None, _) => (None, None),
    };
    let card_html = cached.or_else(|| {
        let text = readme.as_deref()?;
        let classes: Vec<&str> = crate::highlight::token_classes().collect();
        let html: Arc<str> = stoa_core::markdown::render_markdown_highlighted(
            stoa_core::cards::split_card(text).1,
            &|language, code| crate::highlight::highlight("", Some(language), code),
            &classes,
        )
        .into();
        if let (Some(key), Some(entry)) = (card_key, readme_entry)
            && entry.lfs.is_none()
            && entry.size <= MAX_CARD_BYTES
        {
            ctx.web.caches().html.insert(key, html.clone(), html.len());
        }
        Some(html)
    });

    let gate = match hub.check_content_read(principal, &repo.repo).await {
        Ok(()) => None,
        Err(CoreError::GatedRepo(_)) => Some(gate(ctx, repo, card_data.as_ref()).await?),
        Err(error) => return Err(error.into()),
    };
    let meta = metadata(ctx, repo, &view.info, card_data.as_ref()).await?;
    let upload_url = repo.can_write().then(|| format!("{}/upload/main", repo.url));
    let page = OverviewPage {
        chrome: ctx.chrome(repo.repo.full_name()),
        header: repo.header("card"),
        card_html,
        card_error,
        upload_url,
        gate,
        meta,
    };
    render(&page)
}

async fn gate(ctx: &Ctx<'_>, repo: &RepoCtx, card: Option<&Map<String, Value>>) -> Result<Gate, CoreError> {
    let state = match ctx.viewer.principal.user() {
        None => "anonymous",
        Some(user) => match ctx.hub().meta().access_request(&repo.repo.id, &user.id).await? {
            Some(request) if request.status == RequestStatus::Pending => "pending",
            Some(request) if request.status == RequestStatus::Rejected => "rejected",
            _ => "form",
        },
    };
    let prompt = card::string(card, "extra_gated_prompt").unwrap_or_else(|| {
        "The author asks you to share your contact information to access this repo's files.".to_owned()
    });
    Ok(Gate {
        state,
        prompt_html: stoa_core::markdown::render_markdown(&prompt),
        fields: card::gate_fields(card),
        button: card::string(card, "extra_gated_button_content").unwrap_or_else(|| "Agree and access".to_owned()),
        action: format!("{}/ask-access", repo.url),
        login_url: format!("/login?next={}", format::segment(&repo.url)),
    })
}

async fn metadata(
    ctx: &Ctx<'_>,
    repo: &RepoCtx,
    info: &CommitInfo,
    card: Option<&Map<String, Value>>,
) -> Result<Metadata, CoreError> {
    let hub = ctx.hub();
    let mut base_models = Vec::new();
    // The parents recorded at the last commit to main (the lineage's first level); a walk of
    // the whole tree is the lineage page's job, not the card's.
    for parent in stoa_core::lineage::parents_of(&repo.repo.tags).into_iter().take(20) {
        let visible = hub.find_repo(&ctx.viewer.principal, RepoType::Model, &parent.id).await.is_ok();
        let url = visible.then(|| format::repo_url(RepoType::Model, &parent.id));
        base_models.push(BaseModel { id: parent.id, relation: parent.relation, url });
    }
    let now = stoa_types::time::now_millis();
    let last_commit = Some(LastCommit {
        url: format!("{}/commit/{}", repo.url, info.id),
        title: info.title.clone(),
        author: info.author.clone(),
        ago: format::ago(info.time.saturating_mul(1000), now),
    });
    let scan = scan_info(ctx, repo, &info.id).await?;
    let datasets = card::strings(card, "datasets")
        .into_iter()
        .map(|id| {
            let url = format::repo_url(RepoType::Dataset, &id);
            (id, url)
        })
        .collect();
    let mut tags = card::strings(card, "tags");
    tags.truncate(50);
    Ok(Metadata {
        licenses: card::strings(card, "license"),
        pipeline_tag: card::string(card, "pipeline_tag"),
        library: card::string(card, "library_name"),
        languages: card::strings(card, "language"),
        datasets,
        base_models,
        tags,
        downloads: format::count(u128::try_from(repo.repo.downloads.max(0)).unwrap_or(0)),
        likes: repo.repo.likes,
        last_commit,
        scan,
        clone_command: format!("git clone {}{}", ctx.web.base_url, repo.url),
    })
}

/// The scan figures of a commit. A finished scan is read once (its summary lists every file:
/// megabytes for a large repo) and kept; a pending one is asked again on the next view.
async fn scan_info(ctx: &Ctx<'_>, repo: &RepoCtx, commit: &ObjectId) -> Result<Arc<ScanInfo>, CoreError> {
    let key = format!("{}:{commit}", repo.repo.id);
    if let Some(cached) = ctx.web.caches().scans.get(&key) {
        return Ok(cached);
    }
    let info = match ctx.hub().commit_scan_state(&repo.repo, commit).await? {
        CommitScanState::Pending => ScanInfo {
            done: false,
            issues: 0,
            parameters: None,
            dtypes: Vec::new(),
            gguf_architecture: None,
            gguf_quantization: None,
        },
        CommitScanState::Done(summary) => {
            let (parameters, dtypes) = match &summary.safetensors {
                Some(totals) => (
                    Some(format!("{} params", format::count(u128::from(totals.total)))),
                    totals
                        .parameters
                        .iter()
                        .map(|(dtype, count)| (dtype.clone(), format::count(u128::from(*count))))
                        .collect(),
                ),
                None => (
                    summary.gguf.as_ref().map(|gguf| format!("{} params", format::count(u128::from(gguf.total)))),
                    Vec::new(),
                ),
            };
            ScanInfo {
                done: true,
                issues: summary.files_with_issues().count(),
                parameters,
                dtypes,
                gguf_architecture: summary.gguf.as_ref().and_then(|gguf| gguf.architecture.clone()),
                gguf_quantization: summary.gguf.as_ref().and_then(|gguf| gguf.quantization.clone()),
            }
        }
    };
    let info = Arc::new(info);
    if info.done {
        ctx.web.caches().scans.insert(key, info.clone(), 512);
    }
    Ok(info)
}
