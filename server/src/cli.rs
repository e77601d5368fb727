//! The command line: `herald serve | migrate | project create | token create
//! | vapid rotate`. Each subcommand is a thin adapter over a domain function.

use crate::db::{DEFAULT_DATABASE_URL, Db};
use crate::projects;
use crate::startup::{Application, Config};
use crate::webpush::services::PushServices;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Herald: self-hosted web push.
#[derive(Parser, Debug)]
#[command(name = "herald", version, about)]
pub struct Cli {
    /// Database URL: a SQLite file (`sqlite://herald.db`, or a path) or
    /// `postgres://user@host/db`.
    #[arg(long, global = true, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Runs the HTTP server (applies migrations first).
    Serve {
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
    },
    /// Sends a notification and shows its progress until it is done.
    Send(SendArgs),
    /// Applies database migrations.
    Migrate,
    /// Manages projects.
    Project {
        #[command(subcommand)]
        command: ProjectCommand,
    },
    /// Manages backend API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manages VAPID keys.
    Vapid {
        #[command(subcommand)]
        command: VapidCommand,
    },
}

/// Delivery engine settings (`herald serve`, `herald send`).
#[derive(clap::Args, Debug, Clone)]
struct DeliveryArgs {
    /// VAPID contact sent to push services: a mailto: or https: URL.
    #[arg(
        long,
        env = "HERALD_VAPID_SUBJECT",
        default_value = "mailto:admin@localhost"
    )]
    vapid_subject: String,
    /// Pushes in flight at once, in total.
    #[arg(long, default_value_t = 512)]
    concurrency: usize,
    /// Pushes in flight at once per push-service origin.
    #[arg(long, default_value_t = 128)]
    per_origin_concurrency: usize,
    /// Attempts before a delivery counts as failed.
    #[arg(long, default_value_t = 8)]
    max_attempts: u32,
    /// Seconds a claimed delivery stays reserved for its worker.
    #[arg(long, default_value_t = 120)]
    lease_seconds: u64,
    /// Seconds before one push request gives up.
    #[arg(long, default_value_t = 30)]
    request_timeout_seconds: u64,
    /// First retry delay in milliseconds after a 5xx or network error.
    #[arg(long, default_value_t = 1000)]
    retry_base_ms: u64,
    /// Another push service subscriptions may use (repeatable): a host
    /// (`push.example.com`), `*.domain`, or an IP address, optionally with
    /// `:port`, and `http://` to allow plain http. Only a pattern naming one
    /// host or address exactly lets it reach private or loopback addresses.
    /// Built in: FCM, Mozilla, Apple and Windows push services.
    #[arg(long = "push-service", value_name = "HOST_PATTERN")]
    push_services: Vec<String>,
    /// Accept only the `--push-service` patterns, not the built-in services.
    #[arg(long)]
    no_default_push_services: bool,
}

impl DeliveryArgs {
    fn config(&self) -> anyhow::Result<crate::delivery::Config> {
        anyhow::ensure!(
            self.vapid_subject.starts_with("mailto:") || self.vapid_subject.starts_with("https:"),
            "--vapid-subject must be a mailto: or https: URL"
        );
        Ok(crate::delivery::Config {
            subject: self.vapid_subject.clone(),
            concurrency: self.concurrency.max(1),
            per_origin: self.per_origin_concurrency.max(1),
            max_attempts: self.max_attempts.max(1),
            lease: std::time::Duration::from_secs(self.lease_seconds.max(1)),
            request_timeout: std::time::Duration::from_secs(self.request_timeout_seconds.max(1)),
            retry_base: std::time::Duration::from_millis(self.retry_base_ms.max(1)),
            push_services: PushServices::new(&self.push_services, !self.no_default_push_services)
                .map_err(anyhow::Error::msg)?,
            ..Default::default()
        })
    }
}

/// `herald send`: the same options as the API.
#[derive(clap::Args, Debug)]
struct SendArgs {
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

#[derive(Subcommand, Debug)]
enum ProjectCommand {
    /// Creates a project; prints `{id, secret, api_token, vapid_public_key}`.
    Create {
        /// A name for people.
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCommand {
    /// Creates a backend API token and prints it.
    Create {
        /// Project id.
        #[arg(long)]
        project: String,
    },
}

#[derive(Subcommand, Debug)]
enum VapidCommand {
    /// Replaces the project's VAPID key pair; prints the new public key. The
    /// old pair signs pushes to browsers not yet resubscribed with the new one.
    Rotate {
        /// Project id.
        #[arg(long)]
        project: String,
    },
}

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let db = Db::connect(&cli.database_url).await?;
    match cli.command {
        Command::Serve {
            listen,
            allow_origin,
            site_dir,
            dist_dir,
            retention_days,
            delivery,
            no_workers,
        } => {
            let config = Config {
                listen,
                allow_origins: allow_origin,
                site_dir,
                dist_dir,
                retention_days,
                workers: !no_workers,
                delivery: delivery.config()?,
            };
            if config.workers && config.delivery.subject == "mailto:admin@localhost" {
                tracing::warn!(
                    "--vapid-subject is the default mailto:admin@localhost; real push services (Apple's above all) may refuse it: set a contact you read"
                );
            }
            let app = Application::build(config, db).await?;
            tracing::info!("listening on http://{}", app.local_addr()?);
            app.run().await
        }
        Command::Send(args) => {
            db.migrate().await?;
            crate::send_command::run(
                &db,
                args.request()?,
                args.no_deliver,
                args.delivery.config()?,
            )
            .await
        }
        Command::Migrate => {
            db.migrate().await?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Project {
            command: ProjectCommand::Create { name },
        } => {
            db.migrate().await?;
            let created = projects::create(&db, &name).await?;
            println!("{}", serde_json::to_string(&created)?);
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Create { project },
        } => {
            db.migrate().await?;
            let token = projects::create_token(&db, &project).await?;
            println!("{}", token.expose());
            Ok(())
        }
        Command::Vapid {
            command: VapidCommand::Rotate { project },
        } => {
            db.migrate().await?;
            let key = projects::rotate_vapid(&db, &project).await?;
            println!("{}", serde_json::json!({ "vapid_public_key": key }));
            Ok(())
        }
    }
}

impl SendArgs {
    fn request(&self) -> anyhow::Result<crate::send_command::Request> {
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
        Ok(crate::send_command::Request {
            project: self.project.clone(),
            body,
        })
    }
}
