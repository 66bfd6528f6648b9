//! Organisations: created by the operator (`stoa admin org create`), members managed by the
//! organisation's admins through the API. Names share one space with user names.

use serde_json::json;
use stoa_types::RepoId;

use crate::access::Principal;
use crate::error::{CoreError, CoreResult};
use crate::hub::Hub;
use crate::identity::audit::AuditTarget;
use crate::identity::{Org, OrgRole};
use crate::ports::{StoreError, User};
use crate::tokens::new_object_id;

/// Names that the hub's own URLs use.
const RESERVED_NAMES: &[&str] =
    &["api", "datasets", "spaces", "models", "lfs", "xet", "uploads", "organizations", "settings"];

/// What the operator asks for.
#[derive(Debug, Clone)]
pub struct CreateOrg {
    pub name: String,
    pub fullname: Option<String>,
    pub members: Vec<(String, OrgRole)>,
    pub private_by_default: bool,
}

/// Checks a new user or organisation name: valid, not reserved, and free in both spaces.
pub(crate) async fn check_new_namespace(hub: &Hub, name: &str) -> CoreResult<()> {
    if !RepoId::is_valid_name(name) {
        return Err(CoreError::bad_request(format!(
            "Invalid name '{name}': use letters, digits, '-', '_' or '.', at most 96 characters"
        )));
    }
    if RESERVED_NAMES.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(CoreError::bad_request(format!("'{name}' is reserved for the hub's own URLs")));
    }
    if hub.meta.user_by_name(name).await?.is_some() || hub.meta.org_by_name(name).await?.is_some() {
        return Err(CoreError::Conflict(format!("The name '{name}' is already taken")));
    }
    Ok(())
}

impl Hub {
    pub async fn create_org(&self, request: CreateOrg) -> CoreResult<Org> {
        check_new_namespace(self, &request.name).await?;
        let mut members = Vec::with_capacity(request.members.len());
        for (name, role) in &request.members {
            let user = self
                .meta
                .user_by_name(name)
                .await?
                .ok_or_else(|| CoreError::NotFound(format!("No user named '{name}'")))?;
            members.push((user, *role));
        }
        let org = Org {
            id: new_object_id(),
            name: request.name.clone(),
            fullname: request.fullname.clone().unwrap_or_else(|| request.name.clone()),
            private_by_default: request.private_by_default,
            created_at: stoa_types::time::now_unix(),
        };
        match self.meta.create_org(&org).await {
            Err(StoreError::AlreadyExists) => {
                return Err(CoreError::Conflict(format!("The name '{}' is already taken", org.name)));
            }
            other => other?,
        }
        let target = || AuditTarget { kind: "org", name: org.name.clone(), org_id: Some(org.id.clone()) };
        self.audit(None, "org.create", target(), json!({"privateByDefault": org.private_by_default})).await;
        for (user, role) in members {
            self.meta.set_org_member(&org.id, &user.id, role, org.created_at).await?;
            self.audit(None, "org.add_user", target(), json!({"user": user.name, "role": role.as_str()})).await;
        }
        Ok(org)
    }

    pub(crate) async fn find_org(&self, name: &str) -> CoreResult<Org> {
        self.meta.org_by_name(name).await?.ok_or_else(|| CoreError::NotFound(format!("Organization {name} not found")))
    }

    /// Members and their roles; members may see them, others get "not found".
    pub async fn org_members(&self, principal: &Principal, org_name: &str) -> CoreResult<(Org, Vec<(User, OrgRole)>)> {
        let org = self.find_org(org_name).await?;
        if principal.org_role(&org.name).is_none() {
            return Err(CoreError::NotFound(format!("Organization {org_name} not found")));
        }
        principal.check_org_token(&org.name, "org.read")?;
        let members = self.meta.org_members(&org.id).await?;
        Ok((org, members))
    }

    pub(crate) fn check_org_admin(principal: &Principal, org: &Org) -> CoreResult<()> {
        if principal.user().is_none() {
            return Err(CoreError::Unauthenticated("You must be authenticated to manage an organization".to_owned()));
        }
        match principal.org_role(&org.name) {
            Some(OrgRole::Admin) => principal.check_org_token(&org.name, "org.members.write"),
            Some(_) => Err(CoreError::Forbidden(format!("Only admins of {} may manage its members", org.name))),
            None => Err(CoreError::NotFound(format!("Organization {} not found", org.name))),
        }
    }

    /// Adds a member or changes their role (admins only).
    pub async fn set_org_member_role(
        &self,
        principal: &Principal,
        org_name: &str,
        user_name: &str,
        role: OrgRole,
    ) -> CoreResult<()> {
        let org = self.find_org(org_name).await?;
        Self::check_org_admin(principal, &org)?;
        let user = self.user_named(user_name).await?;
        let members = self.meta.org_members(&org.id).await?;
        let previous = members.iter().find(|(member, _)| member.id == user.id).map(|(_, role)| *role);
        if previous == Some(OrgRole::Admin) && role != OrgRole::Admin {
            self.keep_an_admin(&members, &user)?;
        }
        self.meta.set_org_member(&org.id, &user.id, role, stoa_types::time::now_unix()).await?;
        let action = if previous.is_some() { "org.change_role" } else { "org.add_user" };
        let target = AuditTarget { kind: "org", name: org.name.clone(), org_id: Some(org.id.clone()) };
        let data = json!({"user": user.name, "role": role.as_str(), "previousRole": previous.map(OrgRole::as_str)});
        self.audit(Some(principal), action, target, data).await;
        Ok(())
    }

    /// Removes a member (admins only; the last admin stays).
    pub async fn remove_org_member(&self, principal: &Principal, org_name: &str, user_name: &str) -> CoreResult<()> {
        let org = self.find_org(org_name).await?;
        Self::check_org_admin(principal, &org)?;
        let user = self.user_named(user_name).await?;
        let members = self.meta.org_members(&org.id).await?;
        if members.iter().any(|(member, role)| member.id == user.id && *role == OrgRole::Admin) {
            self.keep_an_admin(&members, &user)?;
        }
        if !self.meta.remove_org_member(&org.id, &user.id).await? {
            return Err(CoreError::NotFound(format!("{} is not a member of {}", user.name, org.name)));
        }
        let target = AuditTarget { kind: "org", name: org.name.clone(), org_id: Some(org.id.clone()) };
        self.audit(Some(principal), "org.remove_user", target, json!({"user": user.name})).await;
        Ok(())
    }

    fn keep_an_admin(&self, members: &[(User, OrgRole)], leaving: &User) -> CoreResult<()> {
        let others = members.iter().filter(|(member, role)| *role == OrgRole::Admin && member.id != leaving.id).count();
        if others == 0 {
            return Err(CoreError::bad_request("An organization keeps at least one admin"));
        }
        Ok(())
    }
}
