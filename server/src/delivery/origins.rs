//! Bounded concurrency per push-service origin: a push takes one of the
//! origin's slots before it connects, so one slow push service cannot take
//! every connection of the engine. A push still unanswered after
//! `slow_push` (500 ms) moves to the origin's slow lane (a quarter as many
//! places) and gives its slot to the next push, so endpoints that hang
//! cannot take every slot of a host that answers everyone else at once.
//!
//! A host that keeps timing out gets a circuit breaker: once [`TRIP_AFTER`]
//! pushes in a row went unanswered (no response at all, or cut as slow)
//! over at least [`SILENT_FOR`], only [`PROBES`] pushes at a time may start
//! towards it; its first answer of any kind closes the breaker again.
//! Endpoints that hang on a host that answers everyone else never trip it,
//! nor does a broadcast whose first claims happen to be hung endpoints.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Unanswered pushes in a row that open an origin's breaker.
pub(super) const TRIP_AFTER: u32 = 32;
/// How long an origin must have left every push unanswered to trip.
pub(super) const SILENT_FOR: Duration = Duration::from_secs(5);
/// Pushes at a time to an origin whose breaker is open.
pub(super) const PROBES: usize = 2;

/// Whether an origin answers.
#[derive(Default)]
struct Health {
    /// Unanswered pushes since the last answer.
    silent: u32,
    /// When the first of them ended.
    silent_since: Option<Instant>,
    /// Only `PROBES` pushes at a time.
    open: bool,
}

/// One origin's places: slots for pushes, the slow lane, the probes.
struct Lanes {
    slots: Arc<Semaphore>,
    slow: Arc<Semaphore>,
    probes: Arc<Semaphore>,
    health: Mutex<Health>,
}

impl Lanes {
    fn health(&self) -> std::sync::MutexGuard<'_, Health> {
        self.health.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A push's place at its origin: a slot, and while the origin's breaker
/// is open, a probe too. Dropping it frees both.
pub(super) struct Slot {
    _slot: OwnedSemaphorePermit,
    _probe: Option<OwnedSemaphorePermit>,
}

/// The slots of every origin seen so far.
pub(super) struct Origins {
    per_origin: usize,
    lanes: Mutex<HashMap<String, Arc<Lanes>>>,
}

impl Origins {
    pub(super) fn new(per_origin: usize) -> Self {
        Self {
            per_origin: per_origin.max(1),
            lanes: Mutex::default(),
        }
    }

    fn lanes(&self, origin: &str) -> Arc<Lanes> {
        let mut lanes = self
            .lanes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        lanes
            .entry(origin.to_string())
            .or_insert_with(|| {
                Arc::new(Lanes {
                    slots: Arc::new(Semaphore::new(self.per_origin)),
                    slow: Arc::new(Semaphore::new((self.per_origin / 4).max(1))),
                    probes: Arc::new(Semaphore::new(PROBES)),
                    health: Mutex::default(),
                })
            })
            .clone()
    }

    /// Waits for a place at `origin`; `None` only if the engine is gone.
    pub(super) async fn slot(&self, origin: &str) -> Option<Slot> {
        let lanes = self.lanes(origin);
        let slot = lanes.slots.clone().acquire_owned().await.ok()?;
        let open = lanes.health().open;
        let probe = if open {
            Some(lanes.probes.clone().acquire_owned().await.ok()?)
        } else {
            None
        };
        Some(Slot {
            _slot: slot,
            _probe: probe,
        })
    }

    /// A place in `origin`'s slow lane, if one is free now.
    pub(super) fn slow_lane(&self, origin: &str) -> Option<OwnedSemaphorePermit> {
        self.lanes(origin).slow.clone().try_acquire_owned().ok()
    }

    /// What a push to `origin` came to: any answer (even an error status)
    /// closes its breaker; one more unanswered push may open it.
    pub(super) fn record(&self, origin: &str, answered: bool) {
        let lanes = self.lanes(origin);
        let mut health = lanes.health();
        if answered {
            if health.open {
                tracing::info!(
                    origin,
                    "the push service answers again; its breaker is closed"
                );
            }
            *health = Health::default();
            return;
        }
        health.silent = health.silent.saturating_add(1);
        let since = *health.silent_since.get_or_insert_with(Instant::now);
        if health.silent >= TRIP_AFTER && since.elapsed() >= SILENT_FOR && !health.open {
            health.open = true;
            tracing::warn!(
                origin,
                unanswered = health.silent,
                "the push service keeps timing out; sending it {PROBES} pushes at a time until it answers"
            );
        }
    }
}
