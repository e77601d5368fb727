//! The Pushpad-compatible command API: `herald(name, ...args)`.
//!
//! Callbacks get what Pushpad's get (`cb(isSubscribed)`,
//! `cb(isSubscribed, details)`); a failure is reported to the console with
//! its code and the callback still answers (false), so a site's flow never
//! hangs on an exception.

use crate::error::{Code, Error};
use crate::sdk;
use crate::util::{cat, get};
use js_sys::{Array, Function};
use wasm_bindgen::{JsCast, JsValue};

fn callback(value: &JsValue) -> Option<Function> {
    value.is_function().then(|| value.clone().unchecked_into())
}

fn report(command: &str, error: &Error) {
    let level = match error.code {
        Code::Unsupported | Code::Queued => "info",
        _ => "warn",
    };
    let console = get(&crate::util::global(), "console");
    let _ = crate::util::call(
        &console,
        level,
        &[
            cat(&["herald('", command, "'):"]).into(),
            error.message.clone(),
            cat(&["[", error.code.as_str(), "]"]).into(),
        ],
    );
}

/// Runs a command. Not strict (Pushpad style): callbacks get the answer,
/// failures are reported on the console, the promise resolves. Strict
/// (module API): the promise rejects with the error.
pub async fn run(name: &str, args: &Array, strict: bool) -> core::result::Result<JsValue, JsValue> {
    match dispatch(name, args).await {
        Ok(v) => Ok(v),
        Err(e) if strict => Err(e.into_js()),
        Err(e) => {
            report(name, &e);
            Ok(e.into_js())
        }
    }
}

/// Runs the command `name`; callbacks among `args` get their answer here.
async fn dispatch(name: &str, args: &Array) -> core::result::Result<JsValue, Error> {
    let arg = |i: u32| args.get(i);
    match name {
        "init" => match crate::config::Config::parse(&arg(0)) {
            Ok(config) => sdk::init(config).await.map(|()| JsValue::TRUE),
            Err(e) => Err(e),
        },
        "subscribe" => {
            let result = sdk::subscribe(subscribe_options(&arg(1))).await;
            answer(&arg(0), name, result.map(JsValue::from))
        }
        "uid" => {
            let result = sdk::set_uid(arg(0), arg(1)).await;
            answer(&arg(2), name, result.map(JsValue::from))
        }
        "unsubscribe" => {
            let only_uid = get(&arg(1), "uid").as_bool() == Some(true);
            let result = if only_uid {
                sdk::log_out().await
            } else {
                sdk::unsubscribe().await
            };
            answer(&arg(0), name, result.map(JsValue::from))
        }
        "status" => {
            let result = sdk::status().await;
            status_answer(&arg(0), &result);
            result.map(JsValue::from)
        }
        "tags" => {
            let result = sdk::preferences(list(&arg(0)), None, None).await;
            answer(&arg(1), name, result.map(JsValue::from))
        }
        "preferences" => {
            let prefs = arg(0);
            let result = sdk::preferences(
                None,
                list(&get(&prefs, "topics")),
                get(&prefs, "frequency").as_string(),
            )
            .await;
            answer(&arg(1), name, result.map(JsValue::from))
        }
        "flush" => Ok(crate::sync::flush().await.into()),
        // Why push is unavailable here, or null (module API only).
        "unsupportedReason" => Ok(crate::browser::unsupported_reason()
            .map(JsValue::from)
            .unwrap_or(JsValue::NULL)),
        other => Err(Error::new(
            Code::Invalid,
            cat(&["unknown command \"", other, "\""]),
        )),
    }
}

/// `subscribe`'s options object: `{uid, uidSignature, tags, topics}`.
fn subscribe_options(opts: &JsValue) -> sdk::SubscribeOptions {
    sdk::SubscribeOptions {
        uid: get(opts, "uid"),
        uid_signature: get(opts, "uidSignature"),
        tags: list(&get(opts, "tags")),
        topics: list(&get(opts, "topics")),
    }
}

/// `status`'s callback: `cb(isSubscribed, details)` (`false, null` on error).
fn status_answer(cb: &JsValue, result: &core::result::Result<js_sys::Object, Error>) {
    if let Some(cb) = callback(cb) {
        let (subscribed, details) = match result {
            Ok(s) => (get(s, "subscribed"), s.into()),
            Err(_) => (JsValue::FALSE, JsValue::NULL),
        };
        let _ = cb.call2(&JsValue::NULL, &subscribed, &details);
    }
}

/// Tags or topics as given: an array (the server checks each item and
/// answers 400 naming the bad one), a single string, or `None` when absent.
fn list(value: &JsValue) -> Option<Array> {
    if value.is_undefined() || value.is_null() {
        None
    } else if Array::is_array(value) {
        Some(value.clone().unchecked_into())
    } else {
        Some(Array::of1(value))
    }
}

/// Calls `cb(result)` (false on error) and passes the result on.
fn answer(
    cb: &JsValue,
    name: &str,
    result: core::result::Result<JsValue, Error>,
) -> core::result::Result<JsValue, Error> {
    if let Some(cb) = callback(cb) {
        let value = match &result {
            Ok(v) => v.as_bool().unwrap_or(false),
            Err(e) => {
                report(name, e);
                false
            }
        };
        let _ = cb.call1(&JsValue::NULL, &value.into());
        return result.or(Ok(JsValue::FALSE));
    }
    result
}
