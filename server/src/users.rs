//! The backend's view of users: which subscriptions a uid has, and logging
//! a user out everywhere. Authenticated with the project's API token.

use crate::consent::{self, Event, Kind, Origin};
use crate::db::Db;
use crate::error::ApiError;
use crate::extract::{BearerToken, ClientInfo, IdempotencyKey};
use crate::idempotency::{self, Begun};
use crate::identity::Uid;
use crate::projects::{self, Project};
use crate::state::AppState;
use crate::time::rfc3339;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::sync::Arc;

/// `GET` and `DELETE /api/v1/projects/{project}/users/{uid}/subscriptions`.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/projects/{project}/users/{uid}/subscriptions",
        get(list_user_subscriptions).delete(log_out_everywhere),
    )
}

/// One of a user's subscriptions, as the backend sees it: never the raw endpoint.
#[derive(Serialize)]
pub struct UserSubscription {
    /// SHA-256 hex of the endpoint.
    pub endpoint_hash: String,
    /// `active`, `opted_out` or `expired`.
    pub status: String,
    /// When it was first stored (RFC 3339).
    pub created_at: String,
    /// When it last changed (RFC 3339).
    pub updated_at: String,
}

async fn authorised(
    state: &AppState,
    project_id: &str,
    token: &BearerToken,
) -> Result<Arc<Project>, ApiError> {
    projects::authenticate(&state.db, project_id, &token.0).await?;
    state.projects.load(&state.db, project_id).await
}

/// Lists the subscriptions bound to `uid`.
pub async fn list(db: &Db, project_id: &str, uid: &Uid) -> Result<Vec<UserSubscription>, ApiError> {
    let rows = sqlx::query(
        "select endpoint_hash, status, created_at, updated_at from subscriptions
         where project_id = $1 and uid = $2 order by created_at, id",
    )
    .bind(project_id)
    .bind(uid.as_str())
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|row| {
            Ok(UserSubscription {
                endpoint_hash: row.try_get("endpoint_hash")?,
                status: row.try_get("status")?,
                created_at: rfc3339(row.try_get("created_at")?),
                updated_at: rfc3339(row.try_get("updated_at")?),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(ApiError::from)
}

async fn list_user_subscriptions(
    State(state): State<AppState>,
    Path((project_id, uid)): Path<(String, String)>,
    token: BearerToken,
) -> Result<Json<serde_json::Value>, ApiError> {
    let project = authorised(&state, &project_id, &token).await?;
    let uid = Uid::parse("uid", &uid)?;
    let subscriptions = list(&state.db, &project.id, &uid).await?;
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
    let sql = format!(
        "select id, endpoint_hash, disclosure_version from subscriptions
         where project_id = $1 and uid = $2 order by id{}",
        state.db.for_update()
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&project.id)
        .bind(uid.as_str())
        .fetch_all(&mut **m.tx())
        .await?;
    let origin = Origin {
        project: &project,
        client: &client,
    };
    for row in &rows {
        let endpoint_hash: String = row.try_get("endpoint_hash")?;
        let disclosure_version: Option<String> = row.try_get("disclosure_version")?;
        let event = Event {
            subscription_id: row.try_get("id")?,
            endpoint_hash: &endpoint_hash,
            kind: Kind::UidRemove,
            scope: json!({ "by": "backend" }),
            uid: Some(uid.as_str()),
            disclosure_version: disclosure_version.as_deref(),
        };
        consent::record(m.tx(), &origin, event).await?;
    }
    sqlx::query(
        "update subscriptions set uid = null, updated_at = $1 where project_id = $2 and uid = $3",
    )
    .bind(crate::time::now_ms())
    .bind(&project.id)
    .bind(uid.as_str())
    .execute(&mut **m.tx())
    .await?;
    m.finish(
        StatusCode::OK,
        &json!({ "uid": uid.as_str(), "logged_out": rows.len() }),
    )
    .await
}
