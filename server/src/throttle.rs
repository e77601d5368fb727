//! Rate limits on the API, before any handler runs: a call with a token
//! (`Authorization: Bearer …` or `Token token="…"`) counts against that
//! token, any other call under `/api/` against the client's address. Over
//! the rate: 429 with `Retry-After`. Static files, `/healthz` and the
//! console's own files are not counted.

use crate::error::ApiError;
use crate::limits::Limits;
use crate::secret::sha256_hex;
use axum::extract::{ConnectInfo, Request};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

/// Lets the request on, or answers 429.
pub async fn limit(limits: Limits, request: Request, next: Next) -> Response {
    if !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    let token = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty());
    let verdict = match token {
        // Keyed by the token's hash: the secret itself is not kept.
        Some(token) => limits.backend.as_ref().map(|l| l.check(&sha256_hex(token))),
        None => request
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .zip(limits.browser.as_ref())
            .map(|(ConnectInfo(addr), l)| l.check(&addr.ip().to_string())),
    };
    match verdict {
        Some(Err(wait)) => ApiError::TooManyRequests(wait).into_response(),
        _ => next.run(request).await,
    }
}
