//! The SDK's errors: typed inside, turned into a JS `Error` with a `code`
//! property once, at the wasm-bindgen boundary.

use crate::util::{cat, decimal};
use alloc::string::String;
use wasm_bindgen::{JsCast, JsValue};

/// Why an SDK call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// This browser cannot do web push here (why).
    Unsupported(String),
    /// Permission is `default` and the call was not in a user gesture.
    NeedsUserGesture,
    /// The user blocked notifications.
    PermissionDenied,
    /// The server or the site's auth endpoint refused (bad signature...).
    Forbidden(String),
    /// The request was invalid (a bad uid, tag...).
    Invalid(String),
    /// `init` was not called (or lacked `project`).
    NotInitialized,
    /// There is no subscription to act on.
    NotSubscribed,
    /// The server could not be reached; the change is queued and will be retried.
    Queued,
    /// The browser's push service did not answer in time.
    Timeout,
    /// The server answered with an error.
    Server(u16, String),
    /// A browser API failed.
    Browser(String),
}

impl Error {
    /// The stable code sites branch on.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unsupported(_) => "unsupported",
            Self::NeedsUserGesture => "needs-user-gesture",
            Self::PermissionDenied => "permission-denied",
            Self::Forbidden(_) => "forbidden",
            Self::Invalid(_) => "invalid",
            Self::NotInitialized => "not-initialized",
            Self::NotSubscribed => "not-subscribed",
            Self::Queued => "queued",
            Self::Timeout => "timeout",
            Self::Server(..) => "server",
            Self::Browser(_) => "browser",
        }
    }

    /// A sentence for people.
    pub fn message(&self) -> String {
        match self {
            Self::Unsupported(why) => cat(&["web push is not available here: ", why]),
            Self::NeedsUserGesture => {
                "asking for permission needs a user gesture: call subscribe from a click handler (or use the soft prompt)".into()
            }
            Self::PermissionDenied => "notifications are blocked for this site in the browser settings".into(),
            Self::Forbidden(m) => cat(&["refused: ", m]),
            Self::Invalid(m) => cat(&["invalid: ", m]),
            Self::NotInitialized => "call herald('init', {server, project}) first".into(),
            Self::NotSubscribed => "this browser is not subscribed".into(),
            Self::Queued => "the server could not be reached; the change will be sent when it can".into(),
            Self::Timeout => "the browser's push service did not answer in time".into(),
            Self::Server(status, m) => cat(&["server error ", &decimal(u32::from(*status)), ": ", m]),
            Self::Browser(m) => m.clone(),
        }
    }

    /// The JS value handed to callers: an `Error` with `code`.
    pub fn into_js(self) -> JsValue {
        let error = js_sys::Error::new(&self.message());
        error.set_name("HeraldError");
        let _ = js_sys::Reflect::set(&error, &"code".into(), &self.code().into());
        error.into()
    }
}

impl From<JsValue> for Error {
    fn from(value: JsValue) -> Self {
        let message = value
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .or_else(|| value.as_string())
            .unwrap_or_else(|| "a browser API failed".into());
        Self::Browser(message)
    }
}

/// Results in the SDK.
pub type Result<T> = core::result::Result<T, Error>;
