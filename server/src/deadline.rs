//! Every request's time limit. A handler still running when it passes is
//! dropped (a transaction it held rolls back, so nothing half-written
//! stays) and the client gets a 503 that says so.

use crate::error::ApiError;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// Runs the rest of the stack for at most `limit`.
pub async fn limit(limit: Duration, request: Request, next: Next) -> Response {
    let what = format!("{} {}", request.method(), request.uri().path());
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(request = %what, limit_ms = limit.as_millis() as u64, "request stopped at its time limit");
            ApiError::TimedOut(limit).into_response()
        }
    }
}
