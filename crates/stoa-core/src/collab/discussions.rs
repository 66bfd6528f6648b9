//! Discussions (and the discussion side of pull requests): open, list, read, comment, edit and
//! hide comments, rename, close and reopen. Event data is kept in the shape the Hub sends it.
//!
//! Who may do what, as on the Hub: anyone who can read a repo may read its discussions; signed-in
//! callers with a write token may open discussions and comment; the author of a discussion and
//! the repo's writers may rename it and change its status; a comment's author may edit it, and
//! its author or a repo writer may hide it.

use serde_json::json;

use crate::access::Principal;
use crate::collab::store::{
    ActivityEntry, Discussion, DiscussionEvent, DiscussionFilter, DiscussionStatus, DiscussionUpdate, NewDiscussion,
    NewEvent,
};
use crate::error::{CoreError, CoreResult};
use crate::hub::Hub;
use crate::ports::{Repo, User};
use crate::tokens::new_object_id;

/// Discussions per page of the listing, as on the Hub.
pub const DISCUSSIONS_PER_PAGE: u64 = 50;
/// Longest title and comment accepted.
const MAX_TITLE_CHARS: usize = 200;
const MAX_COMMENT_BYTES: usize = 65_536;

#[must_use]
pub fn now_millis() -> i64 {
    stoa_types::time::now_millis()
}

/// A new entry of the activity log.
pub(crate) fn activity(repo: &Repo, actor: &User, kind: &str, data: serde_json::Value) -> ActivityEntry {
    ActivityEntry {
        id: new_object_id(),
        repo_id: repo.id.clone(),
        actor_user_id: actor.id.clone(),
        kind: kind.to_owned(),
        created_at: now_millis(),
        data,
    }
}

fn comment_version(raw: &str, author: &str, at: i64) -> serde_json::Value {
    json!({
        "raw": raw,
        "html": crate::markdown::render_markdown(raw),
        "updatedAt": stoa_types::time::format_millis(at),
        "author": {"name": author},
    })
}

pub(crate) fn comment_event(author: &User, raw: &str) -> NewEvent {
    let now = now_millis();
    NewEvent {
        id: new_object_id(),
        kind: "comment".to_owned(),
        author_user_id: author.id.clone(),
        created_at: now,
        data: json!({
            "edited": false,
            "hidden": false,
            "latest": comment_version(raw, &author.name, now),
            "numEdits": 0,
            "editors": [author.name],
            "history": [],
        }),
    }
}

pub(crate) fn status_event(author: &User, status: DiscussionStatus) -> NewEvent {
    NewEvent {
        id: new_object_id(),
        kind: "status-change".to_owned(),
        author_user_id: author.id.clone(),
        created_at: now_millis(),
        data: json!({"status": status.as_str()}),
    }
}

pub(crate) fn check_title(title: &str) -> CoreResult<String> {
    let title = title.trim();
    if title.chars().count() < 3 || title.chars().count() > MAX_TITLE_CHARS {
        return Err(CoreError::bad_request(format!("The title must be between 3 and {MAX_TITLE_CHARS} characters")));
    }
    Ok(title.to_owned())
}

fn check_comment(text: &str) -> CoreResult<()> {
    if text.trim().is_empty() {
        return Err(CoreError::bad_request("The comment must not be empty"));
    }
    if text.len() > MAX_COMMENT_BYTES {
        return Err(CoreError::PayloadTooLarge(format!("A comment is limited to {MAX_COMMENT_BYTES} bytes")));
    }
    Ok(())
}

/// What `get_repo_discussions` asks for.
#[derive(Debug, Clone, Default)]
pub struct DiscussionListing {
    pub pull_requests: Option<bool>,
    pub open: Option<bool>,
    pub author: Option<String>,
    pub page: u64,
}

/// A discussion with everything its page shows.
#[derive(Debug, Clone)]
pub struct DiscussionDetails {
    pub discussion: Discussion,
    pub events: Vec<DiscussionEvent>,
    /// Pull requests: the unified diff against the base, when asked for.
    pub diff: Option<String>,
    /// Pull requests: files that would conflict on merge.
    pub conflicting_files: Vec<String>,
}

