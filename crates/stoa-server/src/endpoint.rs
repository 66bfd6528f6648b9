//! Parses the Hub's repo-shaped paths from the raw (still percent-encoded) request path into a
//! typed [`Endpoint`] named after the client operation it serves. Routing on the raw path is
//! required because revisions arrive as one segment with `%2F` inside (`refs%2Fpr%2F1`), and
//! because one-segment ids (`gpt2`) must reach a clean `RepoNotFound`.

use percent_encoding::percent_decode_str;
use stoa_types::RepoType;

/// A repo as named in a URL: type plus the id text (validated later, so that invalid ids answer
/// `RepoNotFound` rather than a routing error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RepoRef {
    pub(crate) repo_type: RepoType,
    pub(crate) id: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// `GET /api/{T}/{id}` and `/revision/{rev}`.
    RepoInfo { repo: RepoRef, revision: Option<String> },
    /// `GET /api/{T}/{id}/tree/{rev}[/{path}]`.
    ListRepoTree { repo: RepoRef, revision: String, path: Option<String> },
    /// `POST /api/{T}/{id}/paths-info/{rev}`.
    GetPathsInfo { repo: RepoRef, revision: String },
    /// `POST /api/{T}/{id}/preupload/{rev}`.
    PreuploadLfsFiles { repo: RepoRef, revision: String },
    /// `POST /api/{T}/{id}/commit/{rev}`.
    CreateCommit { repo: RepoRef, revision: String },
    /// `GET /api/{T}/{id}/refs`.
    ListRepoRefs { repo: RepoRef },
    /// `GET /api/{T}/{id}/commits/{rev}`.
    ListRepoCommits { repo: RepoRef, revision: String },
    /// `POST`/`DELETE /api/{T}/{id}/branch/{branch}`.
    Branch { repo: RepoRef, branch: String },
    /// `POST /api/{T}/{id}/tag/{revision}`, `DELETE /api/{T}/{id}/tag/{tag}`.
    Tag { repo: RepoRef, segment: String },
    /// `POST /api/{T}/{id}/super-squash/{branch}`.
    SuperSquash { repo: RepoRef, branch: String },
    /// `/api/{T}/{id}/discussions[/...]`: the segments after `discussions`, decoded.
    Discussions { repo: RepoRef, rest: Vec<String> },
    /// `PUT /api/{T}/{id}/settings`.
    Settings { repo: RepoRef },
    /// `POST`/`DELETE /api/{T}/{id}/like`.
    Like { repo: RepoRef },
    /// `GET /api/{T}/{id}/likers`.
    Likers { repo: RepoRef },
    /// `POST /api/{T}/{id}/duplicate`.
    Duplicate { repo: RepoRef },
    /// `GET /api/{T}/{id}/activity` (Stoa's activity log).
    Activity { repo: RepoRef },
    /// Stoa's full scan report of a revision (`GET /api/{T}/{id}/scan/{rev}`).
    ScanReport { repo: RepoRef, revision: String },
    /// The model tree around a model (`GET /api/models/{id}/lineage`).
    Lineage { repo: RepoRef },
    /// `/api/{T}/{id}/user-access-request/...`: the segments after it, decoded.
    UserAccessRequest { repo: RepoRef, rest: Vec<String> },
    /// `GET /api/{T}/{id}/auth-check[/write]`.
    AuthCheck { repo: RepoRef, write: bool },
    /// `GET /api/{T}/{id}/compare/{base}..{head}`.
    Compare { repo: RepoRef, spec: String },
    /// `GET /api/{T}/{id}/xet-{read|write}-token/{rev}`.
    XetToken { repo: RepoRef, write: bool, revision: String },
    /// A Tier-2/3 repo operation of the Hub that Stoa does not offer yet.
    NotYetImplemented { repo: RepoRef, operation: String },
    /// `HEAD`/`GET /{P}{id}/resolve/{rev}/{path}`.
    Resolve { repo: RepoRef, revision: String, path: String },
    /// `POST /{P}{id}.git/info/lfs/objects/batch`.
    LfsBatch { repo: RepoRef },
    /// `POST /{P}{id}.git/info/lfs/objects/verify` (the verify action Stoa hands out).
    LfsVerify { repo: RepoRef },
    /// `/{P}{id}.git/info/lfs/locks[/...]`; `verify` is the call git-lfs makes before a push.
    LfsLocks { repo: RepoRef, verify: bool },
    /// `GET /{P}{id}[.git]/info/refs?service=git-upload-pack|git-receive-pack`.
    GitInfoRefs { repo: RepoRef },
    /// `POST /{P}{id}[.git]/git-upload-pack` (clone, fetch).
    GitUploadPack { repo: RepoRef },
    /// `POST /{P}{id}[.git]/git-receive-pack` (push).
    GitReceivePack { repo: RepoRef },
}

