//! Discussions and pull requests: the list, a new discussion, one discussion and its actions.
//!
//! Every action is a form posted to `{repo}/discussions/{num}/{action}` that answers with a
//! redirect back to the discussion; the domain decides who may do what (a refusal is a 403 page).

use askama::Template;
use axum::body::Body;
use axum::http::StatusCode;
use stoa_core::collab::discussions::{DISCUSSIONS_PER_PAGE, DiscussionListing};
use stoa_core::collab::store::Discussion;

use super::discussion_view::{self, DiscussionView};
use super::{RepoCtx, RepoHeader};
use crate::format;
use crate::pages::{Chrome, Ctx, PageResult, render, render_with};
use crate::respond::{WebError, redirect};

/// One line of the list.
#[derive(Debug)]
struct ListItem {
    num: u64,
    title: String,
    url: String,
    pull_request: bool,
    status: &'static str,
    author: String,
    comments: u64,
    opened: String,
    date: String,
}

impl ListItem {
    fn new(repo: &RepoCtx, discussion: &Discussion, now: i64) -> Self {
        Self {
            num: discussion.num,
            title: discussion.title.clone(),
            url: discussion_url(repo, discussion.num),
            pull_request: discussion.is_pull_request,
            status: discussion.status.as_str(),
            author: discussion.author.clone(),
            comments: discussion.num_comments,
            opened: format::ago(discussion.created_at, now),
            date: format::date(discussion.created_at),
        }
    }
}

/// A filter link of the list (`?status=...&type=...`).
#[derive(Debug)]
struct FilterLink {
    label: &'static str,
    href: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "repo/discussions.html")]
struct ListPage {
    chrome: Chrome,
    header: RepoHeader,
    items: Vec<ListItem>,
    total: u64,
    status_links: Vec<FilterLink>,
    type_links: Vec<FilterLink>,
    previous: Option<String>,
    next: Option<String>,
    can_open: bool,
    disabled: bool,
    signed_in: bool,
    new_url: String,
}

#[derive(Template)]
#[template(path = "repo/new_discussion.html")]
struct NewPage {
    chrome: Chrome,
    header: RepoHeader,
    action: String,
    title: String,
    description: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "repo/discussion.html")]
struct DiscussionPage {
    chrome: Chrome,
    header: RepoHeader,
    view: DiscussionView,
}

pub(super) fn discussion_url(repo: &RepoCtx, num: u64) -> String {
    format!("{}/discussions/{num}", repo.url)
}

/// The status and type filters, as the query names them (unknown values mean "all").
fn filters(ctx: &Ctx<'_>) -> (&'static str, &'static str, u64) {
    let params = ctx.params();
    let status = match params.get("status") {
        Some("open") => "open",
        Some("closed") => "closed",
        _ => "all",
    };
    let kind = match params.get("type") {
        Some("pull_request") => "pull_request",
        Some("discussion") => "discussion",
        _ => "all",
    };
    // Pages past a few thousand are nobody's reading; the cap keeps the offset sane.
    let page = params.get("p").and_then(|page| page.parse::<u64>().ok()).unwrap_or(0).min(10_000);
    (status, kind, page)
}

fn list_href(repo: &RepoCtx, status: &str, kind: &str, page: u64) -> String {
    let mut href = format!("{}/discussions?status={status}&type={kind}", repo.url);
    if page > 0 {
        href.push_str(&format!("&p={page}"));
    }
    href
}

pub(crate) async fn list(ctx: &Ctx<'_>, repo: &RepoCtx) -> PageResult {
    let (status, kind, page) = filters(ctx);
    let listing = DiscussionListing {
        pull_requests: match kind {
            "pull_request" => Some(true),
            "discussion" => Some(false),
            _ => None,
        },
        open: match status {
            "open" => Some(true),
            "closed" => Some(false),
            _ => None,
        },
        author: None,
        page,
    };
    let (discussions, total, start) = ctx.hub().list_discussions(&ctx.viewer.principal, &repo.repo, &listing).await?;
    let now = stoa_types::time::now_millis();
    let link = |label, wanted_status: &str, wanted_kind: &str, active| FilterLink {
        label,
        href: list_href(repo, wanted_status, wanted_kind, 0),
        active,
    };
    let status_links = [("All", "all"), ("Open", "open"), ("Closed", "closed")]
        .into_iter()
        .map(|(label, value)| link(label, value, kind, status == value))
        .collect();
    let type_links = [("All", "all"), ("Pull requests", "pull_request"), ("Discussions", "discussion")]
        .into_iter()
        .map(|(label, value)| link(label, status, value, kind == value))
        .collect();
    let shown = discussions.len() as u64;
    let page_view = ListPage {
        chrome: ctx.chrome(format!("Discussions · {}", repo.repo.full_name())),
        header: repo.header("discussions"),
        items: discussions.iter().map(|discussion| ListItem::new(repo, discussion, now)).collect(),
        total,
        status_links,
        type_links,
        previous: (page > 0).then(|| list_href(repo, status, kind, page - 1)),
        next: (start + shown < total && shown == DISCUSSIONS_PER_PAGE).then(|| list_href(repo, status, kind, page + 1)),
        can_open: ctx.viewer.signed_in() && !repo.repo.discussions_disabled,
        disabled: repo.repo.discussions_disabled,
        signed_in: ctx.viewer.signed_in(),
        new_url: format!("{}/discussions/new", repo.url),
    };
    render(&page_view)
}

