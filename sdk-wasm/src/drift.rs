//! `init` and drift repair: on every load the SDK compares the browser's
//! subscription with the IndexedDB mirror and the server, and fixes what
//! differs (the server is the source of truth).

use crate::browser;
use crate::config::Config;
use crate::error::Result;
use crate::push::{self, Keys};
use crate::sdk::{CONFIG, json, keys_object, owned, remember, set, vapid_key};
use crate::store::{self, Mirror};
use crate::sync;
use crate::util::{call, global};
use core::sync::atomic::{AtomicBool, Ordering};
use js_sys::Object;

/// `init`: remembers the configuration, then quietly repairs drift.
pub async fn init(config: Config) -> Result<()> {
    *CONFIG.lock() = Some(config.clone());
    if browser::unsupported_reason().is_some() {
        return Ok(());
    }
    listen_online();
    repair(&config).await
}

fn listen_online() {
    static LISTENING: AtomicBool = AtomicBool::new(false);
    // `init` may run again (new options); one listener is enough.
    if LISTENING.swap(true, Ordering::Relaxed) {
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
pub(crate) async fn repair(config: &Config) -> Result<()> {
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
        return rotate_or_upsert(config, mirror, fresh, &server_key).await;
    }
    match mirror {
        Some(m) if m.endpoint == keys.endpoint && m.project == config.project => Ok(()),
        other => rotate_or_upsert(config, other, keys, &server_key).await,
    }
}

pub(crate) async fn rotate_or_upsert(
    config: &Config,
    mirror: Option<Mirror>,
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
