//! Receipts on delivery rows: each kind's time is set once, so a repeated
//! receipt changes nothing.

use crate::db::Db;
use crate::time::now_ms;

/// What the service worker reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The notification was shown.
    Delivered,
    /// It was clicked (which implies shown).
    Clicked,
}

impl Kind {
    /// Reads the API's name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "delivered" => Some(Self::Delivered),
            "clicked" => Some(Self::Clicked),
            _ => None,
        }
    }
}

/// Records `kind` for the project's delivery; `false` when the project has
/// no such delivery.
pub async fn record(
    db: &Db,
    project_id: &str,
    delivery: i64,
    kind: Kind,
) -> Result<bool, sqlx::Error> {
    let set = match kind {
        Kind::Delivered => "delivered_at = coalesce(delivered_at, $1)",
        // A click implies the notification was shown, even if that receipt was lost.
        Kind::Clicked => {
            "clicked_at = coalesce(clicked_at, $1), delivered_at = coalesce(delivered_at, $1)"
        }
    };
    let sql = format!(
        "update deliveries set {set}
         where id = $2 and notification_id in (select id from notifications where project_id = $3)"
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now_ms())
        .bind(delivery)
        .bind(project_id)
        .execute(db.writer())
        .await?;
    Ok(done.rows_affected() > 0)
}
