//! The Web Push protocol exchange, without I/O: building the HTTP request
//! for one message (RFC 8030 headers, RFC 8292 authorization) and reading
//! the push service's answer into an [`Outcome`]. The worker does the I/O,
//! so this is testable without a network.

use http::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use std::time::{Duration, SystemTime};

/// What the push service needs besides the encrypted body.
pub struct Message<'a> {
    /// The subscription's endpoint.
    pub endpoint: &'a str,
    /// Seconds the push service should keep the message.
    pub ttl: u64,
    /// `very-low`, `low`, `normal` or `high`.
    pub urgency: Option<&'a str>,
    /// Collapse key: a newer message with the same topic replaces this one.
    pub topic: Option<&'a str>,
    /// `vapid t=…, k=…`.
    pub authorization: &'a str,
    /// The aes128gcm body.
    pub body: Vec<u8>,
}

/// Builds the POST to the endpoint.
pub fn request(message: Message<'_>) -> Result<http::Request<Vec<u8>>, http::Error> {
    let mut builder = http::Request::post(message.endpoint)
        .header("ttl", message.ttl.to_string())
        .header(CONTENT_ENCODING, "aes128gcm")
        .header(CONTENT_TYPE, "application/octet-stream")
        .header(AUTHORIZATION, message.authorization);
    if let Some(urgency) = message.urgency {
        builder = builder.header("urgency", urgency);
    }
    if let Some(topic) = message.topic {
        builder = builder.header("topic", topic);
    }
    builder.body(message.body)
}

/// What to do after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// 201/202: accepted by the push service.
    Sent,
    /// 404/410: the subscription is gone for good (rule 3).
    Gone,
    /// A final refusal (400, 401/403 VAPID problems, 413 too large, other 4xx).
    Failed {
        /// The status, for the record.
        status: u16,
        /// Whether it points at Herald's VAPID configuration (401/403).
        vapid_problem: bool,
    },
    /// 429/503: retry, but not before this long.
    RetryAfter(Duration),
    /// Other 5xx, timeouts, connection errors: retry with back-off.
    Retry,
}

/// Back-off when a 429/503 carries no usable `Retry-After`.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Reads a push service's answer.
pub fn outcome(status: u16, headers: &http::HeaderMap, now: SystemTime) -> Outcome {
    match status {
        200..=299 => Outcome::Sent,
        404 | 410 => Outcome::Gone,
        429 | 503 => Outcome::RetryAfter(
            headers
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| retry_after(v, now))
                .unwrap_or(DEFAULT_RETRY_AFTER),
        ),
        500..=599 => Outcome::Retry,
        401 | 403 => Outcome::Failed {
            status,
            vapid_problem: true,
        },
        _ => Outcome::Failed {
            status,
            vapid_problem: false,
        },
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
    fn answers_map_to_outcomes() {
        let now = SystemTime::now();
        assert_eq!(outcome(201, &headers(None), now), Outcome::Sent);
        assert_eq!(outcome(410, &headers(None), now), Outcome::Gone);
        assert_eq!(outcome(404, &headers(None), now), Outcome::Gone);
        assert_eq!(
            outcome(413, &headers(None), now),
            Outcome::Failed {
                status: 413,
                vapid_problem: false
            }
        );
        assert_eq!(
            outcome(403, &headers(None), now),
            Outcome::Failed {
                status: 403,
                vapid_problem: true
            }
        );
        assert_eq!(outcome(500, &headers(None), now), Outcome::Retry);
        assert_eq!(
            outcome(429, &headers(Some("7")), now),
            Outcome::RetryAfter(Duration::from_secs(7))
        );
        assert_eq!(
            outcome(503, &headers(None), now),
            Outcome::RetryAfter(DEFAULT_RETRY_AFTER)
        );
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

    #[test]
    fn requests_carry_the_rfc8030_headers() {
        let req = request(Message {
            endpoint: "https://push.example/x",
            ttl: 60,
            urgency: Some("high"),
            topic: Some("scores"),
            authorization: "vapid t=a.b.c, k=K",
            body: vec![1, 2, 3],
        })
        .expect("request");
        assert_eq!(req.headers()["ttl"], "60");
        assert_eq!(req.headers()["urgency"], "high");
        assert_eq!(req.headers()["topic"], "scores");
        assert_eq!(req.headers()["content-encoding"], "aes128gcm");
        assert_eq!(req.body(), &vec![1, 2, 3]);
    }
}