impl Hub {
    /// Signed in, able to read the repo, with a token that may write, and discussions enabled.
    pub(crate) fn check_participate<'p>(&self, principal: &'p Principal, repo: &Repo) -> CoreResult<&'p User> {
        principal.check_read(repo)?;
        let user = principal.check_token_writes(Some(repo))?;
        if repo.discussions_disabled {
            return Err(CoreError::Forbidden("Discussions are disabled for this repo".to_owned()));
        }
        Ok(user)
    }

    /// The author of the discussion, or a writer of the repo.
    fn check_moderate(principal: &Principal, repo: &Repo, discussion: &Discussion) -> CoreResult<()> {
        let is_author = principal.user().is_some_and(|user| user.id == discussion.author_user_id);
        if is_author { principal.check_token_writes(Some(repo)).map(|_| ()) } else { principal.check_write(repo) }
    }

    pub(crate) async fn find_discussion(&self, repo: &Repo, num: u64) -> CoreResult<Discussion> {
        self.meta
            .discussion(&repo.id, num)
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("Discussion #{num} not found")))
    }

    /// Opens a discussion; its description is the first comment.
    pub async fn create_discussion(
        &self,
        principal: &Principal,
        repo: &Repo,
        title: &str,
        description: &str,
    ) -> CoreResult<Discussion> {
        let user = self.check_participate(principal, repo)?.clone();
        let title = check_title(title)?;
        let first = if description.trim().is_empty() { None } else { Some(comment_event(&user, description)) };
        if first.is_some() {
            check_comment(description)?;
        }
        let new = NewDiscussion {
            repo_id: repo.id.clone(),
            is_pull_request: false,
            title: title.clone(),
            status: DiscussionStatus::Open,
            author_user_id: user.id.clone(),
            created_at: now_millis(),
            base_ref: None,
        };
        let entry = activity(repo, &user, "discussion-opened", json!({"title": title}));
        let num = self.meta.create_discussion(&new, first.as_ref(), &entry).await?;
        self.find_discussion(repo, num).await
    }

    pub async fn list_discussions(
        &self,
        principal: &Principal,
        repo: &Repo,
        listing: &DiscussionListing,
    ) -> CoreResult<(Vec<Discussion>, u64, u64)> {
        principal.check_read(repo)?;
        let author_user_id = match &listing.author {
            // An unknown author matches nothing, like on the Hub.
            Some(name) => match self.meta.user_by_name(name).await? {
                Some(user) => Some(user.id),
                None => return Ok((Vec::new(), 0, listing.page * DISCUSSIONS_PER_PAGE)),
            },
            None => None,
        };
        let filter = DiscussionFilter {
            pull_requests: listing.pull_requests,
            open: listing.open,
            author_user_id,
            offset: listing.page * DISCUSSIONS_PER_PAGE,
            limit: DISCUSSIONS_PER_PAGE,
        };
        let (discussions, count) = self.meta.list_discussions(&repo.id, &filter).await?;
        Ok((discussions, count, filter.offset))
    }

    pub async fn discussion_details(
        &self,
        principal: &Principal,
        repo: &Repo,
        num: u64,
        with_diff: bool,
    ) -> CoreResult<DiscussionDetails> {
        principal.check_read(repo)?;
        let discussion = self.find_discussion(repo, num).await?;
        let events = self.meta.discussion_events(&repo.id, num).await?;
        let mut details = DiscussionDetails { discussion, events, diff: None, conflicting_files: Vec::new() };
        if details.discussion.is_pull_request {
            // The diff shows file contents: behind a gate only for those who may read them.
            let with_diff = with_diff && self.check_content_read(principal, repo).await.is_ok();
            self.fill_pull_request_details(repo, &mut details, with_diff).await?;
        }
        Ok(details)
    }

    pub async fn comment_discussion(
        &self,
        principal: &Principal,
        repo: &Repo,
        num: u64,
        comment: &str,
    ) -> CoreResult<DiscussionEvent> {
        let user = self.check_participate(principal, repo)?.clone();
        self.find_discussion(repo, num).await?;
        check_comment(comment)?;
        let event = comment_event(&user, comment);
        let entry = activity(repo, &user, "comment", json!({"num": num, "eventId": event.id}));
        self.append_event(repo, num, &user, event, &DiscussionUpdate::default(), Some(&entry)).await
    }

    pub async fn rename_discussion(
        &self,
        principal: &Principal,
        repo: &Repo,
        num: u64,
        title: &str,
    ) -> CoreResult<DiscussionEvent> {
        principal.check_read(repo)?;
        let discussion = self.find_discussion(repo, num).await?;
        Self::check_moderate(principal, repo, &discussion)?;
        let user = principal.user().expect("moderators are signed in").clone();
        let title = check_title(title)?;
        let event = NewEvent {
            id: new_object_id(),
            kind: "title-change".to_owned(),
            author_user_id: user.id.clone(),
            created_at: now_millis(),
            data: json!({"from": discussion.title, "to": title}),
        };
        let update = DiscussionUpdate { title: Some(title), ..DiscussionUpdate::default() };
        self.append_event(repo, num, &user, event, &update, None).await
    }

    /// Closes or reopens a discussion or pull request, with an optional comment first.
    pub async fn change_discussion_status(
        &self,
        principal: &Principal,
        repo: &Repo,
        num: u64,
        status: &str,
        comment: Option<&str>,
    ) -> CoreResult<DiscussionEvent> {
        principal.check_read(repo)?;
        let discussion = self.find_discussion(repo, num).await?;
        Self::check_moderate(principal, repo, &discussion)?;
        let user = principal.user().expect("moderators are signed in").clone();
        let wanted = match status {
            "open" => DiscussionStatus::Open,
            "closed" => DiscussionStatus::Closed,
            other => return Err(CoreError::bad_request(format!("Invalid status '{other}': use open or closed"))),
        };
        if discussion.status == DiscussionStatus::Merged {
            return Err(CoreError::bad_request("This pull request is already merged"));
        }
        if discussion.status == wanted {
            return Err(CoreError::bad_request(format!("This discussion is already {}", discussion.status.as_str())));
        }
        if let Some(text) = comment.filter(|text| !text.trim().is_empty()) {
            check_comment(text)?;
            let event = comment_event(&user, text);
            self.append_event(repo, num, &user, event, &DiscussionUpdate::default(), None).await?;
        }
        let event = status_event(&user, wanted);
        let entry = activity(repo, &user, "status-change", json!({"num": num, "status": wanted.as_str()}));
        let update = DiscussionUpdate {
            status: Some(wanted),
            expected_status: Some(discussion.status),
            ..DiscussionUpdate::default()
        };
        self.append_event(repo, num, &user, event, &update, Some(&entry)).await
    }

    pub async fn edit_discussion_comment(
        &self,
        principal: &Principal,
        repo: &Repo,
        num: u64,
        comment_id: &str,
        content: &str,
    ) -> CoreResult<DiscussionEvent> {
        principal.check_read(repo)?;
        let mut event = self.find_comment(repo, num, comment_id).await?;
        let user = principal.check_token_writes(Some(repo))?.clone();
        if user.id != event.author_user_id {
            return Err(CoreError::Forbidden("Only the author of a comment may edit it".to_owned()));
        }
        if event.data["hidden"] == true {
            return Err(CoreError::bad_request("A hidden comment cannot be edited"));
        }
        check_comment(content)?;
        let data = &mut event.data;
        let previous = data["latest"].take();
        let mut history = data["history"].as_array().cloned().unwrap_or_default();
        history.insert(0, previous);
        data["history"] = history.into();
        data["latest"] = comment_version(content, &user.name, now_millis());
        data["edited"] = true.into();
        data["numEdits"] = (data["numEdits"].as_u64().unwrap_or(0) + 1).into();
        self.meta.replace_event_data(&repo.id, num, &event.id, &event.data).await?;
        Ok(event)
    }

    pub async fn hide_discussion_comment(
        &self,
        principal: &Principal,
        repo: &Repo,
        num: u64,
        comment_id: &str,
    ) -> CoreResult<DiscussionEvent> {
        principal.check_read(repo)?;
        let mut event = self.find_comment(repo, num, comment_id).await?;
        let is_author = principal.user().is_some_and(|user| user.id == event.author_user_id);
        if is_author {
            principal.check_token_writes(Some(repo))?;
        } else {
            principal.check_write(repo)?;
        }
        let user = principal.user().expect("checked above").clone();
        // The text is gone for good: hiding is how abusive or leaked content is taken down.
        let data = &mut event.data;
        data["hidden"] = true.into();
        data["latest"] = comment_version("This comment has been hidden", &user.name, now_millis());
        data["history"] = json!([]);
        self.meta.replace_event_data(&repo.id, num, &event.id, &event.data).await?;
        Ok(event)
    }

    async fn find_comment(&self, repo: &Repo, num: u64, comment_id: &str) -> CoreResult<DiscussionEvent> {
        self.find_discussion(repo, num).await?;
        let events = self.meta.discussion_events(&repo.id, num).await?;
        events
            .into_iter()
            .find(|event| event.kind == "comment" && event.id.eq_ignore_ascii_case(comment_id))
            .ok_or_else(|| CoreError::NotFound(format!("Comment {comment_id} not found")))
    }

    /// Appends an event and returns it as stored.
    pub(crate) async fn append_event(
        &self,
        repo: &Repo,
        num: u64,
        author: &User,
        event: NewEvent,
        update: &DiscussionUpdate,
        entry: Option<&ActivityEntry>,
    ) -> CoreResult<DiscussionEvent> {
        if !self.meta.add_discussion_event(&repo.id, num, &event, update, entry).await? {
            return Err(CoreError::Conflict("The discussion changed meanwhile; please try again".to_owned()));
        }
        Ok(DiscussionEvent {
            id: event.id,
            kind: event.kind,
            author_user_id: author.id.clone(),
            author: author.name.clone(),
            created_at: event.created_at,
            data: event.data,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(check_title("  Fix the card  ").ok().as_deref(), Some("Fix the card"));
        assert!(check_title("ab").is_err());
        assert!(check_title(&"x".repeat(MAX_TITLE_CHARS + 1)).is_err());
    }
}
