//! `status`: what the browser and the server say about this subscription,
//! without ever prompting.

use crate::api;
use crate::browser;
use crate::config::config;
use crate::error::{Code, Result};
use crate::push;
use crate::store;
use crate::util::{get, set};
use js_sys::{Array, Object};
use wasm_bindgen::JsValue;

/// `status`: `{subscribed, permission, uid, tags, topics, frequency}`; never prompts.
pub async fn status() -> Result<Object> {
    let config = config()?;
    let permission = if browser::unsupported_reason().is_some() {
        "unsupported".into()
    } else {
        browser::queried_permission()
            .await
            .filter(|p| p == "denied")
            .unwrap_or_else(browser::permission)
    };
    let status = Object::new();
    set(&status, "subscribed", false);
    set(&status, "permission", permission.as_str());
    set(&status, "uid", JsValue::NULL);
    set(&status, "tags", Array::new());
    set(&status, "topics", Array::new());
    set(&status, "frequency", "immediate");
    if permission != "granted" {
        return Ok(status);
    }
    let Some((_, sub)) = push::existing(config).await? else {
        return Ok(status);
    };
    let keys = push::keys(&sub)?;
    let source = match api::state(config, &keys.endpoint, &keys.auth).await {
        Ok(state) => {
            set(
                &status,
                "subscribed",
                get(&state, "status").as_string().as_deref() == Some("active"),
            );
            state
        }
        // Unknown to the server, or not with this browser's secret.
        Err(e) if matches!(e.code, Code::NotSubscribed | Code::Forbidden) => return Ok(status),
        Err(_) => {
            // Offline: answer from the mirror.
            let Some(m) = store::load()
                .await?
                .filter(|m| m.endpoint() == keys.endpoint)
            else {
                return Ok(status);
            };
            set(&status, "subscribed", true);
            m.0
        }
    };
    store::copy_state(&status, &source);
    Ok(status)
}
