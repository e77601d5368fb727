//! The browser side: Mozilla's WebPush WebSocket protocol (the one Firefox speaks to
//! autopush), so a real Firefox can use the peer as its push service.
//!
//! Firefox connects to `GET /` (subprotocol `push-notification`) and sends JSON text
//! frames: `hello` (gets a UAID), `register` (gets an endpoint `{origin}/wpush/{token}`),
//! `unregister`, `ack`, `nack` and pings (`{}`). An application server's `POST
//! /wpush/{token}` is checked like `POST /push/{id}` except that the body is not
//! decrypted (only the browser has the keys), then forwarded to the browser as a
//! `notification`, or queued until it says `hello` again if it is not connected.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::server::{self, Meta, Refusal, text};
use crate::{Inner, Received, b64, ece, keys, vapid};

/// The WebSocket subprotocol Firefox asks for.
pub const SUBPROTOCOL: &str = "push-notification";

/// The `code` of an `ack` that means the message reached the service worker.
pub const ACK_DELIVERED: u64 = 100;

/// An endpoint a browser registered over the WebSocket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BrowserEndpoint {
    /// The random id in the endpoint path, `/wpush/{token}`; also the key for
    /// [`crate::PushPeer::set_mode`] and [`crate::PushPeer::attempts_for`].
    pub token: String,
    /// The browser's UAID (user agent id) when it registered.
    pub uaid: String,
    /// The `channelID` the browser chose (a UUID).
    pub channel_id: String,
    /// `{origin}/wpush/{token}`, the `pushEndpoint` answered to the browser.
    pub endpoint: String,
    /// The `key` (the application server's VAPID public key) sent with `register`,
    /// as base64url without padding; `None` if the browser sent none.
    pub vapid_key: Option<String>,
    /// False once the browser unregistered it, registered its channel again, or
    /// [`crate::PushPeer::reset_uaid`] dropped it: requests then get 410 Gone.
    pub registered: bool,
}

/// A message forwarded to a browser over its WebSocket.
#[derive(Clone, Debug)]
pub struct Forwarded {
    /// The endpoint's token.
    pub token: String,
    /// The endpoint's `channelID`.
    pub channel_id: String,
    /// The `version` the peer gave the message (unique).
    pub version: String,
    /// Length of the forwarded (still encrypted) body.
    pub body_len: usize,
    /// The browser acknowledged the message (`ack` with this version).
    pub acked: bool,
    /// The `code` of that `ack`: 100 delivered, 101 decryption error, 102 not
    /// delivered. Codes other than 100 are also recorded as rejections.
    pub ack_code: Option<u64>,
    /// The `code` of a `nack` for this version (301 uncaught exception, 302 unhandled
    /// rejection, 303 internal error in the service worker), if one came.
    pub nack_code: Option<u64>,
    /// When the message was written to the socket.
    pub at: Instant,
}

/// An endpoint and the decoded key its registration carried.
struct EndpointRecord {
    public: BrowserEndpoint,
    key: Option<Vec<u8>>,
}

/// A message waiting to be written to a browser's socket.
struct Pending {
    token: String,
    channel_id: String,
    version: String,
    data: String,
    body_len: usize,
    expires: Instant,
}

/// What the peer asks a connection task to do.
enum Command {
    /// Write the UAID's queued messages.
    Flush,
    /// Close the socket (code 1000, with this reason) and end.
    Close(&'static str),
}

/// The connection that completed `hello` for a UAID.
struct Connection {
    id: u64,
    commands: mpsc::UnboundedSender<Command>,
}

/// One UAID: its open connection, if any, and the messages waiting for it.
#[derive(Default)]
struct Uaid {
    connection: Option<Connection>,
    queue: VecDeque<Pending>,
}

/// Everything the browser side records, inside the peer's [`crate::State`].
#[derive(Default)]
pub(crate) struct BrowserState {
    endpoints: Vec<EndpointRecord>,
    by_token: HashMap<String, usize>,
    uaids: HashMap<String, Uaid>,
    /// Every open connection, whether or not it said `hello`.
    open: HashMap<u64, mpsc::UnboundedSender<Command>>,
    pub(crate) forwarded: Vec<Forwarded>,
    next_connection: u64,
}

impl BrowserState {
    /// Every registered endpoint, in registration order.
    pub(crate) fn endpoints(&self) -> Vec<BrowserEndpoint> {
        self.endpoints.iter().map(|r| r.public.clone()).collect()
    }

