//! The delivery queue in the database: fan-out batches, claiming with a
//! lease, and recording outcomes.
//!
//! Claiming: `queued` rows whose time has come are switched to `sending`
//! with a lease in one statement. On PostgreSQL the candidate rows are
//! locked `FOR UPDATE SKIP LOCKED`, so several `herald serve` processes
//! claim disjoint batches without waiting on each other; on SQLite the
//! write lock makes claims one at a time. A worker that dies leaves its
//! rows `sending`; once the lease passes, [`recover_leases`] puts them back
//! in the queue for anyone to take. That is the only way a message can be
//! sent twice: it was in flight when its worker died.

use crate::db::Db;
use crate::notifications::content::Content;
use crate::notifications::target::{Target, TargetBody};
use crate::time::now_ms;
use sqlx::Row;
use std::collections::HashMap;
use std::sync::Arc;

/// The size of a fan-out's first batch.
const FIRST_BATCH: i64 = 256;

/// Expands the next batch (at most `batch` subscriptions) of one pending
/// fan-out; `false` when none is due.
pub async fn fan_out(db: &Db, batch: i64) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let skip_locked = db.skip_locked();
    let mut tx = db.begin_write().await?;
    let sql = format!(
        "select id, project_id, target, send_at, expires_at, fanout_cursor, fanout_until from notifications
         where fanout_done = 0 and cancelled = 0 and send_at <= $1 order by id limit 1{skip_locked}"
    );
    let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?
    else {
        tx.commit().await?;
        return Ok(false);
    };
    let id: i64 = row.try_get("id")?;
    let project_id: String = row.try_get("project_id")?;
    let cursor: i64 = row.try_get("fanout_cursor")?;
    let until: i64 = row.try_get("fanout_until")?;
    let expires_at: i64 = row.try_get("expires_at")?;
    let target_json: String = row.try_get("target")?;
    let target = serde_json::from_str::<TargetBody>(&target_json)
        .ok()
        .and_then(|body| Target::parse(body).ok());
    let Some(target) = target else {
        // Unreadable target: stop expanding rather than loop on it.
        tracing::error!(
            notification = id,
            "stored target unreadable; fan-out stopped"
        );
        sqlx::query("update notifications set fanout_done = 1 where id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        return Ok(true);
    };
    let predicate = target.predicate(db.engine());
    // A small first batch gets the first pushes out quickly; later batches
    // are full size while those are being sent.
    let batch = if cursor == 0 {
        batch.min(FIRST_BATCH)
    } else {
        batch
    };
    let upper_sql = format!(
        "select max(id) as upper from (select s.id from subscriptions s
           where s.project_id = $1 and s.status = 'active' and s.id > $2 and s.id <= $3 and {predicate}
           order by s.id limit $4) batch"
    );
    let upper: Option<i64> = sqlx::query(sqlx::AssertSqlSafe(upper_sql))
        .persistent(false)
        .bind(&project_id)
        .bind(cursor)
        .bind(until)
        .bind(batch)
        .fetch_one(&mut *tx)
        .await?
        .try_get("upper")?;
    match upper {
        None => {
            sqlx::query("update notifications set fanout_done = 1 where id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        Some(upper) => {
            let insert = format!(
                "insert into deliveries (notification_id, subscription_id, next_attempt_at, expires_at)
                 select $1, s.id, $2, $3 from subscriptions s
                 where s.project_id = $4 and s.status = 'active' and s.id > $5 and s.id <= $6 and {predicate}
                 order by s.id"
            );
            sqlx::query(sqlx::AssertSqlSafe(insert))
                .persistent(false)
                .bind(id)
                .bind(now)
                .bind(expires_at)
                .bind(&project_id)
                .bind(cursor)
                .bind(upper)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "update notifications set fanout_cursor = $1, fanout_done = $2 where id = $3",
            )
            .bind(upper)
            .bind(i64::from(upper >= until))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(true)
}

/// A claimed delivery with everything needed to send it.
#[derive(Debug)]
pub struct Claimed {
    /// Delivery id.
    pub id: i64,
    /// Notification id.
    pub notification_id: i64,
    /// Subscription id.
    pub subscription_id: i64,
    /// This attempt's number (1 for the first).
    pub attempt: i64,
    /// When the TTL runs out (Unix ms).
    pub expires_at: i64,
    /// Whether it must not be sent: subscription no longer active, or the
    /// notification was cancelled.
    pub stale: bool,
    /// Push endpoint (never logged).
    pub endpoint: crate::secret::Secret<String>,
    /// Subscriber's public key.
    pub p256dh: String,
    /// Subscriber's auth secret.
    pub auth: crate::secret::Secret<String>,
    /// Project (selects the VAPID key).
    pub project_id: String,
    /// What it shows; `None` when the stored content cannot be read.
    pub content: Option<Arc<Content>>,
    /// RFC 8030 urgency.
    pub urgency: Option<String>,
    /// RFC 8030 topic.
    pub topic: Option<String>,
}

fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// Claims up to `limit` due deliveries with a lease of `lease_ms`.
pub async fn claim(db: &Db, limit: i64, lease_ms: i64) -> Result<Vec<Claimed>, sqlx::Error> {
    let now = now_ms();
    let skip_locked = db.skip_locked();
    let mut tx = db.begin_write().await?;
    let sql = format!(
        "update deliveries set state = 'sending', lease_until = $1, attempts = attempts + 1
         where id in (select id from deliveries where state = 'queued' and next_attempt_at <= $2
                      order by next_attempt_at limit $3{skip_locked})
         returning id"
    );
    let ids: Vec<i64> = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now + lease_ms)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()?;
    if ids.is_empty() {
        tx.commit().await?;
        return Ok(Vec::new());
    }
    let details = format!(
        "select d.id, d.notification_id, d.subscription_id, d.attempts, d.expires_at,
                s.endpoint, s.p256dh, s.auth, s.status, n.project_id, n.payload, n.urgency, n.topic, n.cancelled
         from deliveries d
         join notifications n on n.id = d.notification_id
         left join subscriptions s on s.id = d.subscription_id
         where d.id in ({})",
        id_list(&ids)
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(details))
        .persistent(false)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    // One parse per notification in the batch, shared by its deliveries.
    let mut contents: HashMap<i64, Option<Arc<Content>>> = HashMap::new();
    rows.iter()
        .map(|r| {
            let notification_id: i64 = r.try_get("notification_id")?;
            let content = match contents.get(&notification_id) {
                Some(content) => content.clone(),
                None => {
                    let stored: String = r.try_get("payload")?;
                    let content = match Content::from_stored(&stored) {
                        Ok(content) => Some(Arc::new(content)),
                        Err(e) => {
                            tracing::error!(notification = notification_id, error = %e, "the stored notification content cannot be read; its deliveries fail");
                            None
                        }
                    };
                    contents.insert(notification_id, content.clone());
                    content
                }
            };
            let status: Option<String> = r.try_get("status")?;
            let cancelled: i64 = r.try_get("cancelled")?;
            Ok(Claimed {
                id: r.try_get("id")?,
                notification_id,
                subscription_id: r.try_get("subscription_id")?,
                attempt: r.try_get("attempts")?,
                expires_at: r.try_get("expires_at")?,
                stale: status.as_deref() != Some("active") || cancelled != 0,
                endpoint: crate::secret::Secret::new(
                    r.try_get::<Option<String>, _>("endpoint")?
                        .unwrap_or_default(),
                ),
                p256dh: r
                    .try_get::<Option<String>, _>("p256dh")?
                    .unwrap_or_default(),
                auth: crate::secret::Secret::new(
                    r.try_get::<Option<String>, _>("auth")?.unwrap_or_default(),
                ),
                project_id: r.try_get("project_id")?,
                content,
                urgency: r.try_get("urgency")?,
                topic: r.try_get("topic")?,
            })
        })
        .collect()
}

