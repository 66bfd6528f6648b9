//! How lists are flattened into text columns, shared by every backend so that rows mean the
//! same thing whichever database holds them (and can be copied from one to the other).

/// Separates tags: a control character (unit separator) that card tags do not contain in practice.
pub(crate) const TAG_SEPARATOR: char = '\u{1f}';

/// The current day number, for the rolling 30-day download window.
pub(crate) fn today() -> i64 {
    stoa_types::time::now_unix().div_euclid(86_400)
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern matching `term` anywhere.
pub(crate) fn like_pattern(term: &str) -> String {
    format!("%{}%", like_escape(&term.to_lowercase()))
}

/// `text` with `%`, `_` and `\` escaped for a `LIKE ... ESCAPE '\'` pattern.
pub(crate) fn like_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        if matches!(character, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

/// A repo's tags as the listing query aggregates them (`None` when it has none).
pub(crate) fn repo_tags(text: Option<String>) -> Vec<String> {
    text.filter(|text| !text.is_empty())
        .map(|text| text.split(TAG_SEPARATOR).map(str::to_owned).collect())
        .unwrap_or_default()
}

pub(crate) fn encode_intent_tags(tags: Option<&Vec<String>>) -> Option<String> {
    tags.map(|tags| tags.join(&TAG_SEPARATOR.to_string()))
}

pub(crate) fn decode_intent_tags(text: Option<String>) -> Option<Vec<String>> {
    text.map(|text| text.split(TAG_SEPARATOR).filter(|tag| !tag.is_empty()).map(str::to_owned).collect())
}

pub(crate) fn encode_oids(oids: &[String]) -> String {
    oids.join(",")
}

pub(crate) fn decode_oids(text: &str) -> Vec<String> {
    text.split(',').filter(|oid| !oid.is_empty()).map(str::to_owned).collect()
}

/// `sha256:file_hash` pairs, comma-separated.
pub(crate) fn encode_xet_files(pairs: &[(String, String)]) -> String {
    pairs.iter().map(|(sha, file)| format!("{sha}:{file}")).collect::<Vec<_>>().join(",")
}

pub(crate) fn decode_xet_files(text: Option<String>) -> Vec<(String, String)> {
    text.unwrap_or_default()
        .split(',')
        .filter_map(|pair| pair.split_once(':'))
        .map(|(sha, file)| (sha.to_owned(), file.to_owned()))
        .collect()
}

/// A token's role and fine-grained scopes as both backends store them (text, JSON text).
pub(crate) fn token_role_and_scopes(
    role: &str,
    scopes: Option<&str>,
) -> Result<(stoa_core::ports::TokenRole, Option<stoa_core::identity::FineGrained>), stoa_core::ports::StoreError> {
    let backend = stoa_core::ports::StoreError::Backend;
    let role =
        stoa_core::ports::TokenRole::parse(role).ok_or_else(|| backend(format!("unknown token role '{role}'")))?;
    let scopes = scopes
        .map(serde_json::from_str)
        .transpose()
        .map_err(|error| backend(format!("stored token scopes are invalid: {error}")))?;
    Ok((role, scopes))
}

/// JSON columns (event data, activity data) are TEXT in both backends.
pub(crate) fn json_text(value: &serde_json::Value) -> String {
    value.to_string()
}

pub(crate) fn json_value(text: &str) -> Result<serde_json::Value, stoa_core::ports::StoreError> {
    serde_json::from_str(text)
        .map_err(|error| stoa_core::ports::StoreError::Backend(format!("stored JSON is invalid: {error}")))
}

/// Counts and numbers are unsigned in the domain and BIGINT in the database.
pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

pub(crate) fn num_from(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}

/// A commit's pull request event, stored as JSON with its intent.
pub(crate) fn encode_pr_event(event: Option<&stoa_core::collab::store::PullRequestEvent>) -> Option<String> {
    event.and_then(|event| serde_json::to_string(event).ok())
}

pub(crate) fn decode_pr_event(text: Option<String>) -> Option<stoa_core::collab::store::PullRequestEvent> {
    text.and_then(|text| serde_json::from_str(&text).ok())
}

/// A commit's activity entry, stored as JSON with its intent.
pub(crate) fn encode_activity(entry: Option<&stoa_core::collab::store::ActivityEntry>) -> Option<String> {
    entry.and_then(|entry| serde_json::to_string(entry).ok())
}

/// An unreadable entry is dropped rather than blocking the commit's recovery.
pub(crate) fn decode_activity(text: Option<String>) -> Option<stoa_core::collab::store::ActivityEntry> {
    text.and_then(|text| serde_json::from_str(&text).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_pattern("Bert_%"), "%bert\\_\\%%");
    }

    #[test]
    fn intent_lists_round_trip() {
        let tags = vec!["a b".to_owned(), "c".to_owned()];
        assert_eq!(decode_intent_tags(encode_intent_tags(Some(&tags))), Some(tags));
        assert_eq!(decode_intent_tags(encode_intent_tags(Some(&Vec::new()))), Some(Vec::new()));
        assert_eq!(decode_oids(&encode_oids(&[])), Vec::<String>::new());
        let pairs = vec![("s1".to_owned(), "f1".to_owned()), ("s2".to_owned(), "f2".to_owned())];
        assert_eq!(decode_xet_files(Some(encode_xet_files(&pairs))), pairs);
    }
}
