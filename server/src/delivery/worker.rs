//! The worker loop: recover dead workers' leases, fan out, claim, hand each
//! claimed delivery to a task with bounded concurrency (in total here, per
//! push-service origin in the [`Sender`]), and pass the outcomes to the
//! recorder.

use super::Config;
use super::queue::{self, Claimed, Record};
use super::sender::Sender;
use crate::db::Db;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc};

/// The loop's state.
pub(super) struct Worker {
    pub(super) db: Db,
    pub(super) config: Config,
    pub(super) sender: Arc<Sender>,
    /// Pushes in flight, over all push services.
    pub(super) global: Arc<Semaphore>,
    pub(super) outcomes: mpsc::UnboundedSender<(i64, Record)>,
}

impl Worker {
    /// Pushes in flight now.
    pub(super) fn in_flight(&self) -> usize {
        self.config.concurrency.max(1) - self.global.available_permits()
    }

    fn stopping(&self) -> bool {
        self.sender.stopping.load(Ordering::SeqCst)
    }

    pub(super) async fn run(self: Arc<Self>, wake: Arc<Notify>) {
        let mut last_recovery: Option<Instant> = None;
        // Look for dead workers' leases often enough that a take-over happens
        // within about one lease period.
        let recovery_every =
            (self.config.lease / 2).clamp(Duration::from_millis(500), Duration::from_secs(5));
        // The loop holds the outcome sender only through `self`; when it
        // ends (shutdown) the delivery tasks still running keep theirs.
        while !self.stopping() {
            if last_recovery.is_none_or(|t| t.elapsed() > recovery_every) {
                self.recover_leases().await;
                last_recovery = Some(Instant::now());
            }
            let fanned = self.fan_out().await;
            // Claim no more than can be sent now: a claimed row waiting in
            // memory holds a lease for nothing.
            let room = self.global.available_permits().min(self.config.batch);
            let claimed = self.claim(room).await;
            let claimed_any = !claimed.is_empty();
            for delivery in claimed {
                let Ok(permit) = self.global.clone().acquire_owned().await else {
                    return;
                };
                tokio::spawn(self.clone().deliver(delivery, permit));
            }
            if room == 0 || (claimed_any && room < self.config.batch) {
                self.let_slots_free_up().await;
            } else if !claimed_any && !fanned {
                tokio::select! {
                    () = wake.notified() => {}
                    () = tokio::time::sleep(self.config.poll_interval) => {}
                }
            }
        }
    }

    async fn recover_leases(&self) {
        match queue::recover_leases(&self.db).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                deliveries = n,
                "took over deliveries whose worker's lease ran out"
            ),
            Err(e) => {
                tracing::warn!(error = %crate::db::describe_error(e), "lease recovery failed")
            }
        }
    }

    /// One fan-out step; whether there was one to take.
    async fn fan_out(&self) -> bool {
        match queue::fan_out(&self.db, self.config.fanout_batch).await {
            Ok(did) => did,
            Err(e) => {
                tracing::warn!(error = %crate::db::describe_error(e), "fan-out step failed");
                false
            }
        }
    }

    async fn claim(&self, room: usize) -> Vec<Claimed> {
        if room == 0 {
            return Vec::new();
        }
        queue::claim(&self.db, room as i64, self.config.lease.as_millis() as i64)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %crate::db::describe_error(e), "claiming deliveries failed");
                Vec::new()
            })
    }

    /// Work is in flight: let a good number of slots free up before the
    /// next claim, so claims come in large batches (one transaction each)
    /// rather than a trickle of small ones.
    async fn let_slots_free_up(&self) {
        let want = (self.config.concurrency.min(self.config.batch) / 2).max(1);
        let deadline = tokio::time::Instant::now() + Duration::from_millis(20);
        while self.global.available_permits() < want && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    async fn deliver(self: Arc<Self>, delivery: Claimed, _permit: OwnedSemaphorePermit) {
        if let Some(record) = self.sender.attempt(&delivery).await {
            let _ = self.outcomes.send((delivery.id, record));
        }
    }
}
