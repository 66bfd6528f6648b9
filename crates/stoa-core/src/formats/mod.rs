//! Parsers of the file formats the hub reads to describe artifacts (issue 8): safetensors
//! headers now; GGUF headers and pickle scanning next.

mod compressed;
pub mod containers;
pub mod gguf;
mod numpy;
pub mod pickle;
pub mod safetensors;
pub mod secrets;
mod zip;
