//! What pages compute from immutable things — a blob's highlighted HTML, a card rendered from a
//! README blob, the last commits of a folder at a commit, a commit's diff — kept in memory so that
//! a second view costs a lookup. Keys name content ids (blob and commit hashes), so an entry can
//! never go stale; the rights check happens before a page looks anything up. Bounded by an
//! estimate of the bytes held, the oldest entries leaving first.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

#[derive(Debug)]
pub(crate) struct BoundedCache<V> {
    capacity: usize,
    inner: Mutex<Inner<V>>,
}

#[derive(Debug)]
struct Inner<V> {
    entries: HashMap<String, (V, usize)>,
    order: VecDeque<String>,
    used: usize,
}

impl<V: Clone> BoundedCache<V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Self { capacity, inner: Mutex::new(Inner { entries: HashMap::new(), order: VecDeque::new(), used: 0 }) }
    }

    pub(crate) fn get(&self, key: &str) -> Option<V> {
        let inner = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.entries.get(key).map(|(value, _)| value.clone())
    }

    /// Keeps `value`, of about `weight` bytes, unless it alone would take over an eighth of the
    /// cache (one huge page must not flush everything else).
    pub(crate) fn insert(&self, key: String, value: V, weight: usize) {
        let weight = weight.saturating_add(key.len());
        if weight > self.capacity / 8 {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, old)) = inner.entries.insert(key.clone(), (value, weight)) {
            inner.used -= old;
        } else {
            inner.order.push_back(key);
        }
        inner.used += weight;
        while inner.used > self.capacity {
            let Some(oldest) = inner.order.pop_front() else { break };
            if let Some((_, freed)) = inner.entries.remove(&oldest) {
                inner.used -= freed;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::BoundedCache;

    #[test]
    fn the_oldest_entries_leave_first() {
        let cache = BoundedCache::new(800);
        cache.insert("a".to_owned(), 1, 99);
        cache.insert("b".to_owned(), 2, 99);
        assert_eq!(cache.get("a"), Some(1));
        for n in 0..7 {
            cache.insert(format!("{n}"), n, 99);
        }
        assert_eq!(cache.get("a"), None, "evicted");
        assert_eq!(cache.get("6"), Some(6));
        cache.insert("huge".to_owned(), 9, 500);
        assert_eq!(cache.get("huge"), None, "too big to keep");
    }
}
