//! uid signatures from the site's own backend (`authEndpoint`), for sites
//! that do not put the signature in the page.

use crate::config::Config;
use crate::error::{Error, Result};
use crate::sdk::set;
use crate::util::{cat, fetch, get};
use alloc::string::String;
use js_sys::Object;

/// A uid signature from the site's auth endpoint (`{signature}` or `{token}`).
async fn fetch_signature(config: &Config, uid: &str) -> Result<String> {
    let endpoint = config.auth_endpoint.as_ref().ok_or_else(|| {
        Error::Forbidden("a uid needs a uidSignature, or authEndpoint in init".into())
    })?;
    let separator = if crate::util::contains(endpoint, "?") {
        "&"
    } else {
        "?"
    };
    let encoded = String::from(js_sys::encode_uri_component(uid));
    let url = cat(&[endpoint, separator, "uid=", &encoded]);
    let init = Object::new();
    set(&init, "credentials", "include");
    let headers = Object::new();
    for (name, value) in &config.auth_headers {
        set(&headers, name, value.as_str());
    }
    set(&init, "headers", headers);
    let (status, text) = fetch(&url, &init)
        .await
        .ok_or_else(|| Error::Server(0, "the site's auth endpoint cannot be reached".into()))?;
    if status == 401 || status == 403 {
        return Err(Error::Forbidden(
            "the site's auth endpoint refused this uid".into(),
        ));
    }
    if !(200..300).contains(&status) {
        return Err(Error::Server(
            status,
            "the site's auth endpoint failed".into(),
        ));
    }
    let body = js_sys::JSON::parse(&text).unwrap_or(wasm_bindgen::JsValue::NULL);
    get(&body, "signature")
        .as_string()
        .or_else(|| get(&body, "token").as_string())
        .ok_or_else(|| {
            Error::Forbidden("the auth endpoint answered without signature or token".into())
        })
}

pub(crate) async fn signature_for(
    config: &Config,
    uid: &str,
    given: Option<String>,
) -> Result<String> {
    match given.filter(|s| !s.is_empty()) {
        Some(s) => Ok(s),
        None => fetch_signature(config, uid).await,
    }
}
