//! The SDK's operations. Each first re-reads the browser's real state
//! (permission, subscription) rather than trusting the mirror.
//!
//! Written for size: records stay JS objects (the mirror, the server's
//! answers), the configuration is a `&'static` (no clone per call), and the
//! changes that share a shape share one function (`change`).

use crate::api::{self, vapid_key};
use crate::auth::signature_for;
use crate::browser;
use crate::config::{Config, config};
use crate::drift::repair;
use crate::error::{Code, Error, Result};
use crate::push;
use crate::store::{self, Mirror};
use crate::util::{get, set};
use alloc::string::String;
use js_sys::{Array, Object};
use wasm_bindgen::JsValue;

pub use crate::drift::init;
pub use crate::status::status;

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

/// `disclosureVersion` from `init`, sent with every consent change.
fn disclosure(config: &Config, body: &Object) {
    if let Some(version) = &config.disclosure_version {
        set(body, "disclosure_version", version.as_str());
    }
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
    disclosure(config, &body);
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
    set(&keys, "p256dh", mirror.p256dh());
    set(&keys, "auth", mirror.auth());
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
        && push::keys(&sub)?.endpoint == mirror.endpoint()
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
    method: &str,
    path: &str,
    fields: Object,
) -> Result<JsValue> {
    set(&fields, "endpoint", mirror.endpoint());
    set(&fields, "auth", mirror.auth());
    let result = api::change(config, method, path, &fields).await;
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
    disclosure(config, &fields);
    change(config, mirror, "PUT", "/subscriptions/preferences", fields).await?;
    Ok(true)
}

/// `unsubscribe`: full opt-out, in the browser and on the server.
pub async fn unsubscribe() -> Result<bool> {
    crate::optout::opt_out(config()?).await
}
