//! Who may read and write what. A caller's rights on a repo are the rights of the account (owner
//! of the namespace, or member of the organisation with a role) capped by the token: read tokens
//! read, write tokens do what the account may, fine-grained tokens only what their scopes grant.
//! Public repos are readable by everyone; a refusal to read is always `RepoNotFound`, so private
//! and missing repos look alike. Gated repos add one more rule for file contents
//! ([`crate::gating`]).

use crate::error::{CoreError, CoreResult};
use crate::identity::{FineGrained, Membership, OrgRole};
use crate::ports::{Repo, TokenRecord, TokenRole, User};

/// What a caller may do to a repo, in increasing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RepoLevel {
    None,
    /// Read a private repo (public ones are readable by everyone).
    Read,
    /// Commit, push, branches and tags, merge pull requests.
    Write,
    /// Settings, gating decisions, move, delete.
    Manage,
}

/// The caller of a request, as established from its credentials.
#[derive(Debug, Clone)]
#[expect(clippy::large_enum_variant, reason = "one per request, passed by reference")]
pub enum Principal {
    Anonymous,
    User { user: User, token: TokenRecord, memberships: Vec<Membership> },
}

impl Principal {
    #[must_use]
    pub fn user(&self) -> Option<&User> {
        match self {
            Self::Anonymous => None,
            Self::User { user, .. } => Some(user),
        }
    }

    #[must_use]
    pub fn token(&self) -> Option<&TokenRecord> {
        match self {
            Self::Anonymous => None,
            Self::User { token, .. } => Some(token),
        }
    }

    #[must_use]
    pub fn memberships(&self) -> &[Membership] {
        match self {
            Self::Anonymous => &[],
            Self::User { memberships, .. } => memberships,
        }
    }

    /// The caller's role in an organisation, if a member.
    #[must_use]
    pub fn org_role(&self, org: &str) -> Option<OrgRole> {
        self.memberships().iter().find(|membership| membership.org_name.eq_ignore_ascii_case(org)).map(|m| m.role)
    }

    /// What the account may do in a namespace, for a repo created by `creator` (contributors
    /// write the repos they created).
    fn account_level(&self, namespace: &str, creator: Option<&str>) -> RepoLevel {
        let Some(user) = self.user() else { return RepoLevel::None };
        if user.name.eq_ignore_ascii_case(namespace) {
            return RepoLevel::Manage;
        }
        match self.org_role(namespace) {
            None => RepoLevel::None,
            Some(OrgRole::Read) => RepoLevel::Read,
            Some(OrgRole::Contributor) if creator == Some(user.id.as_str()) => RepoLevel::Manage,
            Some(OrgRole::Contributor) => RepoLevel::Read,
            Some(OrgRole::Write | OrgRole::Admin) => RepoLevel::Manage,
        }
    }

    /// The most the token allows on `repo_name` in `namespace`.
    fn token_cap(&self, repo_type: &str, repo_name: &str, namespace: &str) -> RepoLevel {
        let Some(token) = self.token() else { return RepoLevel::None };
        match token.role {
            TokenRole::Read => RepoLevel::Read,
            TokenRole::Write => RepoLevel::Manage,
            TokenRole::FineGrained => {
                let permissions = FineGrained::permissions_for(token.scopes.as_ref(), repo_type, repo_name, namespace);
                if permissions.iter().any(|permission| permission == "repo.write") {
                    RepoLevel::Manage
                } else if permissions.iter().any(|permission| permission == "repo.content.read") {
                    RepoLevel::Read
                } else {
                    RepoLevel::None
                }
            }
        }
    }

    /// The caller's level on a repo (public repos are readable on top of this).
    #[must_use]
    pub fn level(&self, repo: &Repo) -> RepoLevel {
        let account = self.account_level(&repo.namespace, Some(&repo.owner_user_id));
        let cap = self.token_cap(repo.repo_type.as_str(), &repo.full_name(), &repo.namespace);
        account.min(cap)
    }

    /// Reading a repo. A refusal is always `RepoNotFound`, so private and missing look alike.
    pub fn check_read(&self, repo: &Repo) -> CoreResult<()> {
        if !repo.private || self.level(repo) >= RepoLevel::Read { Ok(()) } else { Err(CoreError::RepoNotFound) }
    }

    fn check_level(&self, repo: &Repo, wanted: RepoLevel, what: &str) -> CoreResult<()> {
        self.check_read(repo)?;
        let Self::User { user, .. } = self else {
            return Err(CoreError::Unauthenticated(format!("You must be authenticated to {what}")));
        };
        if self.level(repo) >= wanted {
            return Ok(());
        }
        // Say why when the account could but the token cannot.
        if self.account_level(&repo.namespace, Some(&repo.owner_user_id)) >= wanted {
            return Err(CoreError::Forbidden(format!("This token does not allow you to {what} {}", repo.full_name())));
        }
        let _ = user;
        Err(CoreError::Forbidden(format!("You don't have the rights to {what} {}", repo.full_name())))
    }

    /// Writing to a repo the caller can already see.
    pub fn check_write(&self, repo: &Repo) -> CoreResult<()> {
        self.check_level(repo, RepoLevel::Write, "write to")
    }

    /// Settings, gating decisions, moving and deleting.
    pub fn check_manage(&self, repo: &Repo) -> CoreResult<()> {
        self.check_level(repo, RepoLevel::Manage, "manage")
    }

