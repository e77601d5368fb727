//! The SDK's operations. Each first re-reads the browser's real state
//! (permission, subscription) rather than trusting the mirror.
//!
//! Written for size: records stay JS objects (the mirror, the server's
//! answers), the configuration is a `&'static` (no clone per call), and the
//! changes that share a shape share one function ([`change`]).

use crate::browser;
use crate::config::Config;
use crate::error::{Code, Error, Result};
use crate::push;
use crate::store::{self, Mirror};
use crate::sync;
use crate::util::get;
use alloc::string::String;
use core::future::Future;
use js_sys::{Array, Object};
use wasm_bindgen::JsValue;

/// The configuration `init` set. It is leaked on purpose: `init` runs once
/// per page (a few hundred bytes each time it runs again), and a `&'static`
/// saves a clone and its drop in every operation.
static CONFIG: spin::Mutex<Option<&'static Config>> = spin::Mutex::new(None);

use crate::auth::signature_for;
pub use crate::drift::init;
use crate::drift::repair;
pub use crate::status::status;

/// Makes `config` the one every later command uses.
pub(crate) fn configure(config: Config) -> &'static Config {
    let config: &'static Config = alloc::boxed::Box::leak(alloc::boxed::Box::new(config));
    *CONFIG.lock() = Some(config);
    config
}

/// The configuration set by `init`.
pub fn config() -> Result<&'static Config> {
    CONFIG.lock().ok_or(Code::NotInitialized.into())
}

/// Options of `subscribe`.
#[derive(Default)]
pub struct SubscribeOptions {
    /// User to bind.
    pub uid: JsValue,
    /// Its signature, a string (else it is fetched from `authEndpoint`).
    pub uid_signature: JsValue,
    /// Tags to set.
    pub tags: Option<Array>,
    /// Topics to set.
    pub topics: Option<Array>,
}

pub(crate) fn json(value: &JsValue) -> String {
    js_sys::JSON::stringify(value)
        .map(String::from)
        .unwrap_or_else(|_| "{}".into())
}

#[inline]
pub(crate) fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    crate::util::put(obj, key, &value.into());
}

/// `{endpoint, auth}`: what proves the caller holds a subscription.
pub(crate) fn owned(endpoint: &JsValue, auth: &JsValue) -> Object {
    let obj = Object::new();
    set(&obj, "endpoint", endpoint.clone());
    set(&obj, "auth", auth.clone());
    obj
}

/// Sends `body` (JSON) to the project's `path` as a queued-if-offline change.
pub(crate) fn send(
    config: &Config,
    method: &'static str,
    path: &str,
    body: &Object,
) -> impl Future<Output = Result<JsValue>> + use<> {
    sync::send(method, config.url(path), json(body))
}

pub(crate) async fn vapid_key(config: &Config) -> Result<String> {
    let answer = sync::read("GET", &config.url("/vapid-public-key"), None).await?;
    get(&answer, "key")
        .as_string()
        .ok_or_else(|| Error::new(Code::Server, "no VAPID key in the answer"))
}

/// `subscribe`: permission (only inside a gesture), subscription, server.
pub async fn subscribe(options: SubscribeOptions) -> Result<bool> {
    let config = config()?;
    if let Some(why) = browser::unsupported_reason() {
        return Err(Error::new(Code::Unsupported, why));
    }
    match browser::permission().as_str() {
        "denied" => return Err(Code::PermissionDenied.into()),
        "granted" => {}
        _ => {
            if !browser::in_user_gesture() {
                return Err(Code::NeedsUserGesture.into());
            }
            // The request must start synchronously in the gesture: nothing
            // is awaited before it.
            match browser::request_permission().await?.as_str() {
                "granted" => {}
                "denied" => return Err(Code::PermissionDenied.into()),
                _ => return Ok(false),
            }
        }
    }
    let body = Object::new();
    if options.uid.is_string() && options.uid != "" {
        let signature = signature_for(config, &options.uid, options.uid_signature).await?;
        set(&body, "uid", options.uid);
        set(&body, "uid_signature", signature);
    }
    if let Some(tags) = options.tags {
        set(&body, "tags", tags);
    }
    if let Some(topics) = options.topics {
        set(&body, "topics", topics);
    }
    // What drifted is repaired first: a subscription made with an old VAPID
    // key is replaced and one the mirror does not know is registered, with
    // uid, tags and topics moved to the new endpoint. Only a browser without
    // a subscription needs the worker registered and a new one made.
    let mirror = match repair(config).await? {
        true => store::load().await?,
        false => None,
    };
    let mirror = match mirror {
        Some(m) => m,
        None => {
            let server_key = vapid_key(config).await?;
            let registration = push::registration(config).await?;
            let fresh =
                push::subscribe(&registration, &server_key, config.subscribe_timeout_ms).await?;
            Mirror::new(config, &push::keys(&fresh)?, &server_key)
        }
    };
    let keys = Object::new();
    set(&keys, "p256dh", mirror.get("p256dh"));
    set(&keys, "auth", mirror.get("auth"));
    set(&body, "keys", keys);
    let state = change(config, mirror, "POST", "/subscriptions", body).await?;
    Ok(get(&state, "status").as_string().as_deref() == Some("active"))
}