    /// Open connections that completed `hello`.
    pub(crate) fn connected(&self) -> usize {
        self.uaids
            .values()
            .filter(|u| u.connection.is_some())
            .count()
    }

    /// Closes every connection, forgets every UAID and its queue, and marks every
    /// endpoint unregistered.
    pub(crate) fn reset(&mut self) {
        self.uaids.clear();
        for commands in self.open.values() {
            // A connection task that already ended has nothing to close.
            let _ = commands.send(Command::Close("push-peer: UAID reset"));
        }
        for record in &mut self.endpoints {
            record.public.registered = false;
        }
    }

    fn endpoint(&self, token: &str) -> Option<&EndpointRecord> {
        self.by_token
            .get(token)
            .and_then(|&i| self.endpoints.get(i))
    }

    /// Whether connection `id` is the one that holds `uaid` (a newer connection
    /// or a reset may have taken it away).
    fn is_current(&self, uaid: &str, id: u64) -> bool {
        self.uaids
            .get(uaid)
            .and_then(|u| u.connection.as_ref())
            .is_some_and(|c| c.id == id)
    }

    /// The next message to write for `uaid`, skipping expired ones and those of
    /// endpoints that are no longer registered.
    fn next_pending(&mut self, uaid: &str) -> Option<Pending> {
        let now = Instant::now();
        loop {
            let pending = self.uaids.get_mut(uaid)?.queue.pop_front()?;
            let registered = self
                .endpoint(&pending.token)
                .is_some_and(|r| r.public.registered);
            if registered && pending.expires >= now {
                return Some(pending);
            }
        }
    }

    /// Puts back a message whose write failed, to be sent on the next `hello`.
    fn requeue(&mut self, uaid: &str, pending: Pending) {
        if let Some(entry) = self.uaids.get_mut(uaid) {
            entry.queue.push_front(pending);
        }
    }

    /// Endpoint indexes of a UAID's channel (channel ids compare case-insensitively,
    /// as Firefox does).
    fn channel_endpoints(&self, uaid: &str, channel_id: &str) -> Vec<usize> {
        self.endpoints
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.public.registered
                    && r.public.uaid == uaid
                    && r.public.channel_id.eq_ignore_ascii_case(channel_id)
            })
            .map(|(i, _)| i)
            .collect()
    }
}

/// `ws://HOST:PORT/` for an `http://HOST:PORT` origin.
pub(crate) fn ws_url(origin: &str) -> String {
    let rest = origin.strip_prefix("http://").unwrap_or(origin);
    format!("ws://{rest}/")
}

