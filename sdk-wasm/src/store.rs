//! The IndexedDB mirror (database `herald`): the subscription as the server
//! last acknowledged it, and the queue of changes not yet acknowledged.
//! The service worker reads the same database. The server stays the source
//! of truth; the mirror lets the SDK notice drift and replay lost changes.

use crate::config::Config;
use crate::error::{Error, Result};
use crate::push::Keys;
use crate::util::{call, get, global};
use alloc::string::String;
use alloc::vec::Vec;
use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

const DB: &str = "herald";
const VERSION: u32 = 1;
/// Object store of the mirror (one record, key `current`).
pub const STATE: &str = "state";
/// Object store of pending changes (auto-increment keys keep their order).
pub const QUEUE: &str = "queue";

/// What the browser is subscribed with, as last acknowledged by the server:
/// the record itself, a JS object that the service worker reads too
/// (`server`, `project`, `endpoint`, `p256dh`, `auth`, `vapid_key`, `uid`,
/// `tags`, `topics`, `frequency`, `acked_at`).
#[derive(Debug, Clone)]
pub struct Mirror(pub JsValue);

impl Mirror {
    /// A record for the subscription `keys`, made with the VAPID key `vapid`.
    pub fn new(config: &Config, keys: &Keys, vapid: &str) -> Self {
        let o = Object::new();
        set(&o, "server", config.server.as_str().into());
        set(&o, "project", config.project.as_str().into());
        set(&o, "endpoint", keys.endpoint.as_str().into());
        set(&o, "p256dh", get(&keys.keys, "p256dh"));
        set(&o, "auth", keys.auth.as_str().into());
        set(&o, "vapid_key", vapid.into());
        Self(o.into())
    }

    /// Takes uid, tags, topics and frequency from the server's answer.
    pub fn apply(&self, state: &JsValue) {
        let o: &Object = self.0.unchecked_ref();
        let uid = get(state, "uid");
        set(o, "uid", if uid.is_string() { uid } else { JsValue::NULL });
        for key in ["tags", "topics"] {
            let v = get(state, key);
            set(
                o,
                key,
                if Array::is_array(&v) {
                    v
                } else {
                    Array::new().into()
                },
            );
        }
        let frequency = get(state, "frequency");
        if frequency.is_string() {
            set(o, "frequency", frequency);
        } else if get(o, "frequency").is_undefined() {
            set(o, "frequency", "immediate".into());
        }
        set(o, "acked_at", js_sys::Date::now().into());
    }

    /// A field.
    pub fn get(&self, key: &str) -> JsValue {
        get(&self.0, key)
    }

    /// A text field ("" when missing).
    pub fn text(&self, key: &str) -> String {
        text(&self.0, key)
    }
}

/// A change waiting to reach the server.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// Idempotency key, reused on every retry.
    pub key: String,
    /// HTTP method.
    pub method: String,
    /// Full URL.
    pub url: String,
    /// JSON body.
    pub body: String,
}

// Records are plain JS objects (the service worker reads them too), built
// by hand: serde-wasm-bindgen's error paths alone pulled ~15 KB of float
// formatting into the module.
fn text(obj: &JsValue, key: &str) -> String {
    get(obj, key).as_string().unwrap_or_default()
}

fn set(obj: &Object, key: &str, value: JsValue) {
    let _ = Reflect::set(obj, &key.into(), &value);
}

impl Pending {
    fn to_js(&self) -> JsValue {
        let o = Object::new();
        for (k, v) in [
            ("key", &self.key),
            ("method", &self.method),
            ("url", &self.url),
            ("body", &self.body),
        ] {
            set(&o, k, v.as_str().into());
        }
        o.into()
    }

    fn from_js(v: &JsValue) -> Option<Self> {
        Some(Self {
            key: get(v, "key").as_string()?,
            method: text(v, "method"),
            url: text(v, "url"),
            body: text(v, "body"),
        })
    }
}

