//! The Herald server's browser API, as the operations call it: each change
//! goes through [`sync`] (idempotency key, retries, the queue), each read
//! is tried twice and never queued.

use crate::config::Config;
use crate::error::{Code, Error, Result};
use crate::sync;
use crate::util::{get, json, set};
use alloc::string::String;
use js_sys::Object;
use wasm_bindgen::JsValue;

/// `{endpoint, auth}`: what proves the caller holds a subscription.
pub fn owned(endpoint: &JsValue, auth: &JsValue) -> Object {
    let obj = Object::new();
    set(&obj, "endpoint", endpoint.clone());
    set(&obj, "auth", auth.clone());
    obj
}

/// Sends `body` to the project's `path` as a change (queued if offline:
/// then `Err(Queued)`).
pub async fn change(config: &Config, method: &str, path: &str, body: &Object) -> Result<JsValue> {
    sync::send(method, &config.url(path), &json(body)).await
}

/// The project's VAPID public key (base64url).
pub async fn vapid_key(config: &Config) -> Result<String> {
    let answer = sync::read("GET", &config.url("/vapid-public-key"), None).await?;
    get(&answer, "key")
        .as_string()
        .ok_or_else(|| Error::new(Code::Server, "no VAPID key in the answer"))
}

/// The server's state of the subscription `{endpoint, auth}`.
pub async fn state(config: &Config, endpoint: &JsValue, auth: &JsValue) -> Result<JsValue> {
    let body = json(&owned(endpoint, auth));
    sync::read("POST", &config.url("/subscriptions/status"), Some(&body)).await
}
