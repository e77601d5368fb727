//! Time as the database stores it: milliseconds since the Unix epoch in a
//! BIGINT, the one timestamp type both SQLite and PostgreSQL read alike.

use chrono::{DateTime, SecondsFormat, Utc};

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Formats stored milliseconds as RFC 3339 (UTC) for API answers.
pub fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}
