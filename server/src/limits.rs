//! Rate limits: a keyed token bucket (governor's GCRA) that answers how
//! long to wait when a key is over its rate. The HTTP edge turns a refusal
//! into `429 Too Many Requests` with `Retry-After`.

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// Requests per key and minute, with bursts up to the same number.
#[derive(Clone)]
pub struct Limiter<K: Hash + Eq + Clone> {
    inner: Arc<DefaultKeyedRateLimiter<K>>,
}

impl<K: Hash + Eq + Clone> std::fmt::Debug for Limiter<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Limiter")
    }
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    /// At most `per_minute` requests a minute per key (at least one).
    pub fn per_minute(per_minute: u32) -> Self {
        let rate = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            inner: Arc::new(DefaultKeyedRateLimiter::keyed(Quota::per_minute(rate))),
        }
    }

    /// `Ok` when `key` may go on; else how long until it may.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        self.inner.check_key(key).map_err(|not_until| {
            not_until
                .wait_time_from(DefaultClock::default().now())
                .max(Duration::from_secs(1))
        })
    }

    /// Forgets keys that are back to a full bucket (bounded memory).
    pub fn shrink(&self) {
        self.inner.retain_recent();
        self.inner.shrink_to_fit();
    }
}

/// The limits `herald serve` applies.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Prompt funnel reports per client address.
    pub prompt_events: Limiter<String>,
    /// Browser-facing API calls (no token) per client address; `None`: off.
    pub browser: Option<Limiter<String>>,
    /// Backend API calls per API token; `None`: off.
    pub backend: Option<Limiter<String>>,
}

/// Requests a minute, per client address (browser API) and per token
/// (backend API); 0 turns a limit off.
#[derive(Clone, Copy, Debug)]
pub struct Rates {
    /// Per client address, on the browser-facing API.
    pub browser_per_minute: u32,
    /// Per API token, on the backend API.
    pub backend_per_minute: u32,
}

impl Default for Rates {
    fn default() -> Self {
        Self {
            browser_per_minute: 1_200,
            backend_per_minute: 12_000,
        }
    }
}

impl Limits {
    /// The limits for `rates`.
    pub fn new(rates: Rates) -> Self {
        let on = |n: u32| (n > 0).then(|| Limiter::per_minute(n));
        Self {
            prompt_events: Limiter::per_minute(60),
            browser: on(rates.browser_per_minute),
            backend: on(rates.backend_per_minute),
        }
    }

    /// Forgets keys whose buckets are full again (bounded memory).
    pub fn shrink(&self) {
        self.prompt_events.shrink();
        for limiter in [&self.browser, &self.backend].into_iter().flatten() {
            limiter.shrink();
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new(Rates::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_over_its_rate_is_told_how_long_to_wait() {
        let limiter = Limiter::per_minute(3);
        for _ in 0..3 {
            assert!(limiter.check(&"a").is_ok());
        }
        let wait = limiter.check(&"a").expect_err("over");
        assert!(
            wait >= Duration::from_secs(1) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(limiter.check(&"b").is_ok(), "keys are apart");
    }
}
