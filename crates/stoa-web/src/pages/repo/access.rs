//! Gated access: asking for access (the form itself is on the repo's overview page, built from
//! the card's `extra_gated_fields`) and the owners' review page.

use askama::Template;
use axum::body::Body;
use axum::http::StatusCode;
use serde_json::{Map, Value};
use stoa_core::identity::gating::{REQUESTS_PER_PAGE, RequestRef};
use stoa_core::identity::store::{AccessRequest, RequestStatus};

use super::settings::check_manager;
use super::{RepoCtx, RepoHeader};
use crate::format;
use crate::pages::{Chrome, Ctx, PageResult, render, render_with};
use crate::respond::{WebError, redirect};

/// Form fields answering the access form are named `field:<label>`.
const FIELD_PREFIX: &str = "field:";

#[derive(Template)]
#[template(path = "repo/access_asked.html")]
struct AskedPage {
    chrome: Chrome,
    header: RepoHeader,
    repo_url: String,
    /// The viewer's request: `pending`, `accepted` or `rejected`, if any.
    status: Option<&'static str>,
    reason: Option<String>,
    error: Option<String>,
}

#[derive(Debug)]
struct Answer {
    label: String,
    value: String,
}

#[derive(Debug)]
struct RequestRow {
    user: String,
    answers: Vec<Answer>,
    date: String,
    status: &'static str,
    reason: Option<String>,
    can_accept: bool,
    can_reject: bool,
}

#[derive(Debug)]
struct Tab {
    label: &'static str,
    href: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "repo/access_requests.html")]
struct RequestsPage {
    chrome: Chrome,
    header: RepoHeader,
    gated: Option<String>,
    settings_url: String,
    action: String,
    tab: &'static str,
    tabs: Vec<Tab>,
    rows: Vec<RequestRow>,
    previous: Option<String>,
    next: Option<String>,
}