/// Lowercase hex of `N` random bytes.
fn random_hex<const N: usize>() -> String {
    keys::random_bytes::<N>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `GET /`: upgrades to the WebPush WebSocket protocol.
pub(crate) async fn websocket(
    State(inner): State<Arc<Inner>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    match upgrade {
        Ok(upgrade) => upgrade
            .protocols([SUBPROTOCOL])
            .on_upgrade(move |socket| connection(inner, socket)),
        Err(rejection) => {
            // A plain GET / is an unknown resource, as it was before `/` served the
            // WebSocket: counted, and answered 404.
            inner.total_requests.fetch_add(1, Ordering::Relaxed);
            text(
                StatusCode::NOT_FOUND,
                &format!(
                    "push-peer: no such resource (GET / is the WebPush WebSocket: {rejection})"
                ),
            )
        }
    }
}

/// What to do after one message from the browser.
enum Next {
    Nothing,
    Reply(Value),
    /// Reply, then write the queued messages (after `hello`).
    ReplyThenFlush(Value),
    /// Close with a protocol-error code: the browser broke the protocol.
    Close,
}

/// One WebSocket connection.
struct Session {
    inner: Arc<Inner>,
    id: u64,
    commands: mpsc::UnboundedSender<Command>,
    uaid: Option<String>,
}

/// Serves one browser connection until either side closes it.
async fn connection(inner: Arc<Inner>, mut socket: WebSocket) {
    let (commands, mut command_rx) = mpsc::unbounded_channel();
    let id = {
        let mut state = inner.state();
        state.browser.next_connection += 1;
        let id = state.browser.next_connection;
        state.browser.open.insert(id, commands.clone());
        id
    };
    let mut session = Session {
        inner,
        id,
        commands,
        uaid: None,
    };
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let Some(Ok(message)) = incoming else { break };
                let next = match message {
                    Message::Text(text) => session.handle(text.as_str()),
                    Message::Close(_) => break,
                    // Pings are answered by the WebSocket layer; binary frames are
                    // not part of the protocol.
                    Message::Binary(_) | Message::Ping(_) | Message::Pong(_) => Next::Nothing,
                };
                let ok = match next {
                    Next::Nothing => true,
                    Next::Reply(reply) => send(&mut socket, &reply).await,
                    Next::ReplyThenFlush(reply) => {
                        send(&mut socket, &reply).await && session.flush(&mut socket).await
                    }
                    Next::Close => {
                        close(&mut socket, close_code::PROTOCOL, "protocol error").await;
                        false
                    }
                };
                if !ok {
                    break;
                }
            }
            command = command_rx.recv() => match command {
                Some(Command::Flush) => {
                    if !session.flush(&mut socket).await {
                        break;
                    }
                }
                Some(Command::Close(reason)) => {
                    close(&mut socket, close_code::NORMAL, reason).await;
                    break;
                }
                // Never: the session holds a sender itself.
                None => break,
            },
        }
    }
    session.detach();
}

/// Writes one JSON text frame; false if the socket is gone.
async fn send(socket: &mut WebSocket, message: &Value) -> bool {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .is_ok()
}

async fn close(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    // The connection ends either way; a failed close frame changes nothing.
    let _ = socket.send(Message::Close(Some(frame))).await;
}

/// The first characters of a message, for rejection reasons.
fn excerpt(text: &str) -> String {
    const MAX: usize = 120;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("{}...", &text[..end]),
        None => text.to_string(),
    }
}

impl Session {
    fn notify(&self) {
        self.inner.browser_events.notify_waiters();
    }

    /// Handles one text frame.
    fn handle(&mut self, text: &str) -> Next {
        let Ok(message) = serde_json::from_str::<Value>(text) else {
            self.inner.reject(format!(
                "ws: browser sent a frame that is not JSON: {}",
                excerpt(text)
            ));
            return Next::Nothing;
        };
        let kind = message.get("messageType").and_then(Value::as_str);
        match (kind, &self.uaid) {
            // `{}` (or any message without a type) is a ping; so is "ping".
            (None | Some("ping"), _) => Next::Reply(json!({})),
            (Some("hello"), None) => self.hello(&message),
            (Some("hello"), Some(_)) => {
                self.inner
                    .reject("ws: browser sent a second hello on one connection".into());
                Next::Close
            }
            (Some(other), None) => {
                self.inner
                    .reject(format!("ws: browser sent {other:?} before hello"));
                Next::Close
            }
            (Some("register"), Some(uaid)) => {
                let uaid = uaid.clone();
                self.register(&uaid, &message)
            }
            (Some("unregister"), Some(uaid)) => {
                let uaid = uaid.clone();
                self.unregister(&uaid, &message)
            }
            (Some("ack"), Some(_)) => {
                self.ack(&message);
                Next::Nothing
            }
            (Some("nack"), Some(_)) => {
                self.nack(&message);
                Next::Nothing
            }
            // broadcast_subscribe and anything newer: nothing to do here.
            (Some(_), Some(_)) => Next::Nothing,
        }
    }

