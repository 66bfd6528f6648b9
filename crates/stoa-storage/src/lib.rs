//! Large-object stores behind [`stoa_core::ports::BlobStore`]. Objects are immutable and keyed
//! by their SHA-256, so writing the same key twice is harmless.

mod local;
mod pipeline;

pub use local::LocalBlobStore;
