//! The subscription lifecycle, as domain operations: subscribe (upsert), log
//! in (assign a uid), log out, change preferences, opt out, rotate.
//!
//! Each operation runs inside the caller's write transaction, checks
//! everything before it changes anything (signatures, possession of the
//! `auth` secret), and appends the consent rows for what it changed.

use super::fields::{AuthSecret, Endpoint, Frequency, Names, P256dh};
use super::store::{self, NewRow, State, Status, Subscription};
use crate::consent::{self, Event, Kind, Origin};
use crate::db::Tx;
use crate::identity::{self, SignatureError, Uid};
use serde_json::json;

/// Why a subscription operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum SubscriptionError {
    /// No subscription has this endpoint (404).
    #[error("no subscription with this endpoint")]
    NotFound,
    /// The secret in this field is not the stored subscription's (403).
    #[error("{0} does not match the subscription stored for this endpoint")]
    NotYours(&'static str),
    /// The uid's signature is refused (403).
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// What every operation works with.
pub struct Ctx<'a> {
    /// The write transaction.
    pub tx: &'a mut Tx,
    /// Project and client, for the consent log.
    pub origin: Origin<'a>,
}

/// A browser subscription as the SDK sends it.
pub struct Subscribe {
    /// Push endpoint.
    pub endpoint: Endpoint,
    /// Public key.
    pub p256dh: P256dh,
    /// Auth secret.
    pub auth: AuthSecret,
    /// User to bind, with its signature.
    pub uid: Option<(Uid, Option<String>)>,
    /// Tags to set.
    pub tags: Option<Names>,
    /// Topics to set.
    pub topics: Option<Names>,
    /// Frequency to set.
    pub frequency: Option<Frequency>,
    /// Consent text version shown to the user.
    pub disclosure_version: Option<String>,
}

/// A browser's replaced subscription (`pushsubscriptionchange`).
pub struct Rotation {
    /// The old endpoint and the proof of possessing it.
    pub old: (Endpoint, AuthSecret),
    /// The new endpoint.
    pub endpoint: Endpoint,
    /// The new public key.
    pub p256dh: P256dh,
    /// The new auth secret.
    pub auth: AuthSecret,
}

/// Routing preferences to change; `None` leaves a field as it is.
#[derive(Default)]
pub struct Preferences {
    /// New tags.
    pub tags: Option<Names>,
    /// New topics.
    pub topics: Option<Names>,
    /// New frequency.
    pub frequency: Option<Frequency>,
    /// Consent text version shown with the change.
    pub disclosure_version: Option<String>,
}

impl Ctx<'_> {
    async fn record(
        &mut self,
        sub: &Subscription,
        kind: Kind,
        scope: serde_json::Value,
        uid: Option<&str>,
    ) -> Result<(), SubscriptionError> {
        let event = Event {
            subscription_id: sub.id,
            endpoint_hash: &sub.endpoint_hash,
            kind,
            scope,
            uid,
            disclosure_version: sub.disclosure_version.as_deref(),
        };
        consent::record(self.tx, &self.origin, event).await?;
        Ok(())
    }

    /// Loads the subscription for a mutation: 404 if unknown, 403 unless
    /// `auth` is its secret.
    async fn owned(
        &mut self,
        endpoint: &Endpoint,
        auth: &AuthSecret,
    ) -> Result<Subscription, SubscriptionError> {
        let sub = store::find_for_update(self.tx, &self.origin.project.id, endpoint.hash())
            .await?
            .ok_or(SubscriptionError::NotFound)?;
        if !auth.matches_stored(sub.auth.expose()) {
            return Err(SubscriptionError::NotYours("auth"));
        }
        Ok(sub)
    }

    /// Binds `uid` (rule 1: taking it from any previous user), recording both sides.
    async fn bind_uid(
        &mut self,
        sub: &mut Subscription,
        uid: &Uid,
    ) -> Result<(), SubscriptionError> {
        if sub.uid.as_deref() == Some(uid.as_str()) {
            return Ok(());
        }
        if let Some(previous) = sub.uid.take() {
            self.record(sub, Kind::UidRemove, json!({}), Some(&previous))
                .await?;
        }
        sub.uid = Some(uid.as_str().to_string());
        self.record(sub, Kind::UidAssign, json!({}), Some(uid.as_str()))
            .await
    }

    /// Applies preference changes, one consent row per field that changed.
    async fn apply(
        &mut self,
        sub: &mut Subscription,
        prefs: Preferences,
    ) -> Result<(), SubscriptionError> {
        if let Some(version) = prefs.disclosure_version {
            sub.disclosure_version = Some(version);
        }
        if let Some(tags) = prefs.tags.filter(|t| *t != sub.tags) {
            sub.tags = tags;
            self.record(sub, Kind::TopicUpdate, json!({ "tags": sub.tags }), None)
                .await?;
        }
        if let Some(topics) = prefs.topics.filter(|t| *t != sub.topics) {
            sub.topics = topics;
            self.record(
                sub,
                Kind::TopicUpdate,
                json!({ "topics": sub.topics }),
                None,
            )
            .await?;
        }
        if let Some(frequency) = prefs.frequency.filter(|f| *f != sub.frequency) {
            sub.frequency = frequency;
            let scope = json!({ "frequency": frequency.as_str() });
            self.record(sub, Kind::FrequencyUpdate, scope, None).await?;
        }
        Ok(())
    }
}

