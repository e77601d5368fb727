//! Reading a push service's answer, without I/O, into what it means
//! (autopush-rs's way): either the message was accepted, or a
//! [`PushError`] whose kind knows whether to retry, when, and which metric
//! label counts it.

use http::header::RETRY_AFTER;
use std::time::{Duration, SystemTime};

/// Back-off when a 429/503 carries no usable `Retry-After`.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Why a push did not go through.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// 404/410: the subscription is gone for good (rule 3).
    #[error("the push service says the subscription is gone ({status})")]
    Gone {
        /// 404 or 410.
        status: u16,
    },
    /// 401/403: the push service refused Herald's VAPID credentials.
    #[error("the push service refused the VAPID credentials ({status})")]
    Unauthorized {
        /// 401 or 403.
        status: u16,
    },
    /// 413: the message is too large.
    #[error("the push service says the message is too large (413)")]
    TooLarge,
    /// Another 4xx: the push service will not take this message.
    #[error("the push service refused the message ({status})")]
    Refused {
        /// The status.
        status: u16,
    },
    /// 429: too many messages; try again after the delay.
    #[error("the push service is rate limiting (429)")]
    RateLimited {
        /// How long to wait.
        retry_after: Duration,
    },
    /// 503: the push service is unavailable; try again after the delay.
    #[error("the push service is unavailable (503)")]
    Unavailable {
        /// How long to wait.
        retry_after: Duration,
    },
    /// Another 5xx.
    #[error("the push service failed ({status})")]
    ServerError {
        /// The status.
        status: u16,
    },
    /// No answer: refused connection, DNS, time-out.
    #[error("the push service could not be reached")]
    Unreachable,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Never: retrying cannot help.
    Never,
    /// Not before this long.
    After(Duration),
    /// With exponential back-off.
    Backoff,
}

impl PushError {
    /// Whether and when to try again.
    pub fn retry(&self) -> Retry {
        match self {
            Self::Gone { .. }
            | Self::Unauthorized { .. }
            | Self::TooLarge
            | Self::Refused { .. } => Retry::Never,
            Self::RateLimited { retry_after } | Self::Unavailable { retry_after } => {
                Retry::After(*retry_after)
            }
            Self::ServerError { .. } | Self::Unreachable => Retry::Backoff,
        }
    }

    /// The HTTP status (0 without an answer).
    pub fn status(&self) -> u16 {
        match self {
            Self::Gone { status }
            | Self::Unauthorized { status }
            | Self::Refused { status }
            | Self::ServerError { status } => *status,
            Self::TooLarge => 413,
            Self::RateLimited { .. } => 429,
            Self::Unavailable { .. } => 503,
            Self::Unreachable => 0,
        }
    }

    /// The label deliveries are counted under.
    pub fn metric_label(&self) -> &'static str {
        match self {
            Self::Gone { .. } => "gone",
            Self::Unauthorized { .. } => "vapid_refused",
            Self::TooLarge => "too_large",
            Self::Refused { .. } => "refused",
            Self::RateLimited { .. } => "rate_limited",
            Self::Unavailable { .. } => "unavailable",
            Self::ServerError { .. } => "server_error",
            Self::Unreachable => "unreachable",
        }
    }
}

/// Reads a push service's answer: `Ok` when it took the message.
pub fn read(status: u16, headers: &http::HeaderMap, now: SystemTime) -> Result<(), PushError> {
    let delay = || {
        headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after(v, now))
            .unwrap_or(DEFAULT_RETRY_AFTER)
    };
    match status {
        200..=299 => Ok(()),
        404 | 410 => Err(PushError::Gone { status }),
        401 | 403 => Err(PushError::Unauthorized { status }),
        413 => Err(PushError::TooLarge),
        429 => Err(PushError::RateLimited {
            retry_after: delay(),
        }),
        503 => Err(PushError::Unavailable {
            retry_after: delay(),
        }),
        500..=599 => Err(PushError::ServerError { status }),
        _ => Err(PushError::Refused { status }),
    }
}

/// `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Exponential back-off with ±20% jitter: `base · 2^(attempt-1)`, capped.
pub fn backoff(attempt: u32, base: Duration, cap: Duration, jitter_unit: f64) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let capped = exp.min(cap);
    // jitter_unit in [0, 1) maps to a factor in [0.8, 1.2).
    capped.mul_f64(0.8 + 0.4 * jitter_unit.clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(retry: Option<&str>) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        if let Some(r) = retry {
            h.insert(RETRY_AFTER, r.parse().expect("header"));
        }
        h
    }

    #[test]
    fn answers_map_to_error_kinds_that_know_their_retry() {
        let now = SystemTime::now();
        let read = |status, retry| read(status, &headers(retry), now);
        assert_eq!(read(201, None), Ok(()));
        let table = [
            (410, None, "gone", Retry::Never),
            (404, None, "gone", Retry::Never),
            (413, None, "too_large", Retry::Never),
            (403, None, "vapid_refused", Retry::Never),
            (400, None, "refused", Retry::Never),
            (500, None, "server_error", Retry::Backoff),
            (
                429,
                Some("7"),
                "rate_limited",
                Retry::After(Duration::from_secs(7)),
            ),
            (503, None, "unavailable", Retry::After(DEFAULT_RETRY_AFTER)),
        ];
        for (status, retry, label, policy) in table {
            let error = read(status, retry).expect_err("an error");
            assert_eq!(error.metric_label(), label, "{status}");
            assert_eq!(error.retry(), policy, "{status}");
            assert_eq!(error.status(), status);
        }
        assert_eq!(PushError::Unreachable.retry(), Retry::Backoff);
        assert_eq!(PushError::Unreachable.status(), 0);
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(retry_after("120", now), Some(Duration::from_secs(120)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(retry_after(&later, now), Some(Duration::from_secs(30)));
        assert_eq!(retry_after("soon", now), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_a_cap() {
        let base = Duration::from_secs(1);
        let cap = Duration::from_secs(600);
        assert_eq!(backoff(1, base, cap, 0.5), Duration::from_secs(1));
        assert_eq!(backoff(4, base, cap, 0.5), Duration::from_secs(8));
        assert_eq!(backoff(30, base, cap, 0.5), cap);
        assert!(backoff(3, base, cap, 0.0) >= Duration::from_millis(3200));
    }
}