    /// `hello`: keeps a UAID the peer knows, gives a new one otherwise (empty,
    /// unknown, or dropped by `reset_uaid`). A newer connection for a UAID takes
    /// it over from an older one, which is closed.
    fn hello(&mut self, message: &Value) -> Next {
        let requested = message
            .get("uaid")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let uaid = {
            let mut state = self.inner.state();
            let browser = &mut state.browser;
            let uaid = if !requested.is_empty() && browser.uaids.contains_key(requested) {
                requested.to_string()
            } else {
                random_hex::<16>()
            };
            let entry = browser.uaids.entry(uaid.clone()).or_default();
            let connection = Connection {
                id: self.id,
                commands: self.commands.clone(),
            };
            if let Some(previous) = entry.connection.replace(connection) {
                // The older connection may have ended already.
                let _ = previous.commands.send(Command::Close(
                    "push-peer: a newer connection took this UAID",
                ));
            }
            uaid
        };
        self.uaid = Some(uaid.clone());
        self.notify();
        Next::ReplyThenFlush(json!({
            "messageType": "hello",
            "uaid": uaid,
            "status": 200,
            "use_webpush": true,
            "broadcasts": {},
        }))
    }

    /// `register`: a new endpoint for (UAID, channelID), remembering the `key`.
    fn register(&mut self, uaid: &str, message: &Value) -> Next {
        let channel = message.get("channelID").cloned().unwrap_or(Value::Null);
        let refuse = |inner: &Inner, reason: String| {
            inner.reject(format!("ws: register refused: {reason}"));
            Next::Reply(json!({
                "messageType": "register",
                "channelID": channel,
                "status": 400,
                "error": reason,
            }))
        };
        let channel_id = match channel.as_str() {
            Some(id) if !id.is_empty() && id.len() <= 128 => id.to_string(),
            _ => {
                return refuse(
                    &self.inner,
                    format!("channelID {channel} is not a short string"),
                );
            }
        };
        let key = match message.get("key") {
            None | Some(Value::Null) => None,
            Some(Value::String(key)) => match decode_key(key) {
                Ok(bytes) => Some(bytes),
                Err(reason) => return refuse(&self.inner, reason),
            },
            Some(other) => return refuse(&self.inner, format!("key {other} is not a string")),
        };

        let token = b64::encode(&keys::random_bytes::<24>());
        let endpoint = format!("{}/wpush/{token}", self.inner.origin);
        {
            let mut state = self.inner.state();
            let browser = &mut state.browser;
            if !browser.is_current(uaid, self.id) {
                // reset_uaid (or a newer connection) took the UAID away meanwhile.
                return Next::Nothing;
            }
            // Registering a channel again replaces its endpoint.
            for i in browser.channel_endpoints(uaid, &channel_id) {
                browser.endpoints[i].public.registered = false;
            }
            browser
                .by_token
                .insert(token.clone(), browser.endpoints.len());
            browser.endpoints.push(EndpointRecord {
                public: BrowserEndpoint {
                    token,
                    uaid: uaid.to_string(),
                    channel_id: channel_id.clone(),
                    endpoint: endpoint.clone(),
                    vapid_key: key.as_deref().map(b64::encode),
                    registered: true,
                },
                key,
            });
        }
        self.notify();
        Next::Reply(json!({
            "messageType": "register",
            "channelID": channel_id,
            "status": 200,
            "pushEndpoint": endpoint,
        }))
    }

    /// `unregister`: the channel's endpoints answer 410 from now on; their queued
    /// messages are dropped. Answers 200 even for an unknown channel, as autopush does.
    fn unregister(&mut self, uaid: &str, message: &Value) -> Next {
        let channel = message.get("channelID").cloned().unwrap_or(Value::Null);
        if let Some(channel_id) = channel.as_str() {
            let mut state = self.inner.state();
            let browser = &mut state.browser;
            let mut tokens = Vec::new();
            for i in browser.channel_endpoints(uaid, channel_id) {
                browser.endpoints[i].public.registered = false;
                tokens.push(browser.endpoints[i].public.token.clone());
            }
            if let Some(entry) = browser.uaids.get_mut(uaid) {
                entry.queue.retain(|p| !tokens.contains(&p.token));
            }
        }
        self.notify();
        Next::Reply(json!({
            "messageType": "unregister",
            "channelID": channel,
            "status": 200,
        }))
    }

