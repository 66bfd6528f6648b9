//! Secrets in pushed text (security.md §4): Hugging Face tokens (TruffleHog's rule: `hf_` or
//! `api_org_` and exactly 34 letters or digits on word boundaries) and a curated subset of
//! gitleaks' rules (AWS, GitHub, OpenAI, Slack, PEM private keys, JWTs). Matching is linear
//! time (`regex`, ASCII only, bounded automata); binary files are skipped and only the first
//! 10 MiB are read. Placeholders (`hf_xxxx…`, `AKIAIOSFODNN7EXAMPLE`, runs of one character,
//! `abcdefgh…`) are skipped, as gitleaks and TruffleHog do. Not detected (documented): secrets
//! split across lines or inside base64. Nothing is verified against providers.

use std::sync::LazyLock;

use regex::bytes::{Regex, RegexBuilder};

/// Text past this is not read.
pub const MAX_SCAN_BYTES: usize = 10 << 20;
/// A NUL byte in this prefix marks a binary file, which is skipped.
const BINARY_SNIFF: usize = 8 << 10;
/// Characters of a secret shown in a finding.
const SHOWN: usize = 6;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretFinding {
    /// The rule: `huggingface-token`, `aws-access-key-id`, `github-token`, `private-key`...
    pub kind: &'static str,
    /// 1-based line of the secret's first byte.
    pub line: usize,
    /// The first six characters and an ellipsis, never the secret.
    pub redacted: String,
}

/// (kind, pattern, length of the fixed prefix the placeholder checks skip). The word boundary
/// before a match is checked in code (see [`starts_a_word`]).
const RULES: &[(&str, &str, usize)] = &[
    ("huggingface-token", r"hf_[A-Za-z0-9]{34}\b", 3),
    ("huggingface-org-token", r"api_org_[A-Za-z0-9]{34}\b", 8),
    ("aws-access-key-id", r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b", 4),
    ("github-token", r"gh[pousr]_[A-Za-z0-9]{36}\b", 4),
    ("github-fine-grained-token", r"github_pat_[A-Za-z0-9_]{82}\b", 11),
    // "T3BlbkFJ" is "OpenAI" in base64, inside every generation of OpenAI keys.
    ("openai-key", r"sk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{20,74}T3BlbkFJ[A-Za-z0-9_-]{20,74}", 3),
    ("slack-token", r"xox[abeoprs]-[0-9]{6,}-[0-9A-Za-z-]{10,}", 5),
    ("slack-webhook", r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,56}", 30),
    ("private-key", r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----", 0),
    ("jwt", r"eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}", 0),
];

/// Words that mark a documentation example rather than a secret.
const PLACEHOLDER_WORDS: &[&str] = &["xxxx", "example", "placeholder", "your", "dummy", "redacted", "sample"];

static COMPILED: LazyLock<Vec<(&'static str, Regex, usize)>> = LazyLock::new(|| {
    RULES
        .iter()
        .filter_map(|(kind, pattern, prefix)| {
            let regex = RegexBuilder::new(pattern).unicode(false).size_limit(1 << 20).dfa_size_limit(1 << 20).build();
            regex.ok().map(|regex| (*kind, regex, *prefix))
        })
        .collect()
});

/// Finds secrets in a text file; nothing for binary files.
#[must_use]
pub fn find_secrets(text: &[u8]) -> Vec<SecretFinding> {
    if text[..text.len().min(BINARY_SNIFF)].contains(&0) {
        return Vec::new();
    }
    let text = &text[..text.len().min(MAX_SCAN_BYTES)];
    let newlines: Vec<usize> = text.iter().enumerate().filter(|(_, byte)| **byte == b'\n').map(|(at, _)| at).collect();
    let mut findings: Vec<(usize, SecretFinding)> = Vec::new();
    for (kind, regex, prefix) in COMPILED.iter() {
        for found in regex.find_iter(text) {
            let secret = found.as_bytes();
            if !starts_a_word(text, found.start()) {
                continue;
            }
            let real = if *kind == "private-key" {
                has_key_body(&text[found.end()..])
            } else {
                !is_placeholder(secret.get(*prefix..).unwrap_or_default())
            };
            if real {
                let line = newlines.partition_point(|newline| *newline < found.start()) + 1;
                let shown = String::from_utf8_lossy(&secret[..secret.len().min(SHOWN)]).into_owned();
                findings.push((found.start(), SecretFinding { kind, line, redacted: format!("{shown}…") }));
            }
        }
    }
    findings.sort_by_key(|(start, _)| *start);
    findings.into_iter().map(|(_, finding)| finding).collect()
}

/// Whether a match starting with a word character starts a word: at the start, after a
/// non-word byte, or after a JSON/Python escape (`\n`, `\t`, `\r`: a notebook's output
/// lines are JSON strings).
fn starts_a_word(text: &[u8], start: usize) -> bool {
    let word = |byte: u8| byte.is_ascii_alphanumeric() || byte == b'_';
    if !text.get(start).copied().is_some_and(word) || start == 0 || !word(text[start - 1]) {
        return true;
    }
    start >= 2 && text[start - 2] == b'\\' && matches!(text[start - 1], b'n' | b't' | b'r')
}

/// A PEM header followed, within a few lines, by base64 key material (not `...`).
fn has_key_body(after: &[u8]) -> bool {
    after[..after.len().min(1024)].split(|byte| *byte == b'\n').skip(1).take(4).any(|line| {
        line.iter().filter(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'/')).count() >= 40
    })
}

