//! Gated repos: the repo and its file list stay visible, file contents need an accepted access
//! request (`auto` accepts at once, `manual` waits for the owner). The request form comes from
//! the card (`extra_gated_fields`). Owners, writers and members of the owning organisation are
//! never gated.

use serde_json::{Map, Value, json};

use crate::access::Principal;
use crate::error::{CoreError, CoreResult};
use crate::hub::Hub;
use crate::identity::store::{AccessRequest, RequestStatus, RequestUpdate};
use crate::ports::Repo;
use crate::tokens::new_object_id;

/// Longest rejection reason (the Hub's limit).
const MAX_REASON_CHARS: usize = 200;
/// Requests per page of the listing.
pub const REQUESTS_PER_PAGE: u64 = 100;

/// The gate's wording, which huggingface_hub matches.
fn gated_error(repo: &Repo) -> CoreError {
    CoreError::GatedRepo(format!(
        "Access to {} {} is restricted and you are not in the authorized list. Visit the repo page to ask for access.",
        repo.repo_type.as_str(),
        repo.full_name()
    ))
}

/// Who a decision is about.
#[derive(Debug, Clone)]
pub enum RequestRef {
    User(String),
    RequestId(String),
}

/// Checks the answers against the card's `extra_gated_fields`: every field answered, with a
/// value of its type, and nothing else.
fn check_answers(form: Option<&Value>, answers: &Map<String, Value>) -> CoreResult<()> {
    let empty = Map::new();
    let fields = form.and_then(Value::as_object).unwrap_or(&empty);
    for key in answers.keys() {
        if !fields.contains_key(key) {
            return Err(CoreError::bad_request(format!("'{key}' is not a field of this repo's access form")));
        }
    }
    for (label, spec) in fields {
        let (kind, options) = match spec {
            Value::String(kind) => (kind.as_str(), None),
            Value::Object(object) => {
                (object.get("type").and_then(Value::as_str).unwrap_or("text"), object.get("options"))
            }
            _ => ("text", None),
        };
        let answer =
            answers.get(label).ok_or_else(|| CoreError::bad_request(format!("The field '{label}' is required")))?;
        let valid = match kind {
            "checkbox" => answer == &Value::Bool(true),
            "date_picker" => {
                answer.as_str().is_some_and(|date| chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok())
            }
            "country" => {
                answer.as_str().is_some_and(|code| code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()))
            }
            "select" => {
                let chosen = answer.as_str().unwrap_or_default();
                options.and_then(Value::as_array).is_some_and(|options| {
                    options.iter().any(|option| {
                        option.as_str() == Some(chosen) || option.get("value").and_then(Value::as_str) == Some(chosen)
                    })
                })
            }
            _ => answer.as_str().is_some_and(|text| !text.trim().is_empty() && text.len() <= 1000),
        };
        if !valid {
            return Err(CoreError::bad_request(format!("The field '{label}' needs a valid {kind} answer")));
        }
    }
    Ok(())
}

impl Hub {
    /// Reading a file's contents: readers of the repo, and for a gated repo only those exempt
    /// from the gate or with an accepted request (and, for fine-grained tokens, a token allowed to
    /// read gated repos).
    pub async fn check_content_read(&self, principal: &Principal, repo: &Repo) -> CoreResult<()> {
        principal.check_read(repo)?;
        if repo.gated.is_none() || principal.bypasses_gate(repo) {
            return Ok(());
        }
        let Some(user) = principal.user() else { return Err(gated_error(repo)) };
        let accepted = self
            .meta
            .access_request(&repo.id, &user.id)
            .await?
            .is_some_and(|request| request.status == RequestStatus::Accepted);
        if accepted && principal.token_reads_gated() { Ok(()) } else { Err(gated_error(repo)) }
    }

    /// Reading one file: like [`Hub::check_content_read`], except that a gated repo's card and
    /// attributes stay readable (they describe the repo and its form).
    pub async fn check_file_read(&self, principal: &Principal, repo: &Repo, path: &str) -> CoreResult<()> {
        if matches!(path, "README.md" | ".gitattributes") {
            return principal.check_read(repo);
        }
        self.check_content_read(principal, repo).await
    }

    /// Asks for access with the form's answers: accepted at once on `auto`, pending on `manual`.
    /// A rejected user cannot ask again.
    pub async fn request_access(
        &self,
        principal: &Principal,
        repo: &Repo,
        answers: &Map<String, Value>,
    ) -> CoreResult<AccessRequest> {
        principal.check_read(repo)?;
        let user = principal.check_token_writes(Some(repo))?.clone();
        let Some(mode) = repo.gated.as_deref() else {
            return Err(CoreError::bad_request("This repo is not gated"));
        };
        let form = {
            let head = self.ref_head(repo, "refs/heads/main").await?;
            let view = self.commit_view(repo, &head).await?;
            view.card_data.as_ref().and_then(|card| card.get("extra_gated_fields").cloned())
        };
        check_answers(form.as_ref(), answers)?;
        match self.meta.access_request(&repo.id, &user.id).await? {
            Some(existing) if existing.status == RequestStatus::Rejected => {
                return Err(CoreError::Forbidden("Your request to access this repo has been rejected".to_owned()));
            }
            Some(existing) => {
                return Err(CoreError::Conflict(format!(
                    "You already have a {} request for this repo",
                    existing.status.as_str()
                )));
            }
            None => {}
        }
        let status = if mode == "auto" { RequestStatus::Accepted } else { RequestStatus::Pending };
        let update = RequestUpdate {
            id: new_object_id(),
            repo_id: repo.id.clone(),
            user_id: user.id.clone(),
            status,
            fields: Some(Value::Object(answers.clone())),
            rejection_reason: None,
            now: stoa_types::time::now_millis(),
        };
        self.meta.save_access_request(&update).await?;
        let target = self.repo_target(repo).await;
        self.audit(
            Some(principal),
            "repo.access_request",
            target,
            json!({"user": user.name, "status": status.as_str()}),
        )
        .await;
        self.meta
            .access_request(&repo.id, &user.id)
            .await?
            .ok_or_else(|| CoreError::Internal("request vanished".to_owned()))
    }

