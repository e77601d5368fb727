//! The browser side of a push subscription: registering the service worker
//! and asking its push manager for a subscription.

use crate::config::Config;
use crate::error::{Code, Error, Result};
use crate::util::{b64url_decode, call, get, global, set, wait, with_timeout};
use js_sys::{Object, Uint8Array};
use wasm_bindgen::JsValue;

/// A subscription's identity and keys, as `PushSubscription.toJSON()` gives them.
#[derive(Debug, Clone)]
pub struct Keys {
    /// Push endpoint (a JS string).
    pub endpoint: JsValue,
    /// Auth secret (a JS string).
    pub auth: JsValue,
    /// `{p256dh, auth}`, as the server and the mirror take it.
    pub keys: JsValue,
    /// The VAPID key it was made with (a `Uint8Array`), when the browser says.
    pub vapid_key: Option<Uint8Array>,
}

impl Keys {
    /// The subscription's public key (a JS string).
    #[inline]
    pub fn p256dh(&self) -> JsValue {
        get(&self.keys, "p256dh")
    }

    /// Whether the browser says it was made with a VAPID key other than
    /// `key` (base64url).
    pub fn made_with_other(&self, key: &str) -> bool {
        let Some(made) = &self.vapid_key else {
            return false;
        };
        let key = b64url_decode(key).unwrap_or_default();
        made.length() as usize != key.len()
            || key
                .iter()
                .enumerate()
                .any(|(i, b)| made.get_index(i as u32) != *b)
    }
}

/// Registers the worker (idempotent) and waits until it is active.
pub async fn registration(config: &Config) -> Result<JsValue> {
    let container = get(&get(&global(), "navigator"), "serviceWorker");
    let options = Object::new();
    if let Some(scope) = &config.scope {
        set(&options, "scope", scope.as_str());
    }
    let registration = wait(call(
        &container,
        "register",
        &[config.service_worker.as_str().into(), options.into()],
    )?)
    .await?;
    // A new worker installs before it activates; push needs an active one.
    for _ in 0..100 {
        if get(&registration, "active").is_object() {
            return Ok(registration);
        }
        let _ = crate::util::sleep(50).await;
    }
    Err(Error::new(
        Code::Browser,
        "the service worker did not activate",
    ))
}

/// The worker's registration and the subscription this browser has now,
/// without registering anything (`None` when the worker is not registered
/// or has no subscription).
pub async fn existing(config: &Config) -> Result<Option<(JsValue, JsValue)>> {
    let container = get(&get(&global(), "navigator"), "serviceWorker");
    let scope = config.scope.as_ref().unwrap_or(&config.service_worker);
    // No service worker support or a scope it refuses: nothing registered.
    let registration = match call(&container, "getRegistration", &[scope.into()]) {
        Ok(promise) => wait(promise).await.unwrap_or(JsValue::UNDEFINED),
        Err(_) => JsValue::UNDEFINED,
    };
    if !registration.is_object() {
        return Ok(None);
    }
    let manager = get(&registration, "pushManager");
    let sub = wait(call(&manager, "getSubscription", &[])?).await?;
    Ok(sub.is_object().then_some((registration, sub)))
}

/// Subscribes with `vapid_key`, bounded by the configured timeout
/// (Chromium without its push service never answers otherwise).
pub async fn subscribe(
    registration: &JsValue,
    vapid_key: &str,
    timeout_ms: i32,
) -> Result<JsValue> {
    let key = b64url_decode(vapid_key)
        .ok_or_else(|| Error::new(Code::Invalid, "the server's VAPID key is not base64url"))?;
    let options = Object::new();
    set(&options, "userVisibleOnly", true);
    set(&options, "applicationServerKey", Uint8Array::from(&key[..]));
    let manager = get(registration, "pushManager");
    with_timeout(call(&manager, "subscribe", &[options.into()])?, timeout_ms).await
}

/// Endpoint and keys of a subscription.
pub fn keys(subscription: &JsValue) -> Result<Keys> {
    let json = call(subscription, "toJSON", &[])?;
    let keys = get(&json, "keys");
    let (endpoint, auth) = (get(&json, "endpoint"), get(&keys, "auth"));
    if !endpoint.is_string() || !auth.is_string() || !get(&keys, "p256dh").is_string() {
        return Err(Error::new(
            Code::Browser,
            "the subscription has no endpoint or keys",
        ));
    }
    let vapid_key = get(&get(subscription, "options"), "applicationServerKey");
    let vapid_key = vapid_key.is_object().then(|| Uint8Array::new(&vapid_key));
    Ok(Keys {
        endpoint,
        auth,
        keys,
        vapid_key,
    })
}

/// Ends a subscription in the browser: `unsubscribe(&sub)?.await?`.
pub fn unsubscribe(subscription: &JsValue) -> Result<wasm_bindgen_futures::JsFuture> {
    Ok(wait(call(subscription, "unsubscribe", &[])?))
}
