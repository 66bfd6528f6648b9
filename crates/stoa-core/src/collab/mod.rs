//! Working together on repos: discussions and pull requests, likes, collections, the activity
//! log, and the lifecycle operations (settings, move, duplicate, super-squash).

pub mod attachments;
pub mod collection_store;
pub mod collections;
pub mod discussions;
pub mod lifecycle;
pub mod likes;
pub mod pull_requests;
pub mod store;