/// A body of one repeated character, a known placeholder word, an ascending run
/// (`abcdefgh`, `12345678`), or too little entropy to be random.
fn is_placeholder(body: &[u8]) -> bool {
    if body.is_empty() {
        return true;
    }
    let lower = body.to_ascii_lowercase();
    if PLACEHOLDER_WORDS.iter().any(|word| lower.windows(word.len()).any(|window| window == word.as_bytes())) {
        return true;
    }
    let mut counts = [0usize; 256];
    for byte in body {
        counts[usize::from(*byte)] += 1;
    }
    if counts.iter().any(|count| count * 10 > body.len() * 4) {
        return true;
    }
    let ascending = body.windows(2).map(|pair| pair[1] == pair[0].wrapping_add(1)).collect::<Vec<_>>();
    if ascending.split(|up| !up).any(|run| run.len() >= 7) {
        return true;
    }
    let length = body.len() as f64;
    let entropy: f64 = counts
        .iter()
        .filter(|count| **count > 0)
        .map(|count| {
            let p = *count as f64 / length;
            -p * p.log2()
        })
        .sum();
    entropy < 2.5
}

#[cfg(test)]
mod tests {
    use super::*;

    // Built at run time so that this file holds no token-shaped literal.
    fn token(prefix: &str, body: &str) -> String {
        format!("{prefix}{body}")
    }

    const RANDOM34: &str = "Qm7vT2kLx9PzR4nWc8JhY3bDs6FgA1eUoK";

    fn kinds(text: &str) -> Vec<(&'static str, usize)> {
        find_secrets(text.as_bytes()).into_iter().map(|finding| (finding.kind, finding.line)).collect()
    }

    #[test]
    fn every_rule_compiles() {
        assert_eq!(COMPILED.len(), RULES.len());
    }

    #[test]
    fn a_huggingface_token_in_a_readme_is_found_and_redacted() {
        let hf = token("hf_", RANDOM34);
        let text = format!("# Model\n\nUse it:\n\n    export HF_TOKEN={hf}\n");
        let findings = find_secrets(text.as_bytes());
        assert_eq!(findings.len(), 1);
        assert_eq!((findings[0].kind, findings[0].line), ("huggingface-token", 5));
        assert_eq!(findings[0].redacted, format!("{}…", &hf[..6]));
        assert!(!findings[0].redacted.contains(&hf[6..]));
    }

