//! `push-peer`: a push service (like FCM or Mozilla autopush) on 127.0.0.1 for tests
//! and benchmarks. It hands out subscriptions, verifies each Web Push request
//! (RFC 8030 headers, RFC 8292 VAPID, RFC 8291 `aes128gcm` body), decrypts it with
//! the subscriber's private key, records it, and answers as the test asked ([`Mode`]).
//!
//! ```no_run
//! # async fn demo() {
//! let peer = push_peer::PushPeer::start().await;
//! let sub = peer.new_subscription();
//! // ... give `sub.endpoint`, `sub.p256dh` and `sub.auth` to the server under test ...
//! let got = peer.wait_for(1, std::time::Duration::from_secs(5)).await;
//! assert_eq!(got.len(), 1);
//! assert!(peer.rejections().is_empty());
//! # }
//! ```
//!
//! It is also a push service a real Firefox can use: Mozilla's WebPush WebSocket
//! protocol on `GET /` ([`PushPeer::ws_url`]; set Firefox's `dom.push.serverURL` to it).
//! Browser subscriptions get endpoints `{origin}/wpush/{token}`; the peer checks each
//! request to them like `/push/{id}` (without decrypting: the browser holds the keys)
//! and forwards the body over the browser's socket ([`PushPeer::forwarded`],
//! [`PushPeer::browser_endpoints`], [`PushPeer::reset_uaid`]). A test written in
//! another language can drive the same through the HTTP routes under `/_control/`
//! (see the `push-peer` binary).

pub mod b64;
mod browser;
mod control;
pub mod ece;
mod keys;
mod server;
#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_browser;
pub mod vapid;

pub use browser::{BrowserEndpoint, Forwarded};

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::keys::KeyPair;

/// How the peer runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// 1 = verify and decrypt every request; N = only every Nth request overall
    /// (the first, then N+1, 2N+1, ...), the others are only counted and answered
    /// per mode, with an empty plaintext and a `Null` payload (for benchmarks).
    /// 0 is treated as 1.
    pub verify_every: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options { verify_every: 1 }
    }
}

/// A browser-side subscription created by the peer. Keys are base64url without
/// padding, as `PushSubscription.toJSON()` gives them.
#[derive(Clone, Debug)]
pub struct PeerSubscription {
    /// The id in the endpoint path, `/push/{id}`.
    pub id: String,
    /// `{origin}/push/{id}`.
    pub endpoint: String,
    /// The subscriber's uncompressed P-256 public key.
    pub p256dh: String,
    /// The 16-byte authentication secret.
    pub auth: String,
}

impl PeerSubscription {
    /// The subscription as `PushSubscription.toJSON()` gives it:
    /// `{"endpoint": ..., "expirationTime": null, "keys": {"p256dh": ..., "auth": ...}}`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "endpoint": self.endpoint,
            "expirationTime": null,
            "keys": { "p256dh": self.p256dh, "auth": self.auth },
        })
    }
}

/// How the peer answers requests for one subscription.
#[derive(Clone, Debug, Default)]
pub enum Mode {
    /// 201 Created, with a `Location` header.
    #[default]
    Accept,
    /// Answer this status (400, 404, 410, 413, 500, 502...) with a small text body.
    Status(u16),
    /// Answer `status` (429, 503...) with `Retry-After: value` (seconds or HTTP-date).
    RetryAfter { status: u16, value: String },
    /// Wait, then 201.
    Delay(Duration),
    /// Never answer (until the client gives up).
    Hang,
    /// Answer `status` for the first `times` requests (counted from `set_mode`), then 201.
    FailThenAccept { times: usize, status: u16 },
}

/// A message the peer accepted (answered 201).
#[derive(Clone, Debug)]
pub struct Received {
    /// The subscription id, or the token of a browser endpoint (`/wpush/{token}`).
    pub subscription: String,
    /// The decrypted payload (empty if this request was not verified, and for
    /// browser endpoints, whose keys only the browser has).
    pub plaintext: Vec<u8>,
    /// `plaintext` parsed as JSON; `Value::Null` if not JSON or not verified.
    pub payload: serde_json::Value,
    /// The `TTL` header.
    pub ttl: Option<u64>,
    /// The `Urgency` header.
    pub urgency: Option<String>,
    /// The `Topic` header.
    pub topic: Option<String>,
    /// VAPID `sub` claim (empty if not verified).
    pub vapid_sub: String,
    /// VAPID `aud` claim (empty if not verified).
    pub vapid_aud: String,
    /// VAPID `exp` claim (0 if not verified).
    pub vapid_exp: i64,
    /// When the request arrived.
    pub at: Instant,
}

