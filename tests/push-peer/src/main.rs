//! `push-peer` binary, for end-to-end tests in other languages and for manual QA.
//!
//! Starts a peer on 127.0.0.1 and prints ONE JSON line on stdout (then flushes):
//! `{"origin": "http://127.0.0.1:PORT", "ws": "ws://127.0.0.1:PORT/", "control":
//! "http://127.0.0.1:PORT/_control/", "subscription": {...}}`, where `ws` is the
//! value for Firefox's `dom.push.serverURL` and `subscription` is one peer-side
//! subscription (as `PushSubscription.toJSON()`). It then serves until stdin closes,
//! SIGTERM or Ctrl-C (with `--ignore-stdin`, only the signals), logging to stderr
//! every accepted request, registration, forwarded message, ack and rejection. The
//! routes under `/_control/` (see the library's `control` module) drive it.

use std::io::{Read, Write};
use std::time::Duration;

use push_peer::PushPeer;
use serde_json::json;

const USAGE: &str = "usage: push-peer [--ignore-stdin]\n\
    Prints one JSON line {\"origin\", \"ws\", \"control\", \"subscription\"} on stdout, then\n\
    serves until stdin closes (unless --ignore-stdin), SIGTERM or Ctrl-C; logs to stderr.";

#[tokio::main]
async fn main() {
    let mut ignore_stdin = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--ignore-stdin" => ignore_stdin = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            other => {
                eprintln!("push-peer: unknown argument {other:?}\n{USAGE}");
                std::process::exit(2);
            }
        }
    }

    let stop = Stop::install();
    let peer = PushPeer::start().await;
    let line = json!({
        "origin": peer.origin(),
        "ws": peer.ws_url(),
        "control": format!("{}/_control/", peer.origin()),
        "subscription": peer.new_subscription().to_json(),
    });
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = writeln!(stdout, "{line}").and_then(|()| stdout.flush()) {
        eprintln!("push-peer: cannot write to stdout: {error}");
        std::process::exit(1);
    }
    drop(stdout);
    eprintln!(
        "push-peer: listening on {} (WebSocket {}, control {}/_control/)",
        peer.origin(),
        peer.ws_url(),
        peer.origin()
    );

    let stop = stop.wait(ignore_stdin);
    tokio::pin!(stop);
    let mut log = Log::default();
    loop {
        tokio::select! {
            reason = &mut stop => {
                log.catch_up(&peer);
                eprintln!(
                    "push-peer: stopping ({reason}): {} requests, {} accepted, {} forwarded, {} rejected",
                    peer.total_requests(),
                    log.received,
                    log.forwarded.len(),
                    log.rejections,
                );
                break;
            }
            () = tokio::time::sleep(Duration::from_millis(100)) => log.catch_up(&peer),
        }
    }
}

/// The ways the peer is told to stop. Signal handlers are installed before the
/// JSON line is printed, so a signal sent right after reading it is not missed.
struct Stop {
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
}

impl Stop {
    fn install() -> Stop {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Stop {
                terminate: signal(SignalKind::terminate()).ok(),
                interrupt: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        {
            Stop {}
        }
    }

    /// Resolves when the peer should stop, with the reason.
    async fn wait(self, ignore_stdin: bool) -> &'static str {
        tokio::select! {
            () = stdin_closed(ignore_stdin) => "stdin closed",
            reason = self.signal() => reason,
        }
    }

