//! Rate limits on the API. A call without a token counts against the
//! client's address here, before any handler runs. A call with a token is
//! counted where the token is checked ([`counted`], from
//! `backend::authenticate` and `/api/v1/me`): against the token when it is
//! valid, against the address when it is not, so neither a made-up token
//! per request nor a header alone gets around a limit. Over the rate: 429
//! with `Retry-After`. Static files, `/healthz` and the console's own
//! files are not counted.

use crate::error::ApiError;
use crate::limits::Limits;
use crate::secret::{Secret, sha256_hex};
use axum::extract::{ConnectInfo, Request};
use axum::http::Extensions;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

fn address(extensions: &Extensions) -> Option<String> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
}

fn over(
    limiter: Option<&crate::limits::Limiter<String>>,
    key: Option<String>,
) -> Result<(), ApiError> {
    match (limiter, key) {
        (Some(limiter), Some(key)) => limiter.check(&key).map_err(ApiError::TooManyRequests),
        _ => Ok(()),
    }
}

/// Lets a call without a token on, or answers 429.
pub async fn limit(limits: Limits, request: Request, next: Next) -> Response {
    let tokenless =
        request.uri().path().starts_with("/api/") && !request.headers().contains_key(AUTHORIZATION);
    if tokenless && let Err(e) = over(limits.browser.as_ref(), address(request.extensions())) {
        return e.into_response();
    }
    next.run(request).await
}

/// Counts a call whose `token` was just checked (`valid`), then passes on
/// the check's own answer unless the call is over its rate.
pub fn counted<T>(
    limits: &Limits,
    extensions: &Extensions,
    token: &Secret<String>,
    checked: Result<T, ApiError>,
) -> Result<T, ApiError> {
    match &checked {
        Ok(_) => over(limits.backend.as_ref(), Some(sha256_hex(token.expose())))?,
        Err(_) => over(limits.browser.as_ref(), address(extensions))?,
    }
    checked
}
