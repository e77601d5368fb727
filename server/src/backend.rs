//! The backend's access to a project: `Authorization: Bearer <api token>`.
//!
//! [`Authorized`] is the extractor of backend reads (and of actions that
//! need no idempotency key): the token must be one of the project's, or it
//! is a 401, before anything about the project is said (an unknown project
//! is a 401 too, so tokens cannot probe for project ids).

use crate::error::ApiError;
use crate::extract::BearerToken;
use crate::projects::{self, Project};
use crate::state::AppState;
use axum::extract::{FromRef, FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use std::sync::Arc;

/// A backend request for a project whose token it carries.
pub struct Authorized {
    /// The server's state.
    pub state: AppState,
    /// The project.
    pub project: Arc<Project>,
}

/// The `{project}` parameter of the request's path.
pub async fn project_param<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
) -> Result<String, ApiError> {
    let params = RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|_| ApiError::NotFound("no such route".into()))?;
    params
        .iter()
        .find(|(k, _)| *k == "project")
        .map(|(_, v)| v.to_string())
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a project route without {{project}}")))
}

/// Checks the request's token against `project_id`; 401 unless it is one
/// of that project's.
pub async fn authenticate<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
    app: &AppState,
    project_id: &str,
) -> Result<(), ApiError> {
    let token = BearerToken::from_request_parts(parts, state).await?;
    let checked = projects::authenticate(&app.db, project_id, &token.0)
        .await
        .map_err(ApiError::from);
    crate::throttle::counted(&app.limits, &parts.extensions, &token.0, checked)
}

impl<S> FromRequestParts<S> for Authorized
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app = AppState::from_ref(state);
        let project_id = project_param(parts, state).await?;
        authenticate(parts, state, &app, &project_id).await?;
        let project = app.projects.load(&app.db, &project_id).await?;
        Ok(Self {
            state: app,
            project,
        })
    }
}
