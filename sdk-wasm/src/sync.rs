//! Talking to the Herald server, with retries and the offline queue: the
//! protocol itself is `js/sync.js`, which the service worker bundles too,
//! so it is written once. This side turns its answers into [`Result`]s.
//!
//! Every change carries an `Idempotency-Key` made once and reused on each
//! retry, so a retry never applies a change twice; it is retried after 1,
//! 2, 5 and 10 s, then queued in IndexedDB and replayed on the next page
//! load, on `online`, and by the service worker. Changes keep their order.

use crate::error::{Code, Error, Result};
use crate::util::get;
use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/js/sync.js")]
extern "C" {
    #[wasm_bindgen(js_name = send)]
    fn js_send(method: &str, url: &str, body: &str) -> Promise;
    #[wasm_bindgen(js_name = read)]
    fn js_read(method: &str, url: &str, body: JsValue) -> Promise;
    #[wasm_bindgen(js_name = flush)]
    fn js_flush() -> Promise;
}

/// The server's answer (`{ok, status, body, text}`) as a result: the body,
/// or an error whose code says what the status means.
fn answered(answer: &JsValue) -> Result<JsValue> {
    let body = get(answer, "body");
    if get(answer, "ok").as_bool() == Some(true) {
        return Ok(body);
    }
    let status = get(answer, "status").as_f64().unwrap_or(0.0) as u16;
    let code = match status {
        403 => Code::Forbidden,
        404 => return Err(Code::NotSubscribed.into()),
        400 | 422 => Code::Invalid,
        _ => Code::Server,
    };
    let mut message = get(&get(&body, "error"), "message");
    if !message.is_string() {
        message = get(answer, "text");
    }
    let mut error = Error::new(code, message);
    error.status = status;
    Err(error)
}

/// A read (no idempotency key): tried now and once more after 1 s, never
/// queued, so an offline page gets its answer (from the mirror) quickly.
pub async fn read(method: &str, url: &str, body: Option<&str>) -> Result<JsValue> {
    let body = body.map_or(JsValue::UNDEFINED, JsValue::from);
    let answer = JsFuture::from(js_read(method, url, body)).await?;
    if answer.is_null() {
        return Err(Error::new(
            Code::Server,
            "the Herald server cannot be reached",
        ));
    }
    answered(&answer)
}

/// Sends a change now, retrying; queues it if the server stays unreachable
/// (then `Err(Queued)`). Queued changes go first.
pub async fn send(method: &str, url: &str, body: &str) -> Result<JsValue> {
    let answer = JsFuture::from(js_send(method, url, body)).await?;
    if get(&answer, "queued").as_bool() == Some(true) {
        return Err(Code::Queued.into());
    }
    answered(&answer)
}

/// Replays the queue in order, once each; `true` when it is empty after.
pub async fn flush() -> bool {
    JsFuture::from(js_flush())
        .await
        .map(|done| done.as_bool() == Some(true))
        .unwrap_or(true)
}
