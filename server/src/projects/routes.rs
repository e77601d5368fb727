//! `GET /api/v1/projects/{project}/vapid-public-key`: the key browsers pass
//! to `pushManager.subscribe()` as the `applicationServerKey`; and `GET
//! /api/v1/me`: the project a backend token belongs to (the console asks
//! for a token only).
//!
//! The router takes any state that yields the database and the project
//! cache (axum's `FromRef`), so this module needs nothing above it.

use super::Cache;
use super::ProjectError;
use crate::db::Db;
use crate::error::ApiError;
use crate::extract::BearerToken;
use crate::state::AppState;
use axum::extract::{FromRef, Path, State};
use axum::http::Extensions;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

/// The project routes browsers call.
pub fn router<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
    Db: FromRef<S>,
    Cache: FromRef<S>,
    AppState: FromRef<S>,
{
    Router::new()
        .route(
            "/api/v1/projects/{project}/vapid-public-key",
            get(get_vapid_public_key),
        )
        .route("/api/v1/me", get(get_me))
}

async fn get_me(
    State(state): State<AppState>,
    extensions: Extensions,
    token: BearerToken,
) -> Result<Json<Value>, ApiError> {
    let checked = super::store::of_token(&state.db, &token.0)
        .await
        .map_err(ApiError::from);
    let (id, name) = crate::throttle::counted(&state.limits, &extensions, &token.0, checked)?;
    Ok(Json(json!({ "project": { "id": id, "name": name } })))
}

async fn get_vapid_public_key(
    State(db): State<Db>,
    State(projects): State<Cache>,
    Path(project): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let project = projects.load(&db, &project).await?;
    Ok(Json(json!({ "key": project.vapid_public_key })))
}

// This domain's errors as HTTP answers: the one place they are mapped.
impl From<ProjectError> for ApiError {
    fn from(e: ProjectError) -> Self {
        match e {
            ProjectError::NotFound(_) => Self::NotFound(e.to_string()),
            ProjectError::BadToken => {
                Self::Unauthorized("the API token is not valid for this project")
            }
            ProjectError::Database(e) => e.into(),
        }
    }
}
