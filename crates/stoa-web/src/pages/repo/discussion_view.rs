//! What one discussion's page shows: its events as people read them, and for a pull request its
//! ref, how to push to it, and its diff split per file (by the commit page's diff cut, which caps
//! what is shown to keep the page small).

use serde_json::Value;
use stoa_core::collab::discussions::DiscussionDetails;
use stoa_core::collab::store::{DiscussionEvent, DiscussionStatus};

use super::RepoCtx;
use super::diff::{self, DiffFile};
use super::discussions::discussion_url;
use crate::format;
use crate::pages::Ctx;

/// Events beyond this many are not all shown: the first one (the description) and the latest.
const MAX_EVENTS: usize = 150;

#[derive(Debug)]
pub(super) struct EventView {
    pub(super) id: String,
    /// `comment`, `status`, `title`, `commit` or `other`.
    pub(super) kind: &'static str,
    pub(super) author: String,
    pub(super) ago: String,
    pub(super) date: String,
    /// Comments: sanitised HTML from `stoa_core::markdown` (stored so when the comment was written).
    pub(super) html: String,
    pub(super) hidden: bool,
    pub(super) edited: bool,
    /// Small events: what happened, as plain text.
    pub(super) text: String,
    /// Small events: the status they set (for its colour), or a commit's link.
    pub(super) status: &'static str,
    pub(super) link: Option<String>,
}

/// A changed file of the pull request: the commit page's diff cut (shared, capped in size), with
/// the count of added and removed lines shown.
#[derive(Debug)]
pub(super) struct ChangedFile {
    pub(super) diff: DiffFile,
    pub(super) added: usize,
    pub(super) removed: usize,
}

fn changed_files(text: &str) -> Vec<ChangedFile> {
    diff::parse(text, &[])
        .into_iter()
        .map(|file| {
            let count = |class| file.lines.iter().filter(|line| line.class == class).count();
            let (added, removed) = (count("diff-add"), count("diff-del"));
            ChangedFile { diff: file, added, removed }
        })
        .collect()
}

#[derive(Debug)]
pub(super) struct PullRequestView {
    pub(super) ref_name: String,
    pub(super) base: String,
    pub(super) clone_url: String,
    pub(super) conflicts: Vec<String>,
    pub(super) merge_commit: Option<String>,
    pub(super) merge_commit_url: Option<String>,
    /// The files tab: `None` when the viewer may not read the files (a gated repo without
    /// access); always `None` on the conversation tab.
    pub(super) files: Option<Vec<ChangedFile>>,
    pub(super) files_tab: bool,
    pub(super) files_url: String,
    pub(super) tree_url: String,
}

