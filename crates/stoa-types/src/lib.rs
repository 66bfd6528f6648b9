//! Wire types of the Hugging Face Hub API as `huggingface_hub` 2.4.0 reads them, and the validated
//! identifiers (repo ids, repo types, file paths) the rest of Stoa passes around.
//!
//! Nothing here performs I/O or knows about HTTP; the server crate turns these into responses.

pub mod ids;
pub mod time;
pub mod wire;

pub use ids::{IdError, RepoId, RepoPath, RepoType};
