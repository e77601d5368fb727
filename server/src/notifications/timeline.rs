//! A notification's progress over time, for the console's live chart: how
//! many of its deliveries were queued, sent, shown, clicked, failed,
//! expired and cancelled at each of up to [`POINTS`] instants from when it
//! was due until its last event (or now, while it is still going).

use super::service::{NotificationError, summarize};
use super::store;
use crate::db::Db;
use crate::queue;
use crate::states::DeliveryState::{self, Cancelled, Expired, Failed};
use crate::time::now_ms;
use serde::Serialize;
use sqlx::Row;

/// Most intervals a timeline is cut into.
pub const POINTS: i64 = 60;

/// The counts at one instant, each of deliveries that reached it by then.
#[derive(Debug, Default, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Point {
    /// The instant (Unix ms).
    pub t: i64,
    /// Not yet out of the queue.
    pub queued: i64,
    /// Accepted by the push service.
    pub sent: i64,
    /// Shown by the service worker.
    pub delivered: i64,
    /// Clicked.
    pub clicked: i64,
    /// Refused for good.
    pub failed: i64,
    /// Expired before they could be sent.
    pub expired: i64,
    /// Cancelled.
    pub cancelled: i64,
}

/// The whole timeline.
#[derive(Debug, Serialize)]
pub struct Timeline {
    /// The notification.
    pub id: i64,
    /// Its status now (as `GET …/notifications/{id}` says).
    pub status: &'static str,
    /// Subscriptions targeted.
    pub total: i64,
    /// The first instant (when it was due), Unix ms.
    pub from: i64,
    /// The last instant, Unix ms.
    pub to: i64,
    /// Between two points, ms (whole seconds).
    pub step_ms: i64,
    /// From `from` to `to`, every `step_ms`.
    pub points: Vec<Point>,
}

/// An event column of the deliveries table, the state its row must be in
/// to count, and the count it adds to.
type Event = (
    &'static str,
    Option<DeliveryState>,
    fn(&mut Point) -> &mut i64,
);

const EVENTS: [Event; 6] = [
    ("sent_at", None, |p| &mut p.sent),
    ("delivered_at", None, |p| &mut p.delivered),
    ("clicked_at", None, |p| &mut p.clicked),
    ("finished_at", Some(Failed), |p| &mut p.failed),
    ("finished_at", Some(Expired), |p| &mut p.expired),
    ("finished_at", Some(Cancelled), |p| &mut p.cancelled),
];

/// The project's notification `id` over time; 404 when it is not this project's.
pub async fn timeline(db: &Db, project_id: &str, id: i64) -> Result<Timeline, NotificationError> {
    let stored = store::find(db, project_id, id)
        .await?
        .ok_or(NotificationError::NotFound(id))?;
    let now = now_ms();
    let (total, from) = (stored.total, stored.send_at);
    let progress = summarize(stored, &queue::counts::by_state(db, id).await?, now);
    let finished = matches!(progress.status, "done" | "cancelled" | "failed");
    // While it is going the chart runs to now; once done, to its last event
    // (a click may still come later and move it).
    let last = if finished {
        last_event(db, id).await?.unwrap_or(from)
    } else {
        now
    };
    let span = (last - from).max(1_000);
    // Whole seconds, at most POINTS intervals.
    let step_ms = ((span + POINTS - 1) / POINTS + 999) / 1_000 * 1_000;
    let n = (span + step_ms - 1) / step_ms;
    let mut points: Vec<Point> = (0..=n)
        .map(|k| Point {
            t: from + k * step_ms,
            ..Point::default()
        })
        .collect();
    for (column, state, field) in EVENTS {
        let only = state.map_or(String::new(), |s| format!(" and state = {}", s.sql()));
        let sql = format!(
            "select ({column} - $2) / $3 as b, count(*) as n from deliveries
             where notification_id = $1 and {column} is not null{only} group by ({column} - $2) / $3"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .bind(from)
            .bind(step_ms)
            .fetch_all(db.pool())
            .await?;
        for row in &rows {
            // An event in interval b has happened by point b + 1 (earlier
            // than `from`, say a clock step: by the first point).
            let b: i64 = row.try_get("b")?;
            let first = if b < 0 { 0 } else { (b + 1).min(n) as usize };
            let count: i64 = row.try_get("n")?;
            for p in &mut points[first..] {
                *field(p) += count;
            }
        }
    }
    // Cancelled before its deliveries were written: they end as cancelled,
    // at the last instant (when it was cancelled is not recorded).
    if let Some(end) = points.last_mut() {
        end.cancelled = end.cancelled.max(progress.counts.cancelled);
    }
    for p in &mut points {
        p.queued = (total - p.sent - p.failed - p.expired - p.cancelled).max(0);
    }
    Ok(Timeline {
        id,
        status: progress.status,
        total,
        from,
        to: from + n * step_ms,
        step_ms,
        points,
    })
}

/// The time of the notification's last event, if any.
async fn last_event(db: &Db, id: i64) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query(
        "select max(finished_at) as f, max(delivered_at) as d, max(clicked_at) as c
         from deliveries where notification_id = $1",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await?;
    let times = [
        row.try_get::<Option<i64>, _>("f")?,
        row.try_get("d")?,
        row.try_get("c")?,
    ];
    Ok(times.into_iter().flatten().max())
}
