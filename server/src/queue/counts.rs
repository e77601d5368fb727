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
    let rows = sqlx::query(
        "select state, count(*) as n, count(delivered_at) as delivered, count(clicked_at) as clicked,
                sum(case when attempts > 0 then 1 else 0 end) as attempted
         from deliveries where notification_id = $1 group by state",
    )
    .bind(notification_id)
    .fetch_all(db.pool())
    .await?;
    let mut counts = BTreeMap::new();
    for r in &rows {
        let state: String = r.try_get("state")?;
        // The table's check constraint allows only these.
        let state = DeliveryState::from_stored(&state).unwrap_or(DeliveryState::Cancelled);
        counts.insert(
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
