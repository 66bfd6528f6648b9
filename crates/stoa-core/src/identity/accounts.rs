//! Accounts for people: sign-up, sign-in with a password (Argon2id, PHC strings), browser
//! sessions and password changes. A session acts like a write token of its user; the HTTP edge
//! accepts it only with its CSRF token on anything that changes state.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use rand::Rng as _;
use serde_json::json;

use crate::access::Principal;
use crate::error::{CoreError, CoreResult};
use crate::hub::Hub;
use crate::identity::audit::AuditTarget;
use crate::identity::orgs::check_new_namespace;
use crate::identity::store::Session;
use crate::ports::{NewUser, StoreError, TokenRecord, TokenRole, User};
use crate::tokens::{hash_token, new_object_id};

const MIN_PASSWORD_CHARS: usize = 8;
const MAX_PASSWORD_BYTES: usize = 1024;
/// How long a browser session lasts.
const SESSION_MILLIS: i64 = 14 * 24 * 3600 * 1000;

/// A new browser session: the cookie value (shown once) and the CSRF token of its pages.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub user: User,
    pub secret: String,
    pub csrf_token: String,
    pub expires_at: i64,
}

fn random_hex(bytes: usize) -> String {
    let mut buffer = vec![0_u8; bytes];
    rand::rng().fill(buffer.as_mut_slice());
    hex::encode(buffer)
}

fn check_password(password: &str) -> CoreResult<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS || password.len() > MAX_PASSWORD_BYTES {
        return Err(CoreError::bad_request(format!("A password needs at least {MIN_PASSWORD_CHARS} characters")));
    }
    Ok(())
}

fn hash_password_now(password: &str) -> CoreResult<String> {
    let hash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|error| CoreError::Internal(format!("password hashing failed: {error}")))?;
    Ok(hash.to_string())
}

fn password_matches_now(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Argon2 takes tens of milliseconds of CPU and 19 MiB on purpose: it runs on a blocking thread,
/// never on the threads that serve requests.
async fn hash_password(password: &str) -> CoreResult<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_password_now(&password))
        .await
        .map_err(|error| CoreError::Internal(format!("password hashing task failed: {error}")))?
}

async fn password_matches(password: &str, phc: &str) -> bool {
    let (password, phc) = (password.to_owned(), phc.to_owned());
    tokio::task::spawn_blocking(move || password_matches_now(&password, &phc)).await.unwrap_or(false)
}

/// The wrong-credentials answer, the same whether the user exists or not.
fn bad_credentials() -> CoreError {
    CoreError::Unauthenticated("Invalid username or password".to_owned())
}

impl Hub {
    /// Creates an account with a password (when the instance allows sign-up).
    pub async fn sign_up(&self, name: &str, password: &str, email: Option<String>) -> CoreResult<User> {
        if !self.settings.allow_signup {
            return Err(CoreError::Forbidden("Sign-up is disabled on this hub".to_owned()));
        }
        check_new_namespace(self, name).await?;
        check_password(password)?;
        let phc = hash_password(password).await?;
        let new = NewUser { name: name.to_owned(), fullname: name.to_owned(), email };
        let user = match self.meta.create_user(new, new_object_id(), stoa_types::time::now_unix()).await {
            Err(StoreError::AlreadyExists) => {
                return Err(CoreError::Conflict(format!("The name '{name}' is already taken")));
            }
            other => other?,
        };
        self.meta.set_password_hash(&user.id, &phc).await?;
        let target = AuditTarget { kind: "user", name: user.name.clone(), org_id: None };
        self.audit(None, "user.create", target, json!({"via": "sign-up"})).await;
        Ok(user)
    }

    /// Creates an account without a password (the operator's `stoa admin user create`).
    pub async fn create_user_account(
        &self,
        name: &str,
        fullname: Option<String>,
        email: Option<String>,
    ) -> CoreResult<User> {
        check_new_namespace(self, name).await?;
        let new = NewUser { name: name.to_owned(), fullname: fullname.unwrap_or_else(|| name.to_owned()), email };
        let user = match self.meta.create_user(new, new_object_id(), stoa_types::time::now_unix()).await {
            Err(StoreError::AlreadyExists) => {
                return Err(CoreError::Conflict(format!("The name '{name}' is already taken")));
            }
            other => other?,
        };
        let target = AuditTarget { kind: "user", name: user.name.clone(), org_id: None };
        self.audit(None, "user.create", target, json!({"via": "admin"})).await;
        Ok(user)
    }