/// Whether a claimed delivery is still ours to send (an opt-out may have
/// cancelled it while it waited for a connection).
pub async fn still_sending(db: &Db, id: i64) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("select state from deliveries where id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(match row {
        Some(r) => r.try_get::<String, _>("state")? == "sending",
        None => false,
    })
}

/// How an attempt ended, as the queue records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// Accepted by the push service.
    Sent { status: u16 },
    /// Refused for good.
    Failed { status: u16 },
    /// The subscription is gone (404/410): expire it, cancel its queue.
    Gone { status: u16, subscription_id: i64 },
    /// Try again at this time (Unix ms).
    Retry { status: u16, at: i64 },
    /// The TTL passed.
    Expired,
    /// Not to be sent (opt-out, cancelled notification).
    Cancelled,
}

/// Writes a batch of outcomes in one transaction.
pub async fn record(db: &Db, outcomes: &[(i64, Record)]) -> Result<(), sqlx::Error> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let mut by_state: std::collections::BTreeMap<(&str, u16), Vec<i64>> = Default::default();
    let mut gone_subscriptions = Vec::new();
    for (id, outcome) in outcomes {
        match outcome {
            Record::Sent { status } => by_state.entry(("sent", *status)).or_default().push(*id),
            Record::Failed { status } => by_state.entry(("failed", *status)).or_default().push(*id),
            Record::Gone {
                status,
                subscription_id,
            } => {
                by_state.entry(("failed", *status)).or_default().push(*id);
                gone_subscriptions.push(*subscription_id);
            }
            Record::Expired => by_state.entry(("expired", 0)).or_default().push(*id),
            Record::Cancelled => by_state.entry(("cancelled", 0)).or_default().push(*id),
            Record::Retry { status, at } => {
                // Only a row still ours goes back to the queue: an opt-out
                // may have cancelled it meanwhile.
                sqlx::query(
                    "update deliveries set state = 'queued', next_attempt_at = $1, lease_until = null, last_status = $2
                     where id = $3 and state = 'sending'",
                )
                .bind(*at)
                .bind(i64::from(*status))
                .bind(*id)
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    for ((state, status), ids) in by_state {
        let sql = format!(
            "update deliveries
             set state = $1, lease_until = null, last_status = $3,
                 sent_at = case when $1 = 'sent' then $2 else sent_at end
             where id in ({})",
            id_list(&ids)
        );
        let status = (status != 0).then_some(i64::from(status));
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .persistent(false)
            .bind(state)
            .bind(now)
            .bind(status)
            .execute(&mut *tx)
            .await?;
    }
    if !gone_subscriptions.is_empty() {
        let list = id_list(&gone_subscriptions);
        // Rule 3: expired at once, and nothing more is sent to it.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "update subscriptions set status = 'expired', updated_at = $1 where id in ({list}) and status = 'active'"
        )))
        .persistent(false)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "update deliveries set state = 'cancelled', lease_until = null
             where subscription_id in ({list}) and state = 'queued'"
        )))
        .persistent(false)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// Puts deliveries whose lease passed back in the queue (their worker died).
pub async fn recover_leases(db: &Db) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "update deliveries set state = 'queued', lease_until = null where state = 'sending' and lease_until < $1",
    )
    .bind(now_ms())
    .execute(db.writer())
    .await?;
    Ok(done.rows_affected())
}

/// Rule 5: cancels everything queued or in flight for a subscription, in
/// the opt-out's own transaction.
pub async fn cancel_for_subscription(
    tx: &mut crate::db::Tx,
    subscription_id: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "update deliveries set state = 'cancelled', lease_until = null
         where subscription_id = $1 and state in ('queued', 'sending')",
    )
    .bind(subscription_id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}
