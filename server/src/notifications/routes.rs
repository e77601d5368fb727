//! HTTP adapters for the backend's notification API (Bearer token).

use super::request::SendError;
use super::request::{Send, SendBody};
use super::service;
use super::service::NotificationError;
use super::{listing, timeline};
use crate::backend::Authorized;
use crate::error::ApiError;
use crate::mutation::{Body, Input, Mutation};
use crate::state::AppState;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::collections::HashMap;

/// `POST` and `GET …/notifications`, `GET` and `DELETE …/notifications/{id}`,
/// `GET …/notifications/{id}/timeline`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/projects/{project}/notifications",
            post(send_notification).get(list_notifications),
        )
        .route(
            "/api/v1/projects/{project}/notifications/{id}",
            get(get_notification).delete(cancel_notification),
        )
        .route(
            "/api/v1/projects/{project}/notifications/{id}/timeline",
            get(get_timeline),
        )
}

/// `GET …/notifications?cursor=&limit=`: newest first; `limit` 1 to 100
/// (20 by default); `cursor` is the previous page's `next_cursor`.
async fn list_notifications(
    auth: Authorized,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let limit = match query.get("limit") {
        None => 20,
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=listing::MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                ApiError::invalid(
                    "limit",
                    format!("must be a whole number from 1 to {}", listing::MAX_LIMIT),
                )
            })?,
    };
    let cursor = match query.get("cursor").filter(|c| !c.is_empty()) {
        None => None,
        Some(raw) => Some(raw.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
            ApiError::invalid("cursor", "must be the next_cursor of an earlier page")
        })?),
    };
    let page = listing::page(&auth.state.db, &auth.project.id, cursor, limit).await?;
    Ok(Json(page).into_response())
}

async fn get_timeline(
    auth: Authorized,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = notification_id(&id)?;
    let timeline = timeline::timeline(&auth.state.db, &auth.project.id, id).await?;
    Ok(Json(timeline).into_response())
}

impl Body for SendBody {
    type Valid = Send;
    const BACKEND: bool = true;
    fn validate(self, _: &Input<'_>) -> Result<Send, ApiError> {
        Ok(Send::parse(self)?)
    }
}

fn notification_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound(format!("no notification {raw:?} in this project")))
}

/// A retried send must not notify everyone twice: with a key, the send and
/// the key's answer commit together, and a retry gets that answer.
async fn send_notification(
    Mutation(mut write, send): Mutation<SendBody>,
) -> Result<Response, ApiError> {
    let project_id = write.project.id.clone();
    let state = write.state.clone();
    let accepted = service::send(write.tx(), &project_id, &send).await?;
    let response = write.finish(StatusCode::ACCEPTED, &accepted).await?;
    state.wake_delivery();
    Ok(response)
}

async fn get_notification(
    auth: Authorized,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = notification_id(&id)?;
    let progress = service::progress(&auth.state.db, &auth.project.id, id).await?;
    Ok(Json(progress).into_response())
}

async fn cancel_notification(
    auth: Authorized,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = notification_id(&id)?;
    let progress = service::cancel(&auth.state.db, &auth.project.id, id).await?;
    Ok(Json(progress).into_response())
}

// This domain's errors as HTTP answers: the one place they are mapped.
impl From<SendError> for ApiError {
    fn from(e: SendError) -> Self {
        match e {
            SendError::Invalid(e) => e.into(),
            SendError::TooLarge { .. } => Self::TooLarge(e.to_string()),
        }
    }
}

impl From<NotificationError> for ApiError {
    fn from(e: NotificationError) -> Self {
        match e {
            NotificationError::NotFound(_) => Self::NotFound(e.to_string()),
            NotificationError::Started => Self::Conflict(e.to_string()),
            NotificationError::Database(e) => e.into(),
        }
    }
}
