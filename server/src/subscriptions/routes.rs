//! HTTP adapters for the browser-facing subscription API. Each body type
//! validates itself ([`Body`]); the [`Mutation`] extractor claims the
//! idempotency key and opens the transaction; each handler runs one domain
//! operation from [`super::service`] and stores the answer with the key.

use super::fields::{AuthSecret, Endpoint, Frequency, Names, P256dh, disclosure_version};
use super::service::SubscriptionError;
use super::service::{self, Ctx, Preferences, Rotation, Subscribe};
use super::{stats, store};
use crate::backend::Authorized;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::identity::Uid;
use crate::invalid::Invalid;
use crate::mutation::{Body, Input, Mutation, Write};
use crate::state::AppState;
use crate::window::{Window, date};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;

/// The subscription routes under `/api/v1/projects/{project}/subscriptions`.
pub fn router() -> Router<AppState> {
    let base = "/api/v1/projects/{project}/subscriptions";
    Router::new()
        .route(base, post(upsert_subscription))
        .route(&format!("{base}/status"), post(get_status))
        .route(&format!("{base}/uid"), put(assign_uid).delete(remove_uid))
        .route(&format!("{base}/preferences"), put(update_preferences))
        .route(&format!("{base}/opt-out"), post(opt_out))
        .route(&format!("{base}/rotate"), post(rotate))
        .route(
            "/api/v1/projects/{project}/stats/subscriptions",
            get(subscription_stats),
        )
}

/// `GET …/stats/subscriptions?days=N` (Bearer): totals by status now, and
/// every day of the window with what it saw (zeros included).
async fn subscription_stats(
    auth: Authorized,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let window = Window::from_query(&query)?;
    let db = &auth.state.db;
    let totals = stats::totals(db, &auth.project.id).await?;
    let days = stats::daily(db, &auth.project.id, window).await?;
    let daily: Vec<Value> = window
        .each()
        .map(|day| {
            let d = days.get(&day).copied().unwrap_or_default();
            json!({"date": date(day), "new": d.new, "opted_out": d.opted_out, "expired": d.expired})
        })
        .collect();
    Ok(Json(json!({
        "days": window.days,
        "from": date(window.from),
        "to": date(window.to),
        "totals": totals,
        "daily": daily,
    })))
}

fn ctx(write: &mut Write) -> Ctx<'_> {
    let (tx, origin) = write.parts();
    Ctx { tx, origin }
}

fn required<T>(field: &str, value: Option<T>) -> Result<T, Invalid> {
    value.ok_or_else(|| Invalid::new(field, "is required"))
}

fn names(field: &str, list: Option<Vec<String>>) -> Result<Option<Names>, Invalid> {
    list.map(|l| Names::parse(field, &l)).transpose()
}

fn frequency(field: &str, value: Option<String>) -> Result<Option<Frequency>, Invalid> {
    value.map(|f| Frequency::parse(field, &f)).transpose()
}

#[derive(Deserialize)]
struct KeysBody {
    p256dh: Option<String>,
    auth: Option<String>,
}

fn parse_keys(keys: Option<KeysBody>) -> Result<(P256dh, AuthSecret), Invalid> {
    let keys = required("keys", keys)?;
    let p256dh = P256dh::parse("keys.p256dh", &required("keys.p256dh", keys.p256dh)?)?;
    let auth = AuthSecret::parse("keys.auth", &required("keys.auth", keys.auth)?)?;
    Ok((p256dh, auth))
}

/// `{endpoint, auth}`: names a subscription and proves possession of it.
#[derive(Deserialize)]
struct Owned {
    endpoint: Option<String>,
    auth: Option<String>,
}

impl Owned {
    fn parse(self) -> Result<(Endpoint, AuthSecret), Invalid> {
        let endpoint = Endpoint::parse_existing("endpoint", &required("endpoint", self.endpoint)?)?;
        let auth = AuthSecret::parse("auth", &required("auth", self.auth)?)?;
        Ok((endpoint, auth))
    }
}

impl Body for Owned {
    type Valid = (Endpoint, AuthSecret);
    fn validate(self, _: &Input<'_>) -> Result<Self::Valid, ApiError> {
        Ok(self.parse()?)
    }
}

#[derive(Deserialize)]
struct UpsertBody {
    endpoint: Option<String>,
    keys: Option<KeysBody>,
    uid: Option<String>,
    uid_signature: Option<String>,
    tags: Option<Vec<String>>,
    topics: Option<Vec<String>>,
    frequency: Option<String>,
    disclosure_version: Option<String>,
}

impl Body for UpsertBody {
    type Valid = Subscribe;
    fn validate(self, input: &Input<'_>) -> Result<Subscribe, ApiError> {
        let (p256dh, auth) = parse_keys(self.keys)?;
        let uid = self.uid.map(|u| Uid::parse("uid", &u)).transpose()?;
        let endpoint = required("endpoint", self.endpoint)?;
        Ok(Subscribe {
            endpoint: Endpoint::parse("endpoint", &endpoint, &input.state.push_services)?,
            p256dh,
            auth,
            uid: uid.map(|uid| (uid, self.uid_signature)),
            tags: names("tags", self.tags)?,
            topics: names("topics", self.topics)?,
            frequency: frequency("frequency", self.frequency)?,
            disclosure_version: disclosure_version(
                "disclosure_version",
                self.disclosure_version.as_deref(),
            )?,
        })
    }
}

#[derive(Deserialize)]
struct UidBody {
    #[serde(flatten)]
    owned: Owned,
    uid: Option<String>,
    uid_signature: Option<String>,
}

