//! `herald serve`: the HTTP server with its delivery engine.

use super::delivery::{DeliveryArgs, host_name};
use crate::connections::ConnectionLimits;
use crate::db::Db;
use crate::limits::Rates;
use crate::startup::{Application, Config};
use std::path::PathBuf;
use std::time::Duration;

/// `herald serve`'s flags.
#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// An origin allowed to call the browser API (repeatable); `*` allows any.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allow_origin: Vec<String>,
    /// Folder served at `/`.
    #[arg(long, default_value = "demo-site")]
    site_dir: PathBuf,
    /// Folder with the SDK and worker builds (`sdk/`, `sw/`).
    #[arg(long, default_value = "dist")]
    dist_dir: PathBuf,
    /// Days to keep opted-out subscriptions before purging them.
    #[arg(long, default_value_t = 90)]
    retention_days: u32,
    #[command(flatten)]
    delivery: DeliveryArgs,
    /// Serve the API only; leave delivery to other processes.
    #[arg(long)]
    no_workers: bool,
    /// Serve the demo shop's backend (log in, log out, uid tokens under
    /// /demo) for this project; scripts/start.sh passes it.
    #[arg(long, value_name = "PROJECT_ID")]
    demo: Option<String>,
    /// Open connections at most; more wait in the listen backlog.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// Seconds a client has to send a request's headers.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout_secs: u64,
    /// Seconds a connection may sit with no bytes in or out (keep-alive
    /// between requests, a client that stopped reading); longer than
    /// --request-timeout-secs.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    idle_timeout_secs: u64,
    /// Seconds one request may run before it is stopped with a 503.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    request_timeout_secs: u64,
    /// Browser-facing API calls a minute per client address (bursts up to
    /// as many); 0: no limit.
    #[arg(long, default_value_t = 1_200)]
    browser_rate_per_minute: u32,
    /// Backend API calls a minute per API token (bursts up to as many);
    /// 0: no limit.
    #[arg(long, default_value_t = 12_000)]
    backend_rate_per_minute: u32,
}

impl ServeArgs {
    fn config(self) -> anyhow::Result<Config> {
        Ok(Config {
            // The host and the port: the same after a restart, different
            // for each node on one host (a free port: this process only).
            delivery: self.delivery.config(&match self.listen.rsplit_once(':') {
                Some((_, port)) if port != "0" => format!("{}:{port}", host_name()),
                _ => format!("{}:{}", host_name(), std::process::id()),
            })?,
            listen: self.listen,
            allow_origins: self.allow_origin,
            site_dir: self.site_dir,
            dist_dir: self.dist_dir,
            retention_days: self.retention_days,
            workers: !self.no_workers,
            demo: self.demo,
            connections: ConnectionLimits {
                max_connections: self.max_connections as usize,
                header_timeout: Duration::from_secs(self.header_timeout_secs),
                idle_timeout: Duration::from_secs(self.idle_timeout_secs),
                ..ConnectionLimits::default()
            },
            request_timeout: Duration::from_secs(self.request_timeout_secs),
            rates: Rates {
                browser_per_minute: self.browser_rate_per_minute,
                backend_per_minute: self.backend_rate_per_minute,
            },
        })
    }
}

/// Runs `herald serve` until Ctrl-C or SIGTERM.
pub async fn run(db: Db, args: ServeArgs) -> anyhow::Result<()> {
    let config = args.config()?;
    if config.workers && config.delivery.subject == "mailto:admin@localhost" {
        tracing::warn!(
            "--vapid-subject is the default mailto:admin@localhost; real push services (Apple's above all) may refuse it: set a contact you read"
        );
    }
    let app = Application::build(config, db).await?;
    tracing::info!("listening on http://{}", app.local_addr()?);
    app.run().await
}