    #[test]
    fn a_token_in_a_json_value_is_found() {
        let text = format!("{{\n  \"model_type\": \"bert\",\n  \"token\": \"{}\"\n}}\n", token("api_org_", RANDOM34));
        assert_eq!(kinds(&text), [("huggingface-org-token", 3)]);
        // In a notebook output cell (JSON-escaped newline before it).
        let notebook = format!("{{\"outputs\": [{{\"text\": [\"login ok\\n{}\"]}}]}}", token("hf_", RANDOM34));
        assert_eq!(kinds(&notebook), [("huggingface-token", 1)]);
    }

    #[test]
    fn placeholders_are_skipped() {
        for body in [
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
            "abcdefghijklmnopqrstuvwxyzABCDEFGH",
            "YourTokenHereYourTokenHereYourToke",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
        ] {
            assert!(kinds(&token("hf_", body)).is_empty(), "{body}");
        }
        assert!(kinds(&token("AKIA", "IOSFODNN7EXAMPLE")).is_empty());
    }

    #[test]
    fn lengths_and_boundaries_are_exact() {
        // 35 characters: not a token (a longer identifier).
        assert!(kinds(&token("hf_", &format!("{RANDOM34}Z"))).is_empty());
        assert!(kinds(&token("hf_", &RANDOM34[..33])).is_empty());
        assert!(kinds(&token("xhf_", RANDOM34)).is_empty());
        assert_eq!(kinds(&format!("token='{}';", token("hf_", RANDOM34))), [("huggingface-token", 1)]);
    }

    #[test]
    fn the_other_providers_are_found() {
        let jwt_part = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
        let text = [
            format!("aws = {}", token("AKIA", "Z3QH7W2LKD5XGMPR")),
            format!("gh = {}", token("ghp_", "Tq8Wm2Zx7Lp4Kv9Rn3Bc6Yd1Hf5Js0GaUe2X")),
            format!("pat = {}", token("github_pat_", &"aB3dE5gH7jK9mN1pQ3sT5v".repeat(4)[..82])),
            format!("openai = {}", token("sk-proj-", "Zr8Tq2Lm5Xv9Kp3Wn7Bc1T3BlbkFJYd4Hf6Js0Ga8Ue2Rk7Mx")),
            format!("slack = {}", token("xoxb-", "730192845617-5829301746258-Ab3De5Gh7Jk9Mn1Pq3St5Vw")),
            format!(
                "jwt = {jwt_part}.{}.{}",
                "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ", "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
            ),
        ]
        .join("\n");
        let found: Vec<&str> = kinds(&text).into_iter().map(|(kind, _)| kind).collect();
        assert_eq!(
            found,
            ["aws-access-key-id", "github-token", "github-fine-grained-token", "openai-key", "slack-token", "jwt"]
        );
    }

    #[test]
    fn private_keys_need_key_material() {
        let body = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj";
        let key = format!("x\n{}\n{body}\n-----END PRIVATE KEY-----\n", "-----BEGIN RSA PRIVATE KEY-----");
        assert_eq!(kinds(&key), [("private-key", 2)]);
        let docs = "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n";
        assert!(kinds(docs).is_empty());
    }

    #[test]
    fn binary_files_are_skipped_and_large_files_bounded() {
        let mut binary = b"\x00\x01".to_vec();
        binary.extend_from_slice(token("hf_", RANDOM34).as_bytes());
        assert!(find_secrets(&binary).is_empty());

        let mut large = vec![b'a'; MAX_SCAN_BYTES];
        large.extend_from_slice(format!(" {}", token("hf_", RANDOM34)).as_bytes());
        assert!(find_secrets(&large).is_empty(), "past the cap");
        large.truncate(MAX_SCAN_BYTES - 100);
        large.extend_from_slice(format!("\n{}\n", token("hf_", RANDOM34)).as_bytes());
        assert_eq!(find_secrets(&large).len(), 1);
    }
}
