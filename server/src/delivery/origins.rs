//! Bounded concurrency per push-service origin: a push takes one of the
//! origin's slots before it connects, so one slow push service cannot take
//! every connection of the engine. A push still unanswered after
//! `slow_push` (500 ms) moves to the origin's slow lane (a quarter as many places)
//! and gives its slot to the next push, so endpoints that hang cannot take
//! every slot of a host that answers everyone else at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// One origin's places: slots for pushes, and the slow lane.
struct Lanes {
    slots: Arc<Semaphore>,
    slow: Arc<Semaphore>,
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
                })
            })
            .clone()
    }

    /// Waits for a slot of `origin`; `None` only if the engine is gone.
    pub(super) async fn slot(&self, origin: &str) -> Option<OwnedSemaphorePermit> {
        self.lanes(origin).slots.clone().acquire_owned().await.ok()
    }

    /// A place in `origin`'s slow lane, if one is free now.
    pub(super) fn slow_lane(&self, origin: &str) -> Option<OwnedSemaphorePermit> {
        self.lanes(origin).slow.clone().try_acquire_owned().ok()
    }
}
