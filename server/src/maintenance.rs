//! Housekeeping that runs inside `herald serve`: forgets idempotency answers
//! older than 24 h, trims the rate limiters, and purges opted-out subscriptions after the retention
//! period (rule 6). The consent log is never touched: it outlives them.

use crate::db::Db;
use crate::idempotency;
use crate::limits::Limits;
use crate::time::now_ms;
use std::time::Duration;

/// Deletes subscriptions opted out more than `retention_days` ago.
pub async fn purge_opted_out(db: &Db, retention_days: u32) -> Result<u64, sqlx::Error> {
    let cutoff = now_ms() - i64::from(retention_days) * 24 * 60 * 60 * 1000;
    crate::subscriptions::store::purge_opted_out(db, cutoff).await
}

/// Runs the chores now and then every hour, until the task is dropped.
pub async fn run(db: Db, retention_days: u32, limits: Limits) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every.tick().await;
        match purge_opted_out(&db, retention_days).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "purged opted-out subscriptions past retention"),
            Err(e) => {
                tracing::warn!(error = %crate::db::describe_error(e), "purging opted-out subscriptions failed")
            }
        }
        // Rate limits forget addresses whose buckets are full again.
        limits.shrink();
        if let Err(e) = idempotency::purge_expired(&db).await {
            tracing::warn!(error = %crate::db::describe_error(e), "forgetting old idempotency keys failed");
        }
    }
}
