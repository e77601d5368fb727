//! The SDK's operations. Each first re-reads the browser's real state
//! (permission, subscription) rather than trusting the mirror.

use crate::browser;
use crate::config::Config;
use crate::error::{Error, Result};
use crate::push::{self, Keys};
use crate::store::{self, Mirror};
use crate::sync;
use crate::util::{call, get, global, wait};
use js_sys::{Object, Reflect};
use std::cell::RefCell;
use wasm_bindgen::JsValue;

thread_local! {
    static CONFIG: RefCell<Option<Config>> = const { RefCell::new(None) };
}

/// The configuration set by `init`.
pub fn config() -> Result<Config> {
    CONFIG
        .with(|c| c.borrow().clone())
        .ok_or(Error::NotInitialized)
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

/// What `status` reports.
pub struct Status {
    /// Subscribed, permitted and active on the server.
    pub subscribed: bool,
    /// Permission, or `unsupported`.
    pub permission: String,
    /// Bound user.
    pub uid: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Topics.
    pub topics: Vec<String>,
    /// Frequency.
    pub frequency: String,
}

fn json(value: &JsValue) -> String {
    js_sys::JSON::stringify(value)
        .map(String::from)
        .unwrap_or_else(|_| "{}".into())
}

fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(obj, &key.into(), &value.into());
}

fn strings(value: &JsValue) -> Vec<String> {
    js_sys::Array::from(value)
        .iter()
        .filter_map(|v| v.as_string())
        .collect()
}

/// `init`: remembers the configuration, then quietly repairs drift.
pub async fn init(config: Config) -> Result<()> {
    CONFIG.with(|c| *c.borrow_mut() = Some(config.clone()));
    if browser::unsupported_reason().is_some() {
        return Ok(());
    }
    listen_online();
    repair(&config).await
}

fn listen_online() {
    thread_local! {
        static LISTENING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    }
    // `init` may run again (new options); one listener is enough.
    if LISTENING.with(|l| l.replace(true)) {
        return;
    }
    let handler = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(|| {
        wasm_bindgen_futures::spawn_local(async {
            sync::flush().await;
        });
    });
    let _ = call(
        &global(),
        "addEventListener",
        &["online".into(), handler.as_ref().clone()],
    );
    handler.forget();
}

/// Compares the browser's subscription with the mirror and the server, and
/// fixes what differs (see DESIGN: the server is the source of truth).
async fn repair(config: &Config) -> Result<()> {
    sync::flush().await;
    let mirror = store::load().await?;
    let permission = browser::permission();
    if permission == "denied" {
        // Blocked in the browser settings since: the server must stop too.
        if let Some(m) = mirror {
            let body = json(&owned(&m.endpoint, &m.auth).into());
            let _ = sync::send("POST", &config.url("/subscriptions/opt-out"), &body).await;
            store::clear().await?;
        }
        return Ok(());
    }
    if permission != "granted" {
        return Ok(());
    }
    let Some(registration) = push::existing_registration(config).await else {
        return Ok(());
    };
    let Some(subscription) = push::current(&registration).await? else {
        if mirror.is_some() {
            // The browser dropped the subscription (site data cleared, or
            // the push service reset it while no worker ran).
            store::clear().await?;
        }
        return Ok(());
    };
    let keys = push::keys(&subscription)?;
    let server_key = vapid_key(config).await?;
    if keys.vapid_key.as_deref().is_some_and(|k| k != server_key) {
        // Made with a VAPID key the project no longer uses: resubscribe.
        push::unsubscribe(&subscription).await?;
        let fresh =
            push::subscribe(&registration, &server_key, config.subscribe_timeout_ms).await?;
        let fresh = push::keys(&fresh)?;
        return rotate_or_upsert(config, mirror, &keys, fresh, &server_key).await;
    }
    match mirror {
        Some(m) if m.endpoint == keys.endpoint && m.project == config.project => Ok(()),
        other => {
            let old = keys.clone();
            rotate_or_upsert(config, other, &old, keys, &server_key).await
        }
    }
}

async fn rotate_or_upsert(
    config: &Config,
    mirror: Option<Mirror>,
    _old: &Keys,
    new: Keys,
    vapid: &str,
) -> Result<()> {
    let state = match mirror.filter(|m| m.endpoint != new.endpoint && m.project == config.project) {
        Some(m) => {
            let body = Object::new();
            set(&body, "old_endpoint", m.endpoint.as_str());
            set(&body, "old_auth", m.auth.as_str());
            set(&body, "endpoint", new.endpoint.as_str());
            set(&body, "keys", keys_object(&new));
            sync::send(
                "POST",
                &config.url("/subscriptions/rotate"),
                &json(&body.into()),
            )
            .await?
        }
        None => {
            let body = Object::new();
            set(&body, "endpoint", new.endpoint.as_str());
            set(&body, "keys", keys_object(&new));
            sync::send("POST", &config.url("/subscriptions"), &json(&body.into())).await?
        }
    };
    remember(config, &new, vapid, &state).await
}

fn keys_object(keys: &Keys) -> Object {
    let obj = Object::new();
    set(&obj, "p256dh", keys.p256dh.as_str());
    set(&obj, "auth", keys.auth.as_str());
    obj
}