    /// Managers of the repo; a fine-grained token needs `repo.access.read` (or `repo.write`) on it.
    fn check_review(principal: &Principal, repo: &Repo) -> CoreResult<()> {
        if principal.can_review_access(repo) { Ok(()) } else { principal.check_manage(repo) }
    }

    fn check_gated(repo: &Repo) -> CoreResult<()> {
        if repo.gated.is_none() {
            return Err(CoreError::bad_request("This repo is not gated"));
        }
        Ok(())
    }

    pub async fn list_access_requests(
        &self,
        principal: &Principal,
        repo: &Repo,
        status: RequestStatus,
        page: u64,
    ) -> CoreResult<Vec<AccessRequest>> {
        Self::check_review(principal, repo)?;
        Self::check_gated(repo)?;
        Ok(self.meta.list_access_requests(&repo.id, status, page * REQUESTS_PER_PAGE, REQUESTS_PER_PAGE).await?)
    }

    /// Accepts, rejects (with an optional reason) or cancels (`Pending`) a request. Deciding what
    /// is already decided is an error, as on the Hub.
    pub async fn handle_access_request(
        &self,
        principal: &Principal,
        repo: &Repo,
        who: &RequestRef,
        status: RequestStatus,
        reason: Option<&str>,
    ) -> CoreResult<()> {
        Self::check_review(principal, repo)?;
        Self::check_gated(repo)?;
        if reason.is_some_and(|reason| reason.chars().count() > MAX_REASON_CHARS) {
            return Err(CoreError::bad_request(format!(
                "The rejection reason is limited to {MAX_REASON_CHARS} characters"
            )));
        }
        let existing = match who {
            RequestRef::RequestId(id) => self.meta.access_request_by_id(&repo.id, id).await?,
            RequestRef::User(name) => {
                let user = self.user_named(name).await?;
                self.meta.access_request(&repo.id, &user.id).await?
            }
        };
        let existing = existing.ok_or_else(|| CoreError::NotFound("No access request from this user".to_owned()))?;
        if existing.status == status {
            return Err(CoreError::bad_request(format!("This request is already {}", status.as_str())));
        }
        let update = RequestUpdate {
            id: existing.id.clone(),
            repo_id: repo.id.clone(),
            user_id: existing.user.id.clone(),
            status,
            fields: None,
            rejection_reason: (status == RequestStatus::Rejected).then(|| reason.unwrap_or_default().to_owned()),
            now: stoa_types::time::now_millis(),
        };
        self.meta.save_access_request(&update).await?;
        let target = self.repo_target(repo).await;
        let data = json!({"user": existing.user.name, "status": status.as_str(), "previous": existing.status.as_str()});
        self.audit(Some(principal), "repo.access_request.handle", target, data).await;
        Ok(())
    }

    /// Grants access to a user who did not ask (an error if they already have it).
    pub async fn grant_access(&self, principal: &Principal, repo: &Repo, user_name: &str) -> CoreResult<AccessRequest> {
        Self::check_review(principal, repo)?;
        Self::check_gated(repo)?;
        let user = self.user_named(user_name).await?;
        let existing = self.meta.access_request(&repo.id, &user.id).await?;
        if existing.as_ref().is_some_and(|request| request.status == RequestStatus::Accepted) {
            return Err(CoreError::bad_request(format!("{} already has access", user.name)));
        }
        let update = RequestUpdate {
            id: existing.map_or_else(new_object_id, |request| request.id),
            repo_id: repo.id.clone(),
            user_id: user.id.clone(),
            status: RequestStatus::Accepted,
            fields: None,
            rejection_reason: None,
            now: stoa_types::time::now_millis(),
        };
        self.meta.save_access_request(&update).await?;
        let target = self.repo_target(repo).await;
        self.audit(Some(principal), "repo.access_request.grant", target, json!({"user": user.name})).await;
        self.meta
            .access_request(&repo.id, &user.id)
            .await?
            .ok_or_else(|| CoreError::Internal("request vanished".to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_follow_the_card_form() {
        let form = json!({
            "Company": "text",
            "Country": "country",
            "I agree": "checkbox",
            "Use": {"type": "select", "options": ["research", {"label": "Commercial", "value": "commercial"}]},
            "Birthday": "date_picker"
        });
        let good =
            json!({"Company": "Acme", "Country": "FR", "I agree": true, "Use": "commercial", "Birthday": "1990-02-03"});
        assert!(check_answers(Some(&form), good.as_object().expect("object")).is_ok());
        for (key, bad) in [
            ("Country", json!("France")),
            ("I agree", json!(false)),
            ("Use", json!("war")),
            ("Birthday", json!("03/02/1990")),
            ("Company", json!("")),
        ] {
            let mut answers = good.as_object().expect("object").clone();
            answers.insert(key.to_owned(), bad);
            assert!(check_answers(Some(&form), &answers).is_err(), "{key}");
        }
        let mut extra = good.as_object().expect("object").clone();
        extra.insert("Other".to_owned(), json!("x"));
        assert!(check_answers(Some(&form), &extra).is_err());
        assert!(check_answers(None, &Map::new()).is_ok());
    }
}
