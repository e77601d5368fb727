//! What the browser can do and has allowed, found out silently: capability
//! detection and permission state. Nothing here ever opens a dialog except
//! [`request_permission`], which the SDK calls only inside a user gesture.

use crate::error::{Code, Error, Result};
use crate::util::{call, get, global, wait};
use alloc::string::String;
use wasm_bindgen::JsValue;

/// Why web push cannot work here, or `None` when it can.
pub fn unsupported_reason() -> Option<&'static str> {
    let g = global();
    let navigator = get(&g, "navigator");
    Some(if get(&g, "isSecureContext").as_bool() != Some(true) {
        "the page is not a secure context (https or localhost)"
    } else if is_ios(&navigator) && !is_standalone(&g) {
        // Safari tabs there lack Notification and PushManager altogether:
        // say what fixes it rather than what is missing.
        "on iOS and iPadOS, web push works only in a web app added to the Home Screen"
    } else if get(&g, "Notification").is_undefined() {
        "the Notification API is missing"
    } else if get(&navigator, "serviceWorker").is_undefined() {
        "service workers are not available"
    } else if get(&g, "PushManager").is_undefined() {
        "the Push API is missing"
    } else {
        return None;
    })
}

/// Whether this is iOS or iPadOS Safari in a tab: push works only once the
/// site is added to the Home Screen.
pub fn needs_home_screen() -> bool {
    let g = global();
    is_ios(&get(&g, "navigator")) && !is_standalone(&g)
}

fn is_ios(navigator: &JsValue) -> bool {
    let ua = get(navigator, "userAgent").as_string().unwrap_or_default();
    let has = |word: &str| crate::util::contains(&ua, word);
    let touch_mac =
        has("Macintosh") && get(navigator, "maxTouchPoints").as_f64().unwrap_or(0.0) > 1.0;
    has("iPhone") || has("iPad") || has("iPod") || touch_mac
}

fn is_standalone(g: &JsValue) -> bool {
    if get(&get(g, "navigator"), "standalone").as_bool() == Some(true) {
        return true;
    }
    call(g, "matchMedia", &["(display-mode: standalone)".into()])
        .map(|m| get(&m, "matches").as_bool() == Some(true))
        .unwrap_or(false)
}

/// `granted`, `denied` or `default`; `unsupported` when there is no Notification API.
pub fn permission() -> String {
    get(&get(&global(), "Notification"), "permission")
        .as_string()
        .unwrap_or_else(|| "unsupported".into())
}

/// The Permissions API's view (`granted`/`denied`/`prompt`), when it has one.
pub async fn queried_permission() -> Option<String> {
    let permissions = get(&get(&global(), "navigator"), "permissions");
    if permissions.is_undefined() {
        return None;
    }
    let query = js_sys::Object::new();
    crate::util::set(&query, "name", "notifications");
    let status = wait(call(&permissions, "query", &[query.into()]).ok()?)
        .await
        .ok()?;
    get(&status, "state").as_string()
}

/// Whether the page is inside a user gesture (sticky activation is not enough).
pub fn in_user_gesture() -> bool {
    let activation = get(&get(&global(), "navigator"), "userActivation");
    if activation.is_undefined() {
        // Browsers without the API enforce the gesture themselves.
        return true;
    }
    get(&activation, "isActive").as_bool() == Some(true)
}

/// Shows the browser's permission dialog; returns the new permission.
pub async fn request_permission() -> Result<String> {
    let notification = get(&global(), "Notification");
    let result = wait(call(&notification, "requestPermission", &[])?).await?;
    result
        .as_string()
        .ok_or_else(|| Error::new(Code::Browser, "requestPermission gave no answer"))
}
