//! `GET /api/v1/projects/{project}/vapid-public-key`: the key browsers pass
//! to `pushManager.subscribe()` as the `applicationServerKey`.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

/// The project routes browsers call.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/projects/{project}/vapid-public-key",
        get(get_vapid_public_key),
    )
}

async fn get_vapid_public_key(
    State(state): State<AppState>,
    Path(project): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let project = state.projects.load(&state.db, &project).await?;
    Ok(Json(json!({ "key": project.vapid_public_key })))
}