    #[cfg(unix)]
    async fn signal(self) -> &'static str {
        async fn next(signal: Option<tokio::signal::unix::Signal>) {
            match signal {
                Some(mut signal) => {
                    signal.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        tokio::select! {
            () = next(self.terminate) => "SIGTERM",
            () = next(self.interrupt) => "Ctrl-C",
        }
    }

    #[cfg(not(unix))]
    async fn signal(self) -> &'static str {
        match tokio::signal::ctrl_c().await {
            Ok(()) => "Ctrl-C",
            Err(_) => std::future::pending().await,
        }
    }
}

/// Resolves when stdin reaches its end (never with `ignore_stdin`).
async fn stdin_closed(ignore_stdin: bool) {
    if ignore_stdin {
        return std::future::pending().await;
    }
    let (closed_tx, closed_rx) = tokio::sync::oneshot::channel::<()>();
    // A plain thread, not tokio's stdin: a blocked read must not hold up exit.
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buffer = [0u8; 1024];
        loop {
            match stdin.read(&mut buffer) {
                Ok(0) => break,
                Ok(_) => {}
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        // main may be gone already.
        let _ = closed_tx.send(());
    });
    // An error means the thread ended without sending: stdin is gone too.
    let _ = closed_rx.await;
}

/// What has been logged so far.
#[derive(Default)]
struct Log {
    received: usize,
    /// Per forwarded message: (acked, ack code, nack code) as last logged.
    forwarded: Vec<(bool, Option<u64>, Option<u64>)>,
    /// Per browser endpoint: registered, as last logged.
    endpoints: Vec<bool>,
    rejections: usize,
    connected: usize,
}

impl Log {
    /// Logs everything that happened since the last call, to stderr.
    fn catch_up(&mut self, peer: &PushPeer) {
        let connected = peer.connected_browsers();
        if connected != self.connected {
            eprintln!("push-peer: browsers connected: {connected}");
            self.connected = connected;
        }

        let endpoints = peer.browser_endpoints();
        for (i, endpoint) in endpoints.iter().enumerate() {
            match self.endpoints.get_mut(i) {
                None => {
                    eprintln!(
                        "push-peer: browser {} registered channel {}: {} (key {})",
                        endpoint.uaid,
                        endpoint.channel_id,
                        endpoint.endpoint,
                        endpoint.vapid_key.as_deref().unwrap_or("none"),
                    );
                    self.endpoints.push(true);
                    if !endpoint.registered {
                        eprintln!("push-peer: endpoint {} dropped", endpoint.endpoint);
                        self.endpoints[i] = false;
                    }
                }
                Some(registered) if *registered && !endpoint.registered => {
                    eprintln!("push-peer: endpoint {} dropped", endpoint.endpoint);
                    *registered = false;
                }
                Some(_) => {}
            }
        }

        let received = peer.received();
        for message in received.iter().skip(self.received) {
            eprintln!(
                "push-peer: accepted for {}: ttl={:?} urgency={:?} topic={:?} sub={} payload={}",
                message.subscription,
                message.ttl,
                message.urgency,
                message.topic,
                message.vapid_sub,
                String::from_utf8_lossy(&message.plaintext),
            );
        }
        self.received = received.len();

        for (i, message) in peer.forwarded().iter().enumerate() {
            let now = (message.acked, message.ack_code, message.nack_code);
            let before = self.forwarded.get(i).copied();
            if before.is_none() {
                eprintln!(
                    "push-peer: forwarded {} ({} bytes) to channel {} of /wpush/{}",
                    message.version, message.body_len, message.channel_id, message.token,
                );
                self.forwarded.push((false, None, None));
            }
            let logged = self.forwarded[i];
            if now.0 && !logged.0 {
                eprintln!(
                    "push-peer: browser acked {} with code {}",
                    message.version,
                    message
                        .ack_code
                        .map_or_else(|| "none".to_string(), |c| c.to_string()),
                );
            }
            if now.2.is_some() && logged.2.is_none() {
                eprintln!(
                    "push-peer: browser nacked {} with code {}",
                    message.version,
                    message.nack_code.unwrap_or_default(),
                );
            }
            self.forwarded[i] = now;
        }

        let rejections = peer.rejections();
        for rejection in rejections.iter().skip(self.rejections) {
            eprintln!("push-peer: rejected: {rejection}");
        }
        self.rejections = rejections.len();
    }
}
