//! The IndexedDB mirror (database `herald`): the subscription as the server
//! last acknowledged it, and the queue of changes not yet acknowledged.
//! The service worker reads the same database. The server stays the source
//! of truth; the mirror lets the SDK notice drift and replay lost changes.

use crate::config::Config;
use crate::error::{Code, Error, Result};
use crate::push::Keys;
use crate::util::{apply, call, get, global};
use alloc::string::String;
use core::future::Future;
use js_sys::{Array, Object, Promise};
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
        set(&o, "endpoint", keys.endpoint.clone());
        set(&o, "p256dh", get(&keys.keys, "p256dh"));
        set(&o, "auth", keys.auth.clone());
        set(&o, "vapid_key", vapid.into());
        set(&o, "uid", JsValue::NULL);
        set(&o, "tags", Array::new().into());
        set(&o, "topics", Array::new().into());
        set(&o, "frequency", "immediate".into());
        Self(o.into())
    }

    /// Takes uid, tags, topics and frequency from the server's answer.
    pub fn apply(&self, state: &JsValue) {
        self.expect(state);
        set(
            self.0.unchecked_ref(),
            "acked_at",
            js_sys::Date::now().into(),
        );
    }

    /// Takes uid, tags, topics and frequency (those present) from a state
    /// the server has not acknowledged yet (a queued change, the mirror it
    /// replaces).
    pub fn expect(&self, state: &JsValue) {
        copy_state(self.0.unchecked_ref(), state);
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

/// A change waiting to reach the server, as the queue keeps it (the
/// service worker replays the same records): `{key, method, url, body}`,
/// `key` being its idempotency key.
pub fn pending(key: &JsValue, method: &str, url: &str, body: &str) -> JsValue {
    let o = Object::new();
    set(&o, "key", key.clone());
    set(&o, "method", method.into());
    set(&o, "url", url.into());
    set(&o, "body", body.into());
    o.into()
}

/// Copies uid, tags, topics and frequency (those present) from a
/// subscription's state as the server gives it.
pub fn copy_state(to: &Object, from: &JsValue) {
    for key in ["uid", "tags", "topics", "frequency"] {
        let value = get(from, key);
        if !value.is_undefined() {
            set(to, key, value);
        }
    }
}

// Records are plain JS objects (the service worker reads them too), built
// by hand: serde-wasm-bindgen's error paths alone pulled ~15 KB of float
// formatting into the module.
fn text(obj: &JsValue, key: &str) -> String {
    get(obj, key).as_string().unwrap_or_default()
}

fn set(obj: &Object, key: &str, value: JsValue) {
    crate::util::put(obj, key, &value);
}

/// An IndexedDB request as a future of its success or error event. The
/// handlers (the promise's own resolve/reject: no Rust closures) are set
/// now, so several requests can be issued before any is awaited.
fn done(request: &JsValue) -> JsFuture {
    JsFuture::from(Promise::new(&mut |resolve, reject| {
        set(request.unchecked_ref(), "onsuccess", resolve.into());
        set(request.unchecked_ref(), "onerror", reject.into());
    }))
}

/// The request's `result`, or its `error`.
fn settled(event: core::result::Result<JsValue, JsValue>) -> Result<JsValue> {
    match event {
        Ok(event) => Ok(get(&get(&event, "target"), "result")),
        Err(event) => Err(get(&get(&event, "target"), "error").into()),
    }
}

#[wasm_bindgen::prelude::wasm_bindgen(module = "/js/idb.js")]
extern "C" {
    /// `indexedDB.open(name, version)` with the schema's upgrade handler
    /// (js/idb.js): a promise of the database.
    #[wasm_bindgen(js_name = openDatabase)]
    fn open_database(name: &str, version: u32) -> Promise;
}

/// Opens (creating on first use) the database.
pub async fn open() -> Result<JsValue> {
    if !get(&global(), "indexedDB").is_object() {
        return Err(Error::new(Code::Unsupported, "IndexedDB is not available"));
    }
    Ok(JsFuture::from(open_database(DB, VERSION)).await?)
}

/// One request on one object store, in its own transaction.
async fn run(
    store: &'static str,
    write: bool,
    method: &'static str,
    args: Array,
) -> Result<JsValue> {
    let db = open().await?;
    let mode = if write { "readwrite" } else { "readonly" };
    let outcome = match call(&db, "transaction", &[store.into(), mode.into()])
        .and_then(|tx| call(&tx, "objectStore", &[store.into()]))
        .and_then(|s| apply(&s, method, &args))
    {
        Ok(request) => settled(done(&request).await),
        Err(e) => Err(e),
    };
    let _ = call(&db, "close", &[]);
    outcome
}

/// What the store functions give back: the request's result.
type Done = Result<JsValue>;

/// The mirror, if any.
pub async fn load() -> Result<Option<Mirror>> {
    let value = run(STATE, false, "get", Array::of1(&"current".into())).await?;
    // No record (undefined), or one without an endpoint: nothing mirrored.
    Ok(get(&value, "endpoint").is_string().then_some(Mirror(value)))
}

/// Replaces the mirror.
pub fn save(mirror: &Mirror) -> impl Future<Output = Done> + use<> {
    run(STATE, true, "put", Array::of2(&mirror.0, &"current".into()))
}

/// Forgets the mirror (after an opt-out).
pub fn clear() -> impl Future<Output = Done> {
    run(STATE, true, "delete", Array::of1(&"current".into()))
}

/// Appends a change (see [`pending`]) to the queue.
pub fn enqueue(pending: &JsValue) -> impl Future<Output = Done> + use<> {
    run(QUEUE, true, "add", Array::of1(pending))
}

/// The keys of the queued changes, oldest first.
pub fn queued() -> impl Future<Output = Done> {
    run(QUEUE, false, "getAllKeys", Array::new())
}

/// The queued change under `key`: undefined once it is gone (the service
/// worker replays the queue too).
pub fn queued_change(key: &JsValue) -> impl Future<Output = Done> + use<> {
    run(QUEUE, false, "get", Array::of1(key))
}

/// Removes a queued change once the server acknowledged it.
pub fn dequeue(key: &JsValue) -> impl Future<Output = Done> + use<> {
    run(QUEUE, true, "delete", Array::of1(key))
}
