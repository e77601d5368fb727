//! Writing what attempts ended with: a batch of outcomes in one
//! transaction, one statement per final state rather than one per row.

use super::id_list;
use crate::db::{Db, Tx};
use crate::states::DeliveryState::{self, Cancelled, Expired, Failed, Queued, Sending, Sent};
use crate::states::Status;
use crate::time::now_ms;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// How an attempt ended, as the queue records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// Accepted by the push service.
    Sent { status: u16 },
    /// Refused for good.
    Failed { status: u16 },
    /// The subscription is gone (404/410): expire it, cancel its queue.
    Gone { status: u16, subscription_id: i64 },
    /// Try again at this time (Unix ms).
    Retry { status: u16, at: i64 },
    /// The TTL passed.
    Expired,
    /// Not to be sent (opt-out, cancelled notification).
    Cancelled,
}

static RETRY: LazyLock<String> = LazyLock::new(|| {
    // Only a row still ours goes back to the queue: an opt-out may have
    // cancelled it meanwhile.
    format!(
        "update deliveries set state = {}, next_attempt_at = $1, lease_until = null, last_status = $2
         where id = $3 and state = {}",
        Queued.sql(),
        Sending.sql()
    )
});

/// Writes a batch of outcomes in one transaction.
pub async fn record(db: &Db, outcomes: &[(i64, Record)]) -> Result<(), sqlx::Error> {
    let now = now_ms();
    let mut tx = db.begin_write().await?;
    let mut finals: BTreeMap<(DeliveryState, u16), Vec<i64>> = BTreeMap::new();
    let mut gone = Vec::new();
    for (id, outcome) in outcomes {
        let (state, status) = match outcome {
            Record::Sent { status } => (Sent, *status),
            Record::Failed { status } => (Failed, *status),
            Record::Gone {
                status,
                subscription_id,
            } => {
                gone.push(*subscription_id);
                (Failed, *status)
            }
            Record::Expired => (Expired, 0),
            Record::Cancelled => (Cancelled, 0),
            Record::Retry { status, at } => {
                sqlx::query(RETRY.as_str())
                    .bind(*at)
                    .bind(i64::from(*status))
                    .bind(*id)
                    .execute(&mut *tx)
                    .await?;
                continue;
            }
        };
        finals.entry((state, status)).or_default().push(*id);
    }
    for ((state, status), ids) in finals {
        write_final(&mut tx, state, status, &ids, now).await?;
    }
    if !gone.is_empty() {
        expire_subscriptions(&mut tx, &gone, now).await?;
    }
    tx.commit().await
}

/// One statement for every delivery that ended in `state` with `status`.
async fn write_final(
    tx: &mut Tx,
    state: DeliveryState,
    status: u16,
    ids: &[i64],
    now: i64,
) -> Result<(), sqlx::Error> {
    let sent_at = if state == Sent { ", sent_at = $3" } else { "" };
    let sql = format!(
        "update deliveries set state = $1, lease_until = null, last_status = $2, finished_at = $3{sent_at}
         where id in ({})",
        id_list(ids)
    );
    let status = (status != 0).then_some(i64::from(status));
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .persistent(false)
        .bind(state.as_str())
        .bind(status)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Rule 3: a subscription the push service says is gone is expired at
/// once, and nothing more queued for it is sent.
async fn expire_subscriptions(tx: &mut Tx, ids: &[i64], now: i64) -> Result<(), sqlx::Error> {
    let list = id_list(ids);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "update subscriptions set status = {}, updated_at = $1, expired_at = $1 where id in ({list}) and status = {}",
        Status::Expired.sql(),
        Status::Active.sql()
    )))
    .persistent(false)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "update deliveries set state = {}, lease_until = null, finished_at = $1
         where subscription_id in ({list}) and state = {}",
        Cancelled.sql(),
        Queued.sql()
    )))
    .persistent(false)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
