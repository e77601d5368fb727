//! HTTP adapters for the browser-facing subscription API. Each handler
//! validates the body, claims the idempotency key, runs one domain
//! operation from [`super::service`] and stores the answer with the key.

use super::fields::{AuthSecret, Endpoint, Frequency, Names, P256dh, disclosure_version};
use super::service::{self, Ctx, Preferences, Subscribe};
use super::store;
use crate::consent::Origin;
use crate::error::ApiError;
use crate::extract::{ClientInfo, IdempotencyKey, JsonBody};
use crate::idempotency::{self, Begun, Mutation};
use crate::identity::Uid;
use crate::projects::Project;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::{post, put};
use axum::{Json, Router};
use serde::Deserialize;
use std::sync::Arc;

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
}

fn required<T>(field: &str, value: Option<T>) -> Result<T, ApiError> {
    value.ok_or_else(|| ApiError::invalid(field, "is required"))
}

fn names(field: &str, list: Option<Vec<String>>) -> Result<Option<Names>, ApiError> {
    list.map(|l| Names::parse(field, &l)).transpose()
}

fn frequency(field: &str, value: Option<String>) -> Result<Option<Frequency>, ApiError> {
    value.map(|f| Frequency::parse(field, &f)).transpose()
}

#[derive(Deserialize)]
struct KeysBody {
    p256dh: Option<String>,
    auth: Option<String>,
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

/// `{endpoint, auth}`: names a subscription and proves possession of it.
#[derive(Deserialize)]
struct Owned {
    endpoint: Option<String>,
    auth: Option<String>,
}

impl Owned {
    fn parse(self) -> Result<(Endpoint, AuthSecret), ApiError> {
        let endpoint = Endpoint::parse_existing("endpoint", &required("endpoint", self.endpoint)?)?;
        let auth = AuthSecret::parse("auth", &required("auth", self.auth)?)?;
        Ok((endpoint, auth))
    }
}

#[derive(Deserialize)]
struct UidBody {
    #[serde(flatten)]
    owned: Owned,
    uid: Option<String>,
    uid_signature: Option<String>,
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

#[derive(Deserialize)]
struct RotateBody {
    old_endpoint: Option<String>,
    old_auth: Option<String>,
    endpoint: Option<String>,
    keys: Option<KeysBody>,
}

fn parse_keys(keys: Option<KeysBody>) -> Result<(P256dh, AuthSecret), ApiError> {
    let keys = required("keys", keys)?;
    let p256dh = P256dh::parse("keys.p256dh", &required("keys.p256dh", keys.p256dh)?)?;
    let auth = AuthSecret::parse("keys.auth", &required("keys.auth", keys.auth)?)?;
    Ok((p256dh, auth))
}

/// The shared start of every mutation: load the project, claim the key.
/// `Err(response)` is a replay to send back as it is.
async fn begin(
    state: &AppState,
    project_id: &str,
    key: IdempotencyKey,
    method: &str,
    uri: &Uri,
    raw: &[u8],
) -> Result<Result<(Arc<Project>, Mutation), Response>, ApiError> {
    let project = state.projects.load(&state.db, project_id).await?;
    let fingerprint = idempotency::fingerprint(method, uri.path(), raw);
    Ok(
        match idempotency::begin(&state.db, &project.id, key.0, &fingerprint).await? {
            Begun::Fresh(mutation) => Ok((project, mutation)),
            Begun::Replay(response) => Err(response),
        },
    )
}

fn ctx<'a>(m: &'a mut Mutation, project: &'a Project, client: &'a ClientInfo) -> Ctx<'a> {
    Ctx {
        tx: m.tx(),
        origin: Origin { project, client },
    }
}