fn opt_in_scope(sub: &Subscription) -> serde_json::Value {
    json!({ "tags": sub.tags, "topics": sub.topics, "frequency": sub.frequency.as_str() })
}

/// Subscribes: creates the subscription (`true`) or updates the existing one
/// for this endpoint (`false`), re-activating it after an opt-out.
pub async fn upsert(ctx: &mut Ctx<'_>, req: Subscribe) -> Result<(bool, State), SubscriptionError> {
    if let Some((uid, signature)) = &req.uid {
        identity::verify_signature(&ctx.origin.project.secret, uid, signature.as_deref())?;
    }
    let project_id = ctx.origin.project.id.clone();
    // Insert first: a new subscription is the common case, and the insert
    // tells us (by doing nothing) when the endpoint is already stored.
    let empty = Names::default();
    let auth = req.auth.encoded();
    let row = NewRow {
        endpoint: &req.endpoint,
        p256dh: req.p256dh.as_str(),
        auth: auth.expose(),
        uid: req.uid.as_ref().map(|(uid, _)| uid.as_str()),
        tags: req.tags.as_ref().unwrap_or(&empty),
        topics: req.topics.as_ref().unwrap_or(&empty),
        frequency: req.frequency.unwrap_or_default(),
        disclosure_version: req.disclosure_version.as_deref(),
    };
    if let Some(sub) = store::insert(ctx.tx, &project_id, row).await? {
        ctx.record(&sub, Kind::OptIn, opt_in_scope(&sub), None)
            .await?;
        if let Some(uid) = &sub.uid {
            ctx.record(&sub, Kind::UidAssign, json!({}), Some(uid))
                .await?;
        }
        return Ok((true, sub.state()));
    }
    Ok((false, resubscribe(ctx, req).await?))
}

/// Subscribes an endpoint already stored: the same browser again (its
/// `auth` proves it), re-activated after an opt-out, its preferences and
/// uid updated.
async fn resubscribe(ctx: &mut Ctx<'_>, req: Subscribe) -> Result<State, SubscriptionError> {
    let project_id = ctx.origin.project.id.clone();
    let existing = store::find_for_update(ctx.tx, &project_id, req.endpoint.hash()).await?;
    // The insert said it exists, in this same transaction.
    let mut sub = existing.ok_or(SubscriptionError::NotFound)?;
    if !req.auth.matches_stored(sub.auth.expose()) {
        return Err(SubscriptionError::NotYours("keys.auth"));
    }
    sub.p256dh = req.p256dh.as_str().to_string();
    let prefs = Preferences {
        tags: req.tags,
        topics: req.topics,
        frequency: req.frequency,
        disclosure_version: req.disclosure_version,
    };
    if sub.status != Status::Active {
        sub.status = Status::Active;
        // The new opt-in carries the preferences it was given with.
        if let Some(v) = &prefs.disclosure_version {
            sub.disclosure_version = Some(v.clone());
        }
        ctx.record(&sub, Kind::OptIn, opt_in_scope(&sub), None)
            .await?;
    }
    ctx.apply(&mut sub, prefs).await?;
    if let Some((uid, _)) = &req.uid {
        ctx.bind_uid(&mut sub, uid).await?;
    }
    store::save(ctx.tx, &sub).await?;
    Ok(sub.state())
}

