//! Who may read and write what. Organisations and fine-grained tokens come later; today a
//! namespace belongs to the user of the same name.

use crate::error::{CoreError, CoreResult};
use crate::ports::{Repo, TokenRecord, TokenRole, User};

/// The caller of a request, as established from its credentials.
#[derive(Debug, Clone)]
pub enum Principal {
    Anonymous,
    User { user: User, token: TokenRecord },
}

impl Principal {
    #[must_use]
    pub fn user(&self) -> Option<&User> {
        match self {
            Self::Anonymous => None,
            Self::User { user, .. } => Some(user),
        }
    }

    fn owns_namespace(&self, namespace: &str) -> bool {
        self.user().is_some_and(|user| user.name.eq_ignore_ascii_case(namespace))
    }

    fn can_write_with_token(&self) -> bool {
        matches!(self, Self::User { token, .. } if token.role == TokenRole::Write)
    }

    /// Reading a repo. A refusal is always `RepoNotFound`, so private and missing look alike.
    pub fn check_read(&self, repo: &Repo) -> CoreResult<()> {
        if !repo.private || self.owns_namespace(&repo.namespace) { Ok(()) } else { Err(CoreError::RepoNotFound) }
    }

    /// Writing to a repo the caller can already see.
    pub fn check_write(&self, repo: &Repo) -> CoreResult<()> {
        self.check_read(repo)?;
        match self {
            Self::Anonymous => {
                Err(CoreError::Unauthenticated("You must be authenticated to write to this repository".to_owned()))
            }
            _ if !self.owns_namespace(&repo.namespace) => {
                Err(CoreError::Forbidden(format!("You don't have the rights to write to {}", repo.full_name())))
            }
            _ if !self.can_write_with_token() => {
                Err(CoreError::Forbidden("This token has read access only; a write token is needed".to_owned()))
            }
            Self::User { .. } => Ok(()),
        }
    }

    /// A signed-in caller whose token may write: what opening discussions, commenting and
    /// proposing changes need, on top of reading the repo.
    pub fn check_token_writes(&self) -> CoreResult<&User> {
        match self {
            Self::Anonymous => Err(CoreError::Unauthenticated("You must be authenticated to do this".to_owned())),
            Self::User { user, .. } if self.can_write_with_token() => Ok(user),
            Self::User { .. } => {
                Err(CoreError::Forbidden("This token has read access only; a write token is needed".to_owned()))
            }
        }
    }

    /// Creating or deleting repos in a namespace.
    pub fn check_namespace_write(&self, namespace: &str) -> CoreResult<&User> {
        let Self::User { user, .. } = self else {
            return Err(CoreError::Unauthenticated("You must be authenticated to do this".to_owned()));
        };
        if !user.name.eq_ignore_ascii_case(namespace) {
            return Err(CoreError::Forbidden(format!(
                "You don't have the rights to create or delete repositories in the namespace {namespace}"
            )));
        }
        if !self.can_write_with_token() {
            return Err(CoreError::Forbidden("This token has read access only; a write token is needed".to_owned()));
        }
        Ok(user)
    }
}
