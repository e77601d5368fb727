//! uid signatures from the site's own backend (`authEndpoint`), for sites
//! that do not put the signature in the page.

use crate::config::Config;
use crate::error::{Code, Error, Result};
use crate::util::{cat, fetch, get, set};
use alloc::string::String;
use js_sys::Object;
use wasm_bindgen::JsValue;

/// The uid's signature: the one given, else one from the site's auth
/// endpoint (`{signature}` or `{token}`).
pub(crate) async fn signature_for(
    config: &Config,
    uid: &JsValue,
    given: JsValue,
) -> Result<JsValue> {
    if given.is_string() && given != "" {
        return Ok(given);
    }
    let endpoint = config.auth_endpoint.as_ref().ok_or_else(|| {
        Error::new(
            Code::Forbidden,
            "a uid needs a uidSignature, or authEndpoint in init",
        )
    })?;
    let separator = if crate::util::contains(endpoint, "?") {
        "&"
    } else {
        "?"
    };
    let encoded = String::from(js_sys::encode_uri_component(
        &uid.as_string().unwrap_or_default(),
    ));
    let url = cat(&[endpoint, separator, "uid=", &encoded]);
    // POST: it mints a credential from the site's session (never cached or
    // prefetched; the site's CSRF check expects a POST).
    let init = Object::new();
    set(&init, "method", "POST");
    set(&init, "credentials", "include");
    if let Some(headers) = &config.auth_headers {
        set(
            &init,
            "headers",
            js_sys::JSON::parse(headers).unwrap_or_default(),
        );
    }
    let (status, _, body) = fetch(&url.into(), &init)
        .await
        .ok_or_else(|| Error::new(Code::Server, "the site's auth endpoint cannot be reached"))?;
    if status == 401 || status == 403 {
        let mut e = Error::new(Code::Forbidden, "the site's auth endpoint refused this uid");
        e.status = status;
        return Err(e);
    }
    if !(200..300).contains(&status) {
        let mut e = Error::new(Code::Server, "the site's auth endpoint failed");
        e.status = status;
        return Err(e);
    }
    for key in ["signature", "token"] {
        let value = get(&body, key);
        if value.is_string() {
            return Ok(value);
        }
    }
    Err(Error::new(
        Code::Forbidden,
        "the auth endpoint answered without signature or token",
    ))
}
