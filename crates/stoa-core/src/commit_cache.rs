//! A cache of what repo info needs at one commit: its metadata, card and file list. Commits are
//! immutable and keyed by their content hash, so an entry can never become stale, whichever
//! node writes next: only the ref-to-commit resolution, which is never cached, moves.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use crate::files::FileEntry;
use crate::ports::{CommitInfo, ObjectId};

/// Everything about one commit that repo info shows.
#[derive(Debug)]
pub struct CommitView {
    pub info: CommitInfo,
    pub card_data: Option<Map<String, Value>>,
    /// Files only (no folders), with LFS metadata.
    pub files: Vec<FileEntry>,
}

/// Bounded by the total number of files held, evicting the oldest entries first.
#[derive(Debug)]
pub(crate) struct CommitCache {
    inner: Mutex<CacheInner>,
    max_weight: usize,
}

#[derive(Debug, Default)]
struct CacheInner {
    entries: HashMap<(String, ObjectId), Arc<CommitView>>,
    order: VecDeque<(String, ObjectId)>,
    weight: usize,
}

fn weight_of(view: &CommitView) -> usize {
    view.files.len() + 1
}

impl CommitCache {
    pub(crate) fn new(max_weight: usize) -> Self {
        Self { inner: Mutex::default(), max_weight }
    }

    pub(crate) fn get(&self, repo_id: &str, commit: &ObjectId) -> Option<Arc<CommitView>> {
        let inner = self.inner.lock().expect("commit cache lock is never poisoned");
        inner.entries.get(&(repo_id.to_owned(), commit.clone())).cloned()
    }

    pub(crate) fn insert(&self, repo_id: &str, commit: &ObjectId, view: Arc<CommitView>) {
        let weight = weight_of(&view);
        if weight > self.max_weight {
            return;
        }
        let mut inner = self.inner.lock().expect("commit cache lock is never poisoned");
        let key = (repo_id.to_owned(), commit.clone());
        if inner.entries.contains_key(&key) {
            return;
        }
        while inner.weight + weight > self.max_weight {
            let Some(oldest) = inner.order.pop_front() else { break };
            if let Some(evicted) = inner.entries.remove(&oldest) {
                inner.weight -= weight_of(&evicted);
            }
        }
        inner.weight += weight;
        inner.order.push_back(key.clone());
        inner.entries.insert(key, view);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(files: usize) -> Arc<CommitView> {
        let oid = ObjectId::from_hex(&"a".repeat(40)).expect("valid");
        let info = CommitInfo {
            id: oid.clone(),
            title: String::new(),
            message: String::new(),
            time: 0,
            author: String::new(),
        };
        let file = FileEntry { path: "f".to_owned(), kind: crate::ports::EntryKind::File, oid, size: 0, lfs: None };
        Arc::new(CommitView { info, card_data: None, files: vec![file; files] })
    }

    #[test]
    fn oldest_entries_are_evicted_by_weight() {
        let cache = CommitCache::new(10);
        let commit = |c: char| ObjectId::from_hex(&c.to_string().repeat(40)).expect("valid");
        cache.insert("r", &commit('a'), view(4));
        cache.insert("r", &commit('b'), view(4));
        assert!(cache.get("r", &commit('a')).is_some());
        cache.insert("r", &commit('c'), view(4));
        assert!(cache.get("r", &commit('a')).is_none(), "oldest evicted");
        assert!(cache.get("r", &commit('c')).is_some());
        cache.insert("r", &commit('d'), view(50));
        assert!(cache.get("r", &commit('d')).is_none(), "too heavy to cache");
    }
}