async fn upsert_subscription(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    key: IdempotencyKey,
    client: ClientInfo,
    uri: Uri,
    body: JsonBody<UpsertBody>,
) -> Result<Response, ApiError> {
    let b = body.value;
    let (p256dh, auth) = parse_keys(b.keys)?;
    let uid = b.uid.map(|u| Uid::parse("uid", &u)).transpose()?;
    let req = Subscribe {
        endpoint: Endpoint::parse(
            "endpoint",
            &required("endpoint", b.endpoint)?,
            &state.push_services,
        )?,
        p256dh,
        auth,
        uid: uid.map(|uid| (uid, b.uid_signature)),
        tags: names("tags", b.tags)?,
        topics: names("topics", b.topics)?,
        frequency: frequency("frequency", b.frequency)?,
        disclosure_version: disclosure_version(
            "disclosure_version",
            b.disclosure_version.as_deref(),
        )?,
    };
    let (project, mut m) = match begin(&state, &project_id, key, "POST", &uri, &body.raw).await? {
        Ok(started) => started,
        Err(replay) => return Ok(replay),
    };
    let (created, st) = service::upsert(&mut ctx(&mut m, &project, &client), req).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    m.finish(status, &st).await
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
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    key: IdempotencyKey,
    client: ClientInfo,
    uri: Uri,
    body: JsonBody<UidBody>,
) -> Result<Response, ApiError> {
    let b = body.value;
    let (endpoint, auth) = b.owned.parse()?;
    let uid = Uid::parse("uid", &required("uid", b.uid)?)?;
    let (project, mut m) = match begin(&state, &project_id, key, "PUT", &uri, &body.raw).await? {
        Ok(started) => started,
        Err(replay) => return Ok(replay),
    };
    let mut ctx = ctx(&mut m, &project, &client);
    let st =
        service::assign_uid(&mut ctx, &endpoint, &auth, &uid, b.uid_signature.as_deref()).await?;
    m.finish(StatusCode::OK, &st).await
}

async fn remove_uid(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    key: IdempotencyKey,
    client: ClientInfo,
    uri: Uri,
    body: JsonBody<Owned>,
) -> Result<Response, ApiError> {
    let (endpoint, auth) = body.value.parse()?;
    let (project, mut m) = match begin(&state, &project_id, key, "DELETE", &uri, &body.raw).await? {
        Ok(started) => started,
        Err(replay) => return Ok(replay),
    };
    let st = service::remove_uid(&mut ctx(&mut m, &project, &client), &endpoint, &auth).await?;
    m.finish(StatusCode::OK, &st).await
}

async fn update_preferences(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    key: IdempotencyKey,
    client: ClientInfo,
    uri: Uri,
    body: JsonBody<PreferencesBody>,
) -> Result<Response, ApiError> {
    let b = body.value;
    let (endpoint, auth) = b.owned.parse()?;
    let prefs = Preferences {
        tags: names("tags", b.tags)?,
        topics: names("topics", b.topics)?,
        frequency: frequency("frequency", b.frequency)?,
        disclosure_version: disclosure_version(
            "disclosure_version",
            b.disclosure_version.as_deref(),
        )?,
    };
    if prefs.tags.is_none() && prefs.topics.is_none() && prefs.frequency.is_none() {
        return Err(ApiError::invalid(
            "tags",
            "send at least one of tags, topics, frequency",
        ));
    }
    let (project, mut m) = match begin(&state, &project_id, key, "PUT", &uri, &body.raw).await? {
        Ok(started) => started,
        Err(replay) => return Ok(replay),
    };
    let mut ctx = ctx(&mut m, &project, &client);
    let st = service::update_preferences(&mut ctx, &endpoint, &auth, prefs).await?;
    m.finish(StatusCode::OK, &st).await
}

async fn opt_out(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    key: IdempotencyKey,
    client: ClientInfo,
    uri: Uri,
    body: JsonBody<Owned>,
) -> Result<Response, ApiError> {
    let (endpoint, auth) = body.value.parse()?;
    let (project, mut m) = match begin(&state, &project_id, key, "POST", &uri, &body.raw).await? {
        Ok(started) => started,
        Err(replay) => return Ok(replay),
    };
    let st = service::opt_out(&mut ctx(&mut m, &project, &client), &endpoint, &auth).await?;
    m.finish(StatusCode::OK, &st).await
}

async fn rotate(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    key: IdempotencyKey,
    client: ClientInfo,
    uri: Uri,
    body: JsonBody<RotateBody>,
) -> Result<Response, ApiError> {
    let b = body.value;
    let old_endpoint =
        Endpoint::parse_existing("old_endpoint", &required("old_endpoint", b.old_endpoint)?)?;
    let old_auth = AuthSecret::parse("old_auth", &required("old_auth", b.old_auth)?)?;
    let endpoint = Endpoint::parse(
        "endpoint",
        &required("endpoint", b.endpoint)?,
        &state.push_services,
    )?;
    let (p256dh, auth) = parse_keys(b.keys)?;
    let (project, mut m) = match begin(&state, &project_id, key, "POST", &uri, &body.raw).await? {
        Ok(started) => started,
        Err(replay) => return Ok(replay),
    };
    let mut ctx = ctx(&mut m, &project, &client);
    let st = service::rotate(
        &mut ctx,
        (&old_endpoint, &old_auth),
        &endpoint,
        &p256dh,
        &auth,
    )
    .await?;
    m.finish(StatusCode::OK, &st).await
}
