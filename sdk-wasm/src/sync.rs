//! Talking to the Herald server, with retries.
//!
//! Every change carries an `Idempotency-Key` made once and reused on each
//! retry, so a retry never applies a change twice. A change is retried
//! after 1, 2, 5 and 10 s; if the server is still unreachable it joins the
//! IndexedDB queue, which is replayed on the next page load, on the
//! `online` event, and by the service worker. Changes keep their order: a
//! new one waits behind any queued ones.

use crate::error::{Error, Result};
use crate::sdk::set;
use crate::store::{self, Pending};
use crate::util::{fetch, get, sleep, uuid};
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

async fn attempt(method: &str, url: &str, body: Option<&str>, key: Option<&str>) -> Attempt {
    // fetch() straight from the global scope: this runs in pages and in
    // the service worker, and a fetch wrapper would only add size.
    let init = Object::new();
    let headers = Object::new();
    set(&init, "method", method);
    if let Some(key) = key {
        set(&headers, "Idempotency-Key", key);
    }
    if let Some(body) = body {
        set(&headers, "Content-Type", "application/json");
        set(&init, "body", body);
    }
    set(&init, "headers", headers);
    let Some((status, text)) = fetch(url, &init).await else {
        return Attempt::Again;
    };
    let json = js_sys::JSON::parse(&text).unwrap_or(JsValue::NULL);
    match status {
        200..=299 => Attempt::Done(json),
        429 | 500..=599 => Attempt::Again,
        _ => {
            let message = get(&get(&json, "error"), "message")
                .as_string()
                .unwrap_or(text);
            Attempt::Refused(match status {
                403 => Error::Forbidden(message),
                404 => Error::NotSubscribed,
                400 | 422 => Error::Invalid(message),
                _ => Error::Server(status, message),
            })
        }
    }
}

/// Tries now and after each retry delay; `None` if every attempt said "again".
async fn retrying(
    method: &str,
    url: &str,
    body: Option<&str>,
    key: Option<&str>,
) -> Option<Result<JsValue>> {
    for delay in core::iter::once(0).chain(RETRIES) {
        if delay > 0 {
            sleep(delay).await;
        }
        match attempt(method, url, body, key).await {
            Attempt::Done(v) => return Some(Ok(v)),
            Attempt::Refused(e) => return Some(Err(e)),
            Attempt::Again => {}
        }
    }
    None
}

/// One attempt at a queued change.
async fn attempt_pending(pending: &Pending) -> Attempt {
    attempt(
        &pending.method,
        &pending.url,
        Some(&pending.body),
        Some(&pending.key),
    )
    .await
}

/// A read (no idempotency key), retried like a change but never queued.
pub async fn read(method: &str, url: &str, body: Option<&str>) -> Result<JsValue> {
    retrying(method, url, body, None).await.unwrap_or_else(|| {
        Err(Error::Server(
            0,
            "the Herald server cannot be reached".into(),
        ))
    })
}

/// Sends a change now, retrying; queues it if the server stays unreachable
/// (then `Err(Queued)`). Queued changes go first.
pub async fn send(method: &str, url: &str, body: &str) -> Result<JsValue> {
    let pending = Pending {
        key: uuid(),
        method: method.into(),
        url: url.into(),
        body: body.into(),
    };
    if !flush().await {
        store::enqueue(&pending).await?;
        return Err(Error::Queued);
    }
    if let Some(result) = retrying(
        &pending.method,
        &pending.url,
        Some(&pending.body),
        Some(&pending.key),
    )
    .await
    {
        return result;
    }
    store::enqueue(&pending).await?;
    Err(Error::Queued)
}

/// Replays the queue in order, once each; `true` when it is empty after.
/// A change the server refuses (4xx) is dropped: retrying cannot help.
pub async fn flush() -> bool {
    let Ok(queue) = store::queued().await else {
        return true;
    };
    for (key, pending) in queue {
        match attempt_pending(&pending).await {
            Attempt::Done(_) | Attempt::Refused(_) => {
                let _ = store::dequeue(&key).await;
            }
            Attempt::Again => return false,
        }
    }
    true
}
