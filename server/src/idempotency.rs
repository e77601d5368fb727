//! Idempotency keys (rule 7): a mutation sent again with the same
//! `Idempotency-Key` gets the first answer back, byte for byte, and changes
//! nothing; the same key with another request is refused with 422.
//!
//! How concurrent duplicates are kept to one effect: the key is claimed by
//! inserting its row *inside the mutation's own transaction*, and the answer
//! is written into that row before commit. A second request with the key
//! blocks on that insert (PostgreSQL waits for the first transaction's
//! outcome on a unique conflict; SQLite's write transactions queue), and when
//! it proceeds it either finds the committed answer and replays it, or, if
//! the first request failed and rolled back, claims the key itself. No one
//! ever observes a half-done key. Only successful answers are stored: a
//! refused request changed nothing, so repeating it is safe.

use crate::db::{Db, Tx};
use crate::error::ApiError;
use crate::secret::sha256_hex;
use crate::time::now_ms;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sqlx::Row;

/// How long an answer is kept.
pub const RETENTION_MS: i64 = 24 * 60 * 60 * 1000;

/// A write in progress, with its idempotency key claimed.
pub struct Pending {
    tx: Tx,
    project_id: String,
    key: Option<String>,
}

/// What starting a mutation found.
pub enum Begun {
    /// First time this key is seen: go ahead.
    Fresh(Pending),
    /// The key was used before for this same request: send this answer again.
    Replay(Response),
}

/// The fingerprint that tells "the same request" from "another request".
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut data = Vec::with_capacity(method.len() + path.len() + body.len() + 2);
    data.extend_from_slice(method.as_bytes());
    data.push(b'\n');
    data.extend_from_slice(path.as_bytes());
    data.push(b'\n');
    data.extend_from_slice(body);
    sha256_hex(data)
}

/// Opens the write transaction and claims `key` (when there is one).
pub async fn begin(
    db: &Db,
    project_id: &str,
    key: Option<String>,
    fingerprint: &str,
) -> Result<Begun, ApiError> {
    let mut tx = db.begin_write().await?;
    if let Some(key) = &key {
        let now = now_ms();
        // Usually one statement: the claim. A conflict means the key was
        // seen before; an answer older than the retention period is
        // forgotten and the key claimed afresh.
        let mut claimed = claim(&mut tx, project_id, key, fingerprint, now).await?;
        if !claimed {
            let row = sqlx::query(
                "select request_hash, status_code, response_body, created_at from idempotency_keys
                 where project_id = $1 and key = $2",
            )
            .bind(project_id)
            .bind(key)
            .fetch_one(&mut *tx)
            .await?;
            let created_at: i64 = row.try_get("created_at")?;
            if created_at < now - RETENTION_MS {
                sqlx::query("delete from idempotency_keys where project_id = $1 and key = $2")
                    .bind(project_id)
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
                claimed = claim(&mut tx, project_id, key, fingerprint, now).await?;
            }
            if !claimed {
                tx.rollback().await?;
                let stored_hash: String = row.try_get("request_hash")?;
                if stored_hash != fingerprint {
                    return Err(ApiError::IdempotencyKeyReused(
                        "this Idempotency-Key was already used for a different request; use a new key for a new request".into(),
                    ));
                }
                let status: i64 = row.try_get("status_code")?;
                let body: String = row.try_get("response_body")?;
                return Ok(Begun::Replay(replay(status, body)));
            }
        }
    }
    Ok(Begun::Fresh(Pending {
        tx,
        project_id: project_id.to_string(),
        key,
    }))
}

/// Inserts the key's row; `false` when it already exists.
async fn claim(
    tx: &mut Tx,
    project_id: &str,
    key: &str,
    fingerprint: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into idempotency_keys (project_id, key, request_hash, status_code, response_body, created_at)
         values ($1, $2, $3, 0, '', $4)
         on conflict (project_id, key) do nothing",
    )
    .bind(project_id)
    .bind(key)
    .bind(fingerprint)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

fn replay(status: i64, body: String) -> Response {
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let mut response = json_response(status, body);
    response
        .headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}

fn json_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

impl Pending {
    /// The transaction to do the work in.
    pub fn tx(&mut self) -> &mut Tx {
        &mut self.tx
    }

    /// Stores the answer under the key, commits, and returns the answer.
    pub async fn finish(
        mut self,
        status: StatusCode,
        body: &impl Serialize,
    ) -> Result<Response, ApiError> {
        let body = serde_json::to_string(body).map_err(anyhow::Error::from)?;
        if let Some(key) = &self.key {
            sqlx::query(
                "update idempotency_keys set status_code = $1, response_body = $2
                 where project_id = $3 and key = $4",
            )
            .bind(i64::from(status.as_u16()))
            .bind(&body)
            .bind(&self.project_id)
            .bind(key)
            .execute(&mut *self.tx)
            .await?;
        }
        self.tx.commit().await?;
        Ok(json_response(status, body))
    }
}

/// Forgets answers older than the retention period.
pub async fn purge_expired(db: &Db) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("delete from idempotency_keys where created_at < $1")
        .bind(now_ms() - RETENTION_MS)
        .execute(db.writer())
        .await?;
    Ok(done.rows_affected())
}
