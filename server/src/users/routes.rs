//! `GET` and `DELETE /api/v1/projects/{project}/users/{uid}/subscriptions`.

use super::store;
use crate::consent::{self, Event, Kind, Origin};
use crate::error::ApiError;
use crate::extract::{BearerToken, ClientInfo, IdempotencyKey};
use crate::idempotency::{self, Begun};
use crate::identity::Uid;
use crate::projects::{self, Project};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use std::sync::Arc;

/// `GET` and `DELETE /api/v1/projects/{project}/users/{uid}/subscriptions`.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/projects/{project}/users/{uid}/subscriptions",
        get(list_user_subscriptions).delete(log_out_everywhere),
    )
}

async fn authorised(
    state: &AppState,
    project_id: &str,
    token: &BearerToken,
) -> Result<Arc<Project>, ApiError> {
    projects::authenticate(&state.db, project_id, &token.0).await?;
    state.projects.load(&state.db, project_id).await
}

async fn list_user_subscriptions(
    State(state): State<AppState>,
    Path((project_id, uid)): Path<(String, String)>,
    token: BearerToken,
) -> Result<Json<serde_json::Value>, ApiError> {
    let project = authorised(&state, &project_id, &token).await?;
    let uid = Uid::parse("uid", &uid)?;
    let subscriptions = store::list(&state.db, &project.id, &uid).await?;
    Ok(Json(
        json!({ "uid": uid.as_str(), "subscriptions": subscriptions }),
    ))
}

async fn log_out_everywhere(
    State(state): State<AppState>,
    Path((project_id, uid)): Path<(String, String)>,
    token: BearerToken,
    key: IdempotencyKey,
    client: ClientInfo,
    uri: Uri,
) -> Result<Response, ApiError> {
    let project = authorised(&state, &project_id, &token).await?;
    let uid = Uid::parse("uid", &uid)?;
    let fingerprint = idempotency::fingerprint("DELETE", uri.path(), b"");
    let mut m = match idempotency::begin(&state.db, &project.id, key.0, &fingerprint).await? {
        Begun::Fresh(m) => m,
        Begun::Replay(response) => return Ok(response),
    };
    let bound = store::lock_bound(m.tx(), &project.id, &uid).await?;
    let origin = Origin {
        project: &project,
        client: &client,
    };
    for sub in &bound {
        let event = Event {
            subscription_id: sub.id,
            endpoint_hash: &sub.endpoint_hash,
            kind: Kind::UidRemove,
            scope: json!({ "by": "backend" }),
            uid: Some(uid.as_str()),
            disclosure_version: sub.disclosure_version.as_deref(),
        };
        consent::record(m.tx(), &origin, event).await?;
    }
    store::unbind(m.tx(), &project.id, &uid).await?;
    m.finish(
        StatusCode::OK,
        &json!({ "uid": uid.as_str(), "logged_out": bound.len() }),
    )
    .await
}
