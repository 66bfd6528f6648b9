//! Accounts and what they belong to: organisations and roles, fine-grained token scopes,
//! passwords and browser sessions, gated-repo access requests, and the audit log of
//! security-relevant events.

pub mod accounts;
pub mod audit;
pub mod gating;
pub mod orgs;
pub mod store;
pub mod tokens;

use serde::{Deserialize, Serialize};

/// A member's role in an organisation, as on the Hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OrgRole {
    /// Reads the organisation's repos, private ones included.
    Read,
    /// Also creates repos, and writes the ones they created.
    Contributor,
    /// Writes, creates, deletes and renames every repo of the organisation.
    Write,
    /// Also manages members and settings, and reads the audit log.
    Admin,
}

impl OrgRole {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Contributor => "contributor",
            Self::Write => "write",
            Self::Admin => "admin",
        }
    }

    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "read" => Self::Read,
            "contributor" => Self::Contributor,
            "write" => Self::Write,
            "admin" => Self::Admin,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    pub id: String,
    pub name: String,
    pub fullname: String,
    pub private_by_default: bool,
    pub created_at: i64,
}

/// The caller's membership in one organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub org_id: String,
    pub org_name: String,
    pub org_fullname: String,
    pub role: OrgRole,
}

/// What a fine-grained token may do, shaped as `whoami-v2` reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FineGrained {
    #[serde(default)]
    pub global: Vec<String>,
    #[serde(default)]
    pub scoped: Vec<ScopedPermissions>,
    #[serde(default)]
    pub can_read_gated_repos: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopedPermissions {
    pub entity: Entity,
    pub permissions: Vec<String>,
}

/// What a scope applies to: a user or organisation namespace, or one repo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    /// `user`, `org`, `model`, `dataset` or `space`.
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
}

/// Permissions a scope may hold (the Hub's names).
pub const PERMISSIONS: &[&str] = &[
    "repo.content.read",
    "repo.write",
    "repo.access.read",
    "discussion.write",
    "org.read",
    "org.write",
    "org.members.write",
];

impl FineGrained {
    /// The permissions that apply to `repo_name` of `repo_type` in `namespace` (an empty
    /// `repo_type` asks about the namespace itself).
    #[must_use]
    pub fn permissions_for(scopes: Option<&Self>, repo_type: &str, repo_name: &str, namespace: &str) -> Vec<String> {
        let Some(scopes) = scopes else { return Vec::new() };
        scopes
            .scoped
            .iter()
            .filter(|scope| {
                let entity = &scope.entity;
                match entity.kind.as_str() {
                    "user" | "org" => entity.name.eq_ignore_ascii_case(namespace),
                    kind => !repo_type.is_empty() && kind == repo_type && entity.name.eq_ignore_ascii_case(repo_name),
                }
            })
            .flat_map(|scope| scope.permissions.iter().cloned())
            .collect()
    }

    /// Whether any scope (or the global list) holds one of `wanted`.
    #[must_use]
    pub fn grants_anywhere(scopes: Option<&Self>, wanted: &[&str]) -> bool {
        let Some(scopes) = scopes else { return false };
        let held = |permission: &String| wanted.contains(&permission.as_str());
        scopes.global.iter().any(held) || scopes.scoped.iter().any(|scope| scope.permissions.iter().any(held))
    }

    /// Checks names and entity kinds, so that a typo never silently grants nothing (or more).
    pub fn validate(&self) -> Result<(), String> {
        for scope in &self.scoped {
            if !["user", "org", "model", "dataset", "space"].contains(&scope.entity.kind.as_str()) {
                return Err(format!("unknown entity type '{}'", scope.entity.kind));
            }
            if let Some(unknown) = scope.permissions.iter().find(|p| !PERMISSIONS.contains(&p.as_str())) {
                return Err(format!("unknown permission '{unknown}'"));
            }
        }
        if let Some(unknown) = self.global.iter().find(|p| p.as_str() != "discussion.write") {
            return Err(format!("unknown global permission '{unknown}'"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes() -> FineGrained {
        FineGrained {
            global: Vec::new(),
            scoped: vec![
                ScopedPermissions {
                    entity: Entity { kind: "model".to_owned(), name: "alice/a".to_owned() },
                    permissions: vec!["repo.write".to_owned()],
                },
                ScopedPermissions {
                    entity: Entity { kind: "org".to_owned(), name: "acme".to_owned() },
                    permissions: vec!["repo.content.read".to_owned()],
                },
            ],
            can_read_gated_repos: false,
        }
    }

    #[test]
    fn scopes_apply_to_their_repo_or_namespace_only() {
        let scopes = scopes();
        assert_eq!(FineGrained::permissions_for(Some(&scopes), "model", "alice/a", "alice"), ["repo.write"]);
        assert!(FineGrained::permissions_for(Some(&scopes), "model", "alice/b", "alice").is_empty());
        assert!(FineGrained::permissions_for(Some(&scopes), "dataset", "alice/a", "alice").is_empty());
        assert_eq!(FineGrained::permissions_for(Some(&scopes), "model", "acme/x", "ACME"), ["repo.content.read"]);
        assert!(FineGrained::grants_anywhere(Some(&scopes), &["repo.write"]));
        assert!(!FineGrained::grants_anywhere(Some(&scopes), &["discussion.write"]));
    }

    #[test]
    fn unknown_names_are_refused() {
        let mut bad = scopes();
        bad.scoped[0].permissions.push("repo.everything".to_owned());
        assert!(bad.validate().is_err());
        assert!(scopes().validate().is_ok());
    }
}