/// Logs in: binds the subscription to `uid` after checking its signature.
pub async fn assign_uid(
    ctx: &mut Ctx<'_>,
    endpoint: &Endpoint,
    auth: &AuthSecret,
    uid: &Uid,
    signature: Option<&str>,
) -> Result<State, SubscriptionError> {
    identity::verify_signature(&ctx.origin.project.secret, uid, signature)?;
    let mut sub = ctx.owned(endpoint, auth).await?;
    ctx.bind_uid(&mut sub, uid).await?;
    store::save(ctx.tx, &sub).await?;
    Ok(sub.state())
}

/// Logs out (rule 4): the subscription stays active, anonymous.
pub async fn remove_uid(
    ctx: &mut Ctx<'_>,
    endpoint: &Endpoint,
    auth: &AuthSecret,
) -> Result<State, SubscriptionError> {
    let mut sub = ctx.owned(endpoint, auth).await?;
    if let Some(previous) = sub.uid.take() {
        ctx.record(&sub, Kind::UidRemove, json!({}), Some(&previous))
            .await?;
        store::save(ctx.tx, &sub).await?;
    }
    Ok(sub.state())
}

/// Changes tags, topics or frequency.
pub async fn update_preferences(
    ctx: &mut Ctx<'_>,
    endpoint: &Endpoint,
    auth: &AuthSecret,
    prefs: Preferences,
) -> Result<State, SubscriptionError> {
    let mut sub = ctx.owned(endpoint, auth).await?;
    ctx.apply(&mut sub, prefs).await?;
    store::save(ctx.tx, &sub).await?;
    Ok(sub.state())
}

/// Opts out of everything (rule 5). Takes effect when the transaction commits.
pub async fn opt_out(
    ctx: &mut Ctx<'_>,
    endpoint: &Endpoint,
    auth: &AuthSecret,
) -> Result<State, SubscriptionError> {
    let mut sub = ctx.owned(endpoint, auth).await?;
    if sub.status != Status::OptedOut {
        sub.status = Status::OptedOut;
        ctx.record(&sub, Kind::OptOut, json!({}), None).await?;
        store::save(ctx.tx, &sub).await?;
    }
    // Rule 5: in the same transaction, nothing queued or in flight for it
    // remains to be sent (also on a repeated opt-out, to be sure).
    crate::queue::cancel::for_subscription(ctx.tx, sub.id).await?;
    Ok(sub.state())
}

/// The browser replaced a subscription (`pushsubscriptionchange`): carry
/// uid, tags, topics and frequency from the old endpoint to the new one.
pub async fn rotate(ctx: &mut Ctx<'_>, rotation: Rotation) -> Result<State, SubscriptionError> {
    let Rotation {
        old,
        endpoint,
        p256dh,
        auth,
    } = rotation;
    let (endpoint, p256dh, auth) = (&endpoint, &p256dh, &auth);
    let mut sub = ctx.owned(&old.0, &old.1).await?;
    let project_id = ctx.origin.project.id.clone();
    let target = if endpoint.hash() == sub.endpoint_hash {
        None
    } else {
        store::find_for_update(ctx.tx, &project_id, endpoint.hash()).await?
    };
    let revived = if sub.status == Status::Expired {
        Status::Active
    } else {
        sub.status
    };
    match target {
        None => {
            if endpoint.hash() != sub.endpoint_hash {
                store::move_endpoint(ctx.tx, sub.id, endpoint).await?;
                sub.endpoint_hash = endpoint.hash().to_string();
            }
            sub.p256dh = p256dh.as_str().to_string();
            sub.auth = auth.encoded();
            sub.status = revived;
            store::save(ctx.tx, &sub).await?;
            Ok(sub.state())
        }
        Some(mut new) => {
            // The new endpoint was already stored (the page upserted it before
            // the worker's rotate arrived): keep that row, give it the old
            // one's routing data, and retire the old row.
            if !auth.matches_stored(new.auth.expose()) {
                return Err(SubscriptionError::NotYours("keys.auth"));
            }
            new.uid = sub.uid.take();
            new.tags = sub.tags.clone();
            new.topics = sub.topics.clone();
            new.frequency = sub.frequency;
            new.status = revived;
            sub.status = Status::Expired;
            store::save(ctx.tx, &sub).await?;
            store::save(ctx.tx, &new).await?;
            Ok(new.state())
        }
    }
}
