//! Dates in the one format the client accepts: ISO-8601 UTC ending in `Z`.

use chrono::{DateTime, SecondsFormat, TimeZone, Utc};

/// Formats unix seconds as `2024-05-01T12:00:00.000Z`.
#[must_use]
pub fn format_unix(seconds: i64) -> String {
    let date = Utc.timestamp_opt(seconds, 0).single().unwrap_or(DateTime::UNIX_EPOCH);
    date.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Formats unix milliseconds like [`format_unix`].
#[must_use]
pub fn format_millis(millis: i64) -> String {
    let date = Utc.timestamp_millis_opt(millis).single().unwrap_or(DateTime::UNIX_EPOCH);
    date.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Current time in unix milliseconds.
#[must_use]
pub fn now_millis() -> i64 {
    Utc::now().timestamp_millis()
}

/// Current time in unix seconds.
#[must_use]
pub fn now_unix() -> i64 {
    Utc::now().timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_end_with_z() {
        assert_eq!(format_unix(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(format_unix(1_714_564_800), "2024-05-01T12:00:00.000Z");
    }
}
