//! Test control over HTTP, under `/_control/` on the peer's own port, for tests
//! that run the `push-peer` binary from another language (a Node end-to-end test
//! driving Firefox). Every answer is JSON.
//!
//! - `POST /_control/reset-uaid`: [`crate::PushPeer::reset_uaid`]; answers `{}`.
//! - `GET /_control/forwarded`: `[{"token", "channel_id", "version", "body_len",
//!   "acked", "ack_code", "nack_code", "age_ms"}]`.
//! - `GET /_control/endpoints`: `[{"token", "uaid", "channel_id", "endpoint",
//!   "vapid_key", "registered"}]`.
//! - `POST /_control/mode/{token}`: sets a mode for a token or subscription id, with
//!   a body of `{"accept": true}`, `{"status": 410}`, `{"status": 429,
//!   "retry_after": "5"}`, `{"delay_ms": 500}`, `{"hang": true}` or
//!   `{"status": 500, "fail_times": 2}`; answers `{}`, or 400 `{"error": ...}`.
//! - `GET /_control/rejections`: `["reason", ...]`.
//! - `GET /_control/received`: `[{"subscription", "ttl", "urgency", "topic",
//!   "vapid_sub", "payload"}]`, the accepted requests.
//! - `GET /_control/status`: `{"origin", "ws", "connected_browsers",
//!   "total_requests", "received", "forwarded", "rejections"}`.
//! - `POST /_control/subscriptions`: 201 with a new subscription on the RFC 8030
//!   side, `{"endpoint", "keys": {"p256dh", "auth"}}`.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{Inner, Mode, ModeState, browser};

pub(crate) fn router() -> Router<Arc<Inner>> {
    Router::new()
        .route("/reset-uaid", post(reset_uaid))
        .route("/forwarded", get(forwarded))
        .route("/endpoints", get(endpoints))
        .route("/mode/{token}", post(set_mode))
        .route("/rejections", get(rejections))
        .route("/received", get(received))
        .route("/status", get(status))
        .route("/subscriptions", post(new_subscription))
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut response = (status, format!("{value}\n")).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn ok(value: &Value) -> Response {
    json_response(StatusCode::OK, value)
}

async fn reset_uaid(State(inner): State<Arc<Inner>>) -> Response {
    inner.state().browser.reset();
    inner.browser_events.notify_waiters();
    ok(&json!({}))
}

async fn forwarded(State(inner): State<Arc<Inner>>) -> Response {
    let list: Vec<Value> = inner
        .state()
        .browser
        .forwarded
        .iter()
        .map(|f| {
            json!({
                "token": f.token,
                "channel_id": f.channel_id,
                "version": f.version,
                "body_len": f.body_len,
                "acked": f.acked,
                "ack_code": f.ack_code,
                "nack_code": f.nack_code,
                "age_ms": u64::try_from(f.at.elapsed().as_millis()).unwrap_or(u64::MAX),
            })
        })
        .collect();
    ok(&Value::Array(list))
}

async fn endpoints(State(inner): State<Arc<Inner>>) -> Response {
    let endpoints = inner.state().browser.endpoints();
    match serde_json::to_value(endpoints) {
        Ok(value) => ok(&value),
        Err(error) => json_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({ "error": error.to_string() }),
        ),
    }
}

/// The body of `POST /_control/mode/{token}`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ModeRequest {
    accept: Option<bool>,
    status: Option<u16>,
    retry_after: Option<Value>,
    delay_ms: Option<u64>,
    hang: Option<bool>,
    fail_times: Option<usize>,
}

impl ModeRequest {
    fn mode(self) -> Result<Mode, String> {
        let ModeRequest {
            accept,
            status,
            retry_after,
            delay_ms,
            hang,
            fail_times,
        } = self;
        let retry_after = match retry_after {
            None => None,
            Some(Value::String(value)) => Some(value),
            Some(Value::Number(value)) => Some(value.to_string()),
            Some(other) => return Err(format!("retry_after {other} is not a string or number")),
        };
        if accept == Some(true) {
            return Ok(Mode::Accept);
        }
        if hang == Some(true) {
            return Ok(Mode::Hang);
        }
        if let Some(ms) = delay_ms {
            return Ok(Mode::Delay(Duration::from_millis(ms)));
        }
        match (status, fail_times, retry_after) {
            (Some(status), Some(times), _) => Ok(Mode::FailThenAccept { times, status }),
            (Some(status), None, Some(value)) => Ok(Mode::RetryAfter { status, value }),
            (Some(status), None, None) => Ok(Mode::Status(status)),
            (None, _, _) => Err(
                "expected {\"accept\": true}, {\"status\": N} (with optional \"retry_after\" \
                 or \"fail_times\"), {\"delay_ms\": N} or {\"hang\": true}"
                    .to_string(),
            ),
        }
    }
}

async fn set_mode(
    State(inner): State<Arc<Inner>>,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let mode = serde_json::from_slice::<ModeRequest>(&body)
        .map_err(|e| format!("mode body: {e}"))
        .and_then(ModeRequest::mode);
    match mode {
        Ok(mode) => {
            inner.state().modes.insert(
                token,
                ModeState {
                    mode,
                    failures_served: 0,
                },
            );
            ok(&json!({}))
        }
        Err(error) => json_response(StatusCode::BAD_REQUEST, &json!({ "error": error })),
    }
}

async fn rejections(State(inner): State<Arc<Inner>>) -> Response {
    ok(&json!(inner.state().rejections))
}

async fn received(State(inner): State<Arc<Inner>>) -> Response {
    let list: Vec<Value> = inner
        .state()
        .received
        .iter()
        .map(|r| {
            json!({
                "subscription": r.subscription,
                "ttl": r.ttl,
                "urgency": r.urgency,
                "topic": r.topic,
                "vapid_sub": r.vapid_sub,
                "payload": r.payload,
            })
        })
        .collect();
    ok(&Value::Array(list))
}

/// `POST /_control/subscriptions`: a new peer-side subscription, as
/// `PushSubscription.toJSON()` (for tests in other languages that need many).
async fn new_subscription(State(inner): State<Arc<Inner>>) -> Response {
    json_response(StatusCode::CREATED, &inner.new_subscription().to_json())
}

async fn status(State(inner): State<Arc<Inner>>) -> Response {
    let state = inner.state();
    ok(&json!({
        "origin": inner.origin,
        "ws": browser::ws_url(&inner.origin),
        "connected_browsers": state.browser.connected(),
        "total_requests": inner.total_requests.load(Ordering::Relaxed),
        "received": state.received.len(),
        "forwarded": state.browser.forwarded.len(),
        "rejections": state.rejections.len(),
    }))
}
