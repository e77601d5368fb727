//! A window of whole UTC days ending today, as the stats reads take it
//! (`?days=N`), and the day arithmetic they share.

use crate::error::ApiError;
use crate::time::{now_ms, rfc3339};
use std::collections::HashMap;

/// Milliseconds in a day.
pub const DAY_MS: i64 = 24 * 60 * 60 * 1000;

/// Most days one read covers.
pub const MAX_DAYS: i64 = 366;

/// The UTC day (days since the epoch) of a Unix-ms time.
pub fn day_of(ms: i64) -> i64 {
    ms.div_euclid(DAY_MS)
}

/// The UTC date of a day number, `YYYY-MM-DD`.
pub fn date(day: i64) -> String {
    rfc3339(day * DAY_MS)[..10].to_string()
}

/// Days `from..=to` (day numbers), `days` of them, the last one today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// How many days.
    pub days: i64,
    /// The first day.
    pub from: i64,
    /// Today.
    pub to: i64,
}

impl Window {
    /// `?days=N`: 1 to 366, 30 by default; anything else is a 400 on `days`.
    pub fn from_query(query: &HashMap<String, String>) -> Result<Self, ApiError> {
        let days = match query.get("days") {
            None => 30,
            Some(n) => n
                .parse::<i64>()
                .ok()
                .filter(|n| (1..=MAX_DAYS).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid(
                        "days",
                        format!("must be a whole number from 1 to {MAX_DAYS}"),
                    )
                })?,
        };
        let to = day_of(now_ms());
        Ok(Self {
            days,
            from: to - days + 1,
            to,
        })
    }

    /// The window's first instant (Unix ms).
    pub fn start_ms(&self) -> i64 {
        self.from * DAY_MS
    }

    /// Every day of the window, in order.
    pub fn each(&self) -> impl Iterator<Item = i64> {
        self.from..=self.to
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_dates() {
        assert_eq!(day_of(0), 0);
        assert_eq!(day_of(DAY_MS - 1), 0);
        assert_eq!(day_of(-1), -1);
        assert_eq!(date(20_000), "2024-10-04");
    }

    #[test]
    fn the_window_from_the_query() {
        let q = |v: &str| HashMap::from([("days".to_string(), v.to_string())]);
        let w = Window::from_query(&HashMap::new()).expect("default");
        assert_eq!((w.days, w.to - w.from + 1), (30, 30));
        assert_eq!(Window::from_query(&q("1")).expect("1").from, w.to);
        for bad in ["0", "367", "-3", "x", "1.5"] {
            assert!(Window::from_query(&q(bad)).is_err(), "{bad}");
        }
    }
}