/// The peer's private view of a subscription.
#[derive(Clone)]
pub(crate) struct SubscriptionKeys {
    pub(crate) keys: KeyPair,
    pub(crate) auth: [u8; 16],
}

/// A subscription's mode and how many failures `FailThenAccept` has served so far.
#[derive(Default)]
pub(crate) struct ModeState {
    pub(crate) mode: Mode,
    pub(crate) failures_served: usize,
}

/// Everything the peer records, behind one lock.
#[derive(Default)]
pub(crate) struct State {
    pub(crate) subscriptions: HashMap<String, SubscriptionKeys>,
    pub(crate) modes: HashMap<String, ModeState>,
    pub(crate) received: Vec<Received>,
    pub(crate) attempts: HashMap<String, Vec<Instant>>,
    pub(crate) rejections: Vec<String>,
    pub(crate) expected_vapid_key: Option<String>,
    pub(crate) browser: browser::BrowserState,
}

/// Shared between the [`PushPeer`] handles and the HTTP handler.
pub(crate) struct Inner {
    pub(crate) origin: String,
    pub(crate) options: Options,
    pub(crate) state: Mutex<State>,
    pub(crate) total_requests: AtomicUsize,
    pub(crate) accepted: Notify,
    pub(crate) accepted_seq: AtomicUsize,
    /// Woken on every browser-side change: hello, register, forward, ack...
    pub(crate) browser_events: Notify,
}

impl Inner {
    /// A new subscription on this peer (see [`PushPeer::new_subscription`]).
    pub(crate) fn new_subscription(&self) -> PeerSubscription {
        let id = b64::encode(&keys::random_bytes::<16>());
        let keys = KeyPair::generate();
        let auth = keys::random_bytes::<16>();
        let subscription = PeerSubscription {
            endpoint: format!("{}/push/{id}", self.origin),
            p256dh: b64::encode(&keys.public),
            auth: b64::encode(&auth),
            id: id.clone(),
        };
        self.state()
            .subscriptions
            .insert(id, SubscriptionKeys { keys, auth });
        subscription
    }

    /// The state, even if a panicking thread poisoned the lock (records stay usable).
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn reject(&self, reason: String) {
        self.state().rejections.push(reason);
    }
}

/// Stops the server task when the last [`PushPeer`] handle is dropped.
struct ServerTask(tokio::task::AbortHandle);

impl Drop for ServerTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A running push-service peer on 127.0.0.1. Cheap to clone; the server stops
/// accepting connections when the last clone is dropped.
#[derive(Clone)]
pub struct PushPeer {
    inner: Arc<Inner>,
    _task: Arc<ServerTask>,
}

impl std::fmt::Debug for PushPeer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushPeer")
            .field("origin", &self.inner.origin)
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

impl PushPeer {
    /// Binds 127.0.0.1:0 and serves in a spawned tokio task. Verifies everything.
    pub async fn start() -> PushPeer {
        PushPeer::start_with(Options::default()).await
    }