/// Waits for an IndexedDB request: its `result`, or its `error`. The
/// promise's own resolve/reject are the handlers (no Rust closures).
async fn done(request: &JsValue) -> Result<JsValue> {
    let promise = Promise::new(&mut |resolve, reject| {
        set(request.unchecked_ref(), "onsuccess", resolve.into());
        set(request.unchecked_ref(), "onerror", reject.into());
    });
    match JsFuture::from(promise).await {
        Ok(event) => Ok(get(&get(&event, "target"), "result")),
        Err(event) => Err(get(&get(&event, "target"), "error").into()),
    }
}

/// Opens (creating on first use) the database.
pub async fn open() -> Result<JsValue> {
    let factory = get(&global(), "indexedDB");
    if factory.is_undefined() || factory.is_null() {
        return Err(Error::Unsupported("IndexedDB is not available".into()));
    }
    let request = call(&factory, "open", &[DB.into(), VERSION.into()])?;
    let upgrading = request.clone();
    // The stores must be created inside the upgrade event itself.
    let on_upgrade = Closure::once_into_js(move || {
        let db = get(&upgrading, "result");
        let names = get(&db, "objectStoreNames");
        let has = |name: &str| call(&names, "contains", &[name.into()]).ok() == Some(JsValue::TRUE);
        if !has(STATE) {
            let _ = call(&db, "createObjectStore", &[STATE.into()]);
        }
        if !has(QUEUE) {
            let params = Object::new();
            set(&params, "autoIncrement", JsValue::TRUE);
            let _ = call(&db, "createObjectStore", &[QUEUE.into(), params.into()]);
        }
    });
    set(request.unchecked_ref(), "onupgradeneeded", on_upgrade);
    done(&request).await
}

/// One request on one object store, in its own transaction.
async fn run(store: &str, write: bool, method: &str, args: &[JsValue]) -> Result<JsValue> {
    let db = open().await?;
    let mode = if write { "readwrite" } else { "readonly" };
    let outcome = match call(&db, "transaction", &[store.into(), mode.into()])
        .and_then(|tx| call(&tx, "objectStore", &[store.into()]))
        .and_then(|s| call(&s, method, args))
    {
        Ok(request) => done(&request).await,
        Err(e) => Err(e),
    };
    let _ = call(&db, "close", &[]);
    outcome
}

/// The mirror, if any.
pub async fn load() -> Result<Option<Mirror>> {
    let value = run(STATE, false, "get", &["current".into()]).await?;
    // No record (undefined), or one without an endpoint: nothing mirrored.
    Ok(get(&value, "endpoint").is_string().then_some(Mirror(value)))
}

/// Replaces the mirror.
pub async fn save(mirror: &Mirror) -> Result<()> {
    run(STATE, true, "put", &[mirror.0.clone(), "current".into()]).await?;
    Ok(())
}

/// Forgets the mirror (after an opt-out).
pub async fn clear() -> Result<()> {
    run(STATE, true, "delete", &["current".into()]).await?;
    Ok(())
}

/// Appends a change to the queue.
pub async fn enqueue(pending: &Pending) -> Result<()> {
    run(QUEUE, true, "add", &[pending.to_js()]).await?;
    Ok(())
}

/// The queued changes with their keys, oldest first.
pub async fn queued() -> Result<Vec<(JsValue, Pending)>> {
    let keys = Array::from(&run(QUEUE, false, "getAllKeys", &[]).await?);
    let values = Array::from(&run(QUEUE, false, "getAll", &[]).await?);
    Ok(keys
        .iter()
        .zip(values.iter())
        .filter_map(|(k, v)| Pending::from_js(&v).map(|p| (k, p)))
        .collect())
}

/// Removes a queued change once the server acknowledged it.
pub async fn dequeue(key: &JsValue) -> Result<()> {
    run(QUEUE, true, "delete", core::slice::from_ref(key)).await?;
    Ok(())
}