    /// `ack`: marks each acknowledged version; codes other than 100 are rejections
    /// (the browser could not decrypt or deliver the message).
    fn ack(&mut self, message: &Value) {
        let updates = message
            .get("updates")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut problems = Vec::new();
        {
            let mut state = self.inner.state();
            for update in &updates {
                let Some(version) = update.get("version").and_then(Value::as_str) else {
                    continue;
                };
                let code = update.get("code").and_then(Value::as_u64);
                for forwarded in state
                    .browser
                    .forwarded
                    .iter_mut()
                    .filter(|f| f.version == version)
                {
                    forwarded.acked = true;
                    forwarded.ack_code = code;
                    if let Some(code) = code.filter(|&c| c != ACK_DELIVERED) {
                        problems.push(format!(
                            "ws: browser acked message {version} for /wpush/{} with code {code} ({})",
                            forwarded.token,
                            ack_meaning(code)
                        ));
                    }
                }
            }
            state.rejections.extend(problems);
        }
        self.notify();
    }

    /// `nack`: the service worker failed to handle a message; recorded on it.
    fn nack(&mut self, message: &Value) {
        let Some(version) = message.get("version").and_then(Value::as_str) else {
            return;
        };
        let code = message.get("code").and_then(Value::as_u64).or(Some(0));
        {
            let mut state = self.inner.state();
            for forwarded in state
                .browser
                .forwarded
                .iter_mut()
                .filter(|f| f.version == version)
            {
                forwarded.nack_code = code;
            }
        }
        self.notify();
    }

    /// Writes the UAID's queued messages; false if the socket failed (the message
    /// being written is queued again).
    async fn flush(&self, socket: &mut WebSocket) -> bool {
        let Some(uaid) = &self.uaid else {
            return true;
        };
        loop {
            let pending = {
                let mut state = self.inner.state();
                if !state.browser.is_current(uaid, self.id) {
                    return true;
                }
                state.browser.next_pending(uaid)
            };
            let Some(pending) = pending else {
                return true;
            };
            let notification = json!({
                "messageType": "notification",
                "channelID": pending.channel_id,
                "version": pending.version,
                "data": pending.data,
                "headers": { "encoding": "aes128gcm" },
            });
            if !send(socket, &notification).await {
                self.inner.state().browser.requeue(uaid, pending);
                return false;
            }
            self.inner.state().browser.forwarded.push(Forwarded {
                token: pending.token,
                channel_id: pending.channel_id,
                version: pending.version,
                body_len: pending.body_len,
                acked: false,
                ack_code: None,
                nack_code: None,
                at: Instant::now(),
            });
            self.notify();
        }
    }

    /// The connection ended: it no longer holds its UAID.
    fn detach(&self) {
        {
            let mut state = self.inner.state();
            state.browser.open.remove(&self.id);
            if let Some(uaid) = &self.uaid
                && let Some(entry) = state.browser.uaids.get_mut(uaid)
                && entry.connection.as_ref().is_some_and(|c| c.id == self.id)
            {
                entry.connection = None;
            }
        }
        self.notify();
    }
}

/// What an `ack` code means (Firefox's `kACK_STATUS_TO_CODE`).
fn ack_meaning(code: u64) -> &'static str {
    match code {
        100 => "delivered",
        101 => "decryption error",
        102 => "not delivered",
        _ => "unknown code",
    }
}

/// A `register` key: base64url (Firefox pads it) of an uncompressed P-256 point.
fn decode_key(key: &str) -> Result<Vec<u8>, String> {
    let bytes =
        b64::decode(key.trim_end_matches('=')).map_err(|e| format!("key {key:?} is {e}"))?;
    ece::public_key(&bytes, "key").map_err(|e| format!("{e}: {key:?}"))?;
    Ok(bytes)
}

