//! The delivery queue: the `deliveries` table, one row per (notification,
//! subscription), and every statement that changes it.
//!
//! Claiming: `queued` rows whose time has come are switched to `sending`
//! with a lease in one statement. On PostgreSQL the candidate rows are
//! locked `FOR UPDATE SKIP LOCKED`, so several `herald serve` processes
//! claim disjoint batches without waiting on each other; on SQLite the
//! write lock makes claims one at a time. Each lease names its node: a
//! node that stops hands back what it did not finish, one that restarts
//! takes back its previous run's at once, and the others take over a
//! crashed node's once its heartbeat is a few seconds old ([`leases`]).
//! That is the only way a message can be sent twice: it was in flight
//! when its node died.
//!
//! - [`enqueue`]: deliveries written for a notification's audience.
//! - [`claim`]: claims with leases.
//! - [`leases`]: heartbeats, handing back and taking over leases.
//! - [`outcome`]: what attempts ended with, written in batches.
//! - [`cancel`]: rule 5 (opt-out) and cancelled sends.
//! - [`counts`]: a notification's deliveries by state.

pub mod cancel;
pub mod claim;
pub mod counts;
pub mod enqueue;
pub mod leases;
pub mod outcome;

pub use claim::{Claimed, claim, still_sending};
pub use outcome::{Record, record};

/// Ids as an SQL list (`1,2,3`): they are integers from the database.
fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}
