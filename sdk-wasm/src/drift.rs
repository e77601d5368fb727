//! `init` and drift repair: on every load the SDK compares the browser's
//! subscription with the IndexedDB mirror and the server, and fixes what
//! differs (the server is the source of truth).

use crate::api::{self, vapid_key};
use crate::browser;
use crate::config::{Config, configure};
use crate::error::{Code, Result};
use crate::optout::opt_out;
use crate::push::{self, Keys};
use crate::store::{self, Mirror};
use crate::sync;
use crate::util::set;
use js_sys::Object;

/// `init`: remembers the configuration, then quietly repairs drift.
pub async fn init(config: Config) -> Result<()> {
    let config = configure(config);
    if browser::unsupported_reason().is_none() {
        repair(config).await?;
    }
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
    // The server unreachable: the key is checked on a later load, and the
    // rest goes on (a change is queued rather than lost).
    let server_key = match vapid_key(config).await {
        Err(e) if e.code == Code::Server && e.status == 0 => None,
        key => Some(key?),
    };
    if let Some(server_key) = &server_key
        && keys.made_with_other(server_key)
    {
        // Made with a VAPID key the project no longer uses: resubscribe.
        push::unsubscribe(&subscription)?.await?;
        let fresh = push::subscribe(&registration, server_key, config.subscribe_timeout_ms).await?;
        keys = push::keys(&fresh)?;
    } else if mirror
        .as_ref()
        .is_some_and(|m| m.is(config, &keys.endpoint))
    {
        return Ok(true);
    }
    let vapid = server_key
        .or_else(|| mirror.as_ref().map(Mirror::vapid_key))
        .unwrap_or_default();
    rotate_or_upsert(config, mirror, &keys, &vapid).await?;
    Ok(true)
}

/// Moves the mirrored subscription to `new` (`rotate`), or registers `new`
/// when there is nothing of this project's to move or the server no longer
/// knows the old one. When the change is queued, the mirror already takes
/// the new endpoint with the old one's uid and preferences: the queued
/// change moves them on the server when it lands.
pub(crate) async fn rotate_or_upsert(
    config: &Config,
    mirror: Option<Mirror>,
    new: &Keys,
    vapid: &str,
) -> Result<()> {
    let body = Object::new();
    set(&body, "endpoint", new.endpoint.clone());
    set(&body, "keys", new.keys.clone());
    let old = mirror.filter(|m| m.endpoint() != new.endpoint && m.project() == config.project);
    let mut state = match &old {
        Some(m) => {
            set(&body, "old_endpoint", m.endpoint());
            set(&body, "old_auth", m.auth());
            api::change(config, "POST", "/subscriptions/rotate", &body).await
        }
        None => Err(Code::NotSubscribed.into()),
    };
    if let Err(e) = &state
        && matches!(e.code, Code::NotSubscribed | Code::Forbidden)
    {
        // Unknown to the server (or not this browser's): a new subscription.
        state = api::change(config, "POST", "/subscriptions", &body).await;
    }
    let mirror = Mirror::new(config, new, vapid);
    match state {
        Ok(state) => mirror.apply(&state),
        Err(e) if e.code == Code::Queued => {
            if let Some(old) = &old {
                mirror.expect(&old.0);
            }
        }
        Err(e) => return Err(e),
    }
    store::save(&mirror).await?;
    Ok(())
}
