//! `POST /api/v1/projects/{project}/prompt-events` (the SDK, rate-limited
//! per client address) and `GET …/stats/prompt?days=N` (the backend).

use super::{Step, store};
use crate::backend::Authorized;
use crate::consent::ClientInfo;
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::state::AppState;
use crate::time::now_ms;
use crate::window::{Window, date, day_of};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::HashMap;

/// The funnel's routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/projects/{project}/prompt-events",
            post(report_prompt_event),
        )
        .route("/api/v1/projects/{project}/stats/prompt", get(prompt_stats))
}

#[derive(Deserialize)]
struct EventBody {
    event: Option<String>,
}

async fn report_prompt_event(
    State(state): State<AppState>,
    Path(project_id): Path<String>,
    client: ClientInfo,
    body: JsonBody<EventBody>,
) -> Result<StatusCode, ApiError> {
    let step = body
        .value
        .event
        .as_deref()
        .and_then(Step::parse)
        .ok_or_else(|| {
            ApiError::invalid(
                "event",
                "must be one of shown, accepted, dismissed, granted, denied",
            )
        })?;
    // One browser reports a handful of steps a visit; a flood is not one.
    let address = client.ip.unwrap_or_default();
    state
        .limits
        .prompt_events
        .check(&address)
        .map_err(ApiError::TooManyRequests)?;
    let project = state.projects.load(&state.db, &project_id).await?;
    store::count(&state.db, &project.id, day_of(now_ms()), step).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn prompt_stats(
    auth: Authorized,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let window = Window::from_query(&query)?;
    let counts = store::daily(&auth.state.db, &auth.project.id, window).await?;
    let mut totals = Map::new();
    let daily: Vec<Value> = window
        .each()
        .map(|day| {
            let mut row = Map::new();
            row.insert("date".into(), json!(date(day)));
            for step in Step::ALL {
                let n = counts
                    .get(&day)
                    .and_then(|c| c.get(&step))
                    .copied()
                    .unwrap_or(0);
                row.insert(step.as_str().into(), json!(n));
                let total = totals.entry(step.as_str()).or_insert(json!(0));
                *total = json!(total.as_i64().unwrap_or(0) + n);
            }
            Value::Object(row)
        })
        .collect();
    Ok(Json(json!({
        "days": window.days,
        "from": date(window.from),
        "to": date(window.to),
        "daily": daily,
        "totals": totals,
    })))
}
