//! Likes and the activity log's readers.

use serde_json::json;

use crate::access::Principal;
use crate::collab::discussions::activity;
use crate::collab::store::{ActivityRecord, ActivityScope};
use crate::error::{CoreError, CoreResult};
use crate::hub::Hub;
use crate::ports::{Repo, User};

/// Largest page of likers, liked repos or activity.
pub const MAX_PAGE: u64 = 1000;

impl Hub {
    /// Likes a repo the caller can see; liking twice changes nothing.
    pub async fn like(&self, principal: &Principal, repo: &Repo) -> CoreResult<()> {
        principal.check_read(repo)?;
        let user = principal.check_token_writes(Some(repo))?.clone();
        let entry = activity(repo, &user, "like", json!({}));
        self.meta.like(&user.id, &repo.id, &entry).await?;
        Ok(())
    }

    /// Unlikes; unliking a repo one does not like changes nothing.
    pub async fn unlike(&self, principal: &Principal, repo: &Repo) -> CoreResult<()> {
        principal.check_read(repo)?;
        let user = principal.check_token_writes(Some(repo))?;
        self.meta.unlike(&user.id, &repo.id).await?;
        Ok(())
    }

    pub async fn likers(
        &self,
        principal: &Principal,
        repo: &Repo,
        offset: u64,
        limit: u64,
    ) -> CoreResult<Vec<(User, i64)>> {
        principal.check_read(repo)?;
        Ok(self.meta.likers(&repo.id, offset, limit.min(MAX_PAGE)).await?)
    }

    /// What a user liked, among the repos the caller can see.
    pub async fn liked_repos(
        &self,
        principal: &Principal,
        user_name: &str,
        offset: u64,
        limit: u64,
    ) -> CoreResult<Vec<(Repo, i64)>> {
        let user = self.user_named(user_name).await?;
        let viewer = principal.user().map(|viewer| viewer.id.as_str());
        Ok(self.meta.liked_repos(&user.id, viewer, offset, limit.min(MAX_PAGE)).await?)
    }

    pub async fn repo_activity(
        &self,
        principal: &Principal,
        repo: &Repo,
        offset: u64,
        limit: u64,
    ) -> CoreResult<Vec<ActivityRecord>> {
        principal.check_read(repo)?;
        Ok(self.meta.list_activity(&ActivityScope::Repo(repo.id.clone()), offset, limit.min(MAX_PAGE)).await?)
    }

    /// A user's activity, on the repos the caller can see.
    pub async fn user_activity(
        &self,
        principal: &Principal,
        user_name: &str,
        offset: u64,
        limit: u64,
    ) -> CoreResult<Vec<ActivityRecord>> {
        let user = self.user_named(user_name).await?;
        let scope =
            ActivityScope::Actor { user_id: user.id, viewer_user_id: principal.user().map(|viewer| viewer.id.clone()) };
        Ok(self.meta.list_activity(&scope, offset, limit.min(MAX_PAGE)).await?)
    }

    pub(crate) async fn user_named(&self, name: &str) -> CoreResult<User> {
        self.meta.user_by_name(name).await?.ok_or_else(|| CoreError::NotFound(format!("User {name} not found")))
    }
}
