//! Self-authorising URLs. LFS upload and part URLs are called without a token (hub-api.md
//! §3.12), so they carry an expiry and an HMAC-SHA256 over what they allow.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Signs and checks `(purpose, expiry)` pairs with the instance's secret key.
#[derive(Clone)]
pub struct UrlSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for UrlSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UrlSigner { key: <redacted> }")
    }
}

impl UrlSigner {
    #[must_use]
    pub fn new(key: Vec<u8>) -> Self {
        Self { key }
    }

    fn mac(&self, purpose: &str, expires: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC accepts keys of any length");
        mac.update(purpose.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    /// Hex signature for `purpose`, valid until `expires` (unix seconds).
    #[must_use]
    pub fn sign(&self, purpose: &str, expires: i64) -> String {
        hex::encode(self.mac(purpose, expires).finalize().into_bytes())
    }

    /// Constant-time check of the signature and of the expiry.
    #[must_use]
    pub fn verify(&self, purpose: &str, expires: i64, signature: &str, now: i64) -> bool {
        if expires < now {
            return false;
        }
        let Ok(bytes) = hex::decode(signature) else {
            return false;
        };
        self.mac(purpose, expires).verify_slice(&bytes).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_bind_purpose_and_expiry() {
        let signer = UrlSigner::new(b"secret".to_vec());
        let signature = signer.sign("upload:abc:3", 100);
        assert!(signer.verify("upload:abc:3", 100, &signature, 50));
        assert!(!signer.verify("upload:abc:4", 100, &signature, 50));
        assert!(!signer.verify("upload:abc:3", 101, &signature, 50));
        assert!(!signer.verify("upload:abc:3", 100, &signature, 101));
        assert!(!signer.verify("upload:abc:3", 100, "zz", 50));
    }
}
