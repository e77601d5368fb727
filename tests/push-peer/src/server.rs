//! The peer's HTTP side: `POST /push/{id}` checks a Web Push request (headers,
//! VAPID, body), records it, and answers according to the subscription's [`Mode`].
//! The router also mounts the browser side (`GET /` WebSocket, `POST /wpush/{token}`,
//! see [`crate::browser`]) and the test control routes (`/_control/`, see
//! [`crate::control`]).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::{Inner, Mode, Received, SubscriptionKeys, b64, browser, control, ece, vapid};

/// Largest body a push service must accept (RFC 8030 section 7.2, RFC 8291 section 4).
pub const MAX_BODY: usize = 4096;

/// How large a body the HTTP layer reads before the handler sees it.
const READ_LIMIT: usize = 16 * 1024 * 1024;

pub(crate) fn router(inner: Arc<Inner>) -> Router {
    Router::new()
        .route("/push/{id}", post(push))
        .route("/", get(browser::websocket))
        .route("/wpush/{token}", post(browser::push))
        .nest("/_control", control::router())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(READ_LIMIT))
        .with_state(inner)
}

async fn not_found(State(inner): State<Arc<Inner>>) -> Response {
    inner.total_requests.fetch_add(1, Ordering::Relaxed);
    (StatusCode::NOT_FOUND, "push-peer: no such resource\n").into_response()
}

/// The RFC 8030 headers of a request.
#[derive(Default)]
pub(crate) struct Meta {
    pub(crate) ttl: Option<u64>,
    pub(crate) urgency: Option<String>,
    pub(crate) topic: Option<String>,
}

/// What verification found out.
#[derive(Default)]
struct Verified {
    plaintext: Vec<u8>,
    payload: serde_json::Value,
    claims: Option<vapid::Claims>,
}

/// A refusal: the status to answer and why.
pub(crate) struct Refusal(pub(crate) StatusCode, pub(crate) String);

async fn push(
    State(inner): State<Arc<Inner>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let at = Instant::now();
    let seq = inner.total_requests.fetch_add(1, Ordering::Relaxed);
    let subscription = {
        let mut state = inner.state();
        state.attempts.entry(id.clone()).or_default().push(at);
        state.subscriptions.get(&id).cloned()
    };
    let Some(subscription) = subscription else {
        return text(StatusCode::NOT_FOUND, "push-peer: no such subscription");
    };

    let verify_every = inner.options.verify_every.max(1);
    let (meta, verified) = if seq % verify_every == 0 {
        match check(&inner, &subscription, &headers, &body) {
            Ok(found) => found,
            Err(Refusal(status, reason)) => {
                inner.reject(format!("POST /push/{id}: {} {reason}", status.as_u16()));
                return text(status, &format!("push-peer: {reason}"));
            }
        }
    } else {
        (lenient_meta(&headers), Verified::default())
    };

    let mode_key = id.clone();
    answer_per_mode(&inner, &mode_key, || accept(&inner, id, at, meta, verified)).await
}

