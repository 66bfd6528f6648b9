//! Which page a path names. Paths follow the Hub's web URLs: `/{owner}/{name}` for models,
//! `/datasets/...` and `/spaces/...`, then `tree`, `blob`, `commits`, `discussions`, ... .
//! A revision with `/` in it arrives as one `%2F`-encoded segment, as on the Hub.

use axum::http::Method;
use percent_encoding::percent_decode_str;
use stoa_types::RepoType;

/// The top-level names that are pages, not user or org names.
const FIXED: &[&str] = &[
    "api", "models", "datasets", "spaces", "join", "login", "logout", "new", "settings", "static", "uploads", "xet",
    "lfs", "v1",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    Home,
    Search(RepoType),
    Join,
    Login,
    Logout,
    NewRepo,
    Tokens,
    RevokeToken(String),
    Static(String),
    Profile(String),
    Repo(RepoRoute),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RepoRoute {
    pub(crate) repo_type: RepoType,
    /// `owner/name`.
    pub(crate) id: String,
    pub(crate) page: RepoPage,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RepoPage {
    Overview,
    Tree {
        revision: String,
        path: String,
    },
    Blob {
        revision: String,
        path: String,
    },
    Raw {
        revision: String,
        path: String,
    },
    Commits {
        revision: String,
    },
    Commit {
        id: String,
    },
    Refs,
    Upload {
        revision: String,
    },
    Discussions,
    NewDiscussion,
    /// A discussion, and the action posted to it (`comment`, `status`, `merge`), if any.
    Discussion {
        num: u64,
        action: Option<String>,
    },
    /// The settings page, and the form posted to it (`visibility`, `gating`, `rename`, `delete`).
    Settings {
        form: Option<String>,
    },
    AccessRequests,
    AskAccess,
}

fn decode(segment: &str) -> Option<String> {
    percent_decode_str(segment).decode_utf8().ok().map(|text| text.into_owned())
}

/// True when `path` is a page's (used by the edge to tell pages from unknown API paths).
#[must_use]
pub fn is_web_path(method: &Method, path: &str) -> bool {
    parse(method, path).is_some()
}

pub(crate) fn parse(method: &Method, raw_path: &str) -> Option<Route> {
    if method != Method::GET && method != Method::HEAD && method != Method::POST {
        return None;
    }
    let trimmed = raw_path.strip_prefix('/')?;
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    let segments: Vec<String> = trimmed.split('/').map(decode).collect::<Option<_>>()?;
    let words: Vec<&str> = segments.iter().map(String::as_str).collect();
    let route = match words.as_slice() {
        [""] => Route::Home,
        ["models"] => Route::Search(RepoType::Model),
        ["datasets"] => Route::Search(RepoType::Dataset),
        ["spaces"] => Route::Search(RepoType::Space),
        ["join"] => Route::Join,
        ["login"] => Route::Login,
        ["logout"] => Route::Logout,
        ["new"] => Route::NewRepo,
        ["settings", "tokens"] => Route::Tokens,
        ["settings", "tokens", id, "delete"] => Route::RevokeToken((*id).to_owned()),
        ["static", name] => Route::Static((*name).to_owned()),
        [name] if !FIXED.contains(name) && !name.starts_with('.') && !name.is_empty() => {
            Route::Profile((*name).to_owned())
        }
        ["datasets", owner, name, rest @ ..] => repo(RepoType::Dataset, owner, name, rest)?,
        ["spaces", owner, name, rest @ ..] => repo(RepoType::Space, owner, name, rest)?,
        [owner, name, rest @ ..] if !FIXED.contains(owner) => repo(RepoType::Model, owner, name, rest)?,
        _ => return None,
    };
    Some(route)
}

fn repo(repo_type: RepoType, owner: &str, name: &str, rest: &[&str]) -> Option<Route> {
    if owner.is_empty() || name.is_empty() || name.ends_with(".git") {
        return None;
    }
    let join = |parts: &[&str]| parts.join("/");
    let page = match rest {
        [] => RepoPage::Overview,
        ["tree", revision, path @ ..] => RepoPage::Tree { revision: (*revision).to_owned(), path: join(path) },
        ["blob", revision, path @ ..] if !path.is_empty() => {
            RepoPage::Blob { revision: (*revision).to_owned(), path: join(path) }
        }
        ["raw", revision, path @ ..] if !path.is_empty() => {
            RepoPage::Raw { revision: (*revision).to_owned(), path: join(path) }
        }
        ["commits", revision] => RepoPage::Commits { revision: (*revision).to_owned() },
        ["commit", id] => RepoPage::Commit { id: (*id).to_owned() },
        ["refs"] => RepoPage::Refs,
        ["upload", revision] => RepoPage::Upload { revision: (*revision).to_owned() },
        ["discussions"] => RepoPage::Discussions,
        ["discussions", "new"] => RepoPage::NewDiscussion,
        ["discussions", num] => RepoPage::Discussion { num: num.parse().ok()?, action: None },
        ["discussions", num, action] => {
            RepoPage::Discussion { num: num.parse().ok()?, action: Some((*action).to_owned()) }
        }
        ["settings"] => RepoPage::Settings { form: None },
        ["settings", "access-requests"] => RepoPage::AccessRequests,
        ["settings", form] => RepoPage::Settings { form: Some((*form).to_owned()) },
        ["ask-access"] => RepoPage::AskAccess,
        _ => return None,
    };
    Some(Route::Repo(RepoRoute { repo_type, id: format!("{owner}/{name}"), page }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> Option<Route> {
        parse(&Method::GET, path)
    }

    fn model(id: &str, page: RepoPage) -> Option<Route> {
        Some(Route::Repo(RepoRoute { repo_type: RepoType::Model, id: id.to_owned(), page }))
    }

    #[test]
    fn fixed_pages_win_over_names() {
        assert_eq!(get("/"), Some(Route::Home));
        assert_eq!(get("/models"), Some(Route::Search(RepoType::Model)));
        assert_eq!(get("/settings/tokens"), Some(Route::Tokens));
        assert_eq!(get("/alice"), Some(Route::Profile("alice".to_owned())));
        assert_eq!(get("/api"), None);
        assert_eq!(get("/api/models/a/b"), None);
    }

    #[test]
    fn repo_pages() {
        assert_eq!(get("/a/b"), model("a/b", RepoPage::Overview));
        assert_eq!(
            get("/a/b/tree/refs%2Fpr%2F1/dir/sub"),
            model("a/b", RepoPage::Tree { revision: "refs/pr/1".to_owned(), path: "dir/sub".to_owned() })
        );
        assert_eq!(
            get("/datasets/a/b/blob/main/x.csv"),
            Some(Route::Repo(RepoRoute {
                repo_type: RepoType::Dataset,
                id: "a/b".to_owned(),
                page: RepoPage::Blob { revision: "main".to_owned(), path: "x.csv".to_owned() }
            }))
        );
        assert_eq!(
            get("/a/b/discussions/3/merge"),
            model("a/b", RepoPage::Discussion { num: 3, action: Some("merge".to_owned()) })
        );
        assert_eq!(get("/a/b/discussions/x"), None);
        assert_eq!(get("/a/b.git"), None);
        assert_eq!(parse(&Method::DELETE, "/a/b"), None);
    }
}
