//! The notification rows, and the audience queries over subscriptions that
//! a target's predicate selects.

use super::content::Content;
use super::target::Target;
use crate::db::{Db, Tx};
use crate::states::Status;
use sqlx::Row;

/// A notification to insert.
pub struct NewNotification<'a> {
    /// Owner.
    pub project_id: &'a str,
    /// What it shows.
    pub content: &'a Content,
    /// Who gets it.
    pub target: &'a Target,
    /// Seconds push services keep it.
    pub ttl: i64,
    /// RFC 8030 urgency.
    pub urgency: Option<&'a str>,
    /// RFC 8030 topic.
    pub topic: Option<&'a str>,
    /// When it is due (Unix ms).
    pub send_at: i64,
    /// When its TTL runs out.
    pub expires_at: i64,
    /// The highest subscription id a fan-out covers.
    pub fanout_until: i64,
    /// Now.
    pub created_at: i64,
}

/// Inserts a notification; its id.
pub async fn insert(tx: &mut Tx, n: NewNotification<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "insert into notifications (project_id, payload, target, ttl, urgency, topic, send_at, expires_at,
                                    total, fanout_until, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10) returning id",
    )
    .bind(n.project_id)
    .bind(n.content.to_stored())
    .bind(n.target.to_stored())
    .bind(n.ttl)
    .bind(n.urgency)
    .bind(n.topic)
    .bind(n.send_at)
    .bind(n.expires_at)
    .bind(n.fanout_until)
    .bind(n.created_at)
    .fetch_one(&mut **tx)
    .await?
    .try_get("id")
}

