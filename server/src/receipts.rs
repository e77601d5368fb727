//! Receipts from the service worker: a notification was shown (`delivered`)
//! or clicked. Each kind is recorded once per delivery; repeats change
//! nothing, so the worker can retry freely.

use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::AppState;
use crate::time::now_ms;
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
    let column = match b.kind.as_deref() {
        Some("delivered") => "delivered_at",
        Some("clicked") => "clicked_at",
        _ => return Err(ApiError::invalid("kind", "must be delivered or clicked")),
    };
    let project = state.projects.load(&state.db, &project_id).await?;
    // A click implies the notification was shown, even if that receipt was lost.
    let also = if column == "clicked_at" {
        ", delivered_at = coalesce(delivered_at, $1)"
    } else {
        ""
    };
    let sql = format!(
        "update deliveries set {column} = coalesce({column}, $1){also}
         where id = $2 and notification_id in (select id from notifications where project_id = $3)"
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(now_ms())
        .bind(delivery)
        .bind(&project.id)
        .execute(state.db.writer())
        .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::NotFound(format!(
            "no delivery {delivery} in this project"
        )));
    }
    Ok(Json(json!({ "delivery": delivery, "kind": b.kind })))
}
