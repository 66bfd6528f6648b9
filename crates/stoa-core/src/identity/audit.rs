//! The audit log: who did what to which account, organisation, repo or token, when and from
//! where. Entries are written after the change succeeded; a failure to write one is logged as an
//! error and does not undo the change (the change is already durable).

use serde_json::Value;

use crate::access::Principal;
use crate::error::{CoreError, CoreResult};
use crate::hub::Hub;
use crate::identity::OrgRole;
use crate::identity::store::AuditEntry;
use crate::ports::Repo;
use crate::tokens::new_object_id;

tokio::task_local! {
    /// The client address of the request being served, set by the HTTP edge for the whole
    /// request so that audit entries can name it without every call passing it along.
    pub static CLIENT_IP: Option<String>;
}

/// The current request's client address, if the edge set one.
#[must_use]
pub fn client_ip() -> Option<String> {
    CLIENT_IP.try_with(Clone::clone).ok().flatten()
}

/// Largest page of the audit log.
pub const MAX_AUDIT_PAGE: u64 = 1000;

/// What an entry is about.
#[derive(Debug, Clone)]
pub struct AuditTarget {
    pub kind: &'static str,
    pub name: String,
    pub org_id: Option<String>,
}

impl Hub {
    /// Records an event by `principal` (or by the operator, for `None`).
    pub(crate) async fn audit(&self, principal: Option<&Principal>, action: &str, target: AuditTarget, data: Value) {
        let user = principal.and_then(Principal::user);
        let entry = AuditEntry {
            id: new_object_id(),
            created_at: stoa_types::time::now_millis(),
            actor_user_id: user.map(|user| user.id.clone()),
            actor: user.map(|user| user.name.clone()),
            action: action.to_owned(),
            target_type: target.kind.to_owned(),
            target: target.name,
            org_id: target.org_id,
            ip: client_ip(),
            data,
        };
        tracing::info!(audit.action = %entry.action, audit.target = %entry.target, actor = ?entry.actor, "audit");
        if let Err(error) = self.meta.record_audit(&entry).await {
            tracing::error!(error = %error, action, "could not write an audit entry");
        }
    }

    /// The audit target of a repo: its organisation's admins read repo events.
    pub(crate) async fn repo_target(&self, repo: &Repo) -> AuditTarget {
        let org_id = self.meta.org_by_name(&repo.namespace).await.ok().flatten().map(|org| org.id);
        AuditTarget { kind: "repo", name: format!("{}/{}", repo.repo_type.plural(), repo.full_name()), org_id }
    }

    /// An organisation's audit log, for its admins.
    pub async fn org_audit_log(
        &self,
        principal: &Principal,
        org_name: &str,
        offset: u64,
        limit: u64,
    ) -> CoreResult<Vec<AuditEntry>> {
        let org = self.find_org(org_name).await?;
        match principal.org_role(&org.name) {
            Some(OrgRole::Admin) => principal.check_org_token(&org.name, "org.read")?,
            Some(_) => return Err(CoreError::Forbidden(format!("Only admins of {} may read its audit log", org.name))),
            // Outsiders learn nothing about the organization here.
            None if principal.user().is_none() => {
                return Err(CoreError::Unauthenticated("You must be authenticated to read an audit log".to_owned()));
            }
            None => return Err(CoreError::NotFound(format!("Organization {org_name} not found"))),
        }
        let entries = self.meta.org_audit_log(&org.id, offset, limit.clamp(1, MAX_AUDIT_PAGE)).await?;
        Ok(entries)
    }

    /// The caller's own security log: their sign-ins, tokens, and what they did.
    pub async fn own_audit_log(&self, principal: &Principal, offset: u64, limit: u64) -> CoreResult<Vec<AuditEntry>> {
        let user = principal.user().ok_or_else(|| {
            CoreError::Unauthenticated("You must be authenticated to read your security log".to_owned())
        })?;
        Ok(self.meta.user_audit_log(&user.id, &user.name, offset, limit.clamp(1, MAX_AUDIT_PAGE)).await?)
    }

    /// Like [`Hub::org_audit_log`], and the export itself is an audited event.
    pub async fn export_org_audit_log(
        &self,
        principal: &Principal,
        org_name: &str,
        offset: u64,
        limit: u64,
    ) -> CoreResult<Vec<AuditEntry>> {
        let entries = self.org_audit_log(principal, org_name, offset, limit).await?;
        let org = self.find_org(org_name).await?;
        let target = AuditTarget { kind: "org", name: org.name.clone(), org_id: Some(org.id) };
        self.audit(Some(principal), "org.audit_log.export", target, serde_json::json!({"entries": entries.len()}))
            .await;
        Ok(entries)
    }
}
