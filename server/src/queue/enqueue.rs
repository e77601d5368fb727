//! Writing deliveries: one `INSERT … SELECT` over the subscriptions a
//! target's predicate selects, set-based, never a loop.

use crate::db::Tx;
use crate::states::Status;

/// Which subscriptions of a project get a delivery.
pub struct Audience<'a> {
    /// The project.
    pub project_id: &'a str,
    /// The target's SQL condition over `subscriptions s`.
    pub predicate: &'a str,
    /// Only subscription ids in `(after, up_to]` (a fan-out batch).
    pub ids: Option<(i64, i64)>,
}

/// Queues one delivery of `notification_id` per active subscription of
/// the audience, due at `due`; how many were written.
pub async fn insert(
    tx: &mut Tx,
    notification_id: i64,
    audience: &Audience<'_>,
    due: i64,
    expires_at: i64,
) -> Result<u64, sqlx::Error> {
    let range = if audience.ids.is_some() {
        " and s.id > $5 and s.id <= $6 order by s.id"
    } else {
        ""
    };
    let sql = format!(
        "insert into deliveries (notification_id, subscription_id, next_attempt_at, expires_at)
         select $1, s.id, $2, $3 from subscriptions s
         where s.project_id = $4 and s.status = {} and {}{range}",
        Status::Active.sql(),
        audience.predicate
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .persistent(false)
        .bind(notification_id)
        .bind(due)
        .bind(expires_at)
        .bind(audience.project_id);
    if let Some((after, up_to)) = audience.ids {
        query = query.bind(after).bind(up_to);
    }
    Ok(query.execute(&mut **tx).await?.rows_affected())
}