/// Records how many subscriptions it targets, and whether its deliveries
/// are all written.
pub async fn set_total(
    tx: &mut Tx,
    id: i64,
    total: i64,
    fanout_done: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("update notifications set total = $1, fanout_done = $2 where id = $3")
        .bind(total)
        .bind(i64::from(fanout_done))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The highest id of the project's active subscriptions (0 without any):
/// a fan-out covers those that exist when the send is accepted.
pub async fn highest_active(tx: &mut Tx, project_id: &str) -> Result<i64, sqlx::Error> {
    let sql = format!(
        "select coalesce(max(id), 0) as m from subscriptions where project_id = $1 and status = {}",
        Status::Active.sql()
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(project_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get("m")
}

/// How many active subscriptions with id ≤ `until` match `predicate`.
pub async fn count_audience(
    tx: &mut Tx,
    project_id: &str,
    predicate: &str,
    until: i64,
) -> Result<i64, sqlx::Error> {
    let sql = format!(
        "select count(*) as n from subscriptions s
         where s.project_id = $1 and s.status = {} and s.id <= $2 and {predicate}",
        Status::Active.sql()
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .persistent(false)
        .bind(project_id)
        .bind(until)
        .fetch_one(&mut **tx)
        .await?
        .try_get("n")
}

/// The id that ends the next fan-out batch: the `batch`-th matching active
/// subscription after `cursor` (at most `until`), or `None` when none is left.
pub async fn batch_end(
    tx: &mut Tx,
    project_id: &str,
    predicate: &str,
    (cursor, until): (i64, i64),
    batch: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let sql = format!(
        "select max(id) as upper from (select s.id from subscriptions s
           where s.project_id = $1 and s.status = {} and s.id > $2 and s.id <= $3 and {predicate}
           order by s.id limit $4) batch",
        Status::Active.sql()
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .persistent(false)
        .bind(project_id)
        .bind(cursor)
        .bind(until)
        .bind(batch)
        .fetch_one(&mut **tx)
        .await?
        .try_get("upper")
}

/// A notification whose deliveries are still being written.
pub struct PendingFanOut {
    /// Its id.
    pub id: i64,
    /// Owner.
    pub project_id: String,
    /// The stored target (JSON).
    pub target: String,
    /// When its TTL runs out.
    pub expires_at: i64,
    /// The last subscription id written.
    pub cursor: i64,
    /// The highest subscription id it covers.
    pub until: i64,
}

/// The oldest due fan-out, locked for this transaction (skipping any
/// another node holds).
pub async fn next_fan_out(tx: &mut Tx, now: i64) -> Result<Option<PendingFanOut>, sqlx::Error> {
    let sql = format!(
        "select id, project_id, target, expires_at, fanout_cursor, fanout_until from notifications
         where fanout_done = 0 and cancelled = 0 and send_at <= $1 order by id limit 1{}",
        tx.lock_skipping()
    );
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(PendingFanOut {
        id: row.try_get("id")?,
        project_id: row.try_get("project_id")?,
        target: row.try_get("target")?,
        expires_at: row.try_get("expires_at")?,
        cursor: row.try_get("fanout_cursor")?,
        until: row.try_get("fanout_until")?,
    }))
}

/// Moves a fan-out's cursor; `done` when nothing is left to write.
pub async fn advance_fan_out(
    tx: &mut Tx,
    id: i64,
    cursor: i64,
    done: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("update notifications set fanout_cursor = $1, fanout_done = $2 where id = $3")
        .bind(cursor)
        .bind(i64::from(done))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Ends a notification that cannot be sent, saying why (its status becomes
/// `failed`): nothing more is written for it.
pub async fn fail(tx: &mut Tx, id: i64, why: &str) -> Result<(), sqlx::Error> {
    sqlx::query("update notifications set fanout_done = 1, failure = $1 where id = $2")
        .bind(why)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// What a notification's progress is computed from.
pub struct Stored {
    /// Subscriptions targeted when it was accepted.
    pub total: i64,
    /// When it is due.
    pub send_at: i64,
    /// Cancelled by the backend.
    pub cancelled: bool,
    /// Every delivery written.
    pub fanout_done: bool,
    /// Why it could not be sent, if so.
    pub failure: Option<String>,
}

/// The project's notification `id`, or `None`.
pub async fn find(db: &Db, project_id: &str, id: i64) -> Result<Option<Stored>, sqlx::Error> {
    let row = sqlx::query(
        "select total, send_at, cancelled, fanout_done, failure from notifications
         where id = $1 and project_id = $2",
    )
    .bind(id)
    .bind(project_id)
    .fetch_optional(db.pool())
    .await?;
    row.as_ref().map(stored).transpose()
}

fn stored(row: &sqlx::any::AnyRow) -> Result<Stored, sqlx::Error> {
    Ok(Stored {
        total: row.try_get("total")?,
        send_at: row.try_get("send_at")?,
        cancelled: row.try_get::<i64, _>("cancelled")? != 0,
        fanout_done: row.try_get::<i64, _>("fanout_done")? != 0,
        failure: row.try_get("failure")?,
    })
}

/// Whether the project's notification `id` exists and was cancelled,
/// locked for this transaction; `None` when it does not exist.
pub async fn lock_cancelled(
    tx: &mut Tx,
    project_id: &str,
    id: i64,
) -> Result<Option<bool>, sqlx::Error> {
    let sql = format!(
        "select cancelled from notifications where id = $1 and project_id = $2{}",
        tx.lock()
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(project_id)
        .fetch_optional(&mut **tx)
        .await?;
    row.map(|r| Ok(r.try_get::<i64, _>("cancelled")? != 0))
        .transpose()
}

/// Marks it cancelled: nothing more is written or sent.
pub async fn set_cancelled(tx: &mut Tx, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("update notifications set cancelled = 1, fanout_done = 1 where id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A notification as the console lists it.
pub struct Listed {
    /// Its id.
    pub id: i64,
    /// What its progress is computed from.
    pub stored: Stored,
    /// What it shows.
    pub content: Content,
    /// The target as sent (JSON text).
    pub target: String,
    /// When it was accepted.
    pub created_at: i64,
}

/// The project's notifications newest first: at most `limit`, with ids
/// below `before` when given.
pub async fn page(
    db: &Db,
    project_id: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Listed>, sqlx::Error> {
    let rows = sqlx::query(
        "select id, total, send_at, cancelled, fanout_done, failure, payload, target, created_at
         from notifications where project_id = $1 and id < $2 order by id desc limit $3",
    )
    .bind(project_id)
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(Listed {
                id: row.try_get("id")?,
                stored: stored(row)?,
                // Written by this server from a validated send; a row that
                // does not read back lists with empty content, not a 500.
                content: serde_json::from_str(&row.try_get::<String, _>("payload")?)
                    .unwrap_or_default(),
                target: row.try_get("target")?,
                created_at: row.try_get("created_at")?,
            })
        })
        .collect()
}
