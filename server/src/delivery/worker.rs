//! The worker loop: take back this node's old leases, take over dead
//! nodes', fan out, claim, hand each
//! claimed delivery to a task with bounded concurrency (in total here, per
//! push-service origin in the [`Sender`]), and pass the outcomes to the
//! recorder.

use super::Config;
use super::sender::Sender;
use crate::db::Db;
use crate::notifications::content::Content;
use crate::notifications::fanout;
use crate::queue::{self, Claimed, Record};
use std::collections::HashMap;
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
        self.take_back_own().await;
        let mut last_recovery: Option<Instant> = None;
        // Look for dead nodes' leases as often as nodes beat, so a take-over
        // happens within about the node timeout.
        let recovery_every = self
            .config
            .heartbeat
            .clamp(Duration::from_millis(100), Duration::from_secs(5));
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

    /// At start: this node is alive, and what its previous run held (it
    /// died, or its grace ran out) goes back in the queue at once.
    async fn take_back_own(&self) {
        let node = &self.config.node_id;
        if let Err(e) = queue::leases::heartbeat(&self.db, node).await {
            tracing::warn!(error = %crate::db::describe_error(e), "first heartbeat failed");
        }
        match queue::leases::release_own(&self.db, node).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                deliveries = n,
                node = %node,
                "took back the deliveries this node's previous run held"
            ),
            Err(e) => {
                tracing::warn!(error = %crate::db::describe_error(e), "taking back this node's leases failed")
            }
        }
    }

    async fn recover_leases(&self) {
        let dead_after = self.config.node_timeout.as_millis() as i64;
        match queue::leases::recover(&self.db, &self.config.node_id, dead_after).await {
            Ok(0) => {}
            Ok(n) => tracing::warn!(
                deliveries = n,
                "took over deliveries of a node that stopped beating or whose lease ran out"
            ),
            Err(e) => {
                tracing::warn!(error = %crate::db::describe_error(e), "lease recovery failed")
            }
        }
    }

    /// One fan-out step; whether there was one to take.
    async fn fan_out(&self) -> bool {
        match fanout::step(&self.db, self.config.fanout_batch).await {
            Ok(did) => did,
            Err(e) => {
                tracing::warn!(error = %crate::db::describe_error(e), "fan-out step failed");
                false
            }
        }
    }

    /// Claims up to `room` deliveries, each with its notification's
    /// content (read once per notification in the batch).
    async fn claim(&self, room: usize) -> Vec<Job> {
        if room == 0 {
            return Vec::new();
        }
        let lease = self.config.lease.as_millis() as i64;
        let claimed = queue::claim(&self.db, &self.config.node_id, room as i64, lease)
            .await
            .unwrap_or_else(|e| {
                tracing::warn!(error = %crate::db::describe_error(e), "claiming deliveries failed");
                Vec::new()
            });
        let mut contents: HashMap<i64, Option<Arc<Content>>> = HashMap::new();
        claimed
            .into_iter()
            .map(|claimed| {
                let content = contents
                    .entry(claimed.notification_id)
                    .or_insert_with(|| match Content::from_stored(&claimed.payload) {
                        Ok(content) => Some(Arc::new(content)),
                        Err(e) => {
                            tracing::error!(notification = claimed.notification_id, error = %e, "the stored notification content cannot be read; its deliveries fail");
                            None
                        }
                    })
                    .clone();
                Job { claimed, content }
            })
            .collect()
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

    async fn deliver(self: Arc<Self>, job: Job, _permit: OwnedSemaphorePermit) {
        if let Some(record) = self
            .sender
            .attempt(&job.claimed, job.content.as_deref())
            .await
        {
            let _ = self.outcomes.send((job.claimed.id, record));
        }
    }
}

/// A claimed delivery and what it shows (`None`: unreadable, it fails).
struct Job {
    claimed: Claimed,
    content: Option<Arc<Content>>,
}
