//! Validated identifiers: repo types, repo ids and file paths inside a repo.

use std::fmt;

/// Why an identifier was refused. The text is shown to clients as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("invalid repo type: {0}")]
    RepoType(String),
    #[error(
        "Repo id must use alphanumeric chars, '-', '_' or '.', cannot start or end with '-' or '.', cannot contain '--' or '..', cannot end with '.git', and the maximum length is 96: '{0}'"
    )]
    RepoName(String),
    #[error("invalid path: {0}")]
    Path(String),
}

/// The kinds of git-backed repositories Stoa hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RepoType {
    Model,
    Dataset,
    Space,
}

impl RepoType {
    pub const ALL: [Self; 3] = [Self::Model, Self::Dataset, Self::Space];

    /// Singular name used in request and response bodies (`"model"`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::Dataset => "dataset",
            Self::Space => "space",
        }
    }

    /// Plural used in JSON API paths (`/api/models/...`).
    #[must_use]
    pub fn plural(self) -> &'static str {
        match self {
            Self::Model => "models",
            Self::Dataset => "datasets",
            Self::Space => "spaces",
        }
    }

    /// Prefix of web, resolve and git URLs (`""`, `"datasets/"`, `"spaces/"`).
    #[must_use]
    pub fn web_prefix(self) -> &'static str {
        match self {
            Self::Model => "",
            Self::Dataset => "datasets/",
            Self::Space => "spaces/",
        }
    }

    /// Accepts the singular (`model`) and plural (`models`) spellings.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        match text {
            "model" | "models" => Ok(Self::Model),
            "dataset" | "datasets" => Ok(Self::Dataset),
            "space" | "spaces" => Ok(Self::Space),
            other => Err(IdError::RepoType(other.to_owned())),
        }
    }

    /// Parses the plural segment of an API path.
    #[must_use]
    pub fn from_plural(text: &str) -> Option<Self> {
        match text {
            "models" => Some(Self::Model),
            "datasets" => Some(Self::Dataset),
            "spaces" => Some(Self::Space),
            _ => None,
        }
    }
}

impl fmt::Display for RepoType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `namespace/name`, both parts validated with the Hub's rules. Comparisons between ids that
/// users typed must go through [`RepoId::key`], because the Hub is case-insensitive on ids.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepoId {
    namespace: String,
    name: String,
}

const MAX_REPO_NAME: usize = 96;

fn valid_part(part: &str) -> bool {
    !part.is_empty()
        && part.len() <= MAX_REPO_NAME
        && part.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && !part.starts_with(['-', '.'])
        && !part.ends_with(['-', '.'])
        && !part.contains("--")
        && !part.contains("..")
        && !part.ends_with(".git")
}

impl RepoId {
    /// Validates both parts.
    pub fn new(namespace: &str, name: &str) -> Result<Self, IdError> {
        if !valid_part(namespace) || !valid_part(name) {
            return Err(IdError::RepoName(format!("{namespace}/{name}")));
        }
        Ok(Self { namespace: namespace.to_owned(), name: name.to_owned() })
    }

    /// Parses `ns/name`. A one-segment id is refused: every Stoa repo has a namespace.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        match text.split_once('/') {
            Some((namespace, name)) => Self::new(namespace, name),
            None => Err(IdError::RepoName(text.to_owned())),
        }
    }

    /// Validates one namespace or name on its own (user and organisation names follow the same rule).
    #[must_use]
    pub fn is_valid_name(part: &str) -> bool {
        valid_part(part)
    }

    #[must_use]
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Lower-cased `ns/name`, the key under which the repo is unique.
    #[must_use]
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name).to_ascii_lowercase()
    }
}

impl fmt::Display for RepoId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// A file or folder path inside a repo: relative, `/`-separated, no `.` or `..` segments, nothing
/// under `.git/`, bounded length. Construction is the only validation point for user paths.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoPath(String);

/// Git and most filesystems refuse longer names; HF's own limit is not documented.
pub const MAX_PATH_BYTES: usize = 1024;
const MAX_SEGMENT_BYTES: usize = 255;

impl RepoPath {
    /// Validates a path as sent by a client. A single trailing `/` is tolerated (folder deletes).
    pub fn parse(text: &str) -> Result<Self, IdError> {
        let trimmed = text.strip_suffix('/').unwrap_or(text);
        let refuse = |why: &str| Err(IdError::Path(format!("{why}: '{text}'")));
        if trimmed.is_empty() {
            return refuse("empty path");
        }
        if trimmed.len() > MAX_PATH_BYTES {
            return refuse("path is longer than 1024 bytes");
        }
        if trimmed.starts_with('/') {
            return refuse("absolute paths are not allowed");
        }
        if trimmed.contains(['\0', '\\']) {
            return refuse("path contains a forbidden character");
        }
        for segment in trimmed.split('/') {
            if segment.is_empty() {
                return refuse("path contains an empty segment");
            }
            if segment == "." || segment == ".." {
                return refuse("path contains '.' or '..'");
            }
            if segment.len() > MAX_SEGMENT_BYTES {
                return refuse("a path segment is longer than 255 bytes");
            }
            // Git refuses a `.git` component anywhere in a tree.
            if segment.eq_ignore_ascii_case(".git") {
                return refuse("paths inside .git are not allowed");
            }
        }
        Ok(Self(trimmed.to_owned()))
    }

    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Segments from the root.
    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// Whether `self` is `other` or lies below it.
    #[must_use]
    pub fn is_within(&self, folder: &Self) -> bool {
        self.0 == folder.0 || (self.0.starts_with(&folder.0) && self.0.as_bytes().get(folder.0.len()) == Some(&b'/'))
    }
}

impl fmt::Display for RepoPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_ids_follow_hub_rules() {
        assert!(RepoId::parse("user/my-model.v2").is_ok());
        assert!(RepoId::parse("gpt2").is_err());
        for bad in ["a/b--c", "a/b..c", "a/b.git", "a/-b", "a/b c", "a/", "/b", "a/b/c"] {
            assert!(RepoId::parse(bad).is_err(), "{bad} should be refused");
        }
        assert!(RepoId::parse(&format!("a/{}", "x".repeat(97))).is_err());
        assert_eq!(RepoId::parse("User/Repo").map(|id| id.key()), Ok("user/repo".to_owned()));
    }

    #[test]
    fn paths_refuse_traversal() {
        for bad in [
            "",
            "/etc/passwd",
            "sub/.git/config",
            "a/.Git",
            "../x",
            "a/../b",
            "a//b",
            ".git/config",
            ".GIT/HEAD",
            "a\0b",
            "./a",
        ] {
            assert!(RepoPath::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(RepoPath::parse(&"a/".repeat(600)).is_err());
        assert_eq!(RepoPath::parse("dir/").map(|p| p.0), Ok("dir".to_owned()));
        assert!(RepoPath::parse(".gitattributes").is_ok());
        assert!(RepoPath::parse("subfolder/to?/awful?filename%you:should,never.give").is_ok());
    }

    #[test]
    fn within_checks_segment_boundaries() {
        let folder = RepoPath::parse("data").expect("valid");
        assert!(RepoPath::parse("data/x").expect("valid").is_within(&folder));
        assert!(!RepoPath::parse("database").expect("valid").is_within(&folder));
    }
}