/// The access form's field types from the card, so a ticked checkbox is sent as `true` (the
/// domain checks every answer against the card).
async fn field_kinds(ctx: &Ctx<'_>, repo: &RepoCtx) -> Map<String, Value> {
    let hub = ctx.hub();
    let Ok(resolved) = hub.resolve_revision(&repo.repo, "main").await else { return Map::new() };
    let Ok(view) = hub.commit_view(&repo.repo, &resolved.commit).await else { return Map::new() };
    view.card_data
        .as_ref()
        .and_then(|card| card.get("extra_gated_fields"))
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn is_checkbox(spec: Option<&Value>) -> bool {
    match spec {
        Some(Value::String(kind)) => kind == "checkbox",
        Some(Value::Object(object)) => object.get("type").and_then(Value::as_str) == Some("checkbox"),
        _ => false,
    }
}

/// `POST {repo}/ask-access`: saves the request (accepted at once on `auto` gating) and goes back
/// to the repo page, which shows the request's state. `GET` shows where the viewer's request is.
pub(crate) async fn ask_access(ctx: &Ctx<'_>, repo: &RepoCtx, body: Body) -> PageResult {
    let user = ctx.viewer.require_user()?.clone();
    let mut page = AskedPage {
        chrome: ctx.chrome(format!("Access · {}", repo.repo.full_name())),
        header: repo.header("card"),
        repo_url: repo.url.clone(),
        status: None,
        reason: None,
        error: None,
    };
    if !ctx.is_post() {
        if let Some(request) = ctx
            .hub()
            .meta()
            .access_request(&repo.repo.id, &user.id)
            .await
            .map_err(|error| WebError::from(stoa_core::CoreError::from(error)))?
        {
            page.status = Some(request.status.as_str());
            page.reason = request.rejection_reason.filter(|reason| !reason.is_empty());
        }
        return render(&page);
    }
    let form = ctx.form(body).await?;
    let kinds = field_kinds(ctx, repo).await;
    let mut answers = Map::new();
    for (name, value) in form.fields() {
        let Some(label) = name.strip_prefix(FIELD_PREFIX) else { continue };
        if answers.contains_key(label) {
            continue;
        }
        let answer = if is_checkbox(kinds.get(label)) {
            // Browsers send a ticked box's value ("on" by default) and nothing for an unticked one.
            Value::Bool(!matches!(value.as_str(), "" | "0" | "false" | "off"))
        } else {
            Value::String(value.trim().to_owned())
        };
        answers.insert(label.to_owned(), answer);
    }
    match ctx.hub().request_access(&ctx.viewer.principal, &repo.repo, &answers).await {
        Ok(_) => Ok(redirect(&repo.url)),
        Err(error) => {
            let error = WebError::from(error);
            if error.status == StatusCode::INTERNAL_SERVER_ERROR {
                return Err(error);
            }
            let status = error.status;
            page.error = Some(error.message);
            render_with(status, &page)
        }
    }
}

fn request_row(request: &AccessRequest) -> RequestRow {
    let answers = request
        .fields
        .as_ref()
        .and_then(Value::as_object)
        .map(|fields| {
            fields
                .iter()
                .map(|(label, value)| Answer {
                    label: label.clone(),
                    value: match value {
                        Value::String(text) => text.clone(),
                        Value::Bool(true) => "yes".to_owned(),
                        Value::Bool(false) => "no".to_owned(),
                        other => other.to_string(),
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    RequestRow {
        user: request.user.name.clone(),
        answers,
        date: format::date(request.updated_at),
        status: request.status.as_str(),
        reason: request.rejection_reason.clone().filter(|reason| !reason.is_empty()),
        can_accept: request.status != RequestStatus::Accepted,
        can_reject: request.status != RequestStatus::Rejected,
    }
}

fn tab_of(text: Option<&str>) -> RequestStatus {
    text.and_then(RequestStatus::parse).unwrap_or(RequestStatus::Pending)
}

/// `{repo}/settings/access-requests`: the requests by state, each with accept / reject forms
/// posted back to the same URL.
pub(crate) async fn access_requests(ctx: &Ctx<'_>, repo: &RepoCtx, body: Body) -> PageResult {
    let principal = &ctx.viewer.principal;
    if !principal.can_review_access(&repo.repo) {
        check_manager(ctx, repo)?;
    }
    let url = format!("{}/settings/access-requests", repo.url);
    if ctx.is_post() {
        let form = ctx.form(body).await?;
        let user = form.required("user")?;
        let status = match form.get("status") {
            Some("accepted") => RequestStatus::Accepted,
            Some("rejected") => RequestStatus::Rejected,
            Some("pending") => RequestStatus::Pending,
            _ => return Err(WebError::bad_request("\"status\" must be accepted or rejected")),
        };
        let reason = form.get("reason").map(str::trim).filter(|reason| !reason.is_empty());
        ctx.hub()
            .handle_access_request(principal, &repo.repo, &RequestRef::User(user.to_owned()), status, reason)
            .await?;
        // Back to the tab the row was in.
        let from = tab_of(form.get("from"));
        return Ok(redirect(&format!("{url}?status={}", from.as_str())));
    }
    let params = ctx.params();
    let tab = tab_of(params.get("status"));
    let page_number = params.get("p").and_then(|page| page.parse::<u64>().ok()).unwrap_or(0).min(10_000);
    let rows = if repo.repo.gated.is_some() {
        ctx.hub().list_access_requests(principal, &repo.repo, tab, page_number).await?.iter().map(request_row).collect()
    } else {
        Vec::new()
    };
    let href = |status: RequestStatus, page: u64| {
        let mut href = format!("{url}?status={}", status.as_str());
        if page > 0 {
            href.push_str(&format!("&p={page}"));
        }
        href
    };
    let tabs = [
        ("Pending", RequestStatus::Pending),
        ("Accepted", RequestStatus::Accepted),
        ("Rejected", RequestStatus::Rejected),
    ]
    .into_iter()
    .map(|(label, status)| Tab { label, href: href(status, 0), active: status == tab })
    .collect();
    let full_page = rows.len() as u64 == REQUESTS_PER_PAGE;
    let page = RequestsPage {
        chrome: ctx.chrome(format!("Access requests · {}", repo.repo.full_name())),
        header: repo.header("settings"),
        gated: repo.repo.gated.clone(),
        settings_url: format!("{}/settings", repo.url),
        action: url.clone(),
        tab: tab.as_str(),
        tabs,
        rows,
        previous: (page_number > 0).then(|| href(tab, page_number - 1)),
        next: full_page.then(|| href(tab, page_number + 1)),
    };
    render(&page)
}