/// `POST /wpush/{token}`: checks the request like `/push/{id}` (no decryption), then
/// answers per the token's mode; accepting forwards or queues the body.
pub(crate) async fn push(
    State(inner): State<Arc<Inner>>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let at = Instant::now();
    inner.total_requests.fetch_add(1, Ordering::Relaxed);
    let endpoint = {
        let mut state = inner.state();
        state.attempts.entry(token.clone()).or_default().push(at);
        state
            .browser
            .endpoint(&token)
            .map(|r| (r.public.registered, r.key.clone()))
    };
    let Some((registered, key)) = endpoint else {
        return text(StatusCode::NOT_FOUND, "push-peer: no such subscription");
    };
    if !registered {
        return text(
            StatusCode::GONE,
            "push-peer: the browser dropped this subscription",
        );
    }
    let (meta, claims) = match check(&inner, key.as_deref(), &headers, &body) {
        Ok(checked) => checked,
        Err(Refusal(status, reason)) => {
            inner.reject(format!("POST /wpush/{token}: {} {reason}", status.as_u16()));
            return text(status, &format!("push-peer: {reason}"));
        }
    };
    let mode_key = token.clone();
    server::answer_per_mode(&inner, &mode_key, || {
        forward(&inner, token, at, meta, claims, &body)
    })
    .await
}

/// Headers, VAPID, the registration's key (403), size (413) and the body's
/// `aes128gcm` shape (400).
fn check(
    inner: &Inner,
    key: Option<&[u8]>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Meta, vapid::Claims), Refusal> {
    let (meta, claims) = server::check_headers(inner, headers)?;
    if let Some(key) = key
        && key != claims.key.as_slice()
    {
        return Err(Refusal(
            StatusCode::FORBIDDEN,
            format!(
                "VAPID: k={} is not the applicationServerKey {} the browser subscribed with",
                claims.k,
                b64::encode(key)
            ),
        ));
    }
    server::check_size(body)?;
    ece::check_shape(body)
        .map_err(|e| Refusal(StatusCode::BAD_REQUEST, format!("aes128gcm body: {e}")))?;
    Ok((meta, claims))
}

/// Accepts a message: records it, queues it for the browser (unless its TTL is 0
/// and the browser is not connected) and wakes the browser's connection. 201.
fn forward(
    inner: &Inner,
    token: String,
    at: Instant,
    meta: Meta,
    claims: vapid::Claims,
    body: &[u8],
) -> Response {
    let version = random_hex::<16>();
    let location = format!("{}/message/{token}/{version}", inner.origin);
    let ttl = meta.ttl.unwrap_or(0);
    {
        let mut state = inner.state();
        let target = state
            .browser
            .endpoint(&token)
            .filter(|r| r.public.registered)
            .map(|r| (r.public.uaid.clone(), r.public.channel_id.clone()));
        if let Some((uaid, channel_id)) = target
            && let Some(entry) = state.browser.uaids.get_mut(&uaid)
        {
            let connected = entry.connection.is_some();
            if ttl > 0 || connected {
                // TTL 0 means "now or never": a short grace covers the write. A
                // year is as long as any test keeps a message.
                let keep = Duration::from_secs(ttl.clamp(1, 365 * 24 * 3600));
                entry.queue.push_back(Pending {
                    token: token.clone(),
                    channel_id,
                    version,
                    data: b64::encode(body),
                    body_len: body.len(),
                    expires: at + keep,
                });
            }
            if let Some(connection) = &entry.connection {
                // If the task ended, the message stays queued for the next hello.
                let _ = connection.commands.send(Command::Flush);
            }
        }
        state.received.push(Received {
            subscription: token,
            plaintext: Vec::new(),
            payload: Value::Null,
            ttl: meta.ttl,
            urgency: meta.urgency,
            topic: meta.topic,
            vapid_sub: claims.sub,
            vapid_aud: claims.aud,
            vapid_exp: claims.exp,
            at,
        });
    }
    inner.accepted.notify_waiters();
    server::created(&location)
}
