//! `herald send`: queues a notification through the same domain function as
//! `POST …/notifications`, delivers it with an in-process engine (unless
//! `--no-deliver`), and shows a progress bar until it is done.

use super::delivery::DeliveryArgs;
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

/// `herald send`: the same options as the API.
#[derive(clap::Args, Debug)]
pub struct SendArgs {
    /// Project id.
    #[arg(long)]
    project: String,
    /// Title.
    #[arg(long)]
    title: Option<String>,
    /// Body text.
    #[arg(long)]
    body: Option<String>,
    /// URL opened on click.
    #[arg(long)]
    url: Option<String>,
    /// Icon URL.
    #[arg(long)]
    icon: Option<String>,
    /// Seconds push services keep it.
    #[arg(long)]
    ttl: Option<i64>,
    /// very-low, low, normal or high.
    #[arg(long)]
    urgency: Option<String>,
    /// Send to these users (repeatable).
    #[arg(long = "uid", group = "target")]
    uids: Vec<String>,
    /// Send to subscriptions matching this tag expression.
    #[arg(long, group = "target")]
    tags: Option<String>,
    /// Send to subscribers of this topic.
    #[arg(long, group = "target")]
    topic: Option<String>,
    /// Send to everyone.
    #[arg(long, group = "target")]
    all: bool,
    /// Only queue it; leave sending to running `herald serve` processes.
    #[arg(long)]
    no_deliver: bool,
    #[command(flatten)]
    delivery: DeliveryArgs,
}

impl SendArgs {
    /// The API body these flags describe.
    pub fn request(&self) -> anyhow::Result<Request> {
        let target = if !self.uids.is_empty() {
            serde_json::json!({ "uids": self.uids })
        } else if let Some(tags) = &self.tags {
            serde_json::json!({ "tags": tags })
        } else if let Some(topic) = &self.topic {
            serde_json::json!({ "topic": topic })
        } else if self.all {
            serde_json::json!({ "all": true })
        } else {
            anyhow::bail!("say who gets it: --uid U (repeatable), --tags EXPR, --topic T or --all");
        };
        let body = serde_json::json!({
            "title": self.title, "body": self.body, "url": self.url, "icon": self.icon,
            "ttl": self.ttl, "urgency": self.urgency, "target": target,
        });
        Ok(Request {
            project: self.project.clone(),
            body,
        })
    }
}

/// Runs `herald send`.
pub async fn run(db: &Db, args: SendArgs) -> anyhow::Result<()> {
    db.migrate().await?;
    let request = args.request()?;
    let accepted = queue(db, &request).await?;
    eprintln!(
        "notification {} queued for {} subscriptions",
        accepted.id, accepted.queued
    );
    println!("{}", serde_json::to_string(&accepted)?);
    if args.no_deliver {
        return Ok(());
    }
    let engine = delivery::start(
        db.clone(),
        args.delivery.config(&format!(
            "{}:send:{}",
            super::delivery::host_name(),
            std::process::id()
        ))?,
        Default::default(),
    )?;
    engine.wake();
    follow(db, &request.project, &accepted).await
}

/// Validates and stores the send, as `POST …/notifications` does.
async fn queue(db: &Db, request: &Request) -> anyhow::Result<service::Accepted> {
    let body: SendBody = serde_json::from_value(request.body.clone())?;
    let send = Send::parse(body)?;
    crate::projects::load(db, &request.project).await?;
    let mut tx = db.begin_write().await?;
    let accepted = service::send(&mut tx, &request.project, &send)
        .await
        .map_err(crate::db::describe_error)?;
    tx.commit().await?;
    Ok(accepted)
}

/// Shows the notification's progress until nothing of it is left to send.
async fn follow(db: &Db, project: &str, accepted: &service::Accepted) -> anyhow::Result<()> {
    let bar = ProgressBar::new(accepted.queued.max(0) as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    loop {
        let progress = service::progress(db, project, accepted.id).await?;
        let c = &progress.counts;
        let finished = c.sent + c.failed + c.expired + c.cancelled;
        bar.set_position(finished.max(0) as u64);
        bar.set_message(format!(
            "{} sent, {} failed, {} expired, {} cancelled",
            c.sent, c.failed, c.expired, c.cancelled
        ));
        if matches!(progress.status, "done" | "cancelled" | "failed") {
            bar.finish();
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