    /// Checks a password and opens a session.
    pub async fn sign_in(&self, name: &str, password: &str) -> CoreResult<NewSession> {
        let user = self.meta.user_by_name(name).await?;
        let phc = match &user {
            Some(user) => self.meta.password_hash(&user.id).await?,
            None => None,
        };
        let (Some(user), Some(phc)) = (user, phc) else {
            // Spend the same time as a real check, so that timing does not tell who exists.
            let _ = hash_password(password).await;
            self.audit(
                None,
                "user.sign_in_failed",
                AuditTarget { kind: "user", name: name.to_owned(), org_id: None },
                json!({}),
            )
            .await;
            return Err(bad_credentials());
        };
        if !password_matches(password, &phc).await {
            let target = AuditTarget { kind: "user", name: user.name.clone(), org_id: None };
            self.audit(None, "user.sign_in_failed", target, json!({})).await;
            return Err(bad_credentials());
        }
        let now = stoa_types::time::now_millis();
        let secret = random_hex(32);
        let session = Session {
            id_hash: hash_token(&secret),
            user_id: user.id.clone(),
            csrf_token: random_hex(32),
            created_at: now,
            expires_at: now + SESSION_MILLIS,
        };
        self.meta.create_session(&session).await?;
        let target = AuditTarget { kind: "user", name: user.name.clone(), org_id: None };
        self.audit(None, "user.sign_in", target, json!({})).await;
        Ok(NewSession { user, secret, csrf_token: session.csrf_token, expires_at: session.expires_at })
    }

    /// The caller behind a session cookie, and the session's CSRF token. A session acts as a
    /// write token of its user.
    pub async fn session_principal(&self, secret: &str) -> CoreResult<Option<(Principal, String)>> {
        let now = stoa_types::time::now_millis();
        let Some(session) = self.meta.session(&hash_token(secret), now).await? else { return Ok(None) };
        let Some(user) = self.meta.user_by_id(&session.user_id).await? else { return Ok(None) };
        let memberships = self.meta.memberships(&user.id).await?;
        let token = TokenRecord {
            id: "session".to_owned(),
            user_id: user.id.clone(),
            name: "web session".to_owned(),
            role: TokenRole::Write,
            created_at: session.created_at / 1000,
            scopes: None,
            expires_at: Some(session.expires_at / 1000),
            last_used_at: None,
        };
        Ok(Some((Principal::User { user, token, memberships }, session.csrf_token)))
    }

    pub async fn sign_out(&self, secret: &str) -> CoreResult<()> {
        Ok(self.meta.delete_session(&hash_token(secret)).await?)
    }

    /// Changes the caller's password (the current one is required) and ends every session.
    pub async fn change_password(&self, principal: &Principal, current: &str, new: &str) -> CoreResult<()> {
        let user = principal.user().ok_or_else(|| CoreError::Unauthenticated("You must be signed in".to_owned()))?;
        if principal.token().is_some_and(|token| token.role != TokenRole::Write) {
            return Err(CoreError::Forbidden(
                "Changing a password needs a write token or a signed-in session".to_owned(),
            ));
        }
        let phc = self.meta.password_hash(&user.id).await?;
        if let Some(phc) = phc
            && !password_matches(current, &phc).await
        {
            return Err(CoreError::Forbidden("The current password is wrong".to_owned()));
        }
        check_password(new)?;
        self.meta.set_password_hash(&user.id, &hash_password(new).await?).await?;
        self.meta.delete_user_sessions(&user.id).await?;
        let target = AuditTarget { kind: "user", name: user.name.clone(), org_id: None };
        self.audit(Some(principal), "user.password_change", target, json!({})).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_argon2id_phc_strings_that_verify() {
        let phc = hash_password_now("correct horse battery").expect("hash");
        assert!(phc.starts_with("$argon2id$v=19$"), "{phc}");
        assert!(password_matches_now("correct horse battery", &phc));
        assert!(!password_matches_now("wrong", &phc));
        assert!(!password_matches_now("anything", "not a phc string"));
    }
}