    /// Binds 127.0.0.1:0 and serves in a spawned tokio task, with options.
    pub async fn start_with(options: Options) -> PushPeer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("push-peer binds a loopback port");
        let port = listener
            .local_addr()
            .expect("a bound listener has a local address")
            .port();
        let inner = Arc::new(Inner {
            origin: format!("http://127.0.0.1:{port}"),
            options,
            state: Mutex::new(State::default()),
            total_requests: AtomicUsize::new(0),
            accepted: Notify::new(),
            accepted_seq: AtomicUsize::new(0),
            browser_events: Notify::new(),
        });
        let app = server::router(Arc::clone(&inner));
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                eprintln!("push-peer: server stopped: {error}");
            }
        });
        PushPeer {
            inner,
            _task: Arc::new(ServerTask(task.abort_handle())),
        }
    }

    /// `http://127.0.0.1:PORT`, also the `aud` the peer expects in VAPID JWTs.
    pub fn origin(&self) -> String {
        self.inner.origin.clone()
    }

    /// The options the peer runs with.
    pub fn options(&self) -> Options {
        self.inner.options.clone()
    }

    /// A new browser-side subscription: a P-256 key pair and a 16-byte auth secret;
    /// endpoint `{origin}/push/{id}` with a random URL-safe id.
    pub fn new_subscription(&self) -> PeerSubscription {
        self.inner.new_subscription()
    }

    /// How to answer requests for `subscription_id` (or a browser endpoint's token)
    /// from now on (default [`Mode::Accept`]). Setting a mode restarts the
    /// `FailThenAccept` count.
    pub fn set_mode(&self, subscription_id: &str, mode: Mode) {
        self.inner.state().modes.insert(
            subscription_id.to_string(),
            ModeState {
                mode,
                failures_served: 0,
            },
        );
    }

    /// From now on, requests whose VAPID `k=` is not this base64url public key are
    /// rejected with 403.
    pub fn expect_vapid_key(&self, key: &str) {
        self.inner.state().expected_vapid_key = Some(key.to_string());
    }

    /// Messages accepted (answered 201), in the order they were accepted.
    pub fn received(&self) -> Vec<Received> {
        self.inner.state().received.clone()
    }

    /// Messages accepted for one subscription.
    pub fn received_for(&self, subscription_id: &str) -> Vec<Received> {
        self.inner
            .state()
            .received
            .iter()
            .filter(|r| r.subscription == subscription_id)
            .cloned()
            .collect()
    }

    /// Every request that arrived for a subscription id (or browser endpoint token),
    /// whatever the answer.
    pub fn attempts_for(&self, subscription_id: &str) -> usize {
        self.inner
            .state()
            .attempts
            .get(subscription_id)
            .map_or(0, Vec::len)
    }

    /// Arrival times of every request for a subscription id.
    pub fn attempt_times_for(&self, subscription_id: &str) -> Vec<Instant> {
        self.inner
            .state()
            .attempts
            .get(subscription_id)
            .cloned()
            .unwrap_or_default()
    }

    /// Waits until at least `n` messages in total were accepted, or `timeout`
    /// passes; returns what was received either way.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.inner.accepted.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let received = self.received();
            if received.len() >= n {
                return received;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.received();
            }
        }
    }

    /// Requests refused because they were wrong (bad or missing VAPID, bad JWT
    /// claims, undecryptable body, missing headers...), each with its reason.
    pub fn rejections(&self) -> Vec<String> {
        self.inner.state().rejections.clone()
    }

    /// Total HTTP requests seen on the push paths (`/push/`, `/wpush/`) and on
    /// unknown paths; the WebSocket and `/_control/` routes are not counted.
    pub fn total_requests(&self) -> usize {
        self.inner.total_requests.load(Ordering::Relaxed)
    }

    /// `ws://127.0.0.1:PORT/`: the WebSocket URL for Firefox's `dom.push.serverURL`.
    pub fn ws_url(&self) -> String {
        browser::ws_url(&self.inner.origin)
    }

    /// Every endpoint a browser registered over the WebSocket, in registration order,
    /// including unregistered ones (`registered: false`).
    pub fn browser_endpoints(&self) -> Vec<BrowserEndpoint> {
        self.inner.state().browser.endpoints()
    }

    /// Every message forwarded to a browser over a WebSocket, in the order sent.
    pub fn forwarded(&self) -> Vec<Forwarded> {
        self.inner.state().browser.forwarded.clone()
    }

    /// Waits until at least `n` messages were forwarded to browsers, or `timeout`
    /// passes; returns what was forwarded either way.
    pub async fn wait_forwarded(&self, n: usize, timeout: Duration) -> Vec<Forwarded> {
        self.wait_browser(timeout, |state| state.forwarded.len() >= n)
            .await;
        self.forwarded()
    }

    /// Waits until at least `n` forwarded messages were acknowledged by the browser,
    /// or `timeout` passes; returns every forwarded message either way.
    pub async fn wait_acked(&self, n: usize, timeout: Duration) -> Vec<Forwarded> {
        self.wait_browser(timeout, |state| {
            state.forwarded.iter().filter(|f| f.acked).count() >= n
        })
        .await;
        self.forwarded()
    }

    /// Waits until at least `n` browsers are connected (completed `hello`), or
    /// `timeout` passes; returns how many are connected.
    pub async fn wait_connected(&self, n: usize, timeout: Duration) -> usize {
        self.wait_browser(timeout, |state| state.connected() >= n)
            .await;
        self.connected_browsers()
    }

    /// Simulates the push service dropping the browsers' registrations: closes every
    /// open WebSocket (close code 1000), forgets every UAID (a later `hello` with an
    /// old UAID gets a new one, so Firefox drops its subscriptions and fires
    /// `pushsubscriptionchange`), and makes every existing browser endpoint answer
    /// 410 Gone. Queued messages are dropped.
    pub fn reset_uaid(&self) {
        self.inner.state().browser.reset();
        self.inner.browser_events.notify_waiters();
    }

    /// Open WebSockets that completed `hello`.
    pub fn connected_browsers(&self) -> usize {
        self.inner.state().browser.connected()
    }

    /// Waits until `done` holds for the browser state or `timeout` passes.
    async fn wait_browser(&self, timeout: Duration, done: impl Fn(&browser::BrowserState) -> bool) {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.inner.browser_events.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if done(&self.inner.state().browser) {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return;
            }
        }
    }
}
