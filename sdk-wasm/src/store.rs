//! The IndexedDB mirror (database `herald`): the subscription as the server
//! last acknowledged it, and the queue of changes not yet acknowledged.
//! The service worker reads the same database. The server stays the source
//! of truth; the mirror lets the SDK notice drift and replay lost changes.

use crate::error::{Error, Result};
use crate::util::get;
use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    IdbDatabase, IdbObjectStoreParameters, IdbOpenDbRequest, IdbRequest, IdbTransactionMode,
};

const DB: &str = "herald";
const VERSION: u32 = 1;
/// Object store of the mirror (one record, key `current`).
pub const STATE: &str = "state";
/// Object store of pending changes (auto-increment keys keep their order).
pub const QUEUE: &str = "queue";

/// What the browser is subscribed with, as last acknowledged by the server.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Mirror {
    /// Herald server.
    pub server: String,
    /// Project id.
    pub project: String,
    /// Push endpoint.
    pub endpoint: String,
    /// Subscription public key.
    pub p256dh: String,
    /// Subscription auth secret.
    pub auth: String,
    /// The VAPID key the subscription was made with.
    pub vapid_key: String,
    /// Bound user.
    pub uid: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Topics.
    pub topics: Vec<String>,
    /// Frequency.
    pub frequency: String,
    /// When the server last acknowledged (ms since epoch).
    pub acked_at: f64,
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

fn texts(obj: &JsValue, key: &str) -> Vec<String> {
    let v = get(obj, key);
    if v.is_undefined() || v.is_null() {
        return Vec::new();
    }
    Array::from(&v)
        .iter()
        .filter_map(|s| s.as_string())
        .collect()
}

fn set(obj: &Object, key: &str, value: JsValue) {
    let _ = Reflect::set(obj, &key.into(), &value);
}

fn list(items: &[String]) -> JsValue {
    items.iter().map(JsValue::from).collect::<Array>().into()
}

impl Mirror {
    fn to_js(&self) -> JsValue {
        let o = Object::new();
        for (k, v) in [
            ("server", &self.server),
            ("project", &self.project),
            ("endpoint", &self.endpoint),
            ("p256dh", &self.p256dh),
            ("auth", &self.auth),
            ("vapid_key", &self.vapid_key),
            ("frequency", &self.frequency),
        ] {
            set(&o, k, v.as_str().into());
        }
        set(
            &o,
            "uid",
            self.uid
                .as_deref()
                .map(JsValue::from)
                .unwrap_or(JsValue::NULL),
        );
        set(&o, "tags", list(&self.tags));
        set(&o, "topics", list(&self.topics));
        set(&o, "acked_at", self.acked_at.into());
        o.into()
    }

    fn from_js(v: &JsValue) -> Option<Self> {
        let endpoint = get(v, "endpoint").as_string()?;
        Some(Self {
            server: text(v, "server"),
            project: text(v, "project"),
            endpoint,
            p256dh: text(v, "p256dh"),
            auth: text(v, "auth"),
            vapid_key: text(v, "vapid_key"),
            uid: get(v, "uid").as_string(),
            tags: texts(v, "tags"),
            topics: texts(v, "topics"),
            frequency: text(v, "frequency"),
            acked_at: get(v, "acked_at").as_f64().unwrap_or(0.0),
        })
    }
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

fn request_done(request: &IdbRequest) -> JsFuture {
    let promise = Promise::new(&mut |resolve, reject| {
        let done = request.clone();
        let on_success = Closure::once_into_js(move || {
            let _ = resolve.call1(&JsValue::NULL, &done.result().unwrap_or(JsValue::UNDEFINED));
        });
        let failed = request.clone();
        let on_error = Closure::once_into_js(move || {
            let error = failed
                .error()
                .ok()
                .flatten()
                .map(JsValue::from)
                .unwrap_or(JsValue::NULL);
            let _ = reject.call1(&JsValue::NULL, &error);
        });
        request.set_onsuccess(Some(on_success.unchecked_ref()));
        request.set_onerror(Some(on_error.unchecked_ref()));
    });
    JsFuture::from(promise)
}

/// Opens (creating on first use) the database.
pub async fn open() -> Result<IdbDatabase> {
    let factory = crate::util::get(&crate::util::global(), "indexedDB");
    let factory: web_sys::IdbFactory = factory
        .dyn_into()
        .map_err(|_| Error::Unsupported("IndexedDB is not available".into()))?;
    let request: IdbOpenDbRequest = factory.open_with_u32(DB, VERSION)?;
    let upgrading = request.clone();
    let on_upgrade = Closure::once_into_js(move || {
        if let Ok(db) = upgrading.result().and_then(|r| r.dyn_into::<IdbDatabase>()) {
            let names = db.object_store_names();
            if !names.contains(STATE) {
                let _ = db.create_object_store(STATE);
            }
            if !names.contains(QUEUE) {
                let params = IdbObjectStoreParameters::new();
                params.set_auto_increment(true);
                let _ = db.create_object_store_with_optional_parameters(QUEUE, &params);
            }
        }
    });
    request.set_onupgradeneeded(Some(on_upgrade.unchecked_ref()));
    let db = request_done(&request).await?;
    Ok(db.dyn_into()?)
}

async fn run(
    store: &str,
    mode: IdbTransactionMode,
    op: impl FnOnce(&web_sys::IdbObjectStore) -> std::result::Result<IdbRequest, JsValue>,
) -> Result<JsValue> {
    let db = open().await?;
    let tx = db.transaction_with_str_and_mode(store, mode)?;
    let request = op(&tx.object_store(store)?)?;
    let value = request_done(&request).await?;
    db.close();
    Ok(value)
}

/// The mirror, if any.
pub async fn load() -> Result<Option<Mirror>> {
    let value = run(STATE, IdbTransactionMode::Readonly, |s| {
        s.get(&"current".into())
    })
    .await?;
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    Ok(Mirror::from_js(&value))
}

/// Replaces the mirror.
pub async fn save(mirror: &Mirror) -> Result<()> {
    let value = mirror.to_js();
    run(STATE, IdbTransactionMode::Readwrite, |s| {
        s.put_with_key(&value, &"current".into())
    })
    .await?;
    Ok(())
}

/// Forgets the mirror (after an opt-out).
pub async fn clear() -> Result<()> {
    run(STATE, IdbTransactionMode::Readwrite, |s| {
        s.delete(&"current".into())
    })
    .await?;
    Ok(())
}

/// Appends a change to the queue.
pub async fn enqueue(pending: &Pending) -> Result<()> {
    let value = pending.to_js();
    run(QUEUE, IdbTransactionMode::Readwrite, |s| s.add(&value)).await?;
    Ok(())
}

/// The queued changes with their keys, oldest first.
pub async fn queued() -> Result<Vec<(JsValue, Pending)>> {
    let keys = run(QUEUE, IdbTransactionMode::Readonly, |s| s.get_all_keys()).await?;
    let values = run(QUEUE, IdbTransactionMode::Readonly, |s| s.get_all()).await?;
    let keys: js_sys::Array = keys.dyn_into().unwrap_or_default();
    let values: js_sys::Array = values.dyn_into().unwrap_or_default();
    Ok(keys
        .iter()
        .zip(values.iter())
        .filter_map(|(k, v)| Pending::from_js(&v).map(|p| (k, p)))
        .collect())
}

/// Removes a queued change once the server acknowledged it.
pub async fn dequeue(key: &JsValue) -> Result<()> {
    run(QUEUE, IdbTransactionMode::Readwrite, |s| s.delete(key)).await?;
    Ok(())
}
