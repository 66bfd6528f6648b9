//! Creating a repo: a model, dataset or space, under the user or one of their organisations.

use askama::Template;
use axum::body::Body;
use axum::http::StatusCode;
use stoa_core::CoreError;
use stoa_core::identity::OrgRole;
use stoa_core::repos::CreateRepo;
use stoa_types::RepoType;

use super::{Chrome, Ctx, PageResult, render_with};
use crate::format;
use crate::respond::{WebError, redirect};

const SPACE_SDKS: &[&str] = &["gradio", "streamlit", "docker", "static"];

/// What the form holds (kept when it is shown again with an error).
#[derive(Debug, Clone)]
struct Values {
    repo_type: String,
    owner: String,
    name: String,
    visibility: String,
    space_sdk: String,
}

#[derive(Template)]
#[template(path = "new_repo.html")]
struct NewRepoPage {
    chrome: Chrome,
    /// The user first, then the organisations where they may create repos.
    owners: Vec<String>,
    sdks: &'static [&'static str],
    values: Values,
    error: Option<String>,
}

fn owners(ctx: &Ctx<'_>, user: &str) -> Vec<String> {
    let orgs = ctx.viewer.principal.memberships().iter().filter(|membership| {
        // The roles `check_namespace_write` lets create repos.
        matches!(membership.role, OrgRole::Contributor | OrgRole::Write | OrgRole::Admin)
    });
    std::iter::once(user.to_owned()).chain(orgs.map(|membership| membership.org_name.clone())).collect()
}

fn form_page(ctx: &Ctx<'_>, status: StatusCode, values: Values, error: Option<String>) -> PageResult {
    let user = ctx.viewer.require_user()?;
    let page = NewRepoPage {
        chrome: ctx.chrome("New repository"),
        owners: owners(ctx, &user.name),
        sdks: SPACE_SDKS,
        values,
        error,
    };
    render_with(status, &page)
}

pub(crate) async fn new_repo(ctx: &Ctx<'_>, body: Body) -> PageResult {
    let Some(user) = ctx.viewer.principal.user() else {
        return Ok(redirect("/login?next=/new"));
    };
    if !ctx.is_post() {
        let params = ctx.params();
        let repo_type = params.get("type").and_then(|text| RepoType::parse(text).ok()).unwrap_or(RepoType::Model);
        let values = Values {
            repo_type: repo_type.as_str().to_owned(),
            owner: params.get("owner").unwrap_or(&user.name).to_owned(),
            name: String::new(),
            visibility: "public".to_owned(),
            space_sdk: SPACE_SDKS[0].to_owned(),
        };
        return form_page(ctx, StatusCode::OK, values, None);
    }
    let form = ctx.form(body).await?;
    let text = |name: &str| form.get(name).unwrap_or("").trim().to_owned();
    let values = Values {
        repo_type: text("type"),
        owner: Some(text("owner")).filter(|owner| !owner.is_empty()).unwrap_or_else(|| user.name.clone()),
        name: text("name"),
        visibility: text("visibility"),
        space_sdk: text("space_sdk"),
    };
    let Ok(repo_type) = RepoType::parse(&values.repo_type) else {
        return form_page(
            ctx,
            StatusCode::BAD_REQUEST,
            values,
            Some("Choose a model, a dataset or a space".to_owned()),
        );
    };
    let private = match values.visibility.as_str() {
        "private" => true,
        "public" | "" => false,
        _ => {
            let error = Some("The visibility is public or private".to_owned());
            return form_page(ctx, StatusCode::BAD_REQUEST, values, error);
        }
    };
    let request = CreateRepo {
        repo_type,
        namespace: Some(values.owner.clone()),
        name: values.name.clone(),
        private: Some(private),
        space_sdk: (repo_type == RepoType::Space).then(|| values.space_sdk.clone()),
    };
    match ctx.hub().create_repo(&ctx.viewer.principal, request).await {
        Ok(repo) => Ok(redirect(&format::repo_url(repo.repo_type, &repo.full_name()))),
        Err(CoreError::RepoExists(repo_type, id)) => {
            let error = Some(format!("The {} {id} already exists: choose another name", repo_type.as_str()));
            form_page(ctx, StatusCode::CONFLICT, values, error)
        }
        Err(error) => {
            let error = WebError::from(error);
            if error.status.is_server_error() {
                return Err(error);
            }
            form_page(ctx, error.status, values, Some(error.message))
        }
    }
}
