//! The outcome recorder: one task that writes what attempts ended with, in
//! batches (whatever has arrived while the previous batch was being written
//! goes into the next one), so a busy engine makes a few large updates
//! instead of one per message.

use crate::db::Db;
use crate::queue::{self, Record};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, mpsc};

/// Most outcomes one batch writes.
const BATCH: usize = 2000;

/// Runs until every sender is gone, or `finish` says so and what is
/// buffered has been written.
pub(super) async fn run(
    db: Db,
    mut rx: mpsc::UnboundedReceiver<(i64, Record)>,
    finish: Arc<Notify>,
) {
    let mut finishing = false;
    loop {
        let next = tokio::select! {
            next = rx.recv() => next,
            () = finish.notified(), if !finishing => {
                // No more sends; what is buffered is still received, then None.
                rx.close();
                finishing = true;
                continue;
            }
        };
        let Some(first) = next else { break };
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        write(&db, &batch).await;
    }
}

/// Writes one batch, trying until it is written: dropping outcomes would
/// leave rows leased, and the lease take-over would send them again.
async fn write(db: &Db, batch: &[(i64, Record)]) {
    let mut delay = Duration::from_millis(100);
    while let Err(e) = queue::record(db, batch).await {
        tracing::warn!(error = %crate::db::describe_error(e), "recording delivery outcomes failed; retrying");
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}