impl Body for UidBody {
    type Valid = (Endpoint, AuthSecret, Uid, Option<String>);
    fn validate(self, _: &Input<'_>) -> Result<Self::Valid, ApiError> {
        let (endpoint, auth) = self.owned.parse()?;
        let uid = Uid::parse("uid", &required("uid", self.uid)?)?;
        Ok((endpoint, auth, uid, self.uid_signature))
    }
}

#[derive(Deserialize)]
struct PreferencesBody {
    #[serde(flatten)]
    owned: Owned,
    tags: Option<Vec<String>>,
    topics: Option<Vec<String>>,
    frequency: Option<String>,
    disclosure_version: Option<String>,
}

impl Body for PreferencesBody {
    type Valid = (Endpoint, AuthSecret, Preferences);
    fn validate(self, _: &Input<'_>) -> Result<Self::Valid, ApiError> {
        let (endpoint, auth) = self.owned.parse()?;
        let prefs = Preferences {
            tags: names("tags", self.tags)?,
            topics: names("topics", self.topics)?,
            frequency: frequency("frequency", self.frequency)?,
            disclosure_version: disclosure_version(
                "disclosure_version",
                self.disclosure_version.as_deref(),
            )?,
        };
        if prefs.tags.is_none() && prefs.topics.is_none() && prefs.frequency.is_none() {
            return Err(ApiError::invalid(
                "tags",
                "send at least one of tags, topics, frequency",
            ));
        }
        Ok((endpoint, auth, prefs))
    }
}

#[derive(Deserialize)]
struct RotateBody {
    old_endpoint: Option<String>,
    old_auth: Option<String>,
    endpoint: Option<String>,
    keys: Option<KeysBody>,
}

impl Body for RotateBody {
    type Valid = Rotation;
    fn validate(self, input: &Input<'_>) -> Result<Rotation, ApiError> {
        let old_endpoint = Endpoint::parse_existing(
            "old_endpoint",
            &required("old_endpoint", self.old_endpoint)?,
        )?;
        let old_auth = AuthSecret::parse("old_auth", &required("old_auth", self.old_auth)?)?;
        let endpoint = required("endpoint", self.endpoint)?;
        let endpoint = Endpoint::parse("endpoint", &endpoint, &input.state.push_services)?;
        let (p256dh, auth) = parse_keys(self.keys)?;
        Ok(Rotation {
            old: (old_endpoint, old_auth),
            endpoint,
            p256dh,
            auth,
        })
    }
}

async fn upsert_subscription(
    Mutation(mut write, req): Mutation<UpsertBody>,
) -> Result<Response, ApiError> {
    let (created, state) = service::upsert(&mut ctx(&mut write), req).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    write.finish(status, &state).await
}

/// Reads a subscription's state; a read, so no idempotency key and no lock.
async fn get_status(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    body: JsonBody<Owned>,
) -> Result<Json<store::State>, ApiError> {
    let (endpoint, auth) = body.value.parse()?;
    let project = state.projects.load(&state.db, &project_id).await?;
    let mut conn = state.db.pool().acquire().await?;
    let sub = store::find(&mut conn, &project.id, endpoint.hash())
        .await?
        .ok_or_else(|| ApiError::NotFound("no subscription with this endpoint".into()))?;
    if !auth.matches_stored(sub.auth.expose()) {
        return Err(ApiError::Forbidden(
            "auth does not match the subscription stored for this endpoint".into(),
        ));
    }
    Ok(Json(sub.state()))
}

async fn assign_uid(
    Mutation(mut write, (endpoint, auth, uid, signature)): Mutation<UidBody>,
) -> Result<Response, ApiError> {
    let state = service::assign_uid(
        &mut ctx(&mut write),
        &endpoint,
        &auth,
        &uid,
        signature.as_deref(),
    )
    .await?;
    write.finish(StatusCode::OK, &state).await
}

async fn remove_uid(
    Mutation(mut write, (endpoint, auth)): Mutation<Owned>,
) -> Result<Response, ApiError> {
    let state = service::remove_uid(&mut ctx(&mut write), &endpoint, &auth).await?;
    write.finish(StatusCode::OK, &state).await
}

async fn update_preferences(
    Mutation(mut write, (endpoint, auth, prefs)): Mutation<PreferencesBody>,
) -> Result<Response, ApiError> {
    let state = service::update_preferences(&mut ctx(&mut write), &endpoint, &auth, prefs).await?;
    write.finish(StatusCode::OK, &state).await
}

async fn opt_out(
    Mutation(mut write, (endpoint, auth)): Mutation<Owned>,
) -> Result<Response, ApiError> {
    let state = service::opt_out(&mut ctx(&mut write), &endpoint, &auth).await?;
    write.finish(StatusCode::OK, &state).await
}

async fn rotate(Mutation(mut write, rotation): Mutation<RotateBody>) -> Result<Response, ApiError> {
    let state = service::rotate(&mut ctx(&mut write), rotation).await?;
    write.finish(StatusCode::OK, &state).await
}

// This domain's errors as HTTP answers: the one place they are mapped.
impl From<SubscriptionError> for ApiError {
    fn from(e: SubscriptionError) -> Self {
        match e {
            SubscriptionError::NotFound => Self::NotFound(e.to_string()),
            SubscriptionError::NotYours(_) => Self::Forbidden(e.to_string()),
            SubscriptionError::Signature(e) => e.into(),
            SubscriptionError::Database(e) => e.into(),
        }
    }
}
