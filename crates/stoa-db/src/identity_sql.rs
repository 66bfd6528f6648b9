//! [`IdentityStore`], [`GatingStore`] and [`AuditStore`] for both backends, written once in their
//! shared dialect (see `discussions_sql.rs`).

use stoa_core::identity::store::{
    AccessRequest, AuditEntry, AuditStore, GatingStore, IdentityStore, RequestStatus, RequestUpdate, Session,
};
use stoa_core::identity::{Membership, Org, OrgRole};
use stoa_core::ports::{StoreError, TokenRecord, User};

use crate::codec::{json_text, json_value, to_i64};

fn role(text: &str) -> Result<OrgRole, StoreError> {
    OrgRole::parse(text).ok_or_else(|| StoreError::Backend(format!("unknown organisation role '{text}'")))
}

fn request_status(text: &str) -> Result<RequestStatus, StoreError> {
    RequestStatus::parse(text).ok_or_else(|| StoreError::Backend(format!("unknown request status '{text}'")))
}

const REQUEST_SELECT: &str = "SELECT q.id AS request_id, q.repo_id, q.status, q.fields, q.rejection_reason, \
     q.created_at AS requested_at, q.updated_at, u.* FROM access_requests q JOIN users u ON u.id = q.user_id";

macro_rules! identity_store {
    ($store:ty, $row:ty, $user_from_row:path, $token_from_row:path) => {
        use async_trait::async_trait;
        use sqlx::Row;

        use super::*;
        use crate::backend;

        fn org_from_row(row: &$row) -> Org {
            Org {
                id: row.get("id"),
                name: row.get("name"),
                fullname: row.get("fullname"),
                private_by_default: row.get("private_by_default"),
                created_at: row.get("created_at"),
            }
        }

        fn request_from_row(row: &$row) -> Result<AccessRequest, StoreError> {
            let fields: Option<String> = row.get("fields");
            Ok(AccessRequest {
                id: row.get("request_id"),
                repo_id: row.get("repo_id"),
                user: $user_from_row(row),
                status: request_status(row.get("status"))?,
                fields: fields.as_deref().map(json_value).transpose()?,
                rejection_reason: row.get("rejection_reason"),
                created_at: row.get("requested_at"),
                updated_at: row.get("updated_at"),
            })
        }

        fn audit_from_row(row: &$row) -> Result<AuditEntry, StoreError> {
            Ok(AuditEntry {
                id: row.get("id"),
                created_at: row.get("created_at"),
                actor_user_id: row.get("actor_user_id"),
                actor: row.get("actor"),
                action: row.get("action"),
                target_type: row.get("target_type"),
                target: row.get("target"),
                org_id: row.get("org_id"),
                ip: row.get("ip"),
                data: json_value(row.get("data"))?,
            })
        }

        #[async_trait]
        impl IdentityStore for $store {
            async fn create_org(&self, org: &Org) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO orgs (id, name, name_key, fullname, private_by_default, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&org.id)
                .bind(&org.name)
                .bind(org.name.to_ascii_lowercase())
                .bind(&org.fullname)
                .bind(org.private_by_default)
                .bind(org.created_at)
                .execute(self.pool())
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn org_by_name(&self, name: &str) -> Result<Option<Org>, StoreError> {
                let row = sqlx::query("SELECT * FROM orgs WHERE name_key = $1")
                    .bind(name.to_ascii_lowercase())
                    .fetch_optional(self.pool())
                    .await
                    .map_err(backend)?;
                Ok(row.as_ref().map(org_from_row))
            }

            async fn set_org_member(&self, org_id: &str, user_id: &str, role: OrgRole, now: i64) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO org_members (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role",
                )
                .bind(org_id)
                .bind(user_id)
                .bind(role.as_str())
                .bind(now)
                .execute(self.pool())
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn remove_org_member(&self, org_id: &str, user_id: &str) -> Result<bool, StoreError> {
                let removed = sqlx::query("DELETE FROM org_members WHERE org_id = $1 AND user_id = $2")
                    .bind(org_id)
                    .bind(user_id)
                    .execute(self.pool())
                    .await
                    .map_err(backend)?;
                Ok(removed.rows_affected() > 0)
            }

            async fn org_members(&self, org_id: &str) -> Result<Vec<(User, OrgRole)>, StoreError> {
                let rows = sqlx::query(
                    "SELECT u.*, m.role FROM org_members m JOIN users u ON u.id = m.user_id \
                     WHERE m.org_id = $1 ORDER BY u.name_key",
                )
                .bind(org_id)
                .fetch_all(self.pool())
                .await
                .map_err(backend)?;
                rows.iter().map(|row| Ok(($user_from_row(row), role(row.get("role"))?))).collect()
            }

            async fn memberships(&self, user_id: &str) -> Result<Vec<Membership>, StoreError> {
                let rows = sqlx::query(
                    "SELECT o.id, o.name, o.fullname, m.role FROM org_members m JOIN orgs o ON o.id = m.org_id \
                     WHERE m.user_id = $1 ORDER BY o.name_key",
                )
                .bind(user_id)
                .fetch_all(self.pool())
                .await
                .map_err(backend)?;
                rows.iter()
                    .map(|row| {
                        Ok(Membership {
                            org_id: row.get("id"),
                            org_name: row.get("name"),
                            org_fullname: row.get("fullname"),
                            role: role(row.get("role"))?,
                        })
                    })
                    .collect()
            }

            async fn user_tokens(&self, user_id: &str) -> Result<Vec<TokenRecord>, StoreError> {
                let rows = sqlx::query(
                    "SELECT * FROM tokens WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id",
                )
                .bind(user_id)
                .fetch_all(self.pool())
                .await
                .map_err(backend)?;
                rows.iter().map($token_from_row).collect()
            }

            async fn revoke_token(&self, user_id: &str, token_id: &str, now: i64) -> Result<bool, StoreError> {
                let revoked = sqlx::query(
                    "UPDATE tokens SET revoked_at = $3 WHERE user_id = $1 AND id = $2 AND revoked_at IS NULL",
                )
                .bind(user_id)
                .bind(token_id)
                .bind(now)
                .execute(self.pool())
                .await
                .map_err(backend)?;
                Ok(revoked.rows_affected() > 0)
            }

            async fn set_password_hash(&self, user_id: &str, phc: &str) -> Result<(), StoreError> {
                sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
                    .bind(user_id)
                    .bind(phc)
                    .execute(self.pool())
                    .await
                    .map_err(backend)?;
                Ok(())
            }

            async fn password_hash(&self, user_id: &str) -> Result<Option<String>, StoreError> {
                let hash: Option<Option<String>> = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = $1")
                    .bind(user_id)
                    .fetch_optional(self.pool())
                    .await
                    .map_err(backend)?;
                Ok(hash.flatten())
            }

            async fn create_session(&self, session: &Session) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&session.id_hash)
                .bind(&session.user_id)
                .bind(&session.csrf_token)
                .bind(session.created_at)
                .bind(session.expires_at)
                .execute(self.pool())
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn session(&self, id_hash: &str, now: i64) -> Result<Option<Session>, StoreError> {
                let row = sqlx::query("SELECT * FROM sessions WHERE id_hash = $1 AND expires_at > $2")
                    .bind(id_hash)
                    .bind(now)
                    .fetch_optional(self.pool())
                    .await
                    .map_err(backend)?;
                Ok(row.map(|row| Session {
                    id_hash: row.get("id_hash"),
                    user_id: row.get("user_id"),
                    csrf_token: row.get("csrf_token"),
                    created_at: row.get("created_at"),
                    expires_at: row.get("expires_at"),
                }))
            }

            async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                    .bind(id_hash)
                    .execute(self.pool())
                    .await
                    .map_err(backend)?;
                Ok(())
            }

            async fn delete_user_sessions(&self, user_id: &str) -> Result<(), StoreError> {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                    .bind(user_id)
                    .execute(self.pool())
                    .await
                    .map_err(backend)?;
                Ok(())
            }
        }

        #[async_trait]
        impl GatingStore for $store {
            async fn set_gated(&self, repo_id: &str, gated: Option<&str>) -> Result<(), StoreError> {
                sqlx::query("UPDATE repos SET gated = $2 WHERE id = $1")
                    .bind(repo_id)
                    .bind(gated)
                    .execute(self.pool())
                    .await
                    .map_err(backend)?;
                Ok(())
            }

            async fn access_request(&self, repo_id: &str, user_id: &str) -> Result<Option<AccessRequest>, StoreError> {
                let row = sqlx::query(sqlx::AssertSqlSafe(format!("{REQUEST_SELECT} WHERE q.repo_id = $1 AND q.user_id = $2")))
                    .bind(repo_id)
                    .bind(user_id)
                    .fetch_optional(self.pool())
                    .await
                    .map_err(backend)?;
                row.as_ref().map(request_from_row).transpose()
            }

            async fn access_request_by_id(&self, repo_id: &str, id: &str) -> Result<Option<AccessRequest>, StoreError> {
                let row = sqlx::query(sqlx::AssertSqlSafe(format!("{REQUEST_SELECT} WHERE q.repo_id = $1 AND q.id = $2")))
                    .bind(repo_id)
                    .bind(id)
                    .fetch_optional(self.pool())
                    .await
                    .map_err(backend)?;
                row.as_ref().map(request_from_row).transpose()
            }

            async fn save_access_request(&self, request: &RequestUpdate) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO access_requests (id, repo_id, user_id, status, fields, rejection_reason, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
                     ON CONFLICT (repo_id, user_id) DO UPDATE SET status = excluded.status, \
                     fields = COALESCE(excluded.fields, access_requests.fields), \
                     rejection_reason = excluded.rejection_reason, updated_at = excluded.updated_at",
                )
                .bind(&request.id)
                .bind(&request.repo_id)
                .bind(&request.user_id)
                .bind(request.status.as_str())
                .bind(request.fields.as_ref().map(json_text))
                .bind(&request.rejection_reason)
                .bind(request.now)
                .execute(self.pool())
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn list_access_requests(
                &self,
                repo_id: &str,
                status: RequestStatus,
                offset: u64,
                limit: u64,
            ) -> Result<Vec<AccessRequest>, StoreError> {
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "{REQUEST_SELECT} WHERE q.repo_id = $1 AND q.status = $2 ORDER BY q.updated_at DESC, q.id LIMIT $3 OFFSET $4"
                )))
                .bind(repo_id)
                .bind(status.as_str())
                .bind(to_i64(limit))
                .bind(to_i64(offset))
                .fetch_all(self.pool())
                .await
                .map_err(backend)?;
                rows.iter().map(request_from_row).collect()
            }
        }

        #[async_trait]
        impl AuditStore for $store {
            async fn record_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
                sqlx::query(
                    "INSERT INTO audit_log (id, created_at, actor_user_id, actor, action, target_type, target, org_id, ip, data) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(&entry.id)
                .bind(entry.created_at)
                .bind(&entry.actor_user_id)
                .bind(&entry.actor)
                .bind(&entry.action)
                .bind(&entry.target_type)
                .bind(&entry.target)
                .bind(&entry.org_id)
                .bind(&entry.ip)
                .bind(json_text(&entry.data))
                .execute(self.pool())
                .await
                .map_err(backend)?;
                Ok(())
            }

            async fn org_audit_log(&self, org_id: &str, offset: u64, limit: u64) -> Result<Vec<AuditEntry>, StoreError> {
                let rows = sqlx::query(
                    "SELECT * FROM audit_log WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
                )
                .bind(org_id)
                .bind(to_i64(limit))
                .bind(to_i64(offset))
                .fetch_all(self.pool())
                .await
                .map_err(backend)?;
                rows.iter().map(audit_from_row).collect()
            }

            async fn user_audit_log(
                &self,
                user_id: &str,
                user_name: &str,
                offset: u64,
                limit: u64,
            ) -> Result<Vec<AuditEntry>, StoreError> {
                let rows = sqlx::query(
                    "SELECT * FROM audit_log WHERE actor_user_id = $1 \
                     OR (target_type = 'user' AND LOWER(target) = $2) \
                     OR (target_type = 'token' AND LOWER(target) LIKE $3 ESCAPE '\\') \
                     ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5",
                )
                .bind(user_id)
                .bind(user_name.to_ascii_lowercase())
                .bind(format!("{}/%", crate::codec::like_escape(&user_name.to_ascii_lowercase())))
                .bind(to_i64(limit))
                .bind(to_i64(offset))
                .fetch_all(self.pool())
                .await
                .map_err(backend)?;
                rows.iter().map(audit_from_row).collect()
            }

            async fn all_audit_entries(&self, offset: u64, limit: u64) -> Result<Vec<AuditEntry>, StoreError> {
                let rows = sqlx::query("SELECT * FROM audit_log ORDER BY created_at, id LIMIT $1 OFFSET $2")
                    .bind(to_i64(limit))
                    .bind(to_i64(offset))
                    .fetch_all(self.pool())
                    .await
                    .map_err(backend)?;
                rows.iter().map(audit_from_row).collect()
            }
        }
    };
}

mod sqlite {
    identity_store!(
        crate::SqliteStore,
        sqlx::sqlite::SqliteRow,
        crate::sqlite_users::user_from_row,
        crate::sqlite_users::token_from_row
    );
}

mod postgres {
    identity_store!(
        crate::PgStore,
        sqlx::postgres::PgRow,
        crate::pg_users::user_from_row,
        crate::pg_users::token_from_row
    );
}
