//! `herald send`: queues a notification through the same domain function as
//! `POST …/notifications`, delivers it with an in-process engine (unless
//! `--no-deliver`), and shows a progress bar until it is done.

use crate::db::Db;
use crate::delivery;
use crate::notifications::request::{Send, SendBody};
use crate::notifications::service;
use indicatif::{ProgressBar, ProgressStyle};
use std::time::Duration;

/// A send as the command line gives it.
pub struct Request {
    /// Project id.
    pub project: String,
    /// The API body (title, body, …, target).
    pub body: serde_json::Value,
}

/// Runs `herald send`.
pub async fn run(
    db: &Db,
    request: Request,
    no_deliver: bool,
    config: delivery::Config,
) -> anyhow::Result<()> {
    let body: SendBody = serde_json::from_value(request.body)?;
    let send = Send::parse(body)?;
    crate::projects::load(db, &request.project).await?;
    let mut tx = db.begin_write().await?;
    let accepted = service::send(&mut tx, &request.project, &send)
        .await
        .map_err(crate::db::describe_error)?;
    tx.commit().await?;
    eprintln!(
        "notification {} queued for {} subscriptions",
        accepted.id, accepted.queued
    );
    println!("{}", serde_json::to_string(&accepted)?);
    if no_deliver {
        return Ok(());
    }
    let engine = delivery::start(db.clone(), config, Default::default())?;
    engine.wake();
    let bar = ProgressBar::new(accepted.queued.max(0) as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    loop {
        let progress = service::progress(db, &request.project, accepted.id).await?;
        let c = &progress.counts;
        let finished = c.sent + c.failed + c.expired + c.cancelled;
        bar.set_position(finished.max(0) as u64);
        bar.set_message(format!(
            "{} sent, {} failed, {} expired, {} cancelled",
            c.sent, c.failed, c.expired, c.cancelled
        ));
        if matches!(progress.status, "done" | "cancelled") {
            bar.finish();
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(engine);
    Ok(())
}
