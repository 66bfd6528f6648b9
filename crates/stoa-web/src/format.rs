//! Small formatting for pages: sizes, dates, counts and URLs.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use stoa_types::RepoType;

/// Bytes as people read them: `512 B`, `1.5 kB`, `3.2 GB` (decimal units, as the Hub shows).
pub(crate) fn size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["kB", "MB", "GB", "TB", "PB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if value < 10.0 { format!("{value:.2} {}", UNITS[unit]) } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// A count in the Hub's short form: `950`, `1.2k`, `3.4M`, `7.24B`.
pub(crate) fn count(value: u128) -> String {
    let as_float = value as f64;
    match value {
        0..1_000 => value.to_string(),
        1_000..1_000_000 => format!("{:.1}k", as_float / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1}M", as_float / 1e6),
        _ => format!("{:.2}B", as_float / 1e9),
    }
}

/// How long ago a time in milliseconds since the epoch was: `just now`, `5 minutes ago`, ... .
pub(crate) fn ago(millis: i64, now_millis: i64) -> String {
    let seconds = (now_millis - millis).max(0) / 1000;
    let (amount, unit) = match seconds {
        0..60 => return "just now".to_owned(),
        60..3_600 => (seconds / 60, "minute"),
        3_600..86_400 => (seconds / 3_600, "hour"),
        86_400..2_592_000 => (seconds / 86_400, "day"),
        2_592_000..31_536_000 => (seconds / 2_592_000, "month"),
        _ => (seconds / 31_536_000, "year"),
    };
    format!("{amount} {unit}{} ago", if amount == 1 { "" } else { "s" })
}

/// A calendar date (UTC) for a time in milliseconds.
pub(crate) fn date(millis: i64) -> String {
    chrono::DateTime::from_timestamp_millis(millis)
        .map_or_else(String::new, |time| time.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// Characters kept as they are in one path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// One URL segment: a revision such as `refs/pr/1` becomes `refs%2Fpr%2F1`.
pub(crate) fn segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// A repo path in a URL: each component encoded, `/` kept.
pub(crate) fn path(text: &str) -> String {
    text.split('/').map(segment).collect::<Vec<_>>().join("/")
}

/// The web path of a repo: `/owner/name`, `/datasets/owner/name`, `/spaces/owner/name`.
pub(crate) fn repo_url(repo_type: RepoType, full_name: &str) -> String {
    format!("/{}{}", repo_type.web_prefix(), path(full_name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_counts() {
        assert_eq!(size(999), "999 B");
        assert_eq!(size(1_500), "1.50 kB");
        assert_eq!(size(3_200_000_000), "3.20 GB");
        assert_eq!(count(7_241_732_096), "7.24B");
        assert_eq!(count(1_200), "1.2k");
    }

    #[test]
    fn urls() {
        assert_eq!(segment("refs/pr/1"), "refs%2Fpr%2F1");
        assert_eq!(path("a b/c.txt"), "a%20b/c.txt");
        assert_eq!(repo_url(RepoType::Dataset, "o/n"), "/datasets/o/n");
    }

    #[test]
    fn relative_times() {
        assert_eq!(ago(0, 30_000), "just now");
        assert_eq!(ago(0, 120_000), "2 minutes ago");
        assert_eq!(ago(0, 86_400_000), "1 day ago");
    }
}
