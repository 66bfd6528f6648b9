//! Collections: curated, ordered lists of repos with notes, owned by a namespace, public or
//! private. A slug is `{owner}/{title-in-kebab-case}-{24-hex id}`; the id alone identifies the
//! collection, so the slug of a renamed collection keeps working.

use stoa_types::RepoType;

use crate::access::Principal;
use crate::collab::collection_store::{
    Collection, CollectionPatch, CollectionQuery, CollectionSort, ItemRef, ItemTarget, NewCollection,
};
use crate::error::{CoreError, CoreResult};
use crate::hub::Hub;
use crate::ports::StoreError;
use crate::tokens::new_object_id;

const MAX_TITLE_CHARS: usize = 60;
const MAX_DESCRIPTION_CHARS: usize = 150;
const MAX_NOTE_CHARS: usize = 500;
const MAX_ITEMS: usize = 1000;
const THEMES: &[&str] = &["orange", "blue", "green", "purple", "pink", "indigo"];

/// What a caller asked for when creating a collection.
#[derive(Debug, Clone)]
pub struct CreateCollection {
    pub namespace: String,
    pub title: String,
    pub description: Option<String>,
    pub private: bool,
}

/// Why a creation failed because of the same title: the existing collection (its slug goes into
/// the 409 answer, which `exists_ok` reads).
#[derive(Debug)]
pub enum CreateOutcome {
    Created(Collection),
    Exists(Collection),
}

