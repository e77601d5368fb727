//! Deliveries that must not be sent any more.

use crate::db::Tx;
use crate::states::DeliveryState::{Cancelled, Queued, Sending};
use crate::time::now_ms;
use sqlx::Row;
use std::sync::LazyLock;

static FOR_SUBSCRIPTION: LazyLock<String> = LazyLock::new(|| {
    format!(
        "update deliveries set state = {}, lease_until = null, finished_at = $2
         where subscription_id = $1 and state in ({}, {})",
        Cancelled.sql(),
        Queued.sql(),
        Sending.sql()
    )
});

/// Rule 5: cancels everything queued or in flight for a subscription, in
/// the opt-out's own transaction.
pub async fn for_subscription(tx: &mut Tx, subscription_id: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(sqlx::AssertSqlSafe(FOR_SUBSCRIPTION.as_str()))
        .bind(subscription_id)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}

/// Whether any delivery of the notification was attempted or left the queue.
pub async fn started(tx: &mut Tx, notification_id: i64) -> Result<bool, sqlx::Error> {
    let sql = format!(
        "select count(*) as n from deliveries where notification_id = $1 and (attempts > 0 or state <> {})",
        Queued.sql()
    );
    let n: i64 = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(notification_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get("n")?;
    Ok(n > 0)
}

/// Cancels the notification's queued deliveries (a cancelled send).
pub async fn for_notification(tx: &mut Tx, notification_id: i64) -> Result<u64, sqlx::Error> {
    let sql = format!(
        "update deliveries set state = {}, finished_at = $2 where notification_id = $1 and state = {}",
        Cancelled.sql(),
        Queued.sql()
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(notification_id)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected())
}
