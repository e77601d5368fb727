//! The worker loop: fan out, claim, send with bounded concurrency (in total
//! and per push-service origin), record. Outcomes are written in batches by
//! one recorder task, so a busy engine makes a few large updates instead
//! of one per message.

use super::Config;
use super::queue::{self, Claimed, Record};
use super::vapid::{Signer, TokenCache};
use crate::db::Db;
use crate::projects;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc};

/// A running engine.
pub struct Handle {
    wake: Arc<Notify>,
    worker: Arc<Worker>,
    run: tokio::task::JoinHandle<()>,
    recorder: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Tells the recorder to write what it has and end (shutdown).
    finish_recording: Arc<Notify>,
}

impl Handle {
    /// Tells the engine there is new work (a send in this process).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Stops claiming, lets the pushes in flight finish and their outcomes
    /// be written (for at most `grace`), then stops. Whatever is still
    /// unfinished keeps its lease and is taken over after a restart.
    pub async fn shutdown(&self, grace: Duration) {
        self.worker.stopping.store(true, Ordering::SeqCst);
        self.wake.notify_one();
        let deadline = tokio::time::Instant::now() + grace;
        let all = self.worker.config.concurrency.max(1);
        while self.worker.global.available_permits() < all && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.run.abort();
        // Nothing is in flight any more (or the grace is over): the
        // recorder writes what is queued and ends.
        self.finish_recording.notify_one();
        let recorder = self
            .recorder
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(mut recorder) = recorder
            && tokio::time::timeout_at(deadline + Duration::from_secs(1), &mut recorder)
                .await
                .is_err()
        {
            recorder.abort();
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.worker.stopping.store(true, Ordering::SeqCst);
        self.run.abort();
        if let Some(recorder) = self
            .recorder
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            recorder.abort();
        }
    }
}

pub(super) struct Worker {
    pub(super) db: Db,
    pub(super) config: Config,
    pub(super) client: reqwest::Client,
    pub(super) projects: projects::Cache,
    pub(super) signers: Mutex<HashMap<String, Arc<Signer>>>,
    pub(super) tokens: TokenCache,
    pub(super) global: Arc<Semaphore>,
    pub(super) origins: Mutex<HashMap<String, Arc<Semaphore>>>,
    pub(super) outcomes: mpsc::UnboundedSender<(i64, Record)>,
    /// Set on shutdown: claim nothing more, start no new push.
    pub(super) stopping: AtomicBool,
}

/// Starts the engine's tasks on the current runtime. `projects` is shared
/// with the API, so a key rotation the API has seen is also what pushes are
/// signed with.
pub fn start(db: Db, config: Config, projects: projects::Cache) -> anyhow::Result<Handle> {
    let client = reqwest::Client::builder()
        .user_agent(concat!("herald/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(config.connect_timeout)
        .timeout(config.request_timeout)
        .pool_max_idle_per_host(config.per_origin)
        .pool_idle_timeout(Duration::from_secs(90))
        // SSRF: addresses are checked at connect time, redirects never followed.
        .dns_resolver(config.push_services.resolver())
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let (outcomes, recorded) = mpsc::unbounded_channel();
    let wake = Arc::new(Notify::new());
    let worker = Arc::new(Worker {
        global: Arc::new(Semaphore::new(config.concurrency.max(1))),
        db: db.clone(),
        config,
        client,
        projects,
        signers: Mutex::default(),
        tokens: TokenCache::default(),
        origins: Mutex::default(),
        outcomes,
        stopping: AtomicBool::new(false),
    });
    let finish_recording = Arc::new(Notify::new());
    let recorder = tokio::spawn(record_outcomes(db, recorded, finish_recording.clone()));
    let run = tokio::spawn(worker.clone().run(wake.clone()));
    Ok(Handle {
        wake,
        worker,
        run,
        recorder: Mutex::new(Some(recorder)),
        finish_recording,
    })
}

impl Worker {
    async fn run(self: Arc<Self>, wake: Arc<Notify>) {
        let mut last_recovery: Option<Instant> = None;
        // Look for dead workers' leases often enough that a take-over happens
        // within about one lease period.
        let recovery_every =
            (self.config.lease / 2).clamp(Duration::from_millis(500), Duration::from_secs(5));
        // The loop holds the outcome sender only through `self`; when it
        // ends (shutdown) the delivery tasks still running keep theirs.
        while !self.stopping.load(Ordering::SeqCst) {
            if last_recovery.is_none_or(|t| t.elapsed() > recovery_every) {
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
                last_recovery = Some(Instant::now());
            }
            let fanned = match queue::fan_out(&self.db, self.config.fanout_batch).await {
                Ok(did) => did,
                Err(e) => {
                    tracing::warn!(error = %crate::db::describe_error(e), "fan-out step failed");
                    false
                }
            };
            // Claim no more than can be sent now: a claimed row waiting in
            // memory holds a lease for nothing.
            let room = self.global.available_permits().min(self.config.batch);
            let claimed = if room > 0 {
                queue::claim(&self.db, room as i64, self.config.lease.as_millis() as i64)
                    .await
                    .unwrap_or_else(|e| {
                        tracing::warn!(error = %crate::db::describe_error(e), "claiming deliveries failed");
                        Vec::new()
                    })
            } else {
                Vec::new()
            };
            let claimed_any = !claimed.is_empty();
            for delivery in claimed {
                let Ok(permit) = self.global.clone().acquire_owned().await else {
                    return;
                };
                tokio::spawn(self.clone().deliver(delivery, permit));
            }
            if room == 0 || (claimed_any && room < self.config.batch) {
                // Work is in flight: let a good number of slots free up
                // before the next claim, so claims come in large batches
                // (one transaction each) rather than a trickle of small ones.
                let want = (self.config.concurrency.min(self.config.batch) / 2).max(1);
                let deadline = tokio::time::Instant::now() + Duration::from_millis(20);
                while self.global.available_permits() < want
                    && tokio::time::Instant::now() < deadline
                {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            } else if !claimed_any && !fanned {
                tokio::select! {
                    () = wake.notified() => {}
                    () = tokio::time::sleep(self.config.poll_interval) => {}
                }
            }
        }
    }

    async fn deliver(self: Arc<Self>, delivery: Claimed, _permit: OwnedSemaphorePermit) {
        if let Some(record) = self.attempt(&delivery).await {
            let _ = self.outcomes.send((delivery.id, record));
        }
    }
}

/// Writes outcomes in batches: whatever has arrived while the previous
/// batch was being written goes into the next one.
async fn record_outcomes(
    db: Db,
    mut rx: mpsc::UnboundedReceiver<(i64, Record)>,
    finish: Arc<Notify>,
) {
    let mut finishing = false;
    loop {
        let next = tokio::select! {
            next = rx.recv() => next,
            () = finish.notified(), if !finishing => {
                // No more sends; what is buffered is still received, then None.
                rx.close();
                finishing = true;
                continue;
            }
        };
        let Some(first) = next else { break };
        let mut batch = vec![first];
        while batch.len() < 2000 {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        // Keep trying: dropping outcomes would leave rows leased, and the
        // lease take-over would send them again.
        let mut delay = Duration::from_millis(100);
        while let Err(e) = queue::record(&db, &batch).await {
            tracing::warn!(error = %crate::db::describe_error(e), "recording delivery outcomes failed; retrying");
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
    }
}
