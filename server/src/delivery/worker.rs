//! The worker loop: fan out, claim, send with bounded concurrency (in total
//! and per push-service origin), record. Outcomes are written in batches by
//! one recorder task, so a busy engine makes a few large updates instead
//! of one per message.

use super::push::{self, Message, Outcome};
use super::queue::{self, Claimed, Record};
use super::vapid::{Signer, TokenCache};
use super::{Config, crypto};
use crate::db::Db;
use crate::notifications::request::payload;
use crate::projects;
use crate::time::now_ms;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, mpsc};

/// A running engine.
pub struct Handle {
    wake: Arc<Notify>,
    worker: Arc<Worker>,
    run: tokio::task::JoinHandle<()>,
    recorder: Mutex<Option<tokio::task::JoinHandle<()>>>,
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
        // The recorder ends once every sender is gone (the loop and the
        // delivery tasks hold them) and the channel is drained.
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

struct Worker {
    db: Db,
    config: Config,
    client: reqwest::Client,
    projects: projects::Cache,
    signers: Mutex<HashMap<String, Arc<Signer>>>,
    tokens: TokenCache,
    global: Arc<Semaphore>,
    origins: Mutex<HashMap<String, Arc<Semaphore>>>,
    outcomes: mpsc::UnboundedSender<(i64, Record)>,
    /// Set on shutdown: claim nothing more, start no new push.
    stopping: AtomicBool,
}

/// Starts the engine's tasks on the current runtime.
pub fn start(db: Db, config: Config) -> anyhow::Result<Handle> {
    let client = reqwest::Client::builder()
        .user_agent(concat!("herald/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(config.connect_timeout)
        .timeout(config.request_timeout)
        .pool_max_idle_per_host(config.per_origin)
        .pool_idle_timeout(Duration::from_secs(90))
        .build()?;
    let (outcomes, recorded) = mpsc::unbounded_channel();
    let wake = Arc::new(Notify::new());
    let worker = Arc::new(Worker {
        global: Arc::new(Semaphore::new(config.concurrency.max(1))),
        db: db.clone(),
        config,
        client,
        projects: projects::Cache::default(),
        signers: Mutex::default(),
        tokens: TokenCache::default(),
        origins: Mutex::default(),
        outcomes,
        stopping: AtomicBool::new(false),
    });
    let recorder = tokio::spawn(record_outcomes(db, recorded));
    let run = tokio::spawn(worker.clone().run(wake.clone()));
    Ok(Handle {
        wake,
        worker,
        run,
        recorder: Mutex::new(Some(recorder)),
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

    fn origin_limit(&self, origin: &str) -> Arc<Semaphore> {
        let mut origins = self
            .origins
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        origins
            .entry(origin.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(self.config.per_origin.max(1))))
            .clone()
    }

    async fn signer(&self, project_id: &str) -> anyhow::Result<Arc<Signer>> {
        let project = self
            .projects
            .load(&self.db, project_id)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut signers = self
            .signers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(signer) = signers.get(&project.vapid_public_key) {
            return Ok(signer.clone());
        }
        let signer = Arc::new(Signer::new(
            &project.vapid_private_key,
            &project.vapid_public_key,
        )?);
        signers.insert(project.vapid_public_key.clone(), signer.clone());
        Ok(signer)
    }

    /// One attempt at one delivery.
    async fn attempt(&self, d: &Claimed) -> Option<Record> {
        if d.stale {
            return Some(Record::Cancelled);
        }
        if now_ms() >= d.expires_at {
            return Some(Record::Expired);
        }
        let Some(origin) = url::Url::parse(d.endpoint.expose())
            .ok()
            .map(|u| u.origin().ascii_serialization())
        else {
            return Some(Record::Failed { status: 0 });
        };
        let limit = self.origin_limit(&origin);
        let waited = Instant::now();
        let _slot = limit.acquire().await.ok()?;
        if self.stopping.load(Ordering::SeqCst) {
            return None;
        }
        // An opt-out commits while we wait for a connection slot: look again
        // before sending if the wait was noticeable.
        if waited.elapsed() > Duration::from_millis(50)
            && !queue::still_sending(&self.db, d.id).await.unwrap_or(true)
        {
            return Some(Record::Cancelled);
        }
        Some(match self.post(d, &origin).await {
            Ok(outcome) => self.record_for(d, outcome),
            Err(Problem::Message(e)) => {
                tracing::warn!(delivery = d.id, error = %e, "the message cannot be made for this subscription");
                Record::Failed { status: 0 }
            }
            Err(Problem::Transient(e)) => {
                if self.stopping.load(Ordering::SeqCst) {
                    return None;
                }
                tracing::warn!(delivery = d.id, error = %format!("{e:#}"), "cannot prepare the push now; will retry");
                self.record_for(d, (0, Outcome::Retry))
            }
        })
    }

    async fn post(&self, d: &Claimed, origin: &str) -> Result<(u16, Outcome), Problem> {
        let signer = self
            .signer(&d.project_id)
            .await
            .map_err(Problem::Transient)?;
        let authorization = self
            .tokens
            .authorization(&signer, origin, &self.config.subject)
            .map_err(Problem::Transient)?;
        let message = |e: &dyn std::fmt::Display| Problem::Message(e.to_string());
        let p256dh = URL_SAFE_NO_PAD.decode(&d.p256dh).map_err(|e| message(&e))?;
        let auth = URL_SAFE_NO_PAD
            .decode(d.auth.expose())
            .map_err(|e| message(&e))?;
        let plaintext = payload(d.notification_id, d.id, &d.payload);
        let body = crypto::encrypt(&p256dh, &auth, plaintext.as_bytes()).map_err(|e| match e {
            crypto::EncryptError::Internal => Problem::Transient(anyhow::anyhow!("{e}")),
            other => message(&other),
        })?;
        let ttl = u64::try_from((d.expires_at - now_ms()) / 1000).unwrap_or(0);
        let request = push::request(Message {
            endpoint: d.endpoint.expose(),
            ttl,
            urgency: d.urgency.as_deref(),
            topic: d.topic.as_deref(),
            authorization: &authorization,
            body,
        })
        .map_err(|e| Problem::Message(e.to_string()))?;
        let request = reqwest::Request::try_from(request)
            .map_err(|e| Problem::Message(e.without_url().to_string()))?;
        match self.client.execute(request).await {
            Ok(response) => {
                let status = response.status().as_u16();
                let outcome = push::outcome(status, response.headers(), SystemTime::now());
                if let Outcome::Failed { vapid_problem, .. } = outcome {
                    let text = response.text().await.unwrap_or_default();
                    let text: String = text.chars().take(300).collect();
                    if vapid_problem {
                        tracing::warn!(origin, status, response = %text, "push service refused Herald's VAPID credentials; check the project's key and --vapid-subject");
                    } else {
                        tracing::warn!(origin, status, response = %text, delivery = d.id, "push service refused a message");
                    }
                }
                Ok((status, outcome))
            }
            Err(e) => {
                // reqwest puts the URL in its errors; the endpoint must not be logged.
                tracing::debug!(origin, delivery = d.id, error = %e.without_url(), "push attempt failed; will retry");
                Ok((0, Outcome::Retry))
            }
        }
    }

    fn record_for(&self, d: &Claimed, (status, outcome): (u16, Outcome)) -> Record {
        let now = now_ms();
        let retry_at = |delay: Duration| {
            let at = now + delay.as_millis() as i64;
            if d.attempt >= i64::from(self.config.max_attempts) {
                Record::Failed { status }
            } else if at >= d.expires_at {
                Record::Expired
            } else {
                Record::Retry { status, at }
            }
        };
        match outcome {
            Outcome::Sent => Record::Sent { status },
            Outcome::Gone => Record::Gone {
                status,
                subscription_id: d.subscription_id,
            },
            Outcome::Failed { status, .. } => Record::Failed { status },
            Outcome::RetryAfter(delay) => retry_at(delay),
            Outcome::Retry => {
                let jitter = f64::from(
                    SystemTime::now()
                        .duration_since(SystemTime::UNIX_EPOCH)
                        .map_or(0, |d| d.subsec_nanos())
                        % 1000,
                ) / 1000.0;
                let attempt = u32::try_from(d.attempt).unwrap_or(u32::MAX);
                retry_at(push::backoff(
                    attempt,
                    self.config.retry_base,
                    self.config.retry_cap,
                    jitter,
                ))
            }
        }
    }
}

/// Why a push could not be made.
enum Problem {
    /// Something about this message or subscription: retrying won't help.
    Message(String),
    /// Something passing (the database): try again later.
    Transient(anyhow::Error),
}

/// Writes outcomes in batches: whatever has arrived while the previous
/// batch was being written goes into the next one.
async fn record_outcomes(db: Db, mut rx: mpsc::UnboundedReceiver<(i64, Record)>) {
    while let Some(first) = rx.recv().await {
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
