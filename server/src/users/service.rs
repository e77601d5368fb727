//! Logging a user out everywhere (rule 4, from the backend): every
//! subscription of the uid becomes anonymous, each with its consent row.

use super::store;
use crate::consent::{self, Event, Kind, Origin};
use crate::db::Tx;
use crate::identity::Uid;
use serde_json::json;

/// Unbinds every subscription of `uid`; how many there were.
pub async fn log_out_everywhere(
    tx: &mut Tx,
    origin: &Origin<'_>,
    uid: &Uid,
) -> Result<usize, sqlx::Error> {
    let bound = store::lock_bound(tx, &origin.project.id, uid).await?;
    for sub in &bound {
        let event = Event {
            subscription_id: sub.id,
            endpoint_hash: &sub.endpoint_hash,
            kind: Kind::UidRemove,
            scope: json!({ "by": "backend" }),
            uid: Some(uid.as_str()),
            disclosure_version: sub.disclosure_version.as_deref(),
        };
        consent::record(tx, origin, event).await?;
    }
    store::unbind(tx, &origin.project.id, uid).await?;
    Ok(bound.len())
}
