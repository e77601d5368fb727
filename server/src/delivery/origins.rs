//! Bounded concurrency per push-service origin: a push takes one of the
//! origin's slots before it connects, so one slow push service cannot take
//! every connection of the engine.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The slots of every origin seen so far.
pub(super) struct Origins {
    per_origin: usize,
    slots: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Origins {
    pub(super) fn new(per_origin: usize) -> Self {
        Self {
            per_origin: per_origin.max(1),
            slots: Mutex::default(),
        }
    }

    /// Waits for a slot of `origin`; `None` only if the engine is gone.
    pub(super) async fn slot(&self, origin: &str) -> Option<OwnedSemaphorePermit> {
        let semaphore = {
            let mut slots = self
                .slots
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            slots
                .entry(origin.to_string())
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_origin)))
                .clone()
        };
        semaphore.acquire_owned().await.ok()
    }
}
