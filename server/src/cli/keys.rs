//! `herald project create`, `herald token create`, `herald vapid rotate`:
//! a project's keys, secret and API tokens.

use crate::db::Db;
use crate::projects;
use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum ProjectCommand {
    /// Creates a project; prints `{id, secret, api_token, vapid_public_key}`.
    Create {
        /// A name for people.
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Creates a backend API token and prints it.
    Create {
        /// Project id.
        #[arg(long)]
        project: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum VapidCommand {
    /// Replaces the project's VAPID key pair; prints the new public key. The
    /// old pair signs pushes to browsers not yet resubscribed with the new one.
    Rotate {
        /// Project id.
        #[arg(long)]
        project: String,
    },
}

/// `herald project create`: prints `{id, secret, api_token, vapid_public_key}`.
pub async fn project(db: &Db, command: ProjectCommand) -> anyhow::Result<()> {
    let ProjectCommand::Create { name } = command;
    db.migrate().await?;
    let created = projects::create(db, &name).await?;
    println!("{}", serde_json::to_string(&created)?);
    Ok(())
}

/// `herald token create`: prints the new token (the only time it is shown).
pub async fn token(db: &Db, command: TokenCommand) -> anyhow::Result<()> {
    let TokenCommand::Create { project } = command;
    db.migrate().await?;
    let token = projects::create_token(db, &project).await?;
    println!("{}", token.expose());
    Ok(())
}

/// `herald vapid rotate`: prints `{vapid_public_key}`.
pub async fn vapid(db: &Db, command: VapidCommand) -> anyhow::Result<()> {
    let VapidCommand::Rotate { project } = command;
    db.migrate().await?;
    let key = projects::rotate_vapid(db, &project).await?;
    println!("{}", serde_json::json!({ "vapid_public_key": key }));
    Ok(())
}
