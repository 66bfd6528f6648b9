//! Users and tokens (the PostgreSQL port of `sqlite_users.rs`).

use sqlx::Row;
use sqlx::postgres::PgRow;
use stoa_core::ports::{NewUser, StoreError, TokenRecord, User};

use crate::{PgStore, backend, codec};

pub(crate) fn user_from_row(row: &PgRow) -> User {
    User {
        id: row.get("id"),
        name: row.get("name"),
        fullname: row.get("fullname"),
        email: row.get("email"),
        created_at: row.get("created_at"),
    }
}

/// A token row; its scopes are JSON (fine-grained tokens only).
pub(crate) fn token_from_row(row: &PgRow) -> Result<TokenRecord, StoreError> {
    let role: String = row.get("role");
    let scopes: Option<String> = row.get("scopes");
    let (role, scopes) = codec::token_role_and_scopes(&role, scopes.as_deref())?;
    Ok(TokenRecord {
        id: row.get("id"),
        user_id: row.get("user_id"),
        name: row.get("name"),
        role,
        created_at: row.get("created_at"),
        scopes,
        expires_at: row.get("expires_at"),
        last_used_at: row.get("last_used_at"),
    })
}

impl PgStore {
    pub(crate) async fn insert_user(&self, user: NewUser, id: String, now: i64) -> Result<User, StoreError> {
        sqlx::query(
            "INSERT INTO users (id, name, name_key, fullname, email, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(&user.name)
        .bind(user.name.to_ascii_lowercase())
        .bind(&user.fullname)
        .bind(&user.email)
        .bind(now)
        .execute(self.pool())
        .await
        .map_err(backend)?;
        Ok(User { id, name: user.name, fullname: user.fullname, email: user.email, created_at: now })
    }

    pub(crate) async fn find_user_by_name(&self, name: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT * FROM users WHERE name_key = $1")
            .bind(name.to_ascii_lowercase())
            .fetch_optional(self.pool())
            .await
            .map_err(backend)?;
        Ok(row.as_ref().map(user_from_row))
    }

    pub(crate) async fn find_user_by_id(&self, id: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query("SELECT * FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(backend)?;
        Ok(row.as_ref().map(user_from_row))
    }

    pub(crate) async fn insert_token(&self, record: &TokenRecord, secret_hash: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO tokens (id, user_id, name, role, secret_hash, created_at, scopes, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&record.id)
        .bind(&record.user_id)
        .bind(&record.name)
        .bind(record.role.as_str())
        .bind(secret_hash)
        .bind(record.created_at)
        .bind(record.scopes.as_ref().and_then(|scopes| serde_json::to_string(scopes).ok()))
        .bind(record.expires_at)
        .execute(self.pool())
        .await
        .map_err(backend)?;
        Ok(())
    }

    pub(crate) async fn find_token(&self, secret_hash: &str, now: i64) -> Result<Option<TokenRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT * FROM tokens WHERE secret_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2)",
        )
        .bind(secret_hash)
        .bind(now)
            .fetch_optional(self.pool())
            .await
            .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let record = token_from_row(&row)?;
        let last_used: Option<i64> = row.get("last_used_at");
        // Recording use at most once a minute keeps reads from turning into writes.
        if last_used.is_none_or(|at| now - at >= 60) {
            sqlx::query("UPDATE tokens SET last_used_at = $1 WHERE secret_hash = $2")
                .bind(now)
                .bind(secret_hash)
                .execute(self.pool())
                .await
                .map_err(backend)?;
        }
        Ok(Some(record))
    }
}
