//! HTTP adapters for the backend's notification API (Bearer token).

use super::request::{Send, SendBody};
use super::service;
use crate::error::ApiError;
use crate::extract::{BearerToken, IdempotencyKey, JsonBody};
use crate::idempotency::{self, Begun};
use crate::projects;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

/// `POST …/notifications`, `GET` and `DELETE …/notifications/{id}`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/projects/{project}/notifications",
            post(send_notification),
        )
        .route(
            "/api/v1/projects/{project}/notifications/{id}",
            get(get_notification).delete(cancel_notification),
        )
}

fn notification_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound(format!("no notification {raw:?} in this project")))
}

async fn send_notification(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    token: BearerToken,
    key: IdempotencyKey,
    uri: Uri,
    body: JsonBody<SendBody>,
) -> Result<Response, ApiError> {
    projects::authenticate(&state.db, &project_id, &token.0).await?;
    let send = Send::parse(body.value)?;
    // A retried send must not notify everyone twice: with a key, the send
    // and the key's answer commit together, and a retry gets that answer.
    let fingerprint = idempotency::fingerprint("POST", uri.path(), &body.raw);
    let mut m = match idempotency::begin(&state.db, &project_id, key.0, &fingerprint).await? {
        Begun::Fresh(m) => m,
        Begun::Replay(replay) => return Ok(replay),
    };
    let accepted = service::send(m.tx(), &project_id, &send).await?;
    let response = m.finish(StatusCode::ACCEPTED, &accepted).await?;
    state.wake_delivery();
    Ok(response)
}

async fn get_notification(
    State(state): State<AppState>,
    Path((project_id, id)): Path<(String, String)>,
    token: BearerToken,
) -> Result<Response, ApiError> {
    projects::authenticate(&state.db, &project_id, &token.0).await?;
    let progress = service::progress(&state.db, &project_id, notification_id(&id)?).await?;
    Ok(Json(progress).into_response())
}

async fn cancel_notification(
    State(state): State<AppState>,
    Path((project_id, id)): Path<(String, String)>,
    token: BearerToken,
) -> Result<Response, ApiError> {
    projects::authenticate(&state.db, &project_id, &token.0).await?;
    let progress = service::cancel(&state.db, &project_id, notification_id(&id)?).await?;
    Ok(Json(progress).into_response())
}
