//! A notification's deliveries counted by state, for its progress.

use crate::db::Db;
use crate::states::DeliveryState;
use sqlx::Row;
use std::collections::BTreeMap;

/// The deliveries in one state.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct InState {
    /// How many.
    pub n: i64,
    /// Of those, shown by the service worker.
    pub delivered: i64,
    /// Of those, clicked.
    pub clicked: i64,
    /// Of those, attempted at least once.
    pub attempted: i64,
}

/// The notification's deliveries by state.
pub async fn by_state(
    db: &Db,
    notification_id: i64,
) -> Result<BTreeMap<DeliveryState, InState>, sqlx::Error> {
    Ok(by_state_of(db, &[notification_id])
        .await?
        .remove(&notification_id)
        .unwrap_or_default())
}

/// Each of these notifications' deliveries by state, in one read (a
/// notification without deliveries is absent).
pub async fn by_state_of(
    db: &Db,
    notification_ids: &[i64],
) -> Result<BTreeMap<i64, BTreeMap<DeliveryState, InState>>, sqlx::Error> {
    let mut counts: BTreeMap<i64, BTreeMap<DeliveryState, InState>> = BTreeMap::new();
    if notification_ids.is_empty() {
        return Ok(counts);
    }
    let sql = format!(
        "select notification_id, state, count(*) as n, count(delivered_at) as delivered,
                count(clicked_at) as clicked, sum(case when attempts > 0 then 1 else 0 end) as attempted
         from deliveries where notification_id in ({}) group by notification_id, state",
        super::id_list(notification_ids)
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .persistent(false)
        .fetch_all(db.pool())
        .await?;
    for r in &rows {
        let state: String = r.try_get("state")?;
        // The table's check constraint allows only these.
        let state = DeliveryState::from_stored(&state).unwrap_or(DeliveryState::Cancelled);
        counts
            .entry(r.try_get("notification_id")?)
            .or_default()
            .insert(
                state,
                InState {
                    n: r.try_get("n")?,
                    delivered: r.try_get("delivered")?,
                    clicked: r.try_get("clicked")?,
                    attempted: r.try_get::<Option<i64>, _>("attempted")?.unwrap_or(0),
                },
            );
    }
    Ok(counts)
}
