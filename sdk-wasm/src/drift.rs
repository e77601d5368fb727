//! `init` and drift repair: on every load the SDK compares the browser's
//! subscription with the IndexedDB mirror and the server, and fixes what
//! differs (the server is the source of truth).

use crate::browser;
use crate::config::Config;
use crate::error::Result;
use crate::push::{self, Keys};
use crate::sdk::{configure, opt_out, remember, send, set, vapid_key};
use crate::store::{self, Mirror};
use crate::sync;
use js_sys::Object;

/// `init`: remembers the configuration, then quietly repairs drift.
pub async fn init(config: Config) -> Result<()> {
    let config = configure(config);
    if browser::unsupported_reason().is_some() {
        return Ok(());
    }
    repair(config).await?;
    Ok(())
}

/// Compares the browser's subscription with the mirror and the server, and
/// fixes what differs (see DESIGN: the server is the source of truth).
/// True when the browser has a subscription, which the mirror then matches
/// (so `subscribe` can take it from the mirror instead of asking again).
pub(crate) async fn repair(config: &Config) -> Result<bool> {
    sync::flush().await;
    let permission = browser::permission();
    if permission == "denied" {
        // Blocked in the browser settings since: the server must stop too
        // (queued if it cannot be reached now).
        let _ = opt_out(config).await;
        return Ok(false);
    }
    if permission != "granted" {
        return Ok(false);
    }
    let mirror = store::load().await?;
    let Some((registration, subscription)) = push::existing(config).await? else {
        if mirror.is_some() {
            // The browser dropped the subscription (site data cleared, the
            // worker unregistered, or the push service reset it while no
            // worker ran).
            store::clear().await?;
        }
        return Ok(false);
    };
    let mut keys = push::keys(&subscription)?;
    let server_key = vapid_key(config).await?;
    if keys.made_with_other(&server_key) {
        // Made with a VAPID key the project no longer uses: resubscribe.
        push::unsubscribe(&subscription)?.await?;
        let fresh =
            push::subscribe(&registration, &server_key, config.subscribe_timeout_ms).await?;
        keys = push::keys(&fresh)?;
    } else if mirror
        .as_ref()
        .is_some_and(|m| m.get("endpoint") == keys.endpoint && m.text("project") == config.project)
    {
        return Ok(true);
    }
    rotate_or_upsert(config, mirror, &keys, &server_key).await?;
    Ok(true)
}

/// Moves the mirrored subscription to `new` (`rotate`), or registers `new`
/// when there is nothing of this project's to move.
pub(crate) async fn rotate_or_upsert(
    config: &Config,
    mirror: Option<Mirror>,
    new: &Keys,
    vapid: &str,
) -> Result<()> {
    let body = Object::new();
    set(&body, "endpoint", new.endpoint.clone());
    set(&body, "keys", new.keys.clone());
    let path = match mirror
        .filter(|m| m.get("endpoint") != new.endpoint && m.text("project") == config.project)
    {
        Some(m) => {
            set(&body, "old_endpoint", m.get("endpoint"));
            set(&body, "old_auth", m.get("auth"));
            "/subscriptions/rotate"
        }
        None => "/subscriptions",
    };
    let state = send(config, "POST", path, &body).await?;
    remember(config, new, vapid, &state).await?;
    Ok(())
}
