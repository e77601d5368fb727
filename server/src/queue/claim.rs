//! Claiming due deliveries under a lease held by this node.

use super::id_list;
use crate::db::Db;
use crate::secret::Secret;
use crate::states::DeliveryState::{Queued, Sending};
use crate::states::Status;
use crate::time::now_ms;
use sqlx::Row;

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
    pub endpoint: Secret<String>,
    /// Subscriber's public key.
    pub p256dh: String,
    /// Subscriber's auth secret.
    pub auth: Secret<String>,
    /// Project (selects the VAPID key).
    pub project_id: String,
    /// The notification's stored content (JSON).
    pub payload: String,
    /// RFC 8030 urgency.
    pub urgency: Option<String>,
    /// RFC 8030 topic.
    pub topic: Option<String>,
}

/// Claims up to `limit` due deliveries for `node` with a lease of `lease_ms`.
pub async fn claim(
    db: &Db,
    node: &str,
    limit: i64,
    lease_ms: i64,
) -> Result<Vec<Claimed>, sqlx::Error> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let sql = format!(
        "update deliveries set state = {sending}, lease_until = $1, lease_owner = $4, attempts = attempts + 1
         where id in (select id from deliveries where state = {queued} and next_attempt_at <= $2
                      order by next_attempt_at limit $3{lock})
         returning id",
        sending = Sending.sql(),
        queued = Queued.sql(),
        lock = tx.lock_skipping(),
    );
    let ids: Vec<i64> = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now + lease_ms)
        .bind(now)
        .bind(limit)
        .bind(node)
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
    rows.iter().map(claimed).collect()
}

fn claimed(r: &sqlx::any::AnyRow) -> Result<Claimed, sqlx::Error> {
    let status: Option<String> = r.try_get("status")?;
    let cancelled: i64 = r.try_get("cancelled")?;
    // A subscription purged since has no row: the left join gives nulls.
    let text = |column: &str| -> Result<String, sqlx::Error> {
        Ok(r.try_get::<Option<String>, _>(column)?.unwrap_or_default())
    };
    Ok(Claimed {
        id: r.try_get("id")?,
        notification_id: r.try_get("notification_id")?,
        subscription_id: r.try_get("subscription_id")?,
        attempt: r.try_get("attempts")?,
        expires_at: r.try_get("expires_at")?,
        stale: status.as_deref().map(Status::from_stored) != Some(Status::Active) || cancelled != 0,
        endpoint: Secret::new(text("endpoint")?),
        p256dh: text("p256dh")?,
        auth: Secret::new(text("auth")?),
        project_id: r.try_get("project_id")?,
        payload: r.try_get("payload")?,
        urgency: r.try_get("urgency")?,
        topic: r.try_get("topic")?,
    })
}

/// Whether a claimed delivery is still ours to send (an opt-out may have
/// cancelled it while it waited for a connection).
pub async fn still_sending(db: &Db, id: i64) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("select state from deliveries where id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await?;
    Ok(match row {
        Some(r) => r.try_get::<String, _>("state")? == Sending.as_str(),
        None => false,
    })
}
