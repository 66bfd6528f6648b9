//! CAS access tokens: stateless, signed with the instance key, scoped to one repo and to reading
//! or writing. The client treats them as opaque strings (xet.md §3.1).

use crate::signing::UrlSigner;

/// What a CAS token allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CasScope {
    pub repo_id: String,
    /// `None` for anonymous readers of public repos.
    pub user_id: Option<String>,
    pub write: bool,
}

const PREFIX: &str = "stx1";

fn purpose(scope: &CasScope) -> String {
    let kind = if scope.write { "w" } else { "r" };
    format!("xet-cas\n{kind}\n{}\n{}", scope.repo_id, scope.user_id.as_deref().unwrap_or("-"))
}

/// `stx1.<r|w>.<repo id>.<user id or ->.<expiry>.<signature>`; every field is alphanumeric.
#[must_use]
pub fn issue(signer: &UrlSigner, scope: &CasScope, expires: i64) -> String {
    let kind = if scope.write { "w" } else { "r" };
    let user = scope.user_id.as_deref().unwrap_or("-");
    let signature = signer.sign(&purpose(scope), expires);
    format!("{PREFIX}.{kind}.{}.{user}.{expires}.{signature}", scope.repo_id)
}

/// Checks format, signature and expiry.
#[must_use]
pub fn verify(signer: &UrlSigner, token: &str, now: i64) -> Option<CasScope> {
    let parts: Vec<&str> = token.split('.').collect();
    let [prefix, kind, repo_id, user, expires, signature] = parts.as_slice() else { return None };
    if *prefix != PREFIX {
        return None;
    }
    let write = match *kind {
        "w" => true,
        "r" => false,
        _ => return None,
    };
    let expires: i64 = expires.parse().ok()?;
    let user_id = (*user != "-").then(|| (*user).to_owned());
    let scope = CasScope { repo_id: (*repo_id).to_owned(), user_id, write };
    signer.verify(&purpose(&scope), expires, signature, now).then_some(scope)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_bind_repo_user_kind_and_expiry() {
        let signer = UrlSigner::new(b"key".to_vec());
        let scope = CasScope { repo_id: "abc".to_owned(), user_id: Some("u1".to_owned()), write: true };
        let token = issue(&signer, &scope, 100);
        assert_eq!(verify(&signer, &token, 50), Some(scope));
        assert_eq!(verify(&signer, &token, 101), None, "expired");
        assert_eq!(verify(&signer, &token.replace(".w.", ".r."), 50), None, "kind is signed");
        assert_eq!(verify(&signer, &token.replace(".abc.", ".abd."), 50), None, "repo is signed");
        assert_eq!(verify(&signer, "garbage", 50), None);
        let anonymous = CasScope { repo_id: "abc".to_owned(), user_id: None, write: false };
        assert_eq!(verify(&signer, &issue(&signer, &anonymous, 100), 50), Some(anonymous));
    }
}
