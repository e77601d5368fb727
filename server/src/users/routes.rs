//! `GET` and `DELETE /api/v1/projects/{project}/users/{uid}/subscriptions`.

use super::{service, store};
use crate::backend::Authorized;
use crate::error::ApiError;
use crate::identity::Uid;
use crate::mutation::{Body, Input, Mutation};
use crate::state::AppState;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

/// `GET` and `DELETE /api/v1/projects/{project}/users/{uid}/subscriptions`.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/projects/{project}/users/{uid}/subscriptions",
        get(list_user_subscriptions).delete(log_out_everywhere),
    )
}

async fn list_user_subscriptions(
    auth: Authorized,
    Path((_, uid)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let uid = Uid::parse("uid", &uid)?;
    let subscriptions = store::list(&auth.state.db, &auth.project.id, &uid).await?;
    Ok(Json(
        json!({ "uid": uid.as_str(), "subscriptions": subscriptions }),
    ))
}

/// The DELETE's request is its path: the uid.
#[derive(Deserialize)]
struct LogOutEverywhere {}

impl Body for LogOutEverywhere {
    type Valid = Uid;
    const BACKEND: bool = true;
    const READS_BODY: bool = false;
    fn validate(self, input: &Input<'_>) -> Result<Uid, ApiError> {
        Ok(Uid::parse(
            "uid",
            input.params.get("uid").map_or("", String::as_str),
        )?)
    }
}

async fn log_out_everywhere(
    Mutation(mut write, uid): Mutation<LogOutEverywhere>,
) -> Result<Response, ApiError> {
    let (tx, origin) = write.parts();
    let logged_out = service::log_out_everywhere(tx, &origin, &uid).await?;
    write
        .finish(
            StatusCode::OK,
            &json!({ "uid": uid.as_str(), "logged_out": logged_out }),
        )
        .await
}
