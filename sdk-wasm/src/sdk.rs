//! The SDK's operations. Each first re-reads the browser's real state
//! (permission, subscription) rather than trusting the mirror.

use crate::browser;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::push::{self, Keys};
use crate::store::{self, Mirror};
use crate::sync;
use crate::util::get;
use alloc::string::String;
use alloc::vec::Vec;
use js_sys::{Object, Reflect};
use wasm_bindgen::JsValue;

/// The configuration `init` set (the page has one thread).
pub(crate) static CONFIG: spin::Mutex<Option<Config>> = spin::Mutex::new(None);

use crate::auth::signature_for;
pub use crate::drift::init;
use crate::drift::{repair, rotate_or_upsert};
pub use crate::status::{Status, status};

/// The configuration set by `init`.
pub fn config() -> Result<Config> {
    CONFIG.lock().clone().ok_or(Error::NotInitialized)
}

/// Options of `subscribe`.
#[derive(Default)]
pub struct SubscribeOptions {
    /// User to bind.
    pub uid: Option<String>,
    /// Its signature (or fetched from `authEndpoint`).
    pub uid_signature: Option<String>,
    /// Tags to set.
    pub tags: Option<Vec<String>>,
    /// Topics to set.
    pub topics: Option<Vec<String>>,
}

pub(crate) fn json(value: &JsValue) -> String {
    js_sys::JSON::stringify(value)
        .map(String::from)
        .unwrap_or_else(|_| "{}".into())
}

pub(crate) fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(obj, &key.into(), &value.into());
}

pub(crate) fn strings(value: &JsValue) -> Vec<String> {
    js_sys::Array::from(value)
        .iter()
        .filter_map(|v| v.as_string())
        .collect()
}

pub(crate) fn keys_object(keys: &Keys) -> Object {
    let obj = Object::new();
    set(&obj, "p256dh", keys.p256dh.as_str());
    set(&obj, "auth", keys.auth.as_str());
    obj
}

pub(crate) fn owned(endpoint: &str, auth: &str) -> Object {
    let obj = Object::new();
    set(&obj, "endpoint", endpoint);
    set(&obj, "auth", auth);
    obj
}

pub(crate) async fn remember(
    config: &Config,
    keys: &Keys,
    vapid: &str,
    state: &JsValue,
) -> Result<()> {
    let mirror = Mirror {
        server: config.server.clone(),
        project: config.project.clone(),
        endpoint: keys.endpoint.clone(),
        p256dh: keys.p256dh.clone(),
        auth: keys.auth.clone(),
        vapid_key: vapid.into(),
        uid: get(state, "uid").as_string(),
        tags: strings(&get(state, "tags")),
        topics: strings(&get(state, "topics")),
        frequency: get(state, "frequency")
            .as_string()
            .unwrap_or_else(|| "immediate".into()),
        acked_at: js_sys::Date::now(),
    };
    store::save(&mirror).await
}

pub(crate) async fn vapid_key(config: &Config) -> Result<String> {
    let answer = sync::read("GET", &config.url("/vapid-public-key"), None).await?;
    get(&answer, "key")
        .as_string()
        .ok_or_else(|| Error::Server(200, "no VAPID key in the answer".into()))
}

/// `subscribe`: permission (only inside a gesture), subscription, server.
pub async fn subscribe(options: SubscribeOptions) -> Result<bool> {
    let config = config()?;
    if let Some(why) = browser::unsupported_reason() {
        return Err(Error::Unsupported(why));
    }
    match browser::permission().as_str() {
        "denied" => return Err(Error::PermissionDenied),
        "granted" => {}
        _ => {
            if !browser::in_user_gesture() {
                return Err(Error::NeedsUserGesture);
            }
            // The request must start synchronously in the gesture: nothing
            // is awaited before it.
            match browser::request_permission().await?.as_str() {
                "granted" => {}
                "denied" => return Err(Error::PermissionDenied),
                _ => return Ok(false),
            }
        }
    }
    let signature = match &options.uid {
        Some(uid) => Some(signature_for(&config, uid, options.uid_signature.clone()).await?),
        None => None,
    };
    let registration = push::registration(&config).await?;
    let server_key = vapid_key(&config).await?;
    let mut resubscribed = false;
    let subscription = match push::current(&registration).await? {
        Some(existing) => {
            let keys = push::keys(&existing)?;
            if keys.vapid_key.as_deref().is_some_and(|k| k != server_key) {
                push::unsubscribe(&existing).await?;
                resubscribed = true;
                push::subscribe(&registration, &server_key, config.subscribe_timeout_ms).await?
            } else {
                existing
            }
        }
        None => push::subscribe(&registration, &server_key, config.subscribe_timeout_ms).await?,
    };
    let keys = push::keys(&subscription)?;
    let mirror = store::load().await?;
    if resubscribed && mirror.is_some() {
        // Move uid, tags and topics from the old endpoint before applying the options.
        rotate_or_upsert(&config, mirror, keys.clone(), &server_key).await?;
    }
    let body = Object::new();
    set(&body, "endpoint", keys.endpoint.as_str());
    set(&body, "keys", keys_object(&keys));
    if let (Some(uid), Some(sig)) = (&options.uid, &signature) {
        set(&body, "uid", uid.as_str());
        set(&body, "uid_signature", sig.as_str());
    }
    if let Some(tags) = &options.tags {
        set(
            &body,
            "tags",
            tags.iter().map(JsValue::from).collect::<js_sys::Array>(),
        );
    }
    if let Some(topics) = &options.topics {
        set(
            &body,
            "topics",
            topics.iter().map(JsValue::from).collect::<js_sys::Array>(),
        );
    }
    let state = sync::send("POST", &config.url("/subscriptions"), &json(&body.into())).await?;
    remember(&config, &keys, &server_key, &state).await?;
    Ok(get(&state, "status").as_string().as_deref() == Some("active"))
}

