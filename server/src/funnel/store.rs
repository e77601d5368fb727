//! The funnel's counters: one row per (project, UTC day, step).

use super::Step;
use crate::db::Db;
use crate::window::Window;
use sqlx::Row;
use std::collections::BTreeMap;

/// Adds one to `step` on `day`.
pub async fn count(db: &Db, project_id: &str, day: i64, step: Step) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into prompt_events (project_id, day, event, count) values ($1, $2, $3, 1)
         on conflict (project_id, day, event) do update set count = prompt_events.count + 1",
    )
    .bind(project_id)
    .bind(day)
    .bind(step.as_str())
    .execute(db.writer())
    .await?;
    Ok(())
}

/// The counts of the window's days, by day and step (days without any are absent).
pub async fn daily(
    db: &Db,
    project_id: &str,
    window: Window,
) -> Result<BTreeMap<i64, BTreeMap<Step, i64>>, sqlx::Error> {
    let rows = sqlx::query(
        "select day, event, count from prompt_events
         where project_id = $1 and day >= $2 and day <= $3",
    )
    .bind(project_id)
    .bind(window.from)
    .bind(window.to)
    .fetch_all(db.pool())
    .await?;
    let mut days: BTreeMap<i64, BTreeMap<Step, i64>> = BTreeMap::new();
    for row in &rows {
        let Some(step) = Step::parse(&row.try_get::<String, _>("event")?) else {
            continue;
        };
        *days
            .entry(row.try_get("day")?)
            .or_default()
            .entry(step)
            .or_default() += row.try_get::<i64, _>("count")?;
    }
    Ok(days)
}