fn kebab(title: &str) -> String {
    let mut slug = String::new();
    for character in title.chars() {
        if character.is_ascii_alphanumeric() {
            slug.push(character.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() { "collection".to_owned() } else { slug.to_owned() }
}

fn slug_of(owner: &str, title: &str, id: &str) -> String {
    format!("{owner}/{}-{id}", kebab(title))
}

/// The id at the end of a slug.
fn id_of(slug: &str) -> Option<&str> {
    let id = slug.rsplit('-').next()?;
    (id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit())).then_some(id)
}

fn check_title(title: &str) -> CoreResult<String> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE_CHARS {
        return Err(CoreError::bad_request(format!("The title must be 1 to {MAX_TITLE_CHARS} characters")));
    }
    Ok(title.to_owned())
}

fn check_length(what: &str, text: Option<&str>, max: usize) -> CoreResult<()> {
    if text.is_some_and(|text| text.chars().count() > max) {
        return Err(CoreError::bad_request(format!("The {what} is limited to {max} characters")));
    }
    Ok(())
}

fn not_found() -> CoreError {
    CoreError::NotFound("Collection not found".to_owned())
}

impl Hub {
    pub async fn create_collection(
        &self,
        principal: &Principal,
        request: CreateCollection,
    ) -> CoreResult<CreateOutcome> {
        principal.check_namespace_write(&request.namespace)?;
        let title = check_title(&request.title)?;
        check_length("description", request.description.as_deref(), MAX_DESCRIPTION_CHARS)?;
        if let Some(existing) = self.meta.collection_by_title(&request.namespace, &title).await? {
            return Ok(CreateOutcome::Exists(existing));
        }
        let id = new_object_id();
        let owner = self.user_named(&request.namespace).await.map_or(request.namespace.clone(), |user| user.name);
        let new = NewCollection {
            slug: slug_of(&owner, &title, &id),
            id: id.clone(),
            owner,
            title: title.clone(),
            description: request.description.filter(|text| !text.trim().is_empty()),
            private: request.private,
            theme: THEMES[0].to_owned(),
            created_by: principal.user().expect("namespace writers are signed in").id.clone(),
            now: stoa_types::time::now_millis(),
        };
        match self.meta.create_collection(&new).await {
            Err(StoreError::AlreadyExists) => {
                let existing = self.meta.collection_by_title(&request.namespace, &title).await?;
                return existing.map(CreateOutcome::Exists).ok_or_else(not_found);
            }
            other => other?,
        }
        Ok(CreateOutcome::Created(self.meta.collection_by_id(&id).await?.ok_or_else(not_found)?))
    }

    /// A collection the caller may see, with only the items they may see.
    pub async fn get_collection(&self, principal: &Principal, slug: &str) -> CoreResult<Collection> {
        let id = id_of(slug).ok_or_else(not_found)?;
        let collection = self.meta.collection_by_id(id).await?.ok_or_else(not_found)?;
        self.visible_collection(principal, collection).ok_or_else(not_found)
    }

    fn visible_collection(&self, principal: &Principal, mut collection: Collection) -> Option<Collection> {
        let owner = principal.user().is_some_and(|user| user.name.eq_ignore_ascii_case(&collection.owner));
        if collection.private && !owner {
            return None;
        }
        let viewer = principal.user().map(|user| user.name.as_str());
        collection.items.retain(|item| match &item.target {
            ItemTarget::Repo(repo) => principal.check_read(repo).is_ok(),
            ItemTarget::Collection(child) => {
                !child.private || viewer.is_some_and(|name| name.eq_ignore_ascii_case(&child.owner))
            }
        });
        Some(collection)
    }

    /// A collection the caller owns (others get what a missing one answers, or 403 when it is
    /// public).
    async fn owned_collection(&self, principal: &Principal, slug: &str) -> CoreResult<Collection> {
        let collection = self.get_collection(principal, slug).await?;
        principal.check_namespace_write(&collection.owner)?;
        Ok(collection)
    }

    pub async fn list_collections(
        &self,
        principal: &Principal,
        owner: Option<&str>,
        item: Option<(RepoType, &str)>,
        sort: CollectionSort,
        limit: u64,
    ) -> CoreResult<Vec<Collection>> {
        let item_repo_id = match item {
            Some((repo_type, id)) => match self.find_repo(principal, repo_type, id).await {
                Ok(repo) => Some(repo.id),
                Err(CoreError::RepoNotFound) => return Ok(Vec::new()),
                Err(other) => return Err(other),
            },
            None => None,
        };
        let query = CollectionQuery {
            owner: owner.map(str::to_owned),
            item_repo_id,
            viewer: principal.user().map(|user| user.name.clone()),
            sort,
            limit: limit.clamp(1, 100),
        };
        let collections = self.meta.list_collections(&query).await?;
        Ok(collections.into_iter().filter_map(|collection| self.visible_collection(principal, collection)).collect())
    }

    pub async fn update_collection(
        &self,
        principal: &Principal,
        slug: &str,
        mut patch: CollectionPatch,
    ) -> CoreResult<Collection> {
        let collection = self.owned_collection(principal, slug).await?;
        if let Some(title) = &patch.title {
            let title = check_title(title)?;
            patch.slug = Some(slug_of(&collection.owner, &title, &collection.id));
            patch.title = Some(title);
        }
        check_length("description", patch.description.as_deref(), MAX_DESCRIPTION_CHARS)?;
        if patch.theme.as_deref().is_some_and(|theme| !THEMES.contains(&theme)) {
            return Err(CoreError::bad_request(format!("The theme must be one of {}", THEMES.join(", "))));
        }
        match self.meta.update_collection(&collection.id, &patch, stoa_types::time::now_millis()).await {
            Err(StoreError::AlreadyExists) => {
                return Err(CoreError::Conflict("You already have a collection with this title".to_owned()));
            }
            other => other?,
        }
        self.get_collection(principal, &collection.id).await
    }

    pub async fn delete_collection(&self, principal: &Principal, slug: &str) -> CoreResult<()> {
        let collection = self.owned_collection(principal, slug).await?;
        self.meta.delete_collection(&collection.id).await?;
        Ok(())
    }

    pub async fn add_collection_item(
        &self,
        principal: &Principal,
        slug: &str,
        item_type: &str,
        item_id: &str,
        note: Option<&str>,
    ) -> CoreResult<Collection> {
        let collection = self.owned_collection(principal, slug).await?;
        check_length("note", note, MAX_NOTE_CHARS)?;
        if collection.items.len() >= MAX_ITEMS {
            return Err(CoreError::bad_request(format!("A collection holds at most {MAX_ITEMS} items")));
        }
        let is_collection = item_type == "collection";
        let target_id = if is_collection {
            let child = self.get_collection(principal, item_id).await?;
            if child.id == collection.id {
                return Err(CoreError::bad_request("A collection cannot contain itself"));
            }
            child.id
        } else {
            let repo_type = RepoType::parse(item_type).map_err(|_| {
                CoreError::bad_request(format!(
                    "Items of type '{item_type}' are not supported: use model, dataset, space or collection"
                ))
            })?;
            self.find_repo(principal, repo_type, item_id).await?.id
        };
        let target = if is_collection { ItemRef::Collection(&target_id) } else { ItemRef::Repo(&target_id) };
        let now = stoa_types::time::now_millis();
        match self.meta.add_collection_item(&collection.id, &new_object_id(), target, note, now).await {
            Err(StoreError::AlreadyExists) => {
                return Err(CoreError::Conflict(format!("{item_id} is already in this collection")));
            }
            other => other?,
        }
        self.get_collection(principal, &collection.id).await
    }

    pub async fn update_collection_item(
        &self,
        principal: &Principal,
        slug: &str,
        item_id: &str,
        note: Option<&str>,
        position: Option<i64>,
    ) -> CoreResult<()> {
        let collection = self.owned_collection(principal, slug).await?;
        check_length("note", note, MAX_NOTE_CHARS)?;
        let now = stoa_types::time::now_millis();
        if !self.meta.update_collection_item(&collection.id, item_id, note, position, now).await? {
            return Err(CoreError::NotFound("Item not found in this collection".to_owned()));
        }
        Ok(())
    }

    pub async fn delete_collection_item(&self, principal: &Principal, slug: &str, item_id: &str) -> CoreResult<()> {
        let collection = self.owned_collection(principal, slug).await?;
        let now = stoa_types::time::now_millis();
        if !self.meta.delete_collection_item(&collection.id, item_id, now).await? {
            return Err(CoreError::NotFound("Item not found in this collection".to_owned()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_end_with_the_id() {
        let id = "0123456789abcdef01234567";
        let slug = slug_of("alice", "My Cool Stuff!", id);
        assert_eq!(slug, format!("alice/my-cool-stuff-{id}"));
        assert_eq!(id_of(&slug), Some(id));
        assert_eq!(id_of("alice/whatever"), None);
        assert_eq!(kebab("***"), "collection");
    }
}
