//! The one error type of the HTTP API.
//!
//! Every failure becomes `{"error": {"code", "message"}}` (plus `field` when a
//! request field is at fault) with a 4xx that says what to fix. A 5xx keeps
//! its detail in the server log and answers a generic message: internals
//! (SQL, file paths) never reach a client.

use crate::identity::SignatureError;
use crate::invalid::Invalid;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// A request that failed, and how to tell the client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A request field is missing or malformed (400).
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// The body is not valid JSON or not the expected shape (400).
    #[error("{0}")]
    MalformedJson(String),
    /// The body is larger than the API accepts (413).
    #[error("{0}")]
    TooLarge(String),
    /// No or a wrong API token (401).
    #[error("{0}")]
    Unauthorized(&'static str),
    /// The caller may not do this: bad signature, wrong `auth` (403).
    #[error("{0}")]
    Forbidden(String),
    /// The project, subscription or notification does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The state does not allow it (409).
    #[error("{0}")]
    Conflict(String),
    /// An idempotency key was reused with another request (422).
    #[error("{0}")]
    IdempotencyKeyReused(String),
    /// Over a rate limit; try again after this long (429 with Retry-After).
    #[error("too many requests; try again in {} s", .0.as_secs().max(1))]
    TooManyRequests(std::time::Duration),
    /// The request ran past the server's time limit and was stopped (503).
    #[error(
        "the request took longer than {} s and was stopped; try again (with the same Idempotency-Key for a change)",
        .0.as_secs_f64()
    )]
    TimedOut(std::time::Duration),
    /// Anything else: logged, answered as a bare 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// A 400 naming the field at fault.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The HTTP status this error answers with.
    pub fn status_code(&self) -> StatusCode {
        match self {
            Self::Invalid { .. } | Self::MalformedJson(_) => StatusCode::BAD_REQUEST,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::IdempotencyKeyReused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::TimedOut(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code clients branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "invalid_request",
            Self::MalformedJson(_) => "malformed_json",
            Self::TooLarge(_) => "payload_too_large",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Conflict(_) => "conflict",
            Self::IdempotencyKeyReused(_) => "idempotency_key_reused",
            Self::TooManyRequests(_) => "too_many_requests",
            Self::TimedOut(_) => "timed_out",
            Self::Internal(_) => "internal",
        }
    }
}

// The ground floor's errors become HTTP here; each domain maps its own
// errors once, in its routes module (the HTTP edge of that domain).

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        Self::Internal(crate::db::describe_error(error))
    }
}

impl From<Invalid> for ApiError {
    fn from(e: Invalid) -> Self {
        Self::Invalid {
            field: e.field,
            message: e.message,
        }
    }
}

impl From<SignatureError> for ApiError {
    fn from(e: SignatureError) -> Self {
        Self::Forbidden(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let message = match &self {
            Self::Internal(detail) => {
                // The detail stays here; the client learns only that it failed.
                tracing::error!(error = %format!("{detail:#}"), "request failed");
                "internal error; the server log has the detail".to_string()
            }
            other => other.to_string(),
        };
        let mut body = json!({ "error": { "code": self.code(), "message": message } });
        if let Self::Invalid { field, .. } = &self {
            body["error"]["field"] = json!(field);
        }
        let mut response = (status, Json(body)).into_response();
        if let Self::TooManyRequests(wait) = &self {
            let seconds = wait.as_secs().max(1).to_string();
            if let Ok(value) = axum::http::HeaderValue::from_str(&seconds) {
                response
                    .headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, value);
            }
        }
        response
    }
}
