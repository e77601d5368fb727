//! Fan-out: a tag, topic or broadcast send is expanded into deliveries by
//! the delivery engine in batches of subscription ids, each batch one
//! `INSERT … SELECT` in its own transaction with the cursor stored on the
//! notification, so a crash resumes where it stopped and the first pushes
//! leave while later batches are still being written.

use super::store;
use super::target::Target;
use crate::db::Db;
use crate::queue::enqueue::{self, Audience};
use crate::time::now_ms;

/// The size of a fan-out's first batch: small, so the first pushes leave
/// at once; later batches are full size while those are being sent.
const FIRST_BATCH: i64 = 256;

/// Expands the next batch (at most `batch` subscriptions) of one pending
/// fan-out; `false` when none is due.
pub async fn step(db: &Db, batch: i64) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let Some(pending) = store::next_fan_out(&mut tx, now).await? else {
        tx.commit().await?;
        return Ok(false);
    };
    let target = match Target::from_stored(&pending.target) {
        Ok(target) => target,
        Err(why) => {
            // Loudly: the notification says `failed` and why, instead of
            // stopping without a word.
            tracing::error!(notification = pending.id, error = %why, "the stored target cannot be read; the notification fails");
            let why = format!("its stored target cannot be read: {why}");
            store::fail(&mut tx, pending.id, &why).await?;
            tx.commit().await?;
            return Ok(true);
        }
    };
    let predicate = target.predicate(tx.engine());
    let batch = if pending.cursor == 0 {
        batch.min(FIRST_BATCH)
    } else {
        batch
    };
    let range = (pending.cursor, pending.until);
    match store::batch_end(&mut tx, &pending.project_id, &predicate, range, batch).await? {
        None => store::advance_fan_out(&mut tx, pending.id, pending.cursor, true).await?,
        Some(end) => {
            let audience = Audience {
                project_id: &pending.project_id,
                predicate: &predicate,
                ids: Some((pending.cursor, end)),
            };
            enqueue::insert(&mut tx, pending.id, &audience, now, pending.expires_at).await?;
            store::advance_fan_out(&mut tx, pending.id, end, end >= pending.until).await?;
        }
    }
    tx.commit().await?;
    Ok(true)
}