#[derive(Debug)]
pub(super) struct DiscussionView {
    pub(super) num: u64,
    pub(super) title: String,
    pub(super) status: &'static str,
    pub(super) is_pull_request: bool,
    pub(super) author: String,
    pub(super) opened: String,
    pub(super) events: Vec<EventView>,
    pub(super) omitted: usize,
    pub(super) pr: Option<PullRequestView>,
    pub(super) url: String,
    pub(super) signed_in: bool,
    pub(super) can_comment: bool,
    pub(super) can_moderate: bool,
    pub(super) can_merge: bool,
    /// What form#status's button sets: `closed` for open ones, `open` for closed ones.
    pub(super) next_status: &'static str,
    pub(super) login_url: String,
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

fn event_view(repo: &RepoCtx, event: &DiscussionEvent, now: i64) -> EventView {
    let mut view = EventView {
        id: event.id.clone(),
        kind: "other",
        author: event.author.clone(),
        ago: format::ago(event.created_at, now),
        date: format::date(event.created_at),
        html: String::new(),
        hidden: false,
        edited: false,
        text: String::new(),
        status: "",
        link: None,
    };
    let data = &event.data;
    match event.kind.as_str() {
        "comment" => {
            view.kind = "comment";
            view.hidden = data["hidden"] == true;
            view.edited = data["edited"] == true;
            view.html = text(&data["latest"]["html"]);
        }
        "status-change" => {
            view.kind = "status";
            let status = DiscussionStatus::parse(data["status"].as_str().unwrap_or_default());
            view.status = status.map_or("", DiscussionStatus::as_str);
            view.text = match status {
                Some(DiscussionStatus::Open) => "reopened this".to_owned(),
                Some(DiscussionStatus::Closed) => "closed this".to_owned(),
                Some(DiscussionStatus::Merged) => "merged this pull request".to_owned(),
                Some(DiscussionStatus::Draft) => "marked this as a draft".to_owned(),
                None => "changed the status".to_owned(),
            };
        }
        "title-change" => {
            view.kind = "title";
            view.text = format!("changed the title from “{}” to “{}”", text(&data["from"]), text(&data["to"]));
        }
        "commit" => {
            view.kind = "commit";
            let oid = text(&data["oid"]);
            view.text = format!("added a commit: {} ({})", text(&data["subject"]), oid.get(..8).unwrap_or(&oid));
            // Commit ids come from git, but the link is built only from hex to stay a plain path.
            if !oid.is_empty() && oid.bytes().all(|byte| byte.is_ascii_hexdigit()) {
                view.link = Some(format!("{}/commit/{oid}", repo.url));
            }
        }
        other => {
            view.text = format!("{other} event");
        }
    }
    view
}

pub(super) fn build(ctx: &Ctx<'_>, repo: &RepoCtx, details: DiscussionDetails, files_tab: bool) -> DiscussionView {
    let now = stoa_types::time::now_millis();
    let discussion = details.discussion;
    let viewer = ctx.viewer.principal.user();
    let is_author = viewer.is_some_and(|user| user.id == discussion.author_user_id);
    let status = discussion.status;
    let mut events: Vec<EventView> = Vec::new();
    let total = details.events.len();
    let omitted = total.saturating_sub(MAX_EVENTS);
    for (index, event) in details.events.iter().enumerate() {
        if index == 0 || index > omitted {
            events.push(event_view(repo, event, now));
        }
    }
    let pr = discussion.is_pull_request.then(|| {
        let ref_name = format!("refs/pr/{}", discussion.num);
        let base = discussion.base_ref.as_deref().unwrap_or("refs/heads/main").trim_start_matches("refs/heads/");
        let files = details.diff.as_deref().map(changed_files);
        let merge_commit_url = discussion
            .merge_commit
            .as_ref()
            .filter(|oid| oid.bytes().all(|byte| byte.is_ascii_hexdigit()))
            .map(|oid| format!("{}/commit/{oid}", repo.url));
        PullRequestView {
            tree_url: format!("{}/tree/{}", repo.url, format::segment(&ref_name)),
            ref_name,
            base: base.to_owned(),
            clone_url: format!("{}{}", ctx.web.base_url, repo.url),
            conflicts: details.conflicting_files,
            merge_commit: discussion.merge_commit.clone(),
            merge_commit_url,
            files,
            files_tab,
            files_url: format!("{}?tab=files", discussion_url(repo, discussion.num)),
        }
    });
    let url = discussion_url(repo, discussion.num);
    DiscussionView {
        num: discussion.num,
        title: discussion.title,
        status: status.as_str(),
        is_pull_request: discussion.is_pull_request,
        author: discussion.author,
        opened: format::ago(discussion.created_at, now),
        events,
        omitted,
        pr,
        login_url: format!("/login?next={}", format::segment(&url)),
        url,
        signed_in: viewer.is_some(),
        can_comment: viewer.is_some() && !repo.repo.discussions_disabled,
        can_moderate: (is_author || repo.can_write()) && status != DiscussionStatus::Merged,
        can_merge: discussion.is_pull_request && repo.can_write() && status.is_open(),
        next_status: if status.is_open() { "closed" } else { "open" },
    }
}

impl DiscussionView {
    /// Whether the page shows a pull request's files rather than its conversation.
    pub(super) fn files_tab(&self) -> bool {
        self.pr.as_ref().is_some_and(|pr| pr.files_tab)
    }
}
