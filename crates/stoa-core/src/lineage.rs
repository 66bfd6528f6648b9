//! The model tree: parents declared by a card's `base_model` (with the relation inferred or
//! stated, see the cards module) are stored as the repo's tags `base_model:<relation>:<id>`
//! at every commit to `main`, so children are a tag lookup and ancestors a walk up the tags.
//! Everything is filtered by what the caller may see.

use std::collections::{BTreeMap, HashSet};

use crate::access::Principal;
use crate::error::{CoreError, CoreResult};
use crate::hub::Hub;
use crate::ports::{Repo, RepoQuery, RepoSort};
use stoa_types::RepoType;

pub const RELATIONS: [&str; 4] = ["adapter", "finetune", "merge", "quantized"];
/// How far up the tree is walked, and how many children are listed per relation.
const MAX_DEPTH: usize = 10;
const MAX_CHILDREN: u64 = 1000;

/// A declared parent: its id as the card names it, and the relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parent {
    pub id: String,
    pub relation: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ancestor {
    pub id: String,
    pub relation: String,
    pub depth: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lineage {
    pub parents: Vec<Parent>,
    pub ancestors: Vec<Ancestor>,
    pub children: Vec<Parent>,
    pub children_count: BTreeMap<&'static str, u64>,
    pub warnings: Vec<String>,
}

impl Lineage {
    /// The relation to the parents (one per repo: a merge of several, or one kind to one).
    #[must_use]
    pub fn relation(&self) -> Option<&str> {
        self.parents.first().map(|parent| parent.relation.as_str())
    }
}

/// Parents from a repo's tags `base_model:<relation>:<id>`.
#[must_use]
pub fn parents_of(tags: &[String]) -> Vec<Parent> {
    tags.iter()
        .filter_map(|tag| {
            let (relation, id) = tag.strip_prefix("base_model:")?.split_once(':')?;
            RELATIONS.contains(&relation).then(|| Parent { id: id.to_owned(), relation: relation.to_owned() })
        })
        .collect()
}

fn licenses_of(tags: &[String]) -> Vec<String> {
    tags.iter().filter_map(|tag| tag.strip_prefix("license:").map(str::to_owned)).collect()
}

impl Hub {
    async fn visible_model(&self, principal: &Principal, id: &str) -> Option<Repo> {
        self.find_repo(principal, RepoType::Model, id).await.ok()
    }

    /// Children of a model visible to the caller, for one relation.
    async fn children(&self, principal: &Principal, repo: &Repo, relation: &str) -> CoreResult<Vec<Repo>> {
        let query = RepoQuery {
            repo_type: RepoType::Model,
            search: Vec::new(),
            author: None,
            tags: vec![format!("base_model:{relation}:{}", repo.full_name())],
            sort: RepoSort::Id,
            descending: false,
            offset: 0,
            limit: MAX_CHILDREN,
            viewer_user_id: None,
        };
        self.list_repos(principal, query).await
    }

    /// Visible children of a model, all relations together (`childrenModelCount`).
    pub async fn children_model_count(&self, principal: &Principal, repo: &Repo) -> CoreResult<u64> {
        let mut count = 0;
        for relation in RELATIONS {
            count += self.children(principal, repo, relation).await?.len() as u64;
        }
        Ok(count)
    }

    /// The tree around a model: its parents and their ancestors, its children per relation,
    /// and warnings (unknown parents, licences that may conflict).
    pub async fn lineage(&self, principal: &Principal, repo: &Repo) -> CoreResult<Lineage> {
        if repo.repo_type != RepoType::Model {
            return Err(CoreError::bad_request("Lineage is tracked for models only"));
        }
        let mut lineage = Lineage { parents: parents_of(&repo.tags), ..Lineage::default() };
        let own_licenses = licenses_of(&repo.tags);
        let mut seen = HashSet::from([repo.full_name().to_ascii_lowercase()]);
        let mut level: Vec<Parent> = lineage.parents.clone();
        for depth in 1..=MAX_DEPTH {
            let mut next = Vec::new();
            for parent in level {
                if !seen.insert(parent.id.to_ascii_lowercase()) {
                    if depth == 1 {
                        lineage.warnings.push(format!("{} is listed as its own ancestor", parent.id));
                    }
                    continue;
                }
                let Some(found) = self.visible_model(principal, &parent.id).await else {
                    if depth == 1 {
                        lineage.warnings.push(format!("base model {} is not on this hub", parent.id));
                    }
                    continue;
                };
                if depth == 1
                    && let Some(conflict) = crate::cards::license_conflict(&own_licenses, &licenses_of(&found.tags))
                {
                    lineage.warnings.push(format!("{conflict} (base model {})", found.full_name()));
                }
                next.extend(parents_of(&found.tags));
                lineage.ancestors.push(Ancestor { id: found.full_name(), relation: parent.relation, depth });
            }
            if next.is_empty() {
                break;
            }
            level = next;
        }
        for relation in RELATIONS {
            let children = self.children(principal, repo, relation).await?;
            lineage.children_count.insert(relation, children.len() as u64);
            lineage
                .children
                .extend(children.iter().map(|child| Parent { id: child.full_name(), relation: relation.to_owned() }));
        }
        Ok(lineage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_come_from_relation_tags_only() {
        let tags: Vec<String> =
            ["base_model:alice/base", "base_model:quantized:alice/base", "base_model:cousin:x/y", "license:mit"]
                .map(str::to_owned)
                .to_vec();
        assert_eq!(parents_of(&tags), vec![Parent { id: "alice/base".to_owned(), relation: "quantized".to_owned() }]);
    }
}
