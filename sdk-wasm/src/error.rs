//! The SDK's errors: a code sites branch on and a message for people,
//! turned into a JS `Error` with `code` (and `status`, for the server's
//! answers) once, at the wasm-bindgen boundary.
//!
//! The message stays a JS string: most come from the browser or the server
//! and go back to the page, so copying them through Rust would only cost.

use js_sys::Reflect;
use wasm_bindgen::JsValue;

/// Why an SDK call failed: `error.code` in JS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    /// This browser cannot do web push here.
    Unsupported,
    /// Permission is `default` and the call was not in a user gesture.
    NeedsUserGesture,
    /// The user blocked notifications.
    PermissionDenied,
    /// The server or the site's auth endpoint refused (bad signature...).
    Forbidden,
    /// The request was invalid (a bad uid, tag...).
    Invalid,
    /// `init` was not called (or lacked `project`).
    NotInitialized,
    /// There is no subscription to act on.
    NotSubscribed,
    /// The server could not be reached; the change is queued and will be retried.
    Queued,
    /// The browser's push service did not answer in time.
    Timeout,
    /// The server answered with an error.
    Server,
    /// A browser API failed.
    Browser,
}

impl Code {
    /// The stable code sites branch on.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unsupported => "unsupported",
            Self::NeedsUserGesture => "needs-user-gesture",
            Self::PermissionDenied => "permission-denied",
            Self::Forbidden => "forbidden",
            Self::Invalid => "invalid",
            Self::NotInitialized => "not-initialized",
            Self::NotSubscribed => "not-subscribed",
            Self::Queued => "queued",
            Self::Timeout => "timeout",
            Self::Server => "server",
            Self::Browser => "browser",
        }
    }

    /// The message of the codes that need no other.
    fn message(self) -> &'static str {
        match self {
            Self::NeedsUserGesture => {
                "asking for permission needs a user gesture: call subscribe from a click handler (or use the soft prompt)"
            }
            Self::PermissionDenied => {
                "notifications are blocked for this site in the browser settings"
            }
            Self::NotInitialized => "call herald('init', {server, project}) first",
            Self::NotSubscribed => "this browser is not subscribed",
            Self::Queued => "the server could not be reached; the change will be sent when it can",
            Self::Timeout => "the browser's push service did not answer in time",
            _ => "a browser API failed",
        }
    }
}

/// An SDK failure.
#[derive(Debug, Clone)]
pub struct Error {
    /// What kind.
    pub code: Code,
    /// For people (a JS string).
    pub message: JsValue,
    /// The HTTP status, for answers from the server or the auth endpoint (else 0).
    pub status: u16,
}

impl From<Code> for Error {
    fn from(code: Code) -> Self {
        Self::new(code, code.message())
    }
}

impl Error {
    /// An error with its own message.
    pub fn new(code: Code, message: impl Into<JsValue>) -> Self {
        Self {
            code,
            message: message.into(),
            status: 0,
        }
    }

    /// The JS value handed to callers: an `Error` with `code` (and `status`).
    pub fn into_js(self) -> JsValue {
        let error = js_sys::Error::new("");
        let set = |k: &str, v: JsValue| {
            let _ = Reflect::set(&error, &k.into(), &v);
        };
        set("message", self.message);
        set("name", "HeraldError".into());
        set("code", self.code.as_str().into());
        if self.status != 0 {
            set("status", self.status.into());
        }
        error.into()
    }
}

impl From<JsValue> for Error {
    fn from(value: JsValue) -> Self {
        // A DOMException or Error has a message; a rejection may be a bare string.
        let message = Reflect::get(&value, &"message".into()).unwrap_or(JsValue::UNDEFINED);
        let message = if message.is_string() {
            message
        } else if value.is_string() {
            value
        } else {
            Code::Browser.message().into()
        };
        Self::new(Code::Browser, message)
    }
}

/// Results in the SDK.
pub type Result<T> = core::result::Result<T, Error>;