/// The subscription this browser has now: the mirror, checked against the
/// browser (a full repair only when they differ: it needs the server, and a
/// change made offline must still be queued). A browser without one (site
/// data cleared, permission revoked) is not subscribed, whatever the mirror
/// says.
async fn current(config: &Config) -> Result<Mirror> {
    let mirror = store::load().await?.ok_or(Code::NotSubscribed)?;
    if let Some((_, sub)) = push::existing(config).await?
        && push::keys(&sub)?.endpoint == mirror.get("endpoint")
    {
        return Ok(mirror);
    }
    if !repair(config).await? {
        return Err(Code::NotSubscribed.into());
    }
    Ok(store::load().await?.ok_or(Code::NotSubscribed)?)
}

/// A change to this browser's subscription: `fields` plus `{endpoint, auth}`
/// (the proof of ownership; the upsert takes `keys` and ignores a top-level
/// `auth`) go to `path`; the server's answer is mirrored and returned.
async fn change(
    config: &Config,
    mirror: Mirror,
    method: &'static str,
    path: &str,
    fields: Object,
) -> Result<JsValue> {
    set(&fields, "endpoint", mirror.get("endpoint"));
    set(&fields, "auth", mirror.get("auth"));
    let result = send(config, method, path, &fields).await;
    match &result {
        Ok(state) => mirror.apply(state),
        // Mirror what was asked, so `status` shows it while offline; the
        // server's answer replaces it once the change lands.
        Err(e) if e.code == Code::Queued => mirror.expect(&fields),
        Err(_) => return result,
    }
    store::save(&mirror).await?;
    result
}

/// `uid`: log in.
pub async fn set_uid(uid: JsValue, signature: JsValue) -> Result<bool> {
    let config = config()?;
    let mirror = current(config).await?;
    let signature = signature_for(config, &uid, signature).await?;
    let fields = Object::new();
    set(&fields, "uid", uid);
    set(&fields, "uid_signature", signature);
    change(config, mirror, "PUT", "/subscriptions/uid", fields).await?;
    Ok(true)
}

/// `unsubscribe {uid: true}`: log out; the subscription stays, anonymous.
pub async fn log_out() -> Result<bool> {
    let config = config()?;
    let mirror = current(config).await?;
    // `uid: null` is what the mirror takes if the change is queued; the
    // server reads only endpoint and auth.
    let fields = Object::new();
    set(&fields, "uid", JsValue::NULL);
    change(config, mirror, "DELETE", "/subscriptions/uid", fields).await?;
    Ok(true)
}

/// `tags` / `preferences`.
pub async fn preferences(
    tags: Option<Array>,
    topics: Option<Array>,
    frequency: Option<String>,
) -> Result<bool> {
    let config = config()?;
    let mirror = current(config).await?;
    let fields = Object::new();
    if let Some(tags) = tags {
        set(&fields, "tags", tags);
    }
    if let Some(topics) = topics {
        set(&fields, "topics", topics);
    }
    if let Some(f) = frequency {
        set(&fields, "frequency", f);
    }
    change(config, mirror, "PUT", "/subscriptions/preferences", fields).await?;
    Ok(true)
}

/// `unsubscribe`: full opt-out, in the browser and on the server.
pub async fn unsubscribe() -> Result<bool> {
    opt_out(config()?).await
}

/// Ends the subscription in the browser (if any) and on the server, and
/// forgets the mirror.
pub(crate) async fn opt_out(config: &Config) -> Result<bool> {
    let mirror = store::load().await?;
    let owner = match push::existing(config).await? {
        Some((_, sub)) => {
            let keys = push::keys(&sub)?;
            push::unsubscribe(&sub)?.await?;
            Some(owned(&keys.endpoint, &keys.auth))
        }
        None => mirror.map(|m| owned(&m.get("endpoint"), &m.get("auth"))),
    };
    if let Some(owner) = owner {
        store::clear().await?;
        match send(config, "POST", "/subscriptions/opt-out", &owner).await {
            // Done in this browser either way: the queued opt-out lands
            // later, and a subscription the server does not know (or not
            // with this secret) gets nothing from it.
            Err(e) if !matches!(e.code, Code::Queued | Code::NotSubscribed | Code::Forbidden) => {
                return Err(e);
            }
            _ => {}
        }
    }
    Ok(true)
}
