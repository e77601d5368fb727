//! The project rows and their API tokens.
//!
//! A token is `hrld_` + 32 random bytes in hex. Only its SHA-256 is stored,
//! so a database leak does not leak working tokens; it is printed once, when
//! created.

use super::{CreatedProject, Project, ProjectError};
use crate::db::Db;
use crate::secret::{Secret, random_hex, sha256_hex};
use crate::time::now_ms;
use crate::webpush::vapid;
use anyhow::Context;
use sqlx::Row;

/// Creates a project with a new key pair, secret and first API token.
pub async fn create(db: &Db, name: &str) -> anyhow::Result<CreatedProject> {
    let name = name.trim();
    anyhow::ensure!(
        !name.is_empty() && name.chars().count() <= 200,
        "--name must be 1 to 200 characters"
    );
    let id = random_hex(8)?;
    let secret = random_hex(32)?;
    let salt = random_hex(16)?;
    let keys = vapid::generate()?;
    let mut tx = db.begin_write().await?;
    sqlx::query(
        "insert into projects (id, name, secret, consent_salt, vapid_private_key, vapid_public_key, created_at)
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(name)
    .bind(&secret)
    .bind(&salt)
    .bind(keys.private_key.expose())
    .bind(&keys.public_key)
    .bind(now_ms())
    .execute(&mut *tx)
    .await
    .map_err(crate::db::describe_error)?;
    let api_token = insert_token(&mut tx, &id).await?;
    tx.commit().await.map_err(crate::db::describe_error)?;
    Ok(CreatedProject {
        id,
        secret,
        api_token: api_token.expose().clone(),
        vapid_public_key: keys.public_key,
    })
}

/// Creates another API token for an existing project.
pub async fn create_token(db: &Db, project_id: &str) -> anyhow::Result<Secret<String>> {
    let mut tx = db.begin_write().await?;
    let exists = sqlx::query("select 1 from projects where id = $1")
        .bind(project_id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(crate::db::describe_error)?;
    anyhow::ensure!(exists.is_some(), "no project with id {project_id}");
    let token = insert_token(&mut tx, project_id).await?;
    tx.commit().await.map_err(crate::db::describe_error)?;
    Ok(token)
}

async fn insert_token(tx: &mut crate::db::Tx, project_id: &str) -> anyhow::Result<Secret<String>> {
    let token = format!("hrld_{}", random_hex(32)?);
    sqlx::query("insert into api_tokens (project_id, token_hash, created_at) values ($1, $2, $3)")
        .bind(project_id)
        .bind(sha256_hex(&token))
        .bind(now_ms())
        .execute(&mut **tx)
        .await
        .map_err(crate::db::describe_error)
        .context("storing the API token failed")?;
    Ok(Secret::new(token))
}

/// Replaces a project's VAPID key pair (`herald vapid rotate`). Browsers
/// subscribed with the old key are moved over by the SDK, which notices the
/// key change on load and resubscribes; until then the old pair is kept as
/// the previous one, and a push the push service refuses with the new key
/// is signed with it (the one before is dropped).
pub async fn rotate_vapid(db: &Db, project_id: &str) -> anyhow::Result<String> {
    let keys = vapid::generate()?;
    let done = sqlx::query(
        "update projects set previous_vapid_private_key = vapid_private_key,
             previous_vapid_public_key = vapid_public_key,
             vapid_private_key = $1, vapid_public_key = $2
         where id = $3",
    )
    .bind(keys.private_key.expose())
    .bind(&keys.public_key)
    .bind(project_id)
    .execute(db.writer())
    .await
    .map_err(crate::db::describe_error)?;
    anyhow::ensure!(done.rows_affected() == 1, "no project with id {project_id}");
    Ok(keys.public_key)
}

/// Loads a project; 404 when the id is unknown.
pub async fn load(db: &Db, id: &str) -> Result<Project, ProjectError> {
    let row = sqlx::query(
        "select id, secret, consent_salt, vapid_private_key, vapid_public_key,
                previous_vapid_private_key, previous_vapid_public_key
         from projects where id = $1",
    )
    .bind(id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ProjectError::NotFound(id.to_string()))?;
    Ok(Project {
        id: row.try_get("id")?,
        secret: Secret::new(row.try_get("secret")?),
        consent_salt: Secret::new(row.try_get("consent_salt")?),
        vapid_private_key: Secret::new(row.try_get("vapid_private_key")?),
        vapid_public_key: row.try_get("vapid_public_key")?,
        previous_vapid: match (
            row.try_get::<Option<String>, _>("previous_vapid_private_key")?,
            row.try_get::<Option<String>, _>("previous_vapid_public_key")?,
        ) {
            (Some(private), Some(public)) => Some((Secret::new(private), public)),
            _ => None,
        },
    })
}

/// The project (id, name) a backend API token belongs to.
pub async fn of_token(db: &Db, token: &Secret<String>) -> Result<(String, String), ProjectError> {
    let row = sqlx::query(
        "select p.id, p.name from api_tokens t join projects p on p.id = t.project_id
         where t.token_hash = $1",
    )
    .bind(sha256_hex(token.expose()))
    .fetch_optional(db.pool())
    .await?
    .ok_or(ProjectError::BadToken)?;
    Ok((row.try_get("id")?, row.try_get("name")?))
}

/// Checks a backend API token against a project; 401 unless it is one of
/// that project's tokens.
pub async fn authenticate(
    db: &Db,
    project_id: &str,
    token: &Secret<String>,
) -> Result<(), ProjectError> {
    let found = sqlx::query("select 1 from api_tokens where token_hash = $1 and project_id = $2")
        .bind(sha256_hex(token.expose()))
        .bind(project_id)
        .fetch_optional(db.pool())
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(ProjectError::BadToken),
    }
}
