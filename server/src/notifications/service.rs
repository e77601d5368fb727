//! Sending, reading and cancelling notifications: the domain functions the
//! HTTP API and `herald send` share.
//!
//! Fan-out is set-based. A uid target (at most 10,000 users) is expanded in
//! the request, with one `INSERT … SELECT`. Tag, topic and broadcast targets
//! are counted in the request and expanded by the delivery workers in
//! batches of subscription ids (see `delivery::queue::fan_out`), so a send
//! to a million subscribers is accepted at once and the first pushes leave
//! while later batches are still being written.

use super::request::Send;
use super::target::Target;
use crate::db::{Db, Engine, Tx};
use crate::error::ApiError;
use crate::time::now_ms;
use serde::Serialize;
use sqlx::Row;

/// The answer to a send.
#[derive(Debug, Serialize)]
pub struct Accepted {
    /// Notification id.
    pub id: i64,
    /// How many subscriptions it targets.
    pub queued: i64,
}

/// Stores a notification and its deliveries (or its fan-out plan) in the
/// caller's write transaction.
pub async fn send(
    tx: &mut Tx,
    engine: Engine,
    project_id: &str,
    send: &Send,
) -> Result<Accepted, ApiError> {
    let now = now_ms();
    let send_at = send.send_at.unwrap_or(now).max(now);
    let expires_at = send_at + send.ttl * 1000;
    let predicate = send.target.predicate(engine);
    let target = serde_json::to_string(&send.target.to_body()).map_err(anyhow::Error::from)?;
    // Fan-out targets cover the subscriptions active now: remember the
    // highest id (the partial index on active (project_id, id) answers it).
    // A uid target is expanded right here and needs no bound.
    let until: i64 = if matches!(send.target, Target::Uids(_)) {
        0
    } else {
        sqlx::query(
            "select coalesce(max(id), 0) as m from subscriptions where project_id = $1 and status = 'active'",
        )
        .bind(project_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get("m")?
    };
    let id: i64 = sqlx::query(
        "insert into notifications (project_id, payload, target, ttl, urgency, topic, send_at, expires_at,
                                    total, fanout_until, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10) returning id",
    )
    .bind(project_id)
    .bind(send.content.to_stored())
    .bind(&target)
    .bind(send.ttl)
    .bind(send.urgency.as_deref())
    .bind(send.topic.as_deref())
    .bind(send_at)
    .bind(expires_at)
    .bind(until)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?
    .try_get("id")?;
    let queued = match &send.target {
        Target::Uids(_) => {
            let sql = format!(
                "insert into deliveries (notification_id, subscription_id, next_attempt_at, expires_at)
                 select $1, s.id, $2, $3 from subscriptions s
                 where s.project_id = $4 and s.status = 'active' and {predicate}"
            );
            let done = sqlx::query(sqlx::AssertSqlSafe(sql))
                .persistent(false)
                .bind(id)
                .bind(send_at)
                .bind(expires_at)
                .bind(project_id)
                .execute(&mut **tx)
                .await?;
            i64::try_from(done.rows_affected()).unwrap_or(i64::MAX)
        }
        _ => {
            let sql = format!(
                "select count(*) as n from subscriptions s
                 where s.project_id = $1 and s.status = 'active' and s.id <= $2 and {predicate}"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .persistent(false)
                .bind(project_id)
                .bind(until)
                .fetch_one(&mut **tx)
                .await?
                .try_get("n")?
        }
    };
    let fanout_done = matches!(send.target, Target::Uids(_)) || queued == 0;
    sqlx::query("update notifications set total = $1, fanout_done = $2 where id = $3")
        .bind(queued)
        .bind(i64::from(fanout_done))
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(Accepted { id, queued })
}

/// Counts by delivery state.
#[derive(Debug, Default, Serialize, Clone, PartialEq, Eq)]
pub struct Counts {
    /// Waiting to be sent (including those not yet fanned out, and retries).
    pub queued: i64,
    /// Accepted by the push service.
    pub sent: i64,
    /// Refused for good.
    pub failed: i64,
    /// TTL passed before it could be sent.
    pub expired: i64,
    /// Cancelled (opt-out, expired subscription, cancelled send).
    pub cancelled: i64,
    /// Shown by the service worker.
    pub delivered: i64,
    /// Clicked.
    pub clicked: i64,
}

/// A notification's progress.
#[derive(Debug, Serialize)]
pub struct Progress {
    /// `scheduled`, `queued`, `sending`, `done` or `cancelled`.
    pub status: &'static str,
    /// Counts by state.
    pub counts: Counts,
}

/// Reads a notification's progress; 404 when it is not this project's.
pub async fn progress(db: &Db, project_id: &str, id: i64) -> Result<Progress, ApiError> {
    let row = sqlx::query(
        "select total, send_at, cancelled, fanout_done from notifications where id = $1 and project_id = $2",
    )
    .bind(id)
    .bind(project_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or_else(|| ApiError::NotFound(format!("no notification {id} in this project")))?;
    let total: i64 = row.try_get("total")?;
    let send_at: i64 = row.try_get("send_at")?;
    let cancelled: i64 = row.try_get("cancelled")?;
    let fanout_done: i64 = row.try_get("fanout_done")?;
    let rows = sqlx::query(
        "select state, count(*) as n, count(delivered_at) as delivered, count(clicked_at) as clicked,
                sum(case when attempts > 0 then 1 else 0 end) as attempted
         from deliveries where notification_id = $1 group by state",
    )
    .bind(id)
    .fetch_all(db.pool())
    .await?;
    let mut counts = Counts::default();
    let (mut materialized, mut attempted) = (0, 0);
    for r in &rows {
        let state: String = r.try_get("state")?;
        let n: i64 = r.try_get("n")?;
        materialized += n;
        attempted += r.try_get::<Option<i64>, _>("attempted")?.unwrap_or(0);
        counts.delivered += r.try_get::<i64, _>("delivered")?;
        counts.clicked += r.try_get::<i64, _>("clicked")?;
        match state.as_str() {
            "queued" | "sending" => counts.queued += n,
            "sent" => counts.sent += n,
            "failed" => counts.failed += n,
            "expired" => counts.expired += n,
            _ => counts.cancelled += n,
        }
    }
    if fanout_done == 0 && cancelled == 0 {
        counts.queued += (total - materialized).max(0);
    }
    let status = if cancelled != 0 {
        "cancelled"
    } else if send_at > now_ms() {
        "scheduled"
    } else if counts.queued == 0 {
        "done"
    } else if attempted > 0 || counts.sent + counts.failed + counts.expired > 0 {
        "sending"
    } else {
        "queued"
    };
    Ok(Progress { status, counts })
}

/// Cancels a notification nothing of which was sent yet; 409 otherwise.
pub async fn cancel(db: &Db, project_id: &str, id: i64) -> Result<Progress, ApiError> {
    let mut tx = db.begin_write().await?;
    let sql = format!(
        "select cancelled from notifications where id = $1 and project_id = $2{}",
        db.for_update()
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(project_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no notification {id} in this project")))?;
    if row.try_get::<i64, _>("cancelled")? == 0 {
        let attempted: i64 = sqlx::query(
            "select count(*) as n from deliveries where notification_id = $1 and (attempts > 0 or state <> 'queued')",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
        if attempted > 0 {
            return Err(ApiError::Conflict(
                "sending has started; only a notification nothing of which was sent can be cancelled".into(),
            ));
        }
        sqlx::query("update deliveries set state = 'cancelled' where notification_id = $1 and state = 'queued'")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("update notifications set cancelled = 1, fanout_done = 1 where id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    progress(db, project_id, id).await
}
