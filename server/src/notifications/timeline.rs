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
    // One pass over the notification's deliveries: each row's interval for
    // each event it has had, grouped (a few hundred groups at most in
    // practice, however large the audience).
    let rows = sqlx::query(
        "select state, (sent_at - $2) / $3 as s, (delivered_at - $2) / $3 as d,
                (clicked_at - $2) / $3 as c, (finished_at - $2) / $3 as f, count(*) as n
         from deliveries where notification_id = $1
         group by state, (sent_at - $2) / $3, (delivered_at - $2) / $3, (clicked_at - $2) / $3, (finished_at - $2) / $3",
    )
    .bind(id)
    .bind(from)
    .bind(step_ms)
    .fetch_all(db.pool())
    .await?;
    // Added to every point from the one its interval ends at (an event
    // earlier than `from`, say a clock step: from the first point).
    let mut added = vec![Point::default(); points.len()];
    let at = |b: Option<i64>| b.map(|b| if b < 0 { 0 } else { (b + 1).min(n) as usize });
    for row in &rows {
        let count: i64 = row.try_get("n")?;
        let state = DeliveryState::from_stored(row.try_get("state")?);
        let mut add = |b: Option<i64>, field: fn(&mut Point) -> &mut i64| {
            if let Some(i) = at(b) {
                *field(&mut added[i]) += count;
            }
        };
        add(row.try_get("s")?, |p| &mut p.sent);
        add(row.try_get("d")?, |p| &mut p.delivered);
        add(row.try_get("c")?, |p| &mut p.clicked);
        let finished: fn(&mut Point) -> &mut i64 = match state {
            Some(Failed) => |p| &mut p.failed,
            Some(Expired) => |p| &mut p.expired,
            Some(Cancelled) => |p| &mut p.cancelled,
            _ => continue,
        };
        add(row.try_get("f")?, finished);
    }
    let mut sum = Point::default();
    for (p, a) in points.iter_mut().zip(&added) {
        sum.sent += a.sent;
        sum.delivered += a.delivered;
        sum.clicked += a.clicked;
        sum.failed += a.failed;
        sum.expired += a.expired;
        sum.cancelled += a.cancelled;
        (p.sent, p.delivered, p.clicked) = (sum.sent, sum.delivered, sum.clicked);
        (p.failed, p.expired, p.cancelled) = (sum.failed, sum.expired, sum.cancelled);
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
