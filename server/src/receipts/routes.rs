//! `POST /api/v1/projects/{project}/receipts`: the service worker reports a
//! notification shown or clicked.

use super::store::{self, Kind};
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

/// `POST /api/v1/projects/{project}/receipts`.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/projects/{project}/receipts", post(record_receipt))
}

#[derive(Deserialize)]
struct ReceiptBody {
    delivery: Option<Value>,
    kind: Option<String>,
}

async fn record_receipt(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    body: JsonBody<ReceiptBody>,
) -> Result<Json<Value>, ApiError> {
    let b = body.value;
    let delivery = match b.delivery {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.parse().ok(),
        _ => None,
    }
    .ok_or_else(|| {
        ApiError::invalid("delivery", "must be the delivery id from the push payload")
    })?;
    let kind = b
        .kind
        .as_deref()
        .and_then(Kind::parse)
        .ok_or_else(|| ApiError::invalid("kind", "must be delivered or clicked"))?;
    let project = state.projects.load(&state.db, &project_id).await?;
    if !store::record(&state.db, &project.id, delivery, kind).await? {
        return Err(ApiError::NotFound(format!(
            "no delivery {delivery} in this project"
        )));
    }
    Ok(Json(json!({ "delivery": delivery, "kind": b.kind })))
}
