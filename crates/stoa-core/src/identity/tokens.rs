//! Access tokens: read, write and fine-grained (scopes per repo, user or organisation), with an
//! optional expiry; listed with their last use and revoked by their owner. Only the SHA-256 of a
//! secret is stored; the secret is shown once, at creation.

use serde_json::json;

use crate::access::Principal;
use crate::error::{CoreError, CoreResult};
use crate::hub::Hub;
use crate::identity::FineGrained;
use crate::identity::audit::AuditTarget;
use crate::ports::{StoreError, TokenRecord, TokenRole, User};
use crate::tokens::{generate_token, hash_token, new_object_id};

/// What a new token may do.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub name: String,
    pub role: TokenRole,
    /// Required for fine-grained tokens, refused for the others.
    pub scopes: Option<FineGrained>,
    /// Unix seconds.
    pub expires_at: Option<i64>,
}

impl Hub {
    /// Creates a token for `user` and returns it with its secret. `creator` is who asked (the
    /// user, or `None` for the operator).
    pub async fn issue_token(
        &self,
        creator: Option<&Principal>,
        user: &User,
        new: NewToken,
        secret: Option<String>,
    ) -> CoreResult<(TokenRecord, String)> {
        let name = new.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(CoreError::bad_request("A token needs a name of 1 to 100 characters"));
        }
        match (new.role, &new.scopes) {
            (TokenRole::FineGrained, None) => {
                return Err(CoreError::bad_request("A fine-grained token needs its scopes"));
            }
            (TokenRole::FineGrained, Some(scopes)) => scopes.validate().map_err(CoreError::BadRequest)?,
            (_, Some(_)) => return Err(CoreError::bad_request("Only fine-grained tokens have scopes")),
            (_, None) => {}
        }
        let now = stoa_types::time::now_unix();
        if new.expires_at.is_some_and(|at| at <= now) {
            return Err(CoreError::bad_request("The expiry must be in the future"));
        }
        let secret = secret.unwrap_or_else(generate_token);
        let record = TokenRecord {
            id: new_object_id(),
            user_id: user.id.clone(),
            name: name.to_owned(),
            role: new.role,
            created_at: now,
            scopes: new.scopes,
            expires_at: new.expires_at,
            last_used_at: None,
        };
        match self.meta.create_token(&record, &hash_token(&secret)).await {
            Err(StoreError::AlreadyExists) => {
                return Err(CoreError::Conflict("This token value is already registered".to_owned()));
            }
            other => other?,
        }
        let target = AuditTarget { kind: "token", name: format!("{}/{}", user.name, record.id), org_id: None };
        let data = json!({"name": record.name, "role": record.role.as_str(), "expiresAt": record.expires_at});
        self.audit(creator, "user.token.create", target, data).await;
        Ok((record, secret))
    }

    /// Tokens are managed by their owner, signed in with a write token or a browser session
    /// (never with a read or fine-grained token).
    fn token_manager(principal: &Principal) -> CoreResult<&User> {
        let user = principal
            .user()
            .ok_or_else(|| CoreError::Unauthenticated("You must be authenticated to manage tokens".to_owned()))?;
        match principal.token().map(|token| token.role) {
            Some(TokenRole::Write) => Ok(user),
            _ => Err(CoreError::Forbidden("Managing tokens needs a write token or a signed-in session".to_owned())),
        }
    }

    pub async fn create_own_token(&self, principal: &Principal, new: NewToken) -> CoreResult<(TokenRecord, String)> {
        let user = Self::token_manager(principal)?.clone();
        self.issue_token(Some(principal), &user, new, None).await
    }

    pub async fn list_own_tokens(&self, principal: &Principal) -> CoreResult<Vec<TokenRecord>> {
        let user = Self::token_manager(principal)?;
        Ok(self.meta.user_tokens(&user.id).await?)
    }

    pub async fn revoke_own_token(&self, principal: &Principal, token_id: &str) -> CoreResult<()> {
        let user = Self::token_manager(principal)?.clone();
        self.revoke_token_of(Some(principal), &user, token_id).await
    }

    /// Revokes a token of `user` at once: the next request with it is refused.
    pub async fn revoke_token_of(&self, actor: Option<&Principal>, user: &User, token_id: &str) -> CoreResult<()> {
        if !self.meta.revoke_token(&user.id, token_id, stoa_types::time::now_unix()).await? {
            return Err(CoreError::NotFound(format!("No live token {token_id}")));
        }
        let target = AuditTarget { kind: "token", name: format!("{}/{token_id}", user.name), org_id: None };
        self.audit(actor, "user.token.revoke", target, json!({})).await;
        Ok(())
    }
}
