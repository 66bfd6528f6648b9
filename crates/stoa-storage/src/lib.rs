//! Large-object stores behind [`stoa_core::ports::BlobStore`]. Objects are immutable and keyed
//! by their SHA-256 (LFS) or Xet hash (xorbs), so writing the same key twice is harmless.
//! [`LocalBlobStore`] keeps them in the data dir; [`ObjectBlobStore`] in S3 or in memory.

mod local;
mod object;
mod pipeline;
mod verify;

pub use local::LocalBlobStore;
pub use object::{ObjectBlobStore, S3Settings};
