//! Starting and stopping the engine: [`start`] builds the HTTP client and
//! spawns the worker loop and the outcome recorder; the [`Handle`] wakes
//! the loop for new work and shuts it all down gracefully.

use super::Config;
use super::origins::Origins;
use super::recorder;
use super::sender::Sender;
use super::signing::Signing;
use super::worker::Worker;
use crate::db::Db;
use crate::projects;
use crate::queue;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore, mpsc};

/// A running engine.
pub struct Handle {
    wake: Arc<Notify>,
    worker: Arc<Worker>,
    run: tokio::task::JoinHandle<()>,
    recorder: Mutex<Option<tokio::task::JoinHandle<()>>>,
    heartbeat: tokio::task::JoinHandle<()>,
    /// Tells the recorder to write what it has and end (shutdown).
    finish_recording: Arc<Notify>,
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
    let sender = Arc::new(Sender {
        db: db.clone(),
        signing: Signing::new(db.clone(), projects, config.subject.clone()),
        origins: Origins::new(config.per_origin),
        client,
        config: config.clone(),
        stopping: AtomicBool::new(false),
    });
    let worker = Arc::new(Worker {
        global: Arc::new(Semaphore::new(config.concurrency.max(1))),
        db: db.clone(),
        config,
        sender,
        outcomes,
    });
    let finish_recording = Arc::new(Notify::new());
    let recorder = tokio::spawn(recorder::run(db, recorded, finish_recording.clone()));
    let run = tokio::spawn(worker.clone().run(wake.clone()));
    let heartbeat = tokio::spawn(beat(worker.db.clone(), worker.config.clone()));
    Ok(Handle {
        wake,
        worker,
        run,
        recorder: Mutex::new(Some(recorder)),
        heartbeat,
        finish_recording,
    })
}

/// Says every `config.heartbeat` that this node is alive (its own task, so
/// a busy worker loop never looks dead).
async fn beat(db: Db, config: Config) {
    let mut every = tokio::time::interval(config.heartbeat);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        if let Err(e) = queue::leases::heartbeat(&db, &config.node_id).await {
            tracing::warn!(error = %crate::db::describe_error(e), "heartbeat failed");
        }
    }
}

impl Handle {
    /// Tells the engine there is new work (a send in this process).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// What wakes the engine, for others to hold (the API's state).
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Stops claiming, lets the pushes in flight finish and their outcomes
    /// be written (for at most `grace`), hands back in the queue what it
    /// did not finish (claimed, not yet sent), then stops.
    pub async fn shutdown(&self, grace: Duration) {
        self.worker.sender.stopping.store(true, Ordering::SeqCst);
        self.wake.notify_one();
        let deadline = tokio::time::Instant::now() + grace;
        while self.worker.in_flight() > 0 && tokio::time::Instant::now() < deadline {
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
        self.heartbeat.abort();
        let (db, node) = (&self.worker.db, &self.worker.config.node_id);
        match queue::leases::release_own(db, node).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                deliveries = n,
                "handed back the deliveries not sent before stopping"
            ),
            Err(e) => {
                tracing::warn!(error = %crate::db::describe_error(e), "handing back leases failed; they are taken over when this node's heartbeat is old")
            }
        }
        if let Err(e) = queue::leases::leave(db, node).await {
            tracing::warn!(error = %crate::db::describe_error(e), "could not remove this node's heartbeat");
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.worker.sender.stopping.store(true, Ordering::SeqCst);
        self.run.abort();
        self.heartbeat.abort();
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
