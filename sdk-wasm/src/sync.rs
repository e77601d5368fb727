//! Talking to the Herald server, with retries.
//!
//! Every change carries an `Idempotency-Key` made once and reused on each
//! retry, so a retry never applies a change twice. A change is retried
//! after 1, 2, 5 and 10 s; if the server is still unreachable it joins the
//! IndexedDB queue, which is replayed on the next page load, on the
//! `online` event, and by the service worker. Changes keep their order: a
//! new one waits behind any queued ones.

use crate::error::{Code, Error, Result};
use crate::sdk::set;
use crate::store;
use crate::util::{fetch, get, sleep, uuid};
use alloc::string::String;
use js_sys::Object;
use wasm_bindgen::JsValue;

/// Delays between attempts, in ms.
const RETRIES: [i32; 4] = [1000, 2000, 5000, 10000];

/// How one attempt ended.
enum Attempt {
    /// 2xx with the parsed body.
    Done(JsValue),
    /// A final refusal (4xx).
    Refused(Error),
    /// Worth retrying (network, 5xx, 429).
    Again,
}

/// One try of `request` (`{method, url, body?, key?}`, a queued change's
/// record or a read).
async fn attempt(request: &JsValue) -> Attempt {
    let init = Object::new();
    let headers = Object::new();
    set(&init, "method", get(request, "method"));
    let key = get(request, "key");
    if key.is_string() {
        set(&headers, "Idempotency-Key", key);
    }
    let body = get(request, "body");
    if body.is_string() {
        set(&headers, "Content-Type", "application/json");
        set(&init, "body", body);
    }
    set(&init, "headers", headers);
    let Some((status, text, json)) = fetch(&get(request, "url"), &init).await else {
        return Attempt::Again;
    };
    match status {
        200..=299 => Attempt::Done(json),
        429 | 500..=599 => Attempt::Again,
        _ => {
            let mut message = get(&get(&json, "error"), "message");
            if !message.is_string() {
                message = text;
            }
            let code = match status {
                403 => Code::Forbidden,
                404 => return Attempt::Refused(Code::NotSubscribed.into()),
                400 | 422 => Code::Invalid,
                _ => Code::Server,
            };
            let mut error = Error::new(code, message);
            error.status = status;
            Attempt::Refused(error)
        }
    }
}

/// Tries now and after each of `delays`; `None` if every attempt said "again".
async fn retrying(request: &JsValue, delays: &[i32]) -> Option<Result<JsValue>> {
    for &delay in core::iter::once(&0).chain(delays) {
        if delay > 0 {
            let _ = sleep(delay).await;
        }
        match attempt(request).await {
            Attempt::Done(v) => return Some(Ok(v)),
            Attempt::Refused(e) => return Some(Err(e)),
            Attempt::Again => {}
        }
    }
    None
}

/// A read (no idempotency key): tried now and once more after 1 s, never
/// queued, so an offline page gets its answer (from the mirror) quickly.
pub async fn read(method: &str, url: &str, body: Option<&str>) -> Result<JsValue> {
    let request = Object::new();
    set(&request, "method", method);
    set(&request, "url", url);
    if let Some(body) = body {
        set(&request, "body", body);
    }
    retrying(&request.into(), &RETRIES[..1])
        .await
        .unwrap_or_else(|| {
            Err(Error::new(
                Code::Server,
                "the Herald server cannot be reached",
            ))
        })
}

/// Sends a change now, retrying; queues it if the server stays unreachable
/// (then `Err(Queued)`). Queued changes go first.
pub async fn send(method: &'static str, url: String, body: String) -> Result<JsValue> {
    let change = store::pending(&uuid(), method, &url, &body);
    if flush().await
        && let Some(result) = retrying(&change, &RETRIES).await
    {
        return result;
    }
    store::enqueue(&change).await?;
    Err(Code::Queued.into())
}

/// Replays the queue in order, once each; `true` when it is empty after.
/// A change the server refuses (4xx) is dropped: retrying cannot help.
pub async fn flush() -> bool {
    let Ok(keys) = store::queued().await else {
        return true;
    };
    for key in js_sys::Array::from(&keys).iter() {
        let Ok(change) = store::queued_change(&key).await else {
            return false;
        };
        if change.is_undefined() {
            continue;
        }
        match attempt(&change).await {
            Attempt::Done(_) | Attempt::Refused(_) => {
                let _ = store::dequeue(&key).await;
            }
            Attempt::Again => return false,
        }
    }
    true
}
