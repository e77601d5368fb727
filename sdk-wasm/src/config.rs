//! `init` options, and the one configuration every later command uses.

use crate::error::{Code, Result};
use crate::util::{cat, get};
use alloc::string::String;
use wasm_bindgen::JsValue;

/// What the site configured with `herald('init', {...})`.
#[derive(Debug, Clone)]
pub struct Config {
    /// Herald server origin, e.g. `https://push.example.com` (default: the page's origin).
    pub server: String,
    /// Project id.
    pub project: String,
    /// Service worker URL (default `/herald-sw.js`).
    pub service_worker: String,
    /// Service worker scope (default: the worker's folder).
    pub scope: Option<String>,
    /// The site's endpoint that signs uids for the logged-in user.
    pub auth_endpoint: Option<String>,
    /// Headers sent to `auth_endpoint` (e.g. a CSRF token), as JSON text
    /// (the configuration lives in a static, and JS values cannot).
    pub auth_headers: Option<String>,
    /// How long `pushManager.subscribe()` may take.
    pub subscribe_timeout_ms: i32,
    /// The version of the consent text shown (`disclosureVersion`), sent
    /// with every consent change.
    pub disclosure_version: Option<String>,
}

fn string(opts: &JsValue, key: &str) -> Option<String> {
    get(opts, key).as_string().filter(|s| !s.is_empty())
}

impl Config {
    /// Reads the options object.
    pub fn parse(opts: &JsValue) -> Result<Self> {
        let project = string(opts, "project").ok_or(Code::NotInitialized)?;
        let mut server = string(opts, "server")
            .or_else(|| get(&get(&crate::util::global(), "location"), "origin").as_string())
            .unwrap_or_default();
        while server.ends_with('/') {
            server.pop();
        }
        let timeout = get(opts, "subscribeTimeoutMs").as_f64().unwrap_or(15_000.0);
        Ok(Self {
            server,
            project,
            service_worker: string(opts, "serviceWorker").unwrap_or_else(|| "/herald-sw.js".into()),
            scope: string(opts, "scope"),
            auth_endpoint: string(opts, "authEndpoint"),
            auth_headers: get(opts, "authHeaders")
                .is_object()
                .then(|| crate::util::json(&get(opts, "authHeaders"))),
            subscribe_timeout_ms: timeout.clamp(1.0, 600_000.0) as i32,
            disclosure_version: string(opts, "disclosureVersion"),
        })
    }

    /// `{server}/api/v1/projects/{project}{path}`.
    pub fn url(&self, path: &str) -> String {
        cat(&[&self.server, "/api/v1/projects/", &self.project, path])
    }
}

/// The configuration `init` set. It is leaked on purpose: `init` runs once
/// per page (a few hundred bytes each time it runs again), and a `&'static`
/// saves a clone and its drop in every operation.
static CONFIG: spin::Mutex<Option<&'static Config>> = spin::Mutex::new(None);

/// Makes `config` the one every later command uses.
pub fn configure(config: Config) -> &'static Config {
    let config: &'static Config = alloc::boxed::Box::leak(alloc::boxed::Box::new(config));
    *CONFIG.lock() = Some(config);
    config
}

/// The configuration set by `init`.
pub fn config() -> Result<&'static Config> {
    CONFIG.lock().ok_or(Code::NotInitialized.into())
}
