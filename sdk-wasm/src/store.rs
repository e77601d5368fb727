//! The IndexedDB mirror: the subscription as the server last acknowledged
//! it. The service worker reads the same record; `js/sync.js` keeps the
//! schema. The server stays the source of truth; the mirror lets the SDK
//! notice drift and answer while offline.

use crate::config::Config;
use crate::error::Result;
use crate::push::Keys;
use crate::util::{get, set};
use alloc::string::String;
use js_sys::{Array, Object, Promise};
use wasm_bindgen::JsValue;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/js/sync.js")]
extern "C" {
    #[wasm_bindgen(js_name = loadMirror)]
    fn load_mirror() -> Promise;
    #[wasm_bindgen(js_name = saveMirror)]
    fn save_mirror(mirror: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = clearMirror)]
    fn clear_mirror() -> Promise;
}

/// The mirror record (a JS object, so the worker reads it as it is):
/// `server`, `project`, `endpoint`, `p256dh`, `auth`, `vapid_key`, `uid`,
/// `tags`, `topics`, `frequency`, `acked_at`.
#[derive(Debug, Clone)]
pub struct Mirror(pub JsValue);

/// The routing state the server answers with, which the mirror copies.
const STATE: [&str; 4] = ["uid", "tags", "topics", "frequency"];

impl Mirror {
    /// A record for the subscription `keys`, made with the VAPID key `vapid`.
    pub fn new(config: &Config, keys: &Keys, vapid: &str) -> Self {
        let o = Object::new();
        set(&o, "server", config.server.as_str());
        set(&o, "project", config.project.as_str());
        set(&o, "endpoint", keys.endpoint.clone());
        set(&o, "p256dh", keys.p256dh());
        set(&o, "auth", keys.auth.clone());
        set(&o, "vapid_key", vapid);
        set(&o, "uid", JsValue::NULL);
        set(&o, "tags", Array::new());
        set(&o, "topics", Array::new());
        set(&o, "frequency", "immediate");
        Self(o.into())
    }

    /// The push endpoint (a JS string).
    #[inline]
    pub fn endpoint(&self) -> JsValue {
        get(&self.0, "endpoint")
    }

    /// The auth secret (a JS string).
    #[inline]
    pub fn auth(&self) -> JsValue {
        get(&self.0, "auth")
    }

    /// The subscription's public key (a JS string).
    #[inline]
    pub fn p256dh(&self) -> JsValue {
        get(&self.0, "p256dh")
    }

    /// The project it belongs to.
    #[inline]
    pub fn project(&self) -> String {
        get(&self.0, "project").as_string().unwrap_or_default()
    }

    /// The VAPID key it was made with.
    #[inline]
    pub fn vapid_key(&self) -> String {
        get(&self.0, "vapid_key").as_string().unwrap_or_default()
    }

    /// Whether it is this project's record of `endpoint`.
    pub fn is(&self, config: &Config, endpoint: &JsValue) -> bool {
        self.endpoint() == *endpoint && self.project() == config.project
    }

    /// Takes uid, tags, topics and frequency from the server's answer.
    pub fn apply(&self, state: &JsValue) {
        self.expect(state);
        set(&self.0, "acked_at", js_sys::Date::now());
    }

    /// Takes uid, tags, topics and frequency (those present) from a state
    /// the server has not acknowledged yet (a queued change, the mirror it
    /// replaces).
    pub fn expect(&self, state: &JsValue) {
        copy_state(&self.0, state);
    }

    /// A field.
    pub fn get(&self, key: &str) -> JsValue {
        get(&self.0, key)
    }

    /// A text field ("" when missing).
    pub fn text(&self, key: &str) -> String {
        get(&self.0, key).as_string().unwrap_or_default()
    }
}

/// Copies uid, tags, topics and frequency (those present) from a
/// subscription's state as the server gives it.
pub fn copy_state(to: &JsValue, from: &JsValue) {
    for key in STATE {
        let value = get(from, key);
        if !value.is_undefined() {
            set(to, key, value);
        }
    }
}

/// The mirror, if any.
pub async fn load() -> Result<Option<Mirror>> {
    let value = JsFuture::from(load_mirror()).await?;
    Ok((!value.is_undefined()).then_some(Mirror(value)))
}

/// Replaces the mirror.
pub async fn save(mirror: &Mirror) -> Result<()> {
    JsFuture::from(save_mirror(&mirror.0)).await?;
    Ok(())
}

/// Forgets the mirror (after an opt-out).
pub async fn clear() -> Result<()> {
    JsFuture::from(clear_mirror()).await?;
    Ok(())
}
