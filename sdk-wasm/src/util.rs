//! Small helpers: base64url, timers, UUIDs and property access that work in
//! a page and in a worker.

use crate::error::{Code, Error, Result};
use alloc::string::String;
use alloc::vec::Vec;
use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url without padding.
pub fn b64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// Decodes base64url or base64 (padding optional).
pub fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

/// The global object (window or worker scope).
pub fn global() -> JsValue {
    js_sys::global().into()
}

/// `obj[key]`, or undefined.
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// `obj[key] = value`: the SDK's one property setter (on plain objects it
/// cannot fail).
pub fn set(obj: &JsValue, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(obj, &key.into(), &value.into());
}

/// `JSON.stringify(value)` (`{}` for what it cannot stringify).
pub fn json(value: &JsValue) -> String {
    js_sys::JSON::stringify(value)
        .map(String::from)
        .unwrap_or_else(|_| "{}".into())
}

/// Calls `obj[key](...args)`.
pub fn call(obj: &JsValue, key: &str, args: &[JsValue]) -> Result<JsValue> {
    apply(obj, key, &args.iter().collect())
}

/// Calls `obj[key](...args)` with the arguments already in an array.
pub fn apply(obj: &JsValue, key: &str, args: &js_sys::Array) -> Result<JsValue> {
    let f: Function = get(obj, key)
        .dyn_into()
        .map_err(|_| Error::new(Code::Browser, cat(&[key, " is not available"])))?;
    Ok(f.apply(obj, args)?)
}

/// A JS promise as a future (its error is a JS value; `?` makes it an
/// [`Error`]). Not an `async fn`: one state machine less in every chain.
pub fn wait(value: JsValue) -> JsFuture {
    JsFuture::from(Promise::from(value))
}

/// `fetch(url, init)` from the global scope (a page or a worker): the
/// status, the body's text, and the body parsed as JSON (null when it is
/// not JSON); `None` when the network failed.
pub async fn fetch(url: &JsValue, init: &js_sys::Object) -> Option<(u16, JsValue, JsValue)> {
    let response = wait(call(&global(), "fetch", &[url.clone(), init.into()]).ok()?)
        .await
        .ok()?;
    let status = get(&response, "status").as_f64().unwrap_or(0.0) as u16;
    let text = wait(call(&response, "text", &[]).ok()?).await.ok()?;
    let json = call(
        &get(&global(), "JSON"),
        "parse",
        core::slice::from_ref(&text),
    )
    .unwrap_or(JsValue::NULL);
    Some((status, text, json))
}

/// Resolves after `ms` milliseconds (a future, not an `async fn`).
pub fn sleep(ms: i32) -> JsFuture {
    JsFuture::from(Promise::new(&mut |resolve, _| {
        let _ = call(&global(), "setTimeout", &[resolve.into(), ms.into()]);
    }))
}

/// Awaits `value` (a promise) for at most `ms`; `Err(Timeout)` after.
pub async fn with_timeout(value: JsValue, ms: i32) -> Result<JsValue> {
    let timer = Promise::new(&mut |_, reject| {
        let _ = call(
            &global(),
            "setTimeout",
            &[reject.into(), ms.into(), "herald-timeout".into()],
        );
    });
    let race = Promise::race(
        &[Promise::from(value), timer]
            .iter()
            .collect::<js_sys::Array>(),
    );
    match JsFuture::from(race).await {
        Ok(v) => Ok(v),
        Err(e) if e.as_string().as_deref() == Some("herald-timeout") => Err(Code::Timeout.into()),
        Err(e) => Err(e.into()),
    }
}

/// Tags or topics as given: an array (the server checks each item and
/// answers 400 naming the bad one), a single string, or `None` when absent.
pub fn list(value: &JsValue) -> Option<js_sys::Array> {
    if value.is_undefined() || value.is_null() {
        None
    } else if js_sys::Array::is_array(value) {
        Some(value.clone().unchecked_into())
    } else {
        Some(js_sys::Array::of1(value))
    }
}

/// Joins strings (instead of `format!`, whose machinery costs kilobytes of wasm).
pub fn cat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

/// Whether `needle` occurs in `haystack` (a plain byte scan: `str::contains`
/// brings the two-way searcher and its panics, ~3 KB of wasm).
pub fn contains(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w == n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cat_and_contains_work_on_text() {
        assert_eq!(cat(&["a", "", "bc"]), "abc");
        assert!(contains("Mozilla (iPad; CPU)", "iPad"));
        assert!(!contains("iPa", "iPad"));
        assert!(contains("x", ""));
    }

    #[test]
    fn base64url_round_trips() {
        for len in 0..40u8 {
            let data: Vec<u8> = (0..len).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(
                b64url_decode(&b64url_encode(&data)).as_deref(),
                Some(&data[..])
            );
        }
        assert_eq!(b64url_encode(b"\xfb\xff"), "-_8");
        assert_eq!(b64url_decode("-_8=").as_deref(), Some(&b"\xfb\xff"[..]));
        assert_eq!(b64url_decode("***"), None);
    }
}