    /// Creating repos (and collections) in a namespace: its owner, or members of the
    /// organisation with the contributor role or above.
    pub fn check_namespace_write(&self, namespace: &str) -> CoreResult<&User> {
        let Self::User { user, .. } = self else {
            return Err(CoreError::Unauthenticated("You must be authenticated to do this".to_owned()));
        };
        let account = if user.name.eq_ignore_ascii_case(namespace) {
            RepoLevel::Manage
        } else {
            match self.org_role(namespace) {
                Some(OrgRole::Contributor | OrgRole::Write | OrgRole::Admin) => RepoLevel::Manage,
                _ => RepoLevel::None,
            }
        };
        if account < RepoLevel::Manage {
            return Err(CoreError::Forbidden(format!(
                "You don't have the rights to create or delete repositories in the namespace {namespace}"
            )));
        }
        if self.token_cap("", "", namespace) < RepoLevel::Manage {
            return Err(CoreError::Forbidden(format!(
                "This token does not allow writing to the namespace {namespace}"
            )));
        }
        Ok(user)
    }

    /// A signed-in caller whose token may take part on `repo` (open discussions, comment, like,
    /// propose changes, ask for access): read tokens may not; fine-grained ones need the global
    /// `discussion.write`, or `discussion.write` or `repo.write` on that repo or its namespace
    /// (`None`: not about one repo, only the global permission counts).
    pub fn check_token_writes(&self, repo: Option<&Repo>) -> CoreResult<&User> {
        match self {
            Self::Anonymous => Err(CoreError::Unauthenticated("You must be authenticated to do this".to_owned())),
            Self::User { user, token, .. } => {
                let allowed = match token.role {
                    TokenRole::Read => false,
                    TokenRole::Write => true,
                    TokenRole::FineGrained => {
                        let scopes = token.scopes.as_ref();
                        let global = scopes.is_some_and(|scopes| scopes.global.iter().any(|p| p == "discussion.write"));
                        let scoped = repo.is_some_and(|repo| {
                            FineGrained::permissions_for(
                                scopes,
                                repo.repo_type.as_str(),
                                &repo.full_name(),
                                &repo.namespace,
                            )
                            .iter()
                            .any(|permission| permission == "discussion.write" || permission == "repo.write")
                        });
                        global || scoped
                    }
                };
                if allowed {
                    Ok(user)
                } else {
                    Err(CoreError::Forbidden(
                        "This token does not allow this action; a write token is needed".to_owned(),
                    ))
                }
            }
        }
    }

    /// Whether the token may act on an organisation with `permission` (`org.read`, `org.write`,
    /// `org.members.write`): read tokens only read, write tokens act as the account, fine-grained
    /// ones need the permission on that organisation.
    pub fn check_org_token(&self, org: &str, permission: &str) -> CoreResult<()> {
        let allowed = match self.token() {
            None => false,
            Some(token) => match token.role {
                TokenRole::Read => permission == "org.read",
                TokenRole::Write => true,
                TokenRole::FineGrained => FineGrained::permissions_for(token.scopes.as_ref(), "", "", org)
                    .iter()
                    .any(|held| held == permission),
            },
        };
        if allowed {
            Ok(())
        } else {
            Err(CoreError::Forbidden(format!("This token does not have the {permission} permission on {org}")))
        }
    }

    /// Whether the caller may review access requests: a manager of the repo, through a token that
    /// allows it (fine-grained tokens with `repo.access.read` on the repo suffice).
    #[must_use]
    pub fn can_review_access(&self, repo: &Repo) -> bool {
        if self.level(repo) >= RepoLevel::Manage {
            return true;
        }
        let account = self.account_level(&repo.namespace, Some(&repo.owner_user_id));
        let scoped = self.token().is_some_and(|token| {
            FineGrained::permissions_for(
                token.scopes.as_ref(),
                repo.repo_type.as_str(),
                &repo.full_name(),
                &repo.namespace,
            )
            .iter()
            .any(|permission| permission == "repo.access.read")
        });
        account >= RepoLevel::Manage && scoped
    }

    /// Whether the caller is exempt from a gate: anyone who may write the repo, and members of
    /// the organisation that owns it.
    #[must_use]
    pub fn bypasses_gate(&self, repo: &Repo) -> bool {
        // The account decides (a read token of the owner still reads the owner's repo), as long
        // as the token itself may read this repo: a fine-grained token scoped elsewhere does not
        // carry the owner's exemption (unless it may read gated repos).
        let account = self.account_level(&repo.namespace, Some(&repo.owner_user_id)) >= RepoLevel::Write
            || self.org_role(&repo.namespace).is_some();
        let token_reads = self.token_cap(repo.repo_type.as_str(), &repo.full_name(), &repo.namespace)
            >= RepoLevel::Read
            || self
                .token()
                .is_some_and(|token| token.scopes.as_ref().is_some_and(|scopes| scopes.can_read_gated_repos));
        account && token_reads
    }

    /// Fine-grained tokens read gated repos only when they say so.
    #[must_use]
    pub fn token_reads_gated(&self) -> bool {
        match self.token() {
            Some(token) if token.role == TokenRole::FineGrained => {
                token.scopes.as_ref().is_some_and(|scopes| scopes.can_read_gated_repos)
            }
            Some(_) => true,
            None => false,
        }
    }
}
