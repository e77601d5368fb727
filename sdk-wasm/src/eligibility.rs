//! Whether this browser may be asked to allow notifications, and the
//! back-off after a dismissal: the decisions behind the soft prompt (the
//! UI chunk draws it; herald.js runs `init`'s triggers).
//!
//! A dismissal (Later, Escape, close, or the browser's dialog closed
//! without a choice) backs off `backoffDays` (default 3, then 7, then 30
//! days for the third and every later one), kept in this browser's
//! `localStorage`; time is read through `Date.now()`, so tests can move it.

use crate::util::{call, global};
use alloc::string::String;
use js_sys::Array;
use wasm_bindgen::{JsCast, JsValue};

const BACKOFF: &str = "herald:backoff";

/// `localStorage`: an item, or "" (none, or storage not allowed).
fn read(key: &str) -> String {
    let storage = js_sys::Reflect::get(&global(), &"localStorage".into()).unwrap_or_default();
    call(&storage, "getItem", &[key.into()])
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

fn write(key: &str, value: JsValue) {
    let storage = js_sys::Reflect::get(&global(), &"localStorage".into()).unwrap_or_default();
    // JSON through JS: Rust's number formatting costs kilobytes.
    let text = js_sys::JSON::stringify(&value).unwrap_or_default();
    let _ = call(&storage, "setItem", &[key.into(), text.into()]);
}

/// The back-off: `[dismissals so far, until (Unix ms)]`.
fn backoff() -> (f64, f64) {
    let stored = js_sys::JSON::parse(&read(BACKOFF)).unwrap_or_default();
    let at = |i| {
        js_sys::Reflect::get_u32(&stored, i)
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0)
    };
    (at(0), at(1))
}

/// Starts the next back-off: the n-th dismissal waits the n-th of `days`
/// (init's `backoffDays`; the last for every later one).
pub fn back_off(days: &JsValue) {
    let mut days: Array = days.clone().unchecked_into();
    if !Array::is_array(days.as_ref()) || days.length() == 0 {
        days = Array::of3(&3.into(), &7.into(), &30.into());
    }
    let (count, _) = backoff();
    let wait = days
        .get((count as u32).min(days.length() - 1))
        .as_f64()
        .unwrap_or(30.0);
    let until = js_sys::Date::now() + wait.max(0.0) * 86_400_000.0;
    write(
        BACKOFF,
        Array::of2(&(count + 1.0).into(), &until.into()).into(),
    );
}

/// Whether the prompt may show: `ok`, or why not: `unsupported`, `ios`
/// (Safari on iPhone or iPad in a tab: the Home Screen guide instead),
/// `denied`, `granted` (nothing to ask; subscribe if not subscribed yet),
/// `backoff`. The user's own click on the bell ignores the back-off.
pub fn eligible(from_bell: bool) -> &'static str {
    if crate::browser::unsupported_reason().is_some() {
        return if crate::browser::needs_home_screen() {
            "ios"
        } else {
            "unsupported"
        };
    }
    match crate::browser::permission().as_str() {
        "denied" => "denied",
        "default" if !from_bell && js_sys::Date::now() < backoff().1 => "backoff",
        "default" => "ok",
        _ => "granted",
    }
}