fn owned(endpoint: &str, auth: &str) -> Object {
    let obj = Object::new();
    set(&obj, "endpoint", endpoint);
    set(&obj, "auth", auth);
    obj
}

async fn remember(config: &Config, keys: &Keys, vapid: &str, state: &JsValue) -> Result<()> {
    let mirror = Mirror {
        server: config.server.clone(),
        project: config.project.clone(),
        endpoint: keys.endpoint.clone(),
        p256dh: keys.p256dh.clone(),
        auth: keys.auth.clone(),
        vapid_key: vapid.to_string(),
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

async fn vapid_key(config: &Config) -> Result<String> {
    let answer = sync::read("GET", &config.url("/vapid-public-key"), None).await?;
    get(&answer, "key")
        .as_string()
        .ok_or_else(|| Error::Server(200, "no VAPID key in the answer".into()))
}

/// A uid signature from the site's auth endpoint (`{signature}` or `{token}`).
async fn fetch_signature(config: &Config, uid: &str) -> Result<String> {
    let endpoint = config.auth_endpoint.as_ref().ok_or_else(|| {
        Error::Forbidden("a uid needs a uidSignature, or authEndpoint in init".into())
    })?;
    let separator = if endpoint.contains('?') { '&' } else { '?' };
    let encoded = String::from(js_sys::encode_uri_component(uid));
    let url = format!("{endpoint}{separator}uid={encoded}");
    let init = Object::new();
    set(&init, "credentials", "include");
    if !config.auth_headers.is_undefined() && !config.auth_headers.is_null() {
        set(&init, "headers", config.auth_headers.clone());
    }
    let response = wait(call(&global(), "fetch", &[url.into(), init.into()])?).await?;
    let status = get(&response, "status").as_f64().unwrap_or(0.0) as u16;
    if status == 401 || status == 403 {
        return Err(Error::Forbidden(
            "the site's auth endpoint refused this uid".into(),
        ));
    }
    if !(200..300).contains(&status) {
        return Err(Error::Server(
            status,
            "the site's auth endpoint failed".into(),
        ));
    }
    let body = wait(call(&response, "json", &[])?).await?;
    get(&body, "signature")
        .as_string()
        .or_else(|| get(&body, "token").as_string())
        .ok_or_else(|| {
            Error::Forbidden("the auth endpoint answered without signature or token".into())
        })
}

async fn signature_for(config: &Config, uid: &str, given: Option<String>) -> Result<String> {
    match given.filter(|s| !s.is_empty()) {
        Some(s) => Ok(s),
        None => fetch_signature(config, uid).await,
    }
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
    let mut previous: Option<Keys> = None;
    let subscription = match push::current(&registration).await? {
        Some(existing) => {
            let keys = push::keys(&existing)?;
            if keys.vapid_key.as_deref().is_some_and(|k| k != server_key) {
                push::unsubscribe(&existing).await?;
                previous = Some(keys);
                push::subscribe(&registration, &server_key, config.subscribe_timeout_ms).await?
            } else {
                existing
            }
        }
        None => push::subscribe(&registration, &server_key, config.subscribe_timeout_ms).await?,
    };
    let keys = push::keys(&subscription)?;
    let mirror = store::load().await?;
    if let (Some(_), Some(m)) = (&previous, &mirror) {
        rotate_or_upsert(&config, Some(m.clone()), &keys, keys.clone(), &server_key).await?;
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

/// `status`: never prompts.
pub async fn status() -> Result<Status> {
    let config = config()?;
    let permission = if browser::unsupported_reason().is_some() {
        "unsupported".to_string()
    } else {
        browser::queried_permission()
            .await
            .filter(|p| p == "denied")
            .unwrap_or_else(browser::permission)
    };
    let mut status = Status {
        subscribed: false,
        permission: permission.clone(),
        uid: None,
        tags: vec![],
        topics: vec![],
        frequency: "immediate".into(),
    };
    if permission != "granted" {
        return Ok(status);
    }
    let Some(registration) = push::existing_registration(&config).await else {
        return Ok(status);
    };
    let Some(sub) = push::current(&registration).await? else {
        return Ok(status);
    };
    let keys = push::keys(&sub)?;
    let body = owned(&keys.endpoint, &keys.auth);
    let state = match sync::read(
        "POST",
        &config.url("/subscriptions/status"),
        Some(&json(&body.into())),
    )
    .await
    {
        Ok(state) => state,
        Err(Error::NotSubscribed) => return Ok(status),
        Err(_) => {
            // Offline: answer from the mirror.
            let Some(m) = store::load().await?.filter(|m| m.endpoint == keys.endpoint) else {
                return Ok(status);
            };
            status.subscribed = true;
            status.uid = m.uid;
            status.tags = m.tags;
            status.topics = m.topics;
            status.frequency = m.frequency;
            return Ok(status);
        }
    };
    status.subscribed = get(&state, "status").as_string().as_deref() == Some("active");
    status.uid = get(&state, "uid").as_string();
    status.tags = strings(&get(&state, "tags"));
    status.topics = strings(&get(&state, "topics"));
    status.frequency = get(&state, "frequency")
        .as_string()
        .unwrap_or(status.frequency);
    Ok(status)
}