/// The subscription this browser has now, from the mirror checked against the browser.
async fn current_keys(config: &Config) -> Result<Mirror> {
    let mirror = store::load().await?.ok_or(Error::NotSubscribed)?;
    if let Some(registration) = push::existing_registration(config).await
        && let Some(sub) = push::current(&registration).await?
        && push::keys(&sub)?.endpoint != mirror.endpoint
    {
        repair(config).await?;
        return store::load().await?.ok_or(Error::NotSubscribed);
    }
    Ok(mirror)
}

/// `uid`: log in.
pub async fn set_uid(uid: String, signature: Option<String>) -> Result<bool> {
    let config = config()?;
    let mirror = current_keys(&config).await?;
    let signature = signature_for(&config, &uid, signature).await?;
    let body = owned(&mirror.endpoint, &mirror.auth);
    set(&body, "uid", uid.as_str());
    set(&body, "uid_signature", signature.as_str());
    let state = sync::send(
        "PUT",
        &config.url("/subscriptions/uid"),
        &json(&body.into()),
    )
    .await?;
    save_state(mirror, &state).await?;
    Ok(true)
}

async fn save_state(mut mirror: Mirror, state: &JsValue) -> Result<()> {
    mirror.uid = get(state, "uid").as_string();
    mirror.tags = strings(&get(state, "tags"));
    mirror.topics = strings(&get(state, "topics"));
    if let Some(f) = get(state, "frequency").as_string() {
        mirror.frequency = f;
    }
    mirror.acked_at = js_sys::Date::now();
    store::save(&mirror).await
}

/// `unsubscribe {uid: true}`: log out; the subscription stays, anonymous.
pub async fn log_out() -> Result<bool> {
    let config = config()?;
    let mirror = current_keys(&config).await?;
    let body = owned(&mirror.endpoint, &mirror.auth);
    let state = sync::send(
        "DELETE",
        &config.url("/subscriptions/uid"),
        &json(&body.into()),
    )
    .await?;
    save_state(mirror, &state).await?;
    Ok(true)
}

/// `unsubscribe`: full opt-out, in the browser and on the server.
pub async fn unsubscribe() -> Result<bool> {
    let config = config()?;
    let mirror = store::load().await?;
    if let Some(registration) = push::existing_registration(&config).await
        && let Some(sub) = push::current(&registration).await?
    {
        let keys = push::keys(&sub)?;
        push::unsubscribe(&sub).await?;
        let body = owned(&keys.endpoint, &keys.auth);
        store::clear().await?;
        sync::send(
            "POST",
            &config.url("/subscriptions/opt-out"),
            &json(&body.into()),
        )
        .await?;
        return Ok(true);
    }
    if let Some(m) = mirror {
        store::clear().await?;
        let body = owned(&m.endpoint, &m.auth);
        sync::send(
            "POST",
            &config.url("/subscriptions/opt-out"),
            &json(&body.into()),
        )
        .await?;
    }
    Ok(true)
}

/// `tags` / `preferences`.
pub async fn preferences(
    tags: Option<Vec<String>>,
    topics: Option<Vec<String>>,
    frequency: Option<String>,
) -> Result<bool> {
    let config = config()?;
    let mirror = current_keys(&config).await?;
    let body = owned(&mirror.endpoint, &mirror.auth);
    if let Some(tags) = tags {
        set(
            &body,
            "tags",
            tags.iter().map(JsValue::from).collect::<js_sys::Array>(),
        );
    }
    if let Some(topics) = topics {
        set(
            &body,
            "topics",
            topics.iter().map(JsValue::from).collect::<js_sys::Array>(),
        );
    }
    if let Some(f) = frequency {
        set(&body, "frequency", f.as_str());
    }
    let state = sync::send(
        "PUT",
        &config.url("/subscriptions/preferences"),
        &json(&body.into()),
    )
    .await?;
    save_state(mirror, &state).await?;
    Ok(true)
}
