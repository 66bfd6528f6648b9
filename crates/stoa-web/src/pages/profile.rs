//! User and organisation pages: who they are, their repos, and (users) what they liked.

use askama::Template;
use stoa_core::CoreError;
use stoa_core::ports::{Repo, RepoSort};
use stoa_types::RepoType;

use super::listing::{RepoItem, query};
use super::{Chrome, Ctx, PageResult, render};
use crate::respond::WebError;

/// Repos of each type listed; more are reached through the search pages' author filter.
const REPOS_PER_TYPE: u64 = 50;
/// Liked repos shown on a user's page.
const LIKES_SHOWN: u64 = 10;

#[derive(Debug)]
struct Link {
    name: String,
    detail: String,
}

/// A "see all" link when a type has more repos than the page lists.
#[derive(Debug)]
struct MoreLink {
    label: &'static str,
    url: String,
}

#[derive(Template)]
#[template(path = "profile.html")]
struct ProfilePage {
    chrome: Chrome,
    name: String,
    fullname: String,
    /// `user` or `org`.
    kind: &'static str,
    since: String,
    repos: Vec<RepoItem>,
    more: Vec<MoreLink>,
    /// Organisation members, when the viewer may see them (members only).
    members: Option<Vec<Link>>,
    /// A user's organisations that the viewer may know of (ones the viewer belongs to too).
    orgs: Vec<Link>,
    liked: Vec<RepoItem>,
    more_likes: bool,
    is_self: bool,
}

/// The month an account was made (unix seconds), if known.
fn joined(created_at: i64) -> String {
    chrono::DateTime::from_timestamp(created_at, 0)
        .filter(|_| created_at > 0)
        .map_or_else(String::new, |time| time.format("%B %Y").to_string())
}

/// The account a page is about.
#[derive(Debug)]
struct Account {
    name: String,
    fullname: String,
    kind: &'static str,
    created_at: i64,
    members: Option<Vec<Link>>,
    orgs: Vec<Link>,
}

async fn account(ctx: &Ctx<'_>, name: &str) -> Result<Account, WebError> {
    let hub = ctx.hub();
    let principal = &ctx.viewer.principal;
    if let Some(user) = hub.meta().user_by_name(name).await.map_err(CoreError::from)? {
        // Membership is visible to members only (as `org_members` decides), so a user's page
        // names only the organisations the viewer is in as well.
        let is_self = ctx.viewer.name().is_some_and(|viewer| viewer.eq_ignore_ascii_case(&user.name));
        let memberships = hub.meta().memberships(&user.id).await.map_err(CoreError::from)?;
        let orgs = memberships
            .into_iter()
            .filter(|membership| is_self || principal.org_role(&membership.org_name).is_some())
            .map(|membership| Link { name: membership.org_name, detail: membership.org_fullname })
            .collect();
        return Ok(Account {
            name: user.name,
            fullname: user.fullname,
            kind: "user",
            created_at: user.created_at,
            members: None,
            orgs,
        });
    }
    let Some(org) = hub.meta().org_by_name(name).await.map_err(CoreError::from)? else {
        return Err(WebError::not_found());
    };
    let members = match hub.org_members(principal, &org.name).await {
        Ok((_, members)) => Some(
            members
                .into_iter()
                .map(|(user, role)| Link { name: user.name, detail: role.as_str().to_owned() })
                .collect(),
        ),
        Err(CoreError::NotFound(_) | CoreError::Forbidden(_)) => None,
        Err(error) => return Err(error.into()),
    };
    Ok(Account {
        name: org.name,
        fullname: org.fullname,
        kind: "org",
        created_at: org.created_at,
        members,
        orgs: Vec::new(),
    })
}

pub(crate) async fn profile(ctx: &Ctx<'_>, name: &str) -> PageResult {
    let hub = ctx.hub();
    let principal = &ctx.viewer.principal;
    let now = stoa_types::time::now_millis();
    let Account { name, fullname, kind, created_at, members, orgs } = account(ctx, name).await?;

    let mut repos: Vec<Repo> = Vec::new();
    let mut more = Vec::new();
    for repo_type in RepoType::ALL {
        let mut repo_query = query(repo_type, RepoSort::LastModified, REPOS_PER_TYPE + 1);
        repo_query.author = Some(name.clone());
        let mut found = hub.list_repos(principal, repo_query).await?;
        if found.len() as u64 > REPOS_PER_TYPE {
            found.truncate(REPOS_PER_TYPE as usize);
            let query: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("author", &name)
                .append_pair("sort", "modified")
                .finish();
            let label = match repo_type {
                RepoType::Model => "All models",
                RepoType::Dataset => "All datasets",
                RepoType::Space => "All spaces",
            };
            more.push(MoreLink { label, url: format!("/{}?{query}", repo_type.plural()) });
        }
        repos.extend(found);
    }
    repos.sort_by_key(|repo| std::cmp::Reverse(repo.last_modified));

    let (liked, more_likes) = if kind == "user" {
        let mut liked = hub.liked_repos(principal, &name, 0, LIKES_SHOWN + 1).await?;
        let more_likes = liked.len() as u64 > LIKES_SHOWN;
        liked.truncate(LIKES_SHOWN as usize);
        (liked.iter().map(|(repo, _)| RepoItem::new(repo, now)).collect(), more_likes)
    } else {
        (Vec::new(), false)
    };

    let page = ProfilePage {
        chrome: ctx.chrome(name.clone()),
        is_self: ctx.viewer.name().is_some_and(|viewer| viewer.eq_ignore_ascii_case(&name)),
        // The fullname defaults to the name: show it only when it says more.
        fullname: if fullname == name { String::new() } else { fullname },
        kind,
        since: joined(created_at),
        repos: repos.iter().map(|repo| RepoItem::new(repo, now)).collect(),
        more,
        members,
        orgs,
        liked,
        more_likes,
        name,
    };
    render(&page)
}
