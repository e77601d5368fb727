//! The subscriber numbers the operator's console charts: how many
//! subscriptions are in each status now, and per UTC day how many were
//! made, opted out and reported gone by their push service.

use crate::db::Db;
use crate::states::Status;
use crate::window::{DAY_MS, Window};
use serde::Serialize;
use sqlx::Row;
use std::collections::BTreeMap;

/// Subscriptions by status, now.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct Totals {
    /// Receiving notifications.
    pub active: i64,
    /// Turned off by the user.
    pub opted_out: i64,
    /// Gone at the push service.
    pub expired: i64,
}

/// One day's changes.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Day {
    /// Subscriptions made.
    pub new: i64,
    /// Subscriptions turned off.
    pub opted_out: i64,
    /// Subscriptions gone at the push service.
    pub expired: i64,
}

/// The project's subscriptions by status.
pub async fn totals(db: &Db, project_id: &str) -> Result<Totals, sqlx::Error> {
    let rows = sqlx::query(
        "select status, count(*) as n from subscriptions where project_id = $1 group by status",
    )
    .bind(project_id)
    .fetch_all(db.pool())
    .await?;
    let mut totals = Totals::default();
    for row in &rows {
        let n: i64 = row.try_get("n")?;
        *match Status::from_stored(&row.try_get::<String, _>("status")?) {
            Status::Active => &mut totals.active,
            Status::OptedOut => &mut totals.opted_out,
            Status::Expired => &mut totals.expired,
        } += n;
    }
    Ok(totals)
}

/// A time column, the status a row must have to count, the count it adds to.
type Column = (&'static str, Option<Status>, fn(&mut Day) -> &mut i64);

/// Each day of the window that saw a change (the others are absent).
pub async fn daily(
    db: &Db,
    project_id: &str,
    window: Window,
) -> Result<BTreeMap<i64, Day>, sqlx::Error> {
    let mut days: BTreeMap<i64, Day> = BTreeMap::new();
    // One grouped read per column; each walks an index over the window only.
    let columns: [Column; 3] = [
        ("created_at", None, |d| &mut d.new),
        ("opted_out_at", Some(Status::OptedOut), |d| &mut d.opted_out),
        ("expired_at", Some(Status::Expired), |d| &mut d.expired),
    ];
    for (column, status, field) in columns {
        let only = status.map_or(String::new(), |s| format!(" and status = {}", s.sql()));
        let sql = format!(
            "select {column} / {DAY_MS} as day, count(*) as n from subscriptions
             where project_id = $1 and {column} >= $2{only} group by {column} / {DAY_MS}"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(project_id)
            .bind(window.start_ms())
            .fetch_all(db.pool())
            .await?;
        for row in &rows {
            let n: i64 = row.try_get("n")?;
            *field(days.entry(row.try_get("day")?).or_default()) += n;
        }
    }
    Ok(days)
}
