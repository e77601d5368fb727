//! The backend's queries about users: the subscriptions bound to a uid,
//! and unbinding them all (log out everywhere).

use crate::db::{Db, Tx};
use crate::identity::Uid;
use crate::states::Status;
use crate::time::{now_ms, rfc3339};
use serde::Serialize;
use sqlx::Row;

/// One of a user's subscriptions, as the backend sees it: never the raw endpoint.
#[derive(Serialize)]
pub struct UserSubscription {
    /// SHA-256 hex of the endpoint.
    pub endpoint_hash: String,
    /// `active`, `opted_out` or `expired`.
    pub status: Status,
    /// When it was first stored (RFC 3339).
    pub created_at: String,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}

/// The subscriptions bound to `uid`, oldest first.
pub async fn list(
    db: &Db,
    project_id: &str,
    uid: &Uid,
) -> Result<Vec<UserSubscription>, sqlx::Error> {
    let rows = sqlx::query(
        "select endpoint_hash, status, created_at, updated_at from subscriptions
         where project_id = $1 and uid = $2 order by created_at, id",
    )
    .bind(project_id)
    .bind(uid.as_str())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(UserSubscription {
                endpoint_hash: row.try_get("endpoint_hash")?,
                status: Status::from_stored(&row.try_get::<String, _>("status")?),
                created_at: rfc3339(row.try_get("created_at")?),
                updated_at: rfc3339(row.try_get("updated_at")?),
            })
        })
        .collect()
}

/// A subscription about to lose its uid, as the consent log names it.
pub struct Bound {
    /// Row id.
    pub id: i64,
    /// SHA-256 of the endpoint.
    pub endpoint_hash: String,
    /// The consent text version it last agreed to.
    pub disclosure_version: Option<String>,
}

/// The subscriptions bound to `uid`, locked for this transaction.
pub async fn lock_bound(
    tx: &mut Tx,
    project_id: &str,
    uid: &Uid,
) -> Result<Vec<Bound>, sqlx::Error> {
    let sql = format!(
        "select id, endpoint_hash, disclosure_version from subscriptions
         where project_id = $1 and uid = $2 order by id{}",
        tx.lock()
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(project_id)
        .bind(uid.as_str())
        .fetch_all(&mut **tx)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Bound {
                id: row.try_get("id")?,
                endpoint_hash: row.try_get("endpoint_hash")?,
                disclosure_version: row.try_get("disclosure_version")?,
            })
        })
        .collect()
}

/// Unbinds every subscription of `uid` (rule 4: they stay, anonymous).
pub async fn unbind(tx: &mut Tx, project_id: &str, uid: &Uid) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "update subscriptions set uid = null, updated_at = $1 where project_id = $2 and uid = $3",
    )
    .bind(now_ms())
    .bind(project_id)
    .bind(uid.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}
