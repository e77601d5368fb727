//! The command line: `herald serve | send | migrate | project create |
//! token create | vapid rotate`. Each subcommand is a thin adapter over a
//! domain function.
//!
//! - [`serve`]: the server; [`send`]: a send with a progress bar;
//!   [`keys`]: projects, tokens and VAPID keys; [`delivery`]: the engine's
//!   flags both `serve` and `send` take.

pub mod delivery;
pub mod keys;
pub mod send;
pub mod serve;

use crate::db::{DEFAULT_DATABASE_URL, Db};
use clap::{Parser, Subcommand};
use keys::{ProjectCommand, TokenCommand, VapidCommand};

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
    Serve(serve::ServeArgs),
    /// Sends a notification and shows its progress until it is done.
    Send(send::SendArgs),
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

/// Runs the parsed command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let db = Db::connect(&cli.database_url).await?;
    match cli.command {
        Command::Serve(args) => serve::run(db, args).await,
        Command::Send(args) => send::run(&db, args).await,
        Command::Migrate => {
            db.migrate().await?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Project { command } => keys::project(&db, command).await,
        Command::Token { command } => keys::token(&db, command).await,
        Command::Vapid { command } => keys::vapid(&db, command).await,
    }
}
