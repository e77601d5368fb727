//! The command line: `herald serve | migrate | project create | token create
//! | vapid rotate`. Each subcommand is a thin adapter over a domain function.

use crate::db::{DEFAULT_DATABASE_URL, Db};
use crate::projects;
use crate::startup::{Application, Config};
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
    },
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
    /// Replaces the project's VAPID key pair; prints the new public key.
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
        } => {
            let config = Config {
                listen,
                allow_origins: allow_origin,
                site_dir,
                dist_dir,
                retention_days,
            };
            let app = Application::build(config, db).await?;
            tracing::info!("listening on http://{}", app.local_addr()?);
            app.run().await
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