/// Answers according to the mode set for `id`: `accept` builds the 201 answer (and
/// records the message), every other mode answers without calling it.
pub(crate) async fn answer_per_mode(
    inner: &Inner,
    id: &str,
    accept: impl FnOnce() -> Response,
) -> Response {
    match next_answer(inner, id) {
        Mode::Accept | Mode::Status(201) | Mode::FailThenAccept { .. } => accept(),
        Mode::Status(status) => text(
            status_code(status),
            &format!("push-peer: mode answers {status}"),
        ),
        Mode::RetryAfter { status, value } => {
            let mut response = text(
                status_code(status),
                &format!("push-peer: mode answers {status}, retry after {value}"),
            );
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Mode::Delay(delay) => {
            tokio::time::sleep(delay).await;
            accept()
        }
        Mode::Hang => std::future::pending().await,
    }
}

/// The answer for this request: the subscription's mode, with `FailThenAccept`
/// resolved to `Status(status)` while it still has failures to serve.
fn next_answer(inner: &Inner, id: &str) -> Mode {
    let mut state = inner.state();
    let Some(mode_state) = state.modes.get_mut(id) else {
        return Mode::Accept;
    };
    match mode_state.mode {
        Mode::FailThenAccept { times, status } if mode_state.failures_served < times => {
            mode_state.failures_served += 1;
            Mode::Status(status)
        }
        Mode::FailThenAccept { .. } => Mode::Accept,
        ref other => other.clone(),
    }
}

fn accept(inner: &Inner, id: String, at: Instant, meta: Meta, verified: Verified) -> Response {
    let number = inner.accepted_seq.fetch_add(1, Ordering::Relaxed);
    let location = format!("{}/message/{id}/{number}", inner.origin);
    let claims = verified.claims.unwrap_or_else(|| vapid::Claims {
        aud: String::new(),
        exp: 0,
        sub: String::new(),
        k: String::new(),
        key: Vec::new(),
    });
    inner.state().received.push(Received {
        subscription: id,
        plaintext: verified.plaintext,
        payload: verified.payload,
        ttl: meta.ttl,
        urgency: meta.urgency,
        topic: meta.topic,
        vapid_sub: claims.sub,
        vapid_aud: claims.aud,
        vapid_exp: claims.exp,
        at,
    });
    inner.accepted.notify_waiters();
    created(&location)
}

/// `201 Created` with the message's `Location`, as RFC 8030 answers a push.
pub(crate) fn created(location: &str) -> Response {
    let mut response = StatusCode::CREATED.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

pub(crate) fn text(status: StatusCode, message: &str) -> Response {
    (status, format!("{message}\n")).into_response()
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// Full verification: headers, VAPID, body size, decryption.
fn check(
    inner: &Inner,
    subscription: &SubscriptionKeys,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Meta, Verified), Refusal> {
    let bad = |reason: String| Refusal(StatusCode::BAD_REQUEST, reason);
    let (meta, claims) = check_headers(inner, headers)?;
    check_size(body)?;
    let plaintext = ece::decrypt(
        &subscription.keys.private,
        &subscription.keys.public,
        &subscription.auth,
        body,
    )
    .map_err(|e| bad(format!("aes128gcm body: {e}")))?;
    let payload = serde_json::from_slice(&plaintext).unwrap_or(serde_json::Value::Null);
    Ok((
        meta,
        Verified {
            plaintext,
            payload,
            claims: Some(claims),
        },
    ))
}

/// The checks that need no subscriber key: RFC 8030 headers (400), a valid VAPID
/// `Authorization` for this origin (401), and the key set with `expect_vapid_key` (403).
pub(crate) fn check_headers(
    inner: &Inner,
    headers: &HeaderMap,
) -> Result<(Meta, vapid::Claims), Refusal> {
    let meta = strict_meta(headers).map_err(|reason| Refusal(StatusCode::BAD_REQUEST, reason))?;

    let authorization = header_str(headers, header::AUTHORIZATION.as_str())
        .map_err(|e| Refusal(StatusCode::UNAUTHORIZED, e))?
        .ok_or_else(|| Refusal(StatusCode::UNAUTHORIZED, "no Authorization header".into()))?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let claims = vapid::verify(authorization, &inner.origin, now)
        .map_err(|e| Refusal(StatusCode::UNAUTHORIZED, format!("VAPID: {e}")))?;
    let expected = inner.state().expected_vapid_key.clone();
    if let Some(expected) = expected {
        let matches = match b64::decode(expected.trim_end_matches('=')) {
            Ok(bytes) => bytes == claims.key,
            Err(_) => expected == claims.k,
        };
        if !matches {
            return Err(Refusal(
                StatusCode::FORBIDDEN,
                format!("VAPID: k={} is not the expected key {expected}", claims.k),
            ));
        }
    }

    Ok((meta, claims))
}

/// 413 for a body over [`MAX_BODY`].
pub(crate) fn check_size(body: &[u8]) -> Result<(), Refusal> {
    if body.len() > MAX_BODY {
        return Err(Refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("body of {} bytes is over {MAX_BODY}", body.len()),
        ));
    }
    Ok(())
}

/// A header as text; `Ok(None)` when absent, `Err` when not visible ASCII.
fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, String> {
    headers
        .get(name)
        .map(|value| {
            value
                .to_str()
                .map_err(|_| format!("{name} header is not visible ASCII"))
        })
        .transpose()
}

/// The RFC 8030 headers, checked: TTL required, aes128gcm, Urgency and Topic valid.
fn strict_meta(headers: &HeaderMap) -> Result<Meta, String> {
    let ttl = header_str(headers, "ttl")?.ok_or("no TTL header")?;
    if ttl.is_empty() || !ttl.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("TTL {ttl:?} is not a non-negative integer"));
    }
    let ttl: u64 = ttl
        .parse()
        .map_err(|_| format!("TTL {ttl:?} is out of range"))?;

    match header_str(headers, header::CONTENT_ENCODING.as_str())? {
        Some(encoding) if encoding.trim().eq_ignore_ascii_case("aes128gcm") => {}
        Some(other) => return Err(format!("Content-Encoding is {other:?}, expected aes128gcm")),
        None => return Err("no Content-Encoding header (expected aes128gcm)".into()),
    }

    let urgency = header_str(headers, "urgency")?.map(str::to_string);
    if let Some(urgency) = &urgency
        && !matches!(urgency.as_str(), "very-low" | "low" | "normal" | "high")
    {
        return Err(format!(
            "Urgency {urgency:?} is not very-low, low, normal or high"
        ));
    }

    let topic = header_str(headers, "topic")?.map(str::to_string);
    if let Some(topic) = &topic {
        let url_safe = topic
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if topic.is_empty() || topic.len() > 32 || !url_safe {
            return Err(format!(
                "Topic {topic:?} is not 1 to 32 characters of the URL-safe base64 alphabet"
            ));
        }
    }

    Ok(Meta {
        ttl: Some(ttl),
        urgency,
        topic,
    })
}

/// The RFC 8030 headers as far as they parse, for requests that are not verified.
fn lenient_meta(headers: &HeaderMap) -> Meta {
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    Meta {
        ttl: get("ttl").and_then(|t| t.parse().ok()),
        urgency: get("urgency"),
        topic: get("topic"),
    }
}
