//! The commands `herald(name, ...args)` runs, as the core answers them: a
//! value, or an error with its code. Callbacks, console reports and the
//! Pushpad-style answers (`cb(isSubscribed)`, ...) are herald.js's, once
//! for every command.

use crate::eligibility;
use crate::error::{Code, Error, Result};
use crate::sdk;
use crate::util::{cat, get, list};
use js_sys::Array;
use wasm_bindgen::JsValue;

/// Runs the command `name` with `args` as the site gave them.
pub async fn run(name: &str, args: &Array) -> Result<JsValue> {
    let arg = |i: u32| args.get(i);
    Ok(match name {
        "init" => {
            sdk::init(crate::config::Config::parse(&arg(0))?).await?;
            JsValue::TRUE
        }
        "subscribe" => {
            let opts = arg(1);
            let options = sdk::SubscribeOptions {
                uid: get(&opts, "uid"),
                uid_signature: get(&opts, "uidSignature"),
                tags: list(&get(&opts, "tags")),
                topics: list(&get(&opts, "topics")),
            };
            sdk::subscribe(options).await?.into()
        }
        "uid" => sdk::set_uid(arg(0), arg(1)).await?.into(),
        "unsubscribe" if get(&arg(1), "uid").as_bool() == Some(true) => {
            sdk::log_out().await?.into()
        }
        "unsubscribe" => sdk::unsubscribe().await?.into(),
        "status" => sdk::status().await?.into(),
        "tags" => sdk::preferences(list(&arg(0)), None, None).await?.into(),
        "preferences" => {
            let prefs = arg(0);
            let topics = list(&get(&prefs, "topics"));
            sdk::preferences(None, topics, get(&prefs, "frequency").as_string())
                .await?
                .into()
        }
        "flush" => crate::sync::flush().await.into(),
        // Why push is unavailable here, or null.
        "unsupportedReason" => {
            crate::browser::unsupported_reason().map_or(JsValue::NULL, JsValue::from)
        }
        // For the soft prompt (herald.js and the UI chunk): whether it may
        // ask, and a dismissal's back-off (`backoff, days`).
        "eligible" => eligibility::eligible(arg(0).is_truthy()).into(),
        "backoff" => {
            eligibility::back_off(&arg(0));
            JsValue::TRUE
        }
        other => {
            return Err(Error::new(
                Code::Invalid,
                cat(&["unknown command \"", other, "\""]),
            ));
        }
    })
}
