//! Access tokens: generated in the Hub's shape, stored only as a SHA-256 digest.
//!
//! Tokens carry about 200 bits of entropy, so a fast hash is enough: a slow password hash would
//! add nothing against guessing and would cost every request.

use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};

const TOKEN_BODY_LEN: usize = 34;

/// A new random token: `hf_` followed by 34 alphanumerics.
#[must_use]
pub fn generate_token() -> String {
    let body: String = rand::rng().sample_iter(&Alphanumeric).take(TOKEN_BODY_LEN).map(char::from).collect();
    format!("hf_{body}")
}

/// The digest under which a token is stored and looked up.
#[must_use]
pub fn hash_token(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A random 24-hex id, the shape of the Hub's `_id` fields.
#[must_use]
pub fn new_object_id() -> String {
    let bytes: [u8; 12] = rand::rng().random();
    hex::encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_hub_shape() {
        let token = generate_token();
        assert_eq!(token.len(), 37);
        assert!(token.starts_with("hf_"));
        assert!(token[3..].bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(generate_token(), token);
        assert_eq!(hash_token(&token).len(), 64);
        assert_eq!(new_object_id().len(), 24);
    }
}
