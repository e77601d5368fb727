//! The delivery engine: takes queued deliveries from the database, has
//! each encrypted and signed by [`crate::webpush`], POSTs it, and records
//! what the push service answered. It sits between the notifications (what
//! to send, to whom) and Web Push (how).
//!
//! - `handle`: starting and stopping; `worker`: the loop and the total
//!   concurrency; `sender`: one push, from connection slot to outcome;
//!   `signing`: VAPID signers per project; `origins`: slots per push-service
//!   origin; `recorder`: outcomes written in batches.

mod handle;
mod origins;
mod recorder;
mod sender;
mod signing;
mod worker;

use crate::webpush::services::PushServices;
use std::time::Duration;

/// How the engine behaves; `herald serve` flags set these.
#[derive(Debug, Clone)]
pub struct Config {
    /// Pushes in flight at once, over all push services.
    pub concurrency: usize,
    /// Pushes in flight at once to one push-service origin.
    pub per_origin: usize,
    /// VAPID `sub`: a `mailto:` or `https:` contact for push services.
    pub subject: String,
    /// Attempts before a delivery counts as failed.
    pub max_attempts: u32,
    /// How long a claimed delivery stays reserved for its worker.
    pub lease: Duration,
    /// Connecting to a push service gives up after this long.
    pub connect_timeout: Duration,
    /// One push request gives up after this long.
    pub request_timeout: Duration,
    /// A push unanswered this long gives its origin slot to the next one
    /// (and waits on in the slow lane, or is retried later).
    pub slow_push: Duration,
    /// First retry delay after a 5xx or network error (then doubling).
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_cap: Duration,
    /// How often an idle worker looks for due work (it is also woken at once
    /// by sends in the same process).
    pub poll_interval: Duration,
    /// Deliveries claimed per database round trip, at most.
    pub batch: usize,
    /// Subscriptions expanded into deliveries per fan-out step.
    pub fanout_batch: i64,
    /// The push services pushes may go to (also checked on subscribe).
    pub push_services: PushServices,
    /// This node's name on its leases; the same after a restart, so the
    /// new run takes back what the old one held (`--node-id`).
    pub node_id: String,
    /// How often this node says it is alive.
    pub heartbeat: Duration,
    /// A node silent this long is taken for dead: its leases are taken over.
    pub node_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            concurrency: 512,
            per_origin: 128,
            subject: "mailto:admin@localhost".into(),
            max_attempts: 8,
            lease: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(10),
            slow_push: Duration::from_millis(500),
            retry_base: Duration::from_secs(1),
            retry_cap: Duration::from_secs(600),
            poll_interval: Duration::from_millis(200),
            batch: 500,
            fanout_batch: 10_000,
            push_services: PushServices::default(),
            node_id: format!(
                "node-{}",
                crate::secret::random_hex(8).unwrap_or_else(|_| std::process::id().to_string())
            ),
            heartbeat: Duration::from_secs(1),
            node_timeout: Duration::from_secs(3),
        }
    }
}

pub use handle::{Handle, start};
