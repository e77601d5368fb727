//! Sending, reading and cancelling notifications: the domain functions the
//! HTTP API and `herald send` share.
//!
//! Fan-out is set-based. A uid target (at most 10,000 users) is expanded in
//! the request, with one `INSERT … SELECT`. Tag, topic and broadcast targets
//! are counted in the request and expanded by the delivery workers in
//! batches of subscription ids (see [`super::fanout`]), so a send to a
//! million subscribers is accepted at once and the first pushes leave while
//! later batches are still being written.

use super::request::Send;
use super::store::{self, NewNotification, Stored};
use super::target::Target;
use crate::db::{Db, Tx};
use crate::queue::{self, counts::InState, enqueue::Audience};
use crate::states::DeliveryState;
use crate::time::now_ms;
use serde::Serialize;
use std::collections::BTreeMap;

/// Why a notification could not be read or cancelled.
#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    /// Not this project's, or no such notification (404).
    #[error("no notification {0} in this project")]
    NotFound(i64),
    /// Cancelling came too late (409).
    #[error("sending has started; only a notification nothing of which was sent can be cancelled")]
    Started,
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The answer to a send.
#[derive(Debug, Serialize)]
pub struct Accepted {
    /// Notification id.
    pub id: i64,
    /// How many subscriptions it targets.
    pub queued: i64,
}

/// Stores a notification and its deliveries (or its fan-out plan) in the
/// caller's write transaction.
pub async fn send(tx: &mut Tx, project_id: &str, send: &Send) -> Result<Accepted, sqlx::Error> {
    let now = now_ms();
    let send_at = send.send_at.unwrap_or(now).max(now);
    let expires_at = send_at + send.ttl * 1000;
    let predicate = send.target.predicate(tx.engine());
    let uids = matches!(send.target, Target::Uids(_));
    // Fan-out targets cover the subscriptions active now: remember the
    // highest id (the partial index on active (project_id, id) answers it).
    // A uid target is expanded right here and needs no bound.
    let until = if uids {
        0
    } else {
        store::highest_active(tx, project_id).await?
    };
    let id = store::insert(
        tx,
        NewNotification {
            project_id,
            content: &send.content,
            target: &send.target,
            ttl: send.ttl,
            urgency: send.urgency.as_deref(),
            topic: send.topic.as_deref(),
            send_at,
            expires_at,
            fanout_until: until,
            created_at: now,
        },
    )
    .await?;
    let queued = if uids {
        let audience = Audience {
            project_id,
            predicate: &predicate,
            ids: None,
        };
        let written = queue::enqueue::insert(tx, id, &audience, send_at, expires_at).await?;
        i64::try_from(written).unwrap_or(i64::MAX)
    } else {
        store::count_audience(tx, project_id, &predicate, until).await?
    };
    store::set_total(tx, id, queued, uids || queued == 0).await?;
    Ok(Accepted { id, queued })
}

/// Counts by delivery state.
#[derive(Debug, Default, Serialize, Clone, PartialEq, Eq)]
pub struct Counts {
    /// Waiting to be sent (including those not yet fanned out, and retries).
    pub queued: i64,
    /// Accepted by the push service.
    pub sent: i64,
    /// Refused for good.
    pub failed: i64,
    /// TTL passed before it could be sent.
    pub expired: i64,
    /// Cancelled (opt-out, expired subscription, cancelled send).
    pub cancelled: i64,
    /// Shown by the service worker.
    pub delivered: i64,
    /// Clicked.
    pub clicked: i64,
}

/// A notification's progress.
#[derive(Debug, Serialize)]
pub struct Progress {
    /// `scheduled`, `queued`, `sending`, `done`, `cancelled` or `failed`.
    pub status: &'static str,
    /// Counts by state.
    pub counts: Counts,
    /// Why it failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

/// Reads a notification's progress; 404 when it is not this project's.
pub async fn progress(db: &Db, project_id: &str, id: i64) -> Result<Progress, NotificationError> {
    let stored = store::find(db, project_id, id)
        .await?
        .ok_or(NotificationError::NotFound(id))?;
    let by_state = queue::counts::by_state(db, id).await?;
    Ok(summarize(stored, &by_state, now_ms()))
}

/// A notification's progress from its row and its deliveries by state.
pub fn summarize(
    stored: Stored,
    by_state: &BTreeMap<DeliveryState, InState>,
    now: i64,
) -> Progress {
    let mut counts = Counts::default();
    let (mut written, mut attempted) = (0, 0);
    for (state, c) in by_state {
        let InState {
            n,
            delivered,
            clicked,
            attempted: a,
        } = *c;
        written += n;
        attempted += a;
        counts.delivered += delivered;
        counts.clicked += clicked;
        *match state {
            DeliveryState::Queued | DeliveryState::Sending => &mut counts.queued,
            DeliveryState::Sent => &mut counts.sent,
            DeliveryState::Failed => &mut counts.failed,
            DeliveryState::Expired => &mut counts.expired,
            DeliveryState::Cancelled => &mut counts.cancelled,
        } += n;
    }
    // Targeted but not yet written: still to go, or, once cancelled, never sent.
    let unwritten = (stored.total - written).max(0);
    if stored.cancelled {
        counts.cancelled += unwritten;
    } else if !stored.fanout_done {
        counts.queued += unwritten;
    }
    let status = if stored.cancelled {
        "cancelled"
    } else if stored.failure.is_some() && counts.queued == 0 {
        "failed"
    } else if stored.send_at > now {
        "scheduled"
    } else if counts.queued == 0 {
        "done"
    } else if attempted > 0 || counts.sent + counts.failed + counts.expired > 0 {
        "sending"
    } else {
        "queued"
    };
    Progress {
        status,
        counts,
        failure: stored.failure,
    }
}

/// Cancels a notification nothing of which was sent yet; 409 otherwise.
pub async fn cancel(db: &Db, project_id: &str, id: i64) -> Result<Progress, NotificationError> {
    let mut tx = db.begin_write().await?;
    let cancelled = store::lock_cancelled(&mut tx, project_id, id)
        .await?
        .ok_or(NotificationError::NotFound(id))?;
    if !cancelled {
        if queue::cancel::started(&mut tx, id).await? {
            return Err(NotificationError::Started);
        }
        queue::cancel::for_notification(&mut tx, id).await?;
        store::set_cancelled(&mut tx, id).await?;
    }
    tx.commit().await?;
    progress(db, project_id, id).await
}
