//! The consent log (rule 6): one append-only row per change of consent,
//! written in the same transaction as the change itself.
//!
//! Rows hold no raw personal data: the client's IP address, user agent and
//! the uid are stored as salted SHA-256 hashes (salt per project), and the
//! subscription is named by its endpoint hash. The database refuses UPDATE
//! and DELETE on the table (triggers in the migrations), and the rows stay
//! when an opted-out subscription is purged.

use crate::db::Tx;
use crate::projects::Project;
use crate::secret::salted_hash;
use crate::time::now_ms;
use serde_json::Value;

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Subscribed (or subscribed again after an opt-out).
    OptIn,
    /// Opted out of everything.
    OptOut,
    /// Topics (or tags) changed.
    TopicUpdate,
    /// Delivery frequency changed.
    FrequencyUpdate,
    /// Bound to a user.
    UidAssign,
    /// Unbound from a user.
    UidRemove,
}

impl Kind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OptIn => "opt_in",
            Self::OptOut => "opt_out",
            Self::TopicUpdate => "topic_update",
            Self::FrequencyUpdate => "frequency_update",
            Self::UidAssign => "uid_assign",
            Self::UidRemove => "uid_remove",
        }
    }
}

/// Who sent the request, as the consent log records it (hashed).
#[derive(Clone, Default)]
pub struct ClientInfo {
    /// The peer's IP address.
    pub ip: Option<String>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
}

/// Who asked: shared by every row one request writes.
pub struct Origin<'a> {
    /// The project (its salt hashes the personal data).
    pub project: &'a Project,
    /// The requesting client.
    pub client: &'a ClientInfo,
}

/// One row to append.
pub struct Event<'a> {
    /// The subscription's id.
    pub subscription_id: i64,
    /// The subscription's endpoint hash.
    pub endpoint_hash: &'a str,
    /// What changed.
    pub kind: Kind,
    /// Details (`{"topics": [...]}`, `{"frequency": "daily_digest"}`, ...).
    pub scope: Value,
    /// The uid concerned, hashed before storage.
    pub uid: Option<&'a str>,
    /// The version of the consent text the user saw, if the site sent one.
    pub disclosure_version: Option<&'a str>,
}

/// Appends one consent row.
pub async fn record(tx: &mut Tx, origin: &Origin<'_>, event: Event<'_>) -> Result<(), sqlx::Error> {
    let salt = origin.project.consent_salt.expose();
    let hash = |v: &Option<String>| v.as_deref().map(|v| salted_hash(salt, v));
    sqlx::query(
        "insert into consent_log (project_id, subscription_id, endpoint_hash, kind, scope, uid_hash,
                                  disclosure_version, ip_hash, user_agent_hash, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&origin.project.id)
    .bind(event.subscription_id)
    .bind(event.endpoint_hash)
    .bind(event.kind.as_str())
    .bind(event.scope.to_string())
    .bind(event.uid.map(|uid| salted_hash(salt, uid)))
    .bind(event.disclosure_version)
    .bind(hash(&origin.client.ip))
    .bind(hash(&origin.client.user_agent))
    .bind(now_ms())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
