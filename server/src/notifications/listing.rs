//! The console's list of notifications: newest first, a page at a time,
//! each with what it shows, its target and its progress.

use super::content::Content;
use super::service::{Progress, summarize};
use super::store;
use crate::db::Db;
use crate::queue;
use crate::time::{now_ms, rfc3339};
use serde::Serialize;
use serde_json::Value;

/// Most notifications one page holds.
pub const MAX_LIMIT: i64 = 100;

/// One listed notification.
#[derive(Debug, Serialize)]
pub struct Item {
    /// Its id.
    pub id: i64,
    /// Title, body, URL, … as sent.
    #[serde(flatten)]
    pub content: Content,
    /// The target as sent.
    pub target: Value,
    /// Subscriptions targeted when it was accepted.
    pub total: i64,
    /// Accepted at (RFC 3339).
    pub created_at: String,
    /// Due at (RFC 3339).
    pub send_at: String,
    /// Status, counts and failure, as `GET …/notifications/{id}` answers.
    #[serde(flatten)]
    pub progress: Progress,
}

/// A page, and where the next one starts.
#[derive(Debug, Serialize)]
pub struct Page {
    /// Newest first.
    pub notifications: Vec<Item>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// The page of at most `limit` notifications older than `cursor`.
pub async fn page(
    db: &Db,
    project_id: &str,
    cursor: Option<i64>,
    limit: i64,
) -> Result<Page, sqlx::Error> {
    let mut rows = store::page(db, project_id, cursor, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut counts = queue::counts::by_state_of(db, &ids).await?;
    let now = now_ms();
    let notifications: Vec<Item> = rows
        .into_iter()
        .map(|r| Item {
            id: r.id,
            target: serde_json::from_str(&r.target).unwrap_or(Value::Null),
            total: r.stored.total,
            created_at: rfc3339(r.created_at),
            send_at: rfc3339(r.stored.send_at),
            progress: summarize(r.stored, &counts.remove(&r.id).unwrap_or_default(), now),
            content: r.content,
        })
        .collect();
    let next_cursor = more
        .then(|| notifications.last().map(|n| n.id.to_string()))
        .flatten();
    Ok(Page {
        notifications,
        next_cursor,
    })
}
