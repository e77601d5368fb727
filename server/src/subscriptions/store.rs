//! Reading and writing subscription rows. Callers pass the connection (a
//! transaction for writes) so that a change and its consent rows commit
//! together.

use super::fields::{Endpoint, Frequency, Names};
use crate::db::Tx;
use crate::secret::Secret;
pub use crate::states::Status;
use crate::time::now_ms;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// A stored subscription, minus the raw endpoint.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// Row id.
    pub id: i64,
    /// SHA-256 of the endpoint.
    pub endpoint_hash: String,
    /// Stored public key.
    pub p256dh: String,
    /// Stored auth secret (base64url).
    pub auth: Secret<String>,
    /// Bound user.
    pub uid: Option<String>,
    /// Routing tags.
    pub tags: Names,
    /// Subscribed topics.
    pub topics: Names,
    /// Delivery frequency.
    pub frequency: Frequency,
    /// Where it stands.
    pub status: Status,
    /// Consent text version last agreed to.
    pub disclosure_version: Option<String>,
}

/// What the API answers about a subscription.
#[derive(Debug, Clone, Serialize)]
pub struct State {
    /// `active`, `opted_out` or `expired`.
    pub status: Status,
    /// Bound user, or null.
    pub uid: Option<String>,
    /// Routing tags.
    pub tags: Names,
    /// Subscribed topics.
    pub topics: Names,
    /// Delivery frequency.
    pub frequency: Frequency,
}

impl Subscription {
    /// The API view.
    pub fn state(&self) -> State {
        State {
            status: self.status,
            uid: self.uid.clone(),
            tags: self.tags.clone(),
            topics: self.topics.clone(),
            frequency: self.frequency,
        }
    }
}

const COLUMNS: &str =
    "id, endpoint_hash, p256dh, auth, uid, tags, topics, frequency, status, disclosure_version";

fn from_row(row: &sqlx::any::AnyRow) -> Result<Subscription, sqlx::Error> {
    let tags: String = row.try_get("tags")?;
    let topics: String = row.try_get("topics")?;
    let frequency: String = row.try_get("frequency")?;
    let status: String = row.try_get("status")?;
    Ok(Subscription {
        id: row.try_get("id")?,
        endpoint_hash: row.try_get("endpoint_hash")?,
        p256dh: row.try_get("p256dh")?,
        auth: Secret::new(row.try_get("auth")?),
        uid: row.try_get("uid")?,
        tags: Names::from_stored(&tags),
        topics: Names::from_stored(&topics),
        frequency: Frequency::from_stored(&frequency).unwrap_or_default(),
        status: Status::from_stored(&status),
        disclosure_version: row.try_get("disclosure_version")?,
    })
}

/// Finds a subscription by endpoint hash, to read it.
pub async fn find(
    conn: &mut AnyConnection,
    project_id: &str,
    endpoint_hash: &str,
) -> Result<Option<Subscription>, sqlx::Error> {
    find_locking(conn, project_id, endpoint_hash, "").await
}

/// Finds a subscription by endpoint hash, locked for this transaction's
/// change (PostgreSQL; SQLite's write transaction excludes others anyway).
pub async fn find_for_update(
    tx: &mut Tx,
    project_id: &str,
    endpoint_hash: &str,
) -> Result<Option<Subscription>, sqlx::Error> {
    let lock = tx.lock();
    find_locking(tx, project_id, endpoint_hash, lock).await
}

async fn find_locking(
    conn: &mut AnyConnection,
    project_id: &str,
    endpoint_hash: &str,
    lock: &str,
) -> Result<Option<Subscription>, sqlx::Error> {
    let sql = format!(
        "select {COLUMNS} from subscriptions where project_id = $1 and endpoint_hash = $2{lock}"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(project_id)
        .bind(endpoint_hash)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// A subscription to insert.
pub struct NewRow<'a> {
    /// Endpoint.
    pub endpoint: &'a Endpoint,
    /// Public key.
    pub p256dh: &'a str,
    /// Auth secret, base64url.
    pub auth: &'a str,
    /// Bound user.
    pub uid: Option<&'a str>,
    /// Tags.
    pub tags: &'a Names,
    /// Topics.
    pub topics: &'a Names,
    /// Frequency.
    pub frequency: Frequency,
    /// Consent text version.
    pub disclosure_version: Option<&'a str>,
}

/// Inserts a new subscription; `None` when a concurrent request inserted
/// the same endpoint first.
pub async fn insert(
    conn: &mut AnyConnection,
    project_id: &str,
    row: NewRow<'_>,
) -> Result<Option<Subscription>, sqlx::Error> {
    let now = now_ms();
    let sql = format!(
        "insert into subscriptions (project_id, endpoint, endpoint_hash, p256dh, auth, uid, tags, topics,
                                    frequency, status, disclosure_version, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, {active}, $10, $11, $11)
         on conflict (project_id, endpoint_hash) do nothing
         returning {COLUMNS}",
        active = Status::Active.sql()
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(project_id)
        .bind(row.endpoint.expose())
        .bind(row.endpoint.hash())
        .bind(row.p256dh)
        .bind(row.auth)
        .bind(row.uid)
        .bind(row.tags.to_stored())
        .bind(row.topics.to_stored())
        .bind(row.frequency.as_str())
        .bind(row.disclosure_version)
        .bind(now)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Writes back the mutable fields of `sub`.
pub async fn save(conn: &mut AnyConnection, sub: &Subscription) -> Result<(), sqlx::Error> {
    let now = now_ms();
    sqlx::query(
        "update subscriptions
         set p256dh = $1, auth = $2, uid = $3, tags = $4, topics = $5, frequency = $6, status = $7,
             disclosure_version = $8, updated_at = $9,
             opted_out_at = case when $7 = $11 then coalesce(opted_out_at, $9) else null end,
             expired_at = case when $7 = $12 then coalesce(expired_at, $9) else null end
         where id = $10",
    )
    .bind(&sub.p256dh)
    .bind(sub.auth.expose())
    .bind(sub.uid.as_deref())
    .bind(sub.tags.to_stored())
    .bind(sub.topics.to_stored())
    .bind(sub.frequency.as_str())
    .bind(sub.status.as_str())
    .bind(sub.disclosure_version.as_deref())
    .bind(now)
    .bind(sub.id)
    .bind(Status::OptedOut.as_str())
    .bind(Status::Expired.as_str())
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes subscriptions opted out before `cutoff` (Unix ms); the consent
/// log keeps its rows (rule 6).
pub async fn purge_opted_out(db: &crate::db::Db, cutoff: i64) -> Result<u64, sqlx::Error> {
    let sql = format!(
        "delete from subscriptions where status = {} and opted_out_at < $1",
        Status::OptedOut.sql()
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(cutoff)
        .execute(db.writer())
        .await?;
    Ok(done.rows_affected())
}

/// Moves a row to another endpoint (rotation), keeping everything else.
pub async fn move_endpoint(
    conn: &mut AnyConnection,
    id: i64,
    endpoint: &Endpoint,
) -> Result<(), sqlx::Error> {
    sqlx::query("update subscriptions set endpoint = $1, endpoint_hash = $2 where id = $3")
        .bind(endpoint.expose())
        .bind(endpoint.hash())
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}