pub(crate) async fn new(ctx: &Ctx<'_>, repo: &RepoCtx, body: Body) -> PageResult {
    ctx.viewer.require_user()?;
    if repo.repo.discussions_disabled {
        return Err(WebError::from(stoa_core::CoreError::Forbidden(
            "Discussions are disabled for this repo".to_owned(),
        )));
    }
    let mut page = NewPage {
        chrome: ctx.chrome(format!("New discussion · {}", repo.repo.full_name())),
        header: repo.header("discussions"),
        action: format!("{}/discussions/new", repo.url),
        title: String::new(),
        description: String::new(),
        error: None,
    };
    if !ctx.is_post() {
        return render(&page);
    }
    let form = ctx.form(body).await?;
    page.title = form.get("title").unwrap_or("").to_owned();
    page.description = form.get("description").unwrap_or("").to_owned();
    match ctx.hub().create_discussion(&ctx.viewer.principal, &repo.repo, &page.title, &page.description).await {
        Ok(discussion) => Ok(redirect(&discussion_url(repo, discussion.num))),
        // A title too short or a comment too long: the form again, with what was typed.
        Err(error) => {
            let error = WebError::from(error);
            if error.status == StatusCode::BAD_REQUEST || error.status == StatusCode::PAYLOAD_TOO_LARGE {
                let status = error.status;
                page.error = Some(error.message);
                render_with(status, &page)
            } else {
                Err(error)
            }
        }
    }
}

pub(crate) async fn discussion(
    ctx: &Ctx<'_>,
    repo: &RepoCtx,
    num: u64,
    action: Option<&str>,
    body: Body,
) -> PageResult {
    match (action, ctx.is_post()) {
        (None, false) => show(ctx, repo, num).await,
        (Some(action), true) => act(ctx, repo, num, action, body).await,
        // An action URL opened in the browser: the discussion itself.
        (Some(_), false) => Ok(redirect(&discussion_url(repo, num))),
        (None, true) => Err(WebError::not_found()),
    }
}

async fn show(ctx: &Ctx<'_>, repo: &RepoCtx, num: u64) -> PageResult {
    // A pull request's diff is its own tab: the conversation does not pay for `git diff`.
    let files_tab = ctx.params().get("tab") == Some("files");
    let details = ctx.hub().discussion_details(&ctx.viewer.principal, &repo.repo, num, files_tab).await?;
    let view = discussion_view::build(ctx, repo, details, files_tab);
    let page = DiscussionPage {
        chrome: ctx.chrome(format!("{} · #{num} · {}", view.title, repo.repo.full_name())),
        header: repo.header("discussions"),
        view,
    };
    render(&page)
}

async fn act(ctx: &Ctx<'_>, repo: &RepoCtx, num: u64, action: &str, body: Body) -> PageResult {
    let form = ctx.form(body).await?;
    ctx.viewer.require_user()?;
    let hub = ctx.hub();
    let principal = &ctx.viewer.principal;
    let comment = form.get("comment").filter(|text| !text.trim().is_empty());
    let anchor = match action {
        "comment" => {
            let event = hub.comment_discussion(principal, &repo.repo, num, form.get("comment").unwrap_or("")).await?;
            format!("#event-{}", event.id)
        }
        "status" => {
            let status = form.required("status")?;
            hub.change_discussion_status(principal, &repo.repo, num, status, comment).await?;
            String::new()
        }
        "merge" => {
            hub.merge_pull_request(principal, &repo.repo, num, comment).await?;
            String::new()
        }
        "title" => {
            hub.rename_discussion(principal, &repo.repo, num, form.required("title")?).await?;
            String::new()
        }
        _ => return Err(WebError::not_found()),
    };
    Ok(redirect(&format!("{}{anchor}", discussion_url(repo, num))))
}
