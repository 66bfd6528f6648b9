//! The owners' settings page: visibility, gating, discussions, rename, delete. Each section is
//! its own form posted to `{repo}/settings/{form}`; a refusal by the domain shows the page again
//! with the reason.

use askama::Template;
use axum::body::Body;
use axum::http::StatusCode;
use stoa_core::CoreError;
use stoa_core::collab::lifecycle::RepoSettings;
use stoa_types::RepoId;

use super::{RepoCtx, RepoHeader};
use crate::format;
use crate::pages::{Chrome, Ctx, PageResult, render_with};
use crate::respond::{WebError, redirect};

#[derive(Template)]
#[template(path = "repo/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    header: RepoHeader,
    full_name: String,
    action: String,
    private: bool,
    /// `false`, `auto` or `manual`.
    gated: &'static str,
    discussions_disabled: bool,
    access_url: String,
    notice: Option<&'static str>,
    error: Option<String>,
    /// The rename field's value (what was typed, after a refusal).
    new_name: String,
}

/// Managers only. Others who are signed in learn they may not (they can see the repo anyway);
/// anonymous viewers get the same 404 as for a page that does not exist.
pub(super) fn check_manager(ctx: &Ctx<'_>, repo: &RepoCtx) -> Result<(), WebError> {
    if repo.can_manage() {
        Ok(())
    } else if ctx.viewer.signed_in() {
        Err(WebError::from(CoreError::Forbidden(format!(
            "You don't have the rights to manage {}",
            repo.repo.full_name()
        ))))
    } else {
        Err(WebError::not_found())
    }
}

/// The notice after a saved form (a fixed text per form, never echoed from the query).
fn saved_notice(saved: Option<&str>) -> Option<&'static str> {
    Some(match saved? {
        "visibility" => "Visibility updated.",
        "gating" => "Access gating updated.",
        "discussions" => "Discussion settings updated.",
        "rename" => "Repository renamed.",
        _ => return None,
    })
}

fn page(ctx: &Ctx<'_>, repo: &RepoCtx, error: Option<String>, new_name: Option<String>) -> SettingsPage {
    let gated = match repo.repo.gated.as_deref() {
        Some("auto") => "auto",
        Some(_) => "manual",
        None => "false",
    };
    SettingsPage {
        chrome: ctx.chrome(format!("Settings · {}", repo.repo.full_name())),
        header: repo.header("settings"),
        full_name: repo.repo.full_name(),
        action: format!("{}/settings", repo.url),
        private: repo.repo.private,
        gated,
        discussions_disabled: repo.repo.discussions_disabled,
        access_url: format!("{}/settings/access-requests", repo.url),
        notice: if error.is_none() { saved_notice(ctx.params().get("saved")) } else { None },
        error,
        new_name: new_name.unwrap_or_else(|| repo.repo.full_name()),
    }
}

pub(crate) async fn settings(ctx: &Ctx<'_>, repo: &RepoCtx, form: Option<&str>, body: Body) -> PageResult {
    let Some(form_name) = form.filter(|_| ctx.is_post()) else {
        check_manager(ctx, repo)?;
        return match form {
            // A form's URL opened in the browser: the page itself.
            Some(_) => Ok(redirect(&format!("{}/settings", repo.url))),
            None if ctx.is_post() => Err(WebError::not_found()),
            None => render_with(StatusCode::OK, &page(ctx, repo, None, None)),
        };
    };
    let form = ctx.form(body).await?;
    check_manager(ctx, repo)?;
    let hub = ctx.hub();
    let principal = &ctx.viewer.principal;
    let settings_url = format!("{}/settings", repo.url);
    let outcome: Result<String, CoreError> = match form_name {
        "visibility" => {
            let private = match form.get("private") {
                Some("1" | "true" | "private") => true,
                Some("0" | "false" | "public") => false,
                _ => return Err(WebError::bad_request("\"private\" must be 1 or 0")),
            };
            let settings = RepoSettings { private: Some(private), ..RepoSettings::default() };
            hub.update_repo_settings(principal, &repo.repo, &settings)
                .await
                .map(|()| format!("{settings_url}?saved=visibility"))
        }
        "gating" => {
            let gated = match form.get("gated") {
                Some("false" | "") | None => None,
                Some(mode) => Some(mode.to_owned()),
            };
            let settings = RepoSettings { gated: Some(gated), ..RepoSettings::default() };
            hub.update_repo_settings(principal, &repo.repo, &settings)
                .await
                .map(|()| format!("{settings_url}?saved=gating"))
        }
        "discussions" => {
            let disabled = match form.get("discussions") {
                Some("disable" | "disabled") => true,
                Some("enable" | "enabled") => false,
                _ => return Err(WebError::bad_request("\"discussions\" must be enable or disable")),
            };
            let settings = RepoSettings { discussions_disabled: Some(disabled), ..RepoSettings::default() };
            hub.update_repo_settings(principal, &repo.repo, &settings)
                .await
                .map(|()| format!("{settings_url}?saved=discussions"))
        }
        "rename" => {
            let new_name = form.required("new_name")?.to_owned();
            match hub.move_repo(principal, repo.repo.repo_type, &repo.repo.full_name(), &new_name).await {
                Ok(moved) => Ok(format::repo_url(moved.repo_type, &moved.full_name())),
                Err(error) => return refused(ctx, repo, error, Some(new_name)),
            }
        }
        "delete" => {
            let full_name = repo.repo.full_name();
            if form.get("confirm").map(str::trim) != Some(full_name.as_str()) {
                return refused(
                    ctx,
                    repo,
                    CoreError::bad_request(format!("Type {full_name} to confirm the deletion")),
                    None,
                );
            }
            let id = RepoId::parse(&full_name).map_err(|_| WebError::not_found())?;
            hub.delete_repo(principal, repo.repo.repo_type, &id)
                .await
                .map(|()| format!("/{}", format::segment(&repo.repo.namespace)))
        }
        _ => return Err(WebError::not_found()),
    };
    match outcome {
        Ok(next) => Ok(redirect(&next)),
        Err(error) => refused(ctx, repo, error, None),
    }
}

/// The page again, with why the change was refused (a permission failure stays an error page).
fn refused(ctx: &Ctx<'_>, repo: &RepoCtx, error: CoreError, new_name: Option<String>) -> PageResult {
    let error = WebError::from(error);
    if matches!(error.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND | StatusCode::INTERNAL_SERVER_ERROR) {
        return Err(error);
    }
    let status = error.status;
    render_with(status, &page(ctx, repo, Some(error.message), new_name))
}
