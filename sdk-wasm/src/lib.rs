//! Herald's browser SDK, compiled to WebAssembly.
//!
//! - [`commands`]: the Pushpad-style `herald('subscribe', cb, opts)` API.
//! - [`sdk`]: the operations (subscribe, uid, log out, opt out, status, preferences).
//! - [`browser`]: capability detection and silent permission checks.
//! - [`push`]: the service worker registration and push subscription.
//! - [`store`]: the IndexedDB mirror and queue; [`sync`]: the retrying server calls.
//! - [`error`]: typed errors, converted to JS once, here.
//!
//! The exports below are the module API that `herald.js` wraps.
#![deny(missing_docs)]

pub mod browser;
pub mod commands;
pub mod config;
pub mod error;
pub mod push;
pub mod sdk;
pub mod store;
pub mod sync;
pub mod util;

use error::Error;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

fn strings(value: &JsValue) -> Option<Vec<String>> {
    if value.is_undefined() || value.is_null() {
        return None;
    }
    Some(Array::from(value).iter().filter_map(|v| v.as_string()).collect())
}

fn text(value: &JsValue) -> Option<String> {
    value.as_string().filter(|s| !s.is_empty())
}

fn done<T: Into<JsValue>>(result: error::Result<T>) -> Result<JsValue, JsValue> {
    result.map(Into::into).map_err(Error::into_js)
}

/// Configures the SDK: `{server, project, serviceWorker, scope, authEndpoint, authHeaders, subscribeTimeoutMs}`.
#[wasm_bindgen]
pub async fn init(options: JsValue) -> Result<JsValue, JsValue> {
    let config = config::Config::parse(&options).map_err(Error::into_js)?;
    done(sdk::init(config).await.map(|()| JsValue::TRUE))
}

/// Subscribes (`{uid, uidSignature, tags, topics}`); resolves to whether it is subscribed.
#[wasm_bindgen]
pub async fn subscribe(options: JsValue) -> Result<JsValue, JsValue> {
    let get = |k: &str| util::get(&options, k);
    let options = sdk::SubscribeOptions {
        uid: text(&get("uid")),
        uid_signature: text(&get("uidSignature")),
        tags: strings(&get("tags")),
        topics: strings(&get("topics")),
    };
    done(sdk::subscribe(options).await)
}

/// Binds the subscription to a user (log in).
#[wasm_bindgen(js_name = setUid)]
pub async fn set_uid(uid: String, signature: Option<String>) -> Result<JsValue, JsValue> {
    done(sdk::set_uid(uid, signature).await)
}

/// Removes the user from the subscription (log out); it stays subscribed.
#[wasm_bindgen(js_name = logOut)]
pub async fn log_out() -> Result<JsValue, JsValue> {
    done(sdk::log_out().await)
}

/// Unsubscribes completely (opt-out).
#[wasm_bindgen]
pub async fn unsubscribe() -> Result<JsValue, JsValue> {
    done(sdk::unsubscribe().await)
}

/// Replaces the tags.
#[wasm_bindgen(js_name = setTags)]
pub async fn set_tags(tags: JsValue) -> Result<JsValue, JsValue> {
    done(sdk::preferences(strings(&tags), None, None).await)
}

/// Changes `{topics, frequency}`.
#[wasm_bindgen(js_name = setPreferences)]
pub async fn set_preferences(preferences: JsValue) -> Result<JsValue, JsValue> {
    let topics = strings(&util::get(&preferences, "topics"));
    let frequency = text(&util::get(&preferences, "frequency"));
    done(sdk::preferences(None, topics, frequency).await)
}

/// `{subscribed, permission, uid, tags, topics, frequency}`; never prompts.
#[wasm_bindgen]
pub async fn status() -> Result<JsValue, JsValue> {
    let status = sdk::status().await.map_err(Error::into_js)?;
    Ok(status_object(&status).into())
}

/// Why push is unavailable here, or `null`.
#[wasm_bindgen(js_name = unsupportedReason)]
pub fn unsupported_reason() -> Option<String> {
    browser::unsupported_reason()
}

/// Sends queued changes now.
#[wasm_bindgen]
pub async fn flush() -> bool {
    sync::flush().await
}

/// Runs one Pushpad-style command: `command('subscribe', [cb, opts])`.
#[wasm_bindgen]
pub async fn command(name: String, args: Array) -> JsValue {
    commands::run(&name, &args).await
}

pub(crate) fn status_object(status: &sdk::Status) -> Object {
    let obj = Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = Reflect::set(&obj, &k.into(), &v);
    };
    let list = |v: &[String]| JsValue::from(v.iter().map(JsValue::from).collect::<Array>());
    set("subscribed", status.subscribed.into());
    set("permission", status.permission.as_str().into());
    set("uid", status.uid.as_deref().map(JsValue::from).unwrap_or(JsValue::NULL));
    set("tags", list(&status.tags));
    set("topics", list(&status.topics));
    set("frequency", status.frequency.as_str().into());
    obj
}