const API_OPERATIONS: &[&str] = &[
    "revision",
    "tree",
    "paths-info",
    "preupload",
    "commit",
    "commits",
    "refs",
    "branch",
    "tag",
    "xet-read-token",
    "xet-write-token",
    "super-squash",
    "discussions",
    "settings",
    "like",
    "likers",
    "duplicate",
    "activity",
    "compare",
    "user-access-request",
    "auth-check",
    "scan",
    "lineage",
];

/// Repo operations of the Hub API that come with later issues; recognised so that a missing repo
/// still answers `RepoNotFound` and an existing one a clear 501.
const PLANNED_OPERATIONS: &[&str] = &["lfs-files", "safetensors-metadata", "treesize"];

fn decode(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

/// A revision spread over the remaining segments: one encoded segment, or the unencoded special
/// refs `refs/pr/N` and `refs/convert/x`. Returns the revision and how many segments it used.
fn take_revision(segments: &[&str]) -> Option<(String, usize)> {
    let first = *segments.first()?;
    if first == "refs" && segments.len() >= 3 && matches!(segments[1], "pr" | "convert") {
        return Some((format!("refs/{}/{}", segments[1], decode(segments[2])), 3));
    }
    Some((decode(first), 1))
}

fn join_path(segments: &[&str]) -> String {
    segments.iter().map(|segment| decode(segment)).collect::<Vec<_>>().join("/")
}

/// Splits `rest` into a repo id of one or two segments and the segments after it, where the
/// operation must be found in `operations` (or `rest` is just the id).
fn split_id<'a>(segments: &'a [&'a str], is_operation: impl Fn(&str) -> bool) -> Option<(String, &'a [&'a str])> {
    if segments.len() >= 3 && is_operation(segments[2]) {
        return Some((format!("{}/{}", segments[0], segments[1]), &segments[2..]));
    }
    if segments.len() >= 2 && is_operation(segments[1]) {
        return Some((segments[0].to_owned(), &segments[1..]));
    }
    match segments {
        [namespace, name] => Some((format!("{namespace}/{name}"), &[])),
        [single] => Some(((*single).to_owned(), &[])),
        _ => None,
    }
}

fn parse_api(repo_type: RepoType, segments: &[&str]) -> Option<Endpoint> {
    let is_operation = |segment: &str| API_OPERATIONS.contains(&segment) || PLANNED_OPERATIONS.contains(&segment);
    let (id, rest) = split_id(segments, is_operation)?;
    let repo = RepoRef { repo_type, id };
    let Some((operation, args)) = rest.split_first() else {
        return Some(Endpoint::RepoInfo { repo, revision: None });
    };
    let bare = match *operation {
        "refs" => Some(Endpoint::ListRepoRefs { repo: repo.clone() }),
        "settings" => Some(Endpoint::Settings { repo: repo.clone() }),
        "like" => Some(Endpoint::Like { repo: repo.clone() }),
        "likers" => Some(Endpoint::Likers { repo: repo.clone() }),
        "duplicate" => Some(Endpoint::Duplicate { repo: repo.clone() }),
        "activity" => Some(Endpoint::Activity { repo: repo.clone() }),
        "lineage" => Some(Endpoint::Lineage { repo: repo.clone() }),
        "discussions" => {
            return Some(Endpoint::Discussions { repo, rest: args.iter().map(|segment| decode(segment)).collect() });
        }
        "user-access-request" => {
            return Some(Endpoint::UserAccessRequest {
                repo,
                rest: args.iter().map(|segment| decode(segment)).collect(),
            });
        }
        "auth-check" => {
            return match args {
                [] => Some(Endpoint::AuthCheck { repo, write: false }),
                ["write"] => Some(Endpoint::AuthCheck { repo, write: true }),
                _ => None,
            };
        }
        _ => None,
    };
    if let Some(endpoint) = bare {
        return args.is_empty().then_some(endpoint);
    }
    if PLANNED_OPERATIONS.contains(operation) {
        return Some(Endpoint::NotYetImplemented { repo, operation: (*operation).to_owned() });
    }
    let (revision, used) = take_revision(args)?;
    let after = &args[used..];
    let whole_revision = || decode(&args.join("/"));
    Some(match *operation {
        "revision" => Endpoint::RepoInfo { repo, revision: Some(whole_revision()) },
        "tree" => {
            let path = (!after.is_empty()).then(|| join_path(after)).filter(|path| !path.is_empty());
            Endpoint::ListRepoTree { repo, revision, path }
        }
        "paths-info" => Endpoint::GetPathsInfo { repo, revision: whole_revision() },
        "preupload" => Endpoint::PreuploadLfsFiles { repo, revision: whole_revision() },
        "commit" => Endpoint::CreateCommit { repo, revision: whole_revision() },
        "commits" => Endpoint::ListRepoCommits { repo, revision: whole_revision() },
        "branch" => Endpoint::Branch { repo, branch: whole_revision() },
        "tag" => Endpoint::Tag { repo, segment: whole_revision() },
        "super-squash" => Endpoint::SuperSquash { repo, branch: whole_revision() },
        "compare" => Endpoint::Compare { repo, spec: whole_revision() },
        "scan" => Endpoint::ScanReport { repo, revision: whole_revision() },
        "xet-read-token" => Endpoint::XetToken { repo, write: false, revision: whole_revision() },
        "xet-write-token" => Endpoint::XetToken { repo, write: true, revision: whole_revision() },
        _ => return None,
    })
}

fn parse_web(segments: &[&str]) -> Option<Endpoint> {
    let (repo_type, segments) = match segments.first() {
        Some(&"datasets") if segments.len() > 2 => (RepoType::Dataset, &segments[1..]),
        Some(&"spaces") if segments.len() > 2 => (RepoType::Space, &segments[1..]),
        _ => (RepoType::Model, segments),
    };
    // Git-style paths: `<id>.git/info/lfs/...` or `<id>/info/lfs/...`.
    if let Some(position) = segments.iter().position(|segment| *segment == "info")
        && segments.get(position + 1) == Some(&"lfs")
        && (1..=2).contains(&position)
    {
        let id_segments: Vec<&str> = segments[..position].to_vec();
        let mut id = id_segments.join("/");
        if let Some(stripped) = id.strip_suffix(".git") {
            id = stripped.to_owned();
        }
        let repo = RepoRef { repo_type, id };
        return match &segments[position + 2..] {
            ["objects", "batch"] => Some(Endpoint::LfsBatch { repo }),
            ["objects", "verify"] => Some(Endpoint::LfsVerify { repo }),
            ["locks", "verify"] => Some(Endpoint::LfsLocks { repo, verify: true }),
            ["locks", ..] => Some(Endpoint::LfsLocks { repo, verify: false }),
            _ => None,
        };
    }
    // Git smart HTTP: `<id>[.git]/info/refs`, `<id>[.git]/git-upload-pack`, `.../git-receive-pack`.
    let git_tail = match segments {
        [id @ .., "info", "refs"] => Some((id, "info/refs")),
        [id @ .., "git-upload-pack"] => Some((id, "git-upload-pack")),
        [id @ .., "git-receive-pack"] => Some((id, "git-receive-pack")),
        _ => None,
    };
    if let Some((id_segments, tail)) = git_tail
        && (1..=2).contains(&id_segments.len())
    {
        let id = id_segments.join("/");
        let id = id.strip_suffix(".git").map_or_else(|| id.clone(), str::to_owned);
        let repo = RepoRef { repo_type, id };
        return Some(match tail {
            "info/refs" => Endpoint::GitInfoRefs { repo },
            "git-upload-pack" => Endpoint::GitUploadPack { repo },
            _ => Endpoint::GitReceivePack { repo },
        });
    }
    let (id, rest) = split_id(segments, |segment| segment == "resolve")?;
    let ["resolve", args @ ..] = rest else {
        return None;
    };
    let (revision, used) = take_revision(args)?;
    let path = join_path(&args[used..]);
    if path.is_empty() {
        return None;
    }
    Some(Endpoint::Resolve { repo: RepoRef { repo_type, id }, revision, path })
}

impl Endpoint {
    /// The repo the path names.
    pub(crate) fn repo(&self) -> &RepoRef {
        match self {
            Self::RepoInfo { repo, .. }
            | Self::ListRepoTree { repo, .. }
            | Self::GetPathsInfo { repo, .. }
            | Self::PreuploadLfsFiles { repo, .. }
            | Self::CreateCommit { repo, .. }
            | Self::ListRepoRefs { repo }
            | Self::ListRepoCommits { repo, .. }
            | Self::Branch { repo, .. }
            | Self::Tag { repo, .. }
            | Self::SuperSquash { repo, .. }
            | Self::Discussions { repo, .. }
            | Self::Settings { repo }
            | Self::Like { repo }
            | Self::Likers { repo }
            | Self::Duplicate { repo }
            | Self::Activity { repo }
            | Self::ScanReport { repo, .. }
            | Self::Lineage { repo }
            | Self::Compare { repo, .. }
            | Self::UserAccessRequest { repo, .. }
            | Self::AuthCheck { repo, .. }
            | Self::XetToken { repo, .. }
            | Self::NotYetImplemented { repo, .. }
            | Self::Resolve { repo, .. }
            | Self::LfsBatch { repo }
            | Self::LfsVerify { repo }
            | Self::LfsLocks { repo, .. }
            | Self::GitInfoRefs { repo }
            | Self::GitUploadPack { repo }
            | Self::GitReceivePack { repo } => repo,
        }
    }
}

/// Parses a raw request path; `None` for paths that are not Hub repo endpoints.
pub(crate) fn parse(raw_path: &str) -> Option<Endpoint> {
    let trimmed = raw_path.strip_prefix('/')?;
    let segments: Vec<&str> = trimmed.split('/').collect();
    if segments.first() == Some(&"api") {
        let repo_type = RepoType::from_plural(segments.get(1)?)?;
        return parse_api(repo_type, &segments[2..]);
    }
    parse_web(&segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(repo_type: RepoType, id: &str) -> RepoRef {
        RepoRef { repo_type, id: id.to_owned() }
    }

    #[test]
    fn api_paths() {
        assert_eq!(
            parse("/api/models/u/r"),
            Some(Endpoint::RepoInfo { repo: repo(RepoType::Model, "u/r"), revision: None })
        );
        assert_eq!(
            parse("/api/datasets/u/r/revision/refs%2Fpr%2F1"),
            Some(Endpoint::RepoInfo { repo: repo(RepoType::Dataset, "u/r"), revision: Some("refs/pr/1".to_owned()) })
        );
        assert_eq!(
            parse("/api/models/gpt2/revision/main"),
            Some(Endpoint::RepoInfo { repo: repo(RepoType::Model, "gpt2"), revision: Some("main".to_owned()) })
        );
        assert_eq!(
            parse("/api/models/u/r/tree/main/1%2F2"),
            Some(Endpoint::ListRepoTree {
                repo: repo(RepoType::Model, "u/r"),
                revision: "main".to_owned(),
                path: Some("1/2".to_owned())
            })
        );
        assert_eq!(
            parse("/api/models/u/r/tree/refs/pr/3/dir/sub"),
            Some(Endpoint::ListRepoTree {
                repo: repo(RepoType::Model, "u/r"),
                revision: "refs/pr/3".to_owned(),
                path: Some("dir/sub".to_owned())
            })
        );
        assert_eq!(
            parse("/api/spaces/u/r/commit/feature%2Fx"),
            Some(Endpoint::CreateCommit { repo: repo(RepoType::Space, "u/r"), revision: "feature/x".to_owned() })
        );
        assert_eq!(parse("/api/unknown/u/r"), None);
        assert_eq!(
            parse("/api/models/missing_repo_id/commits/main"),
            Some(Endpoint::ListRepoCommits {
                repo: repo(RepoType::Model, "missing_repo_id"),
                revision: "main".to_owned()
            })
        );
        assert_eq!(
            parse("/api/datasets/u/r/refs"),
            Some(Endpoint::ListRepoRefs { repo: repo(RepoType::Dataset, "u/r") })
        );
        assert_eq!(
            parse("/api/models/u/r/branch/feature%2Fx"),
            Some(Endpoint::Branch { repo: repo(RepoType::Model, "u/r"), branch: "feature/x".to_owned() })
        );
        assert_eq!(
            parse("/api/models/u/r/tag/v1"),
            Some(Endpoint::Tag { repo: repo(RepoType::Model, "u/r"), segment: "v1".to_owned() })
        );
        assert_eq!(
            parse("/api/models/u/r/super-squash/main"),
            Some(Endpoint::SuperSquash { repo: repo(RepoType::Model, "u/r"), branch: "main".to_owned() })
        );
        assert_eq!(
            parse("/api/models/u/r/discussions/3/comment/ABC/edit"),
            Some(Endpoint::Discussions {
                repo: repo(RepoType::Model, "u/r"),
                rest: ["3", "comment", "ABC", "edit"].map(str::to_owned).to_vec()
            })
        );
        assert_eq!(parse("/api/models/u/r/settings"), Some(Endpoint::Settings { repo: repo(RepoType::Model, "u/r") }));
        assert_eq!(
            parse("/api/models/u/r/lfs-files"),
            Some(Endpoint::NotYetImplemented { repo: repo(RepoType::Model, "u/r"), operation: "lfs-files".to_owned() })
        );
    }

    #[test]
    fn web_paths() {
        assert_eq!(
            parse("/u/r/resolve/main/subfolder/to%3F/awful%3Ffilename%25you%3Ashould%2Cnever.give"),
            Some(Endpoint::Resolve {
                repo: repo(RepoType::Model, "u/r"),
                revision: "main".to_owned(),
                path: "subfolder/to?/awful?filename%you:should,never.give".to_owned()
            })
        );
        assert_eq!(
            parse("/datasets/u/d/resolve/refs%2Fpr%2F3/data/train.csv"),
            Some(Endpoint::Resolve {
                repo: repo(RepoType::Dataset, "u/d"),
                revision: "refs/pr/3".to_owned(),
                path: "data/train.csv".to_owned()
            })
        );
        assert_eq!(
            parse("/u/r/resolve/refs/pr/3/a.txt"),
            Some(Endpoint::Resolve {
                repo: repo(RepoType::Model, "u/r"),
                revision: "refs/pr/3".to_owned(),
                path: "a.txt".to_owned()
            })
        );
        assert_eq!(
            parse("/u/r.git/info/lfs/objects/batch"),
            Some(Endpoint::LfsBatch { repo: repo(RepoType::Model, "u/r") })
        );
        assert_eq!(
            parse("/spaces/u/r/info/lfs/objects/batch"),
            Some(Endpoint::LfsBatch { repo: repo(RepoType::Space, "u/r") })
        );
        assert_eq!(parse("/u/r/resolve/main/"), None);
    }
}
