//! Request extractors shared by the API modules: a JSON body that keeps its
//! raw bytes (for idempotency fingerprints) and answers in Herald's error
//! shape, the `Idempotency-Key` header, the client's identity for the
//! consent log, and the backend's bearer token.

use crate::consent::ClientInfo;
use crate::error::ApiError;
use crate::secret::Secret;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, USER_AGENT};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use std::net::SocketAddr;

/// Most a request body may weigh.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// A JSON body parsed into `T`, with its raw bytes kept.
pub struct JsonBody<T> {
    /// The parsed value.
    pub value: T,
    /// The bytes as received.
    pub raw: Bytes,
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let raw = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge(format!("the request body is over {MAX_BODY_BYTES} bytes"))
            } else {
                ApiError::MalformedJson(format!("cannot read the request body: {rejection}"))
            }
        })?;
        if raw.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
            return Err(ApiError::MalformedJson(
                "the request body must be a JSON object".into(),
            ));
        }
        let json: serde_json::Value = serde_json::from_slice(&raw).map_err(|error| {
            ApiError::MalformedJson(format!("the body is not valid JSON: {error}"))
        })?;
        crate::guard::check_json(&json)?;
        let value = serde_path_to_error::deserialize(json).map_err(|error| {
            let path = error.path().to_string();
            let inner = error.into_inner();
            if path != "." {
                ApiError::invalid(path, strip_position(&inner.to_string()))
            } else {
                ApiError::MalformedJson(format!("the body {}", strip_position(&inner.to_string())))
            }
        })?;
        Ok(Self { value, raw })
    }
}

/// Rewrites a serde message for the client: drops serde_json's " at line L
/// column C" (the field name says more) and never echoes the offending value,
/// which could be an endpoint or a secret sent in the wrong field.
fn strip_position(message: &str) -> String {
    let message = match message.rfind(" at line ") {
        Some(i) => &message[..i],
        None => message,
    };
    if (message.starts_with("invalid type") || message.starts_with("invalid value"))
        && let Some((_, expected)) = message.split_once(", expected ")
    {
        return format!("has the wrong type; expected {expected}");
    }
    message.to_string()
}

/// The optional `Idempotency-Key` header: 1..=255 visible ASCII characters.
pub struct IdempotencyKey(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get("idempotency-key") else {
            return Ok(Self(None));
        };
        let bad = || {
            ApiError::invalid(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters (a UUID is ideal)",
            )
        };
        let key = value.to_str().map_err(|_| bad())?.trim();
        if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(bad());
        }
        Ok(Self(Some(key.to_string())))
    }
}

// Who sent the request, for the consent log (the type is consent's).
impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string());
        let user_agent = parts
            .headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        Ok(Self { ip, user_agent })
    }
}

/// `Authorization: Bearer <api token>`; 401 when absent or malformed.
pub struct BearerToken(pub Secret<String>);

impl<S: Send + Sync> FromRequestParts<S> for BearerToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let value = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::Unauthorized(
                "send the project's API token as Authorization: Bearer <token>",
            ))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthorized(
                "the Authorization header must be Bearer <token>",
            ))?;
        Ok(Self(Secret::new(token.to_string())))
    }
}
