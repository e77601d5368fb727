//! `status`: what the browser and the server say about this subscription,
//! without ever prompting.

use crate::browser;
use crate::error::{Error, Result};
use crate::push;
use crate::sdk::{config, json, owned, strings};
use crate::store;
use crate::sync;
use crate::util::get;
use alloc::string::String;
use alloc::vec::Vec;

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

/// `status`: never prompts.
pub async fn status() -> Result<Status> {
    let config = config()?;
    let permission = if browser::unsupported_reason().is_some() {
        "unsupported".into()
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
        tags: Vec::new(),
        topics: Vec::new(),
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
