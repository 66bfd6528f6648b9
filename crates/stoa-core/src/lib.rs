//! Stoa's domain logic. It decides who may do what, what a commit means and how files are
//! stored, and talks to the outside world only through the ports in [`ports`]: a metadata
//! store, a git store and a large-object store. No HTTP and no SQL live here.

pub mod access;
pub mod cards;
pub mod collab;
pub mod commit;
pub mod commit_cache;
pub mod coordination;
pub mod download_rules;
pub mod error;
pub mod files;
pub mod formats;
pub mod gitattributes;
pub mod hub;
pub mod identity;
pub mod jobs;
pub mod lfs;
pub mod lfs_batch;
pub mod lineage;
pub mod markdown;
pub mod ndjson;
pub mod ports;
pub mod push;
mod ref_update;
pub mod refs;
pub mod repos;
pub mod scan;
pub mod signing;
pub mod tokens;
pub mod xet;

/// The module's former name, kept so callers written against it still build.
pub use cards as card;
pub use error::{CoreError, ErrorCode};
pub use hub::{Hub, HubSettings};
