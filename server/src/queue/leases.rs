//! Leases that outlive their worker: every delivering node writes a
//! heartbeat each second; a node that restarts takes back the leases of
//! its own previous run at once, a node that stops hands back what it did
//! not finish, and every node takes over the leases of a node whose
//! heartbeat stopped (a crash) or whose lease time ran out (a node from
//! before heartbeats, or with its clock far off).

use crate::db::Db;
use crate::states::DeliveryState::{Queued, Sending};
use crate::time::now_ms;

/// Records that `node` is alive now.
pub async fn heartbeat(db: &Db, node: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into nodes (id, heartbeat_at) values ($1, $2)
         on conflict (id) do update set heartbeat_at = excluded.heartbeat_at",
    )
    .bind(node)
    .bind(now_ms())
    .execute(db.writer())
    .await?;
    Ok(())
}

/// Puts `node`'s leased deliveries back in the queue: at start (what its
/// previous run held when it died) and at a clean stop (what it did not
/// finish). Answers how many.
pub async fn release_own(db: &Db, node: &str) -> Result<u64, sqlx::Error> {
    let sql = format!(
        "update deliveries set state = {}, lease_until = null
         where state = {} and lease_owner = $1",
        Queued.sql(),
        Sending.sql()
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(node)
        .execute(db.writer())
        .await?;
    Ok(done.rows_affected())
}

/// A stopping node leaves: its heartbeat row goes (after `release_own`).
pub async fn leave(db: &Db, node: &str) -> Result<(), sqlx::Error> {
    sqlx::query("delete from nodes where id = $1")
        .bind(node)
        .execute(db.writer())
        .await?;
    Ok(())
}

/// Puts back in the queue, for `me`, the deliveries of other nodes whose
/// heartbeat is older than `dead_after_ms`, and any whose lease time
/// passed (a safety net, far longer than a push). Never its own by
/// heartbeat: a node whose heartbeat is late (a busy SQLite writer) is
/// alive, and taking its rows would send them twice.
pub async fn recover(db: &Db, me: &str, dead_after_ms: i64) -> Result<u64, sqlx::Error> {
    let now = now_ms();
    let sql = format!(
        "update deliveries set state = {queued}, lease_until = null
         where state = {sending}
           and (lease_until < $1
                or (lease_owner <> $3
                    and lease_owner in (select id from nodes where heartbeat_at < $2)))",
        queued = Queued.sql(),
        sending = Sending.sql()
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(now - dead_after_ms)
        .bind(me)
        .execute(db.writer())
        .await?;
    Ok(done.rows_affected())
}
