//! Parsers of the file formats the hub reads to describe artifacts (issue 8): safetensors
//! headers now; GGUF headers and pickle scanning next.

pub mod gguf;
pub mod pickle;
pub mod safetensors;
