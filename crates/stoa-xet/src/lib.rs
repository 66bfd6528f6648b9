//! Xet formats for Stoa, behind Stoa's own types: hashes in the Xet hex form, xorbs verified in
//! one bounded pass, and shards parsed with a size budget. This is the only crate that names
//! `xet-core-structures`, so the next upstream API change touches nothing else.
//!
//! Two functions of the upstream crate are deliberately not used on client input (see
//! `docs/design/xet-plan.md` §3): `reconstruct_xorb_with_footer`, which trusts chunk headers and
//! inflates LZ4 without bound, and the synchronous shard parsers, which allocate what a hostile
//! header asks for.

mod dedup;
mod hash;
mod shard;
mod xorb;

pub use dedup::{build_dedup_answer, is_global_dedup_eligible};
pub use hash::XetHash;
pub use shard::{MAX_SHARD_BYTES, ParsedShard, ShardFile, ShardSegment, parse_shard};
pub use xorb::{MAX_XORB_BYTES, VerifiedXorb, decode_chunk_run, stored_chunk_len, verify_xorb};

/// Why client-supplied Xet data was refused. Texts go back to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XetError {
    #[error("invalid xorb: {0}")]
    Xorb(String),
    #[error("the xorb's content hashes to {computed}, not to its name {claimed}")]
    XorbHashMismatch { claimed: String, computed: String },
    #[error("invalid shard: {0}")]
    Shard(String),
}
