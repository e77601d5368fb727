//! End-to-end tests of the browser side: a `tokio-tungstenite` client plays Firefox
//! (hello, register, ack...) over the WebPush WebSocket protocol, while requests
//! built by the test-only sender in `testkit` play the application server.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::keys::random_bytes;
use crate::testkit::{KeyPair, VapidSigner};
use crate::tests::{Push, assert_created};
use crate::{Mode, PushPeer, b64, ece};

const WAIT: Duration = Duration::from_secs(5);
const CHANNEL: &str = "7f5b3a34-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
const OTHER_CHANNEL: &str = "0b6e4c9d-2f3a-4b5c-9d8e-7f6a5b4c3d2e";

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A fake Firefox: one WebSocket and the keys of its subscriptions.
struct Browser {
    socket: Socket,
    keys: KeyPair,
    auth: [u8; 16],
}

impl Browser {
    /// Connects, asking for the `push-notification` subprotocol as Firefox does.
    async fn connect(peer: &PushPeer) -> Browser {
        Browser::connect_with(peer, KeyPair::generate(), random_bytes::<16>()).await
    }

    async fn connect_with(peer: &PushPeer, keys: KeyPair, auth: [u8; 16]) -> Browser {
        let mut request = peer
            .ws_url()
            .into_client_request()
            .expect("ws_url is a WebSocket URL");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("push-notification"),
        );
        let (socket, response) = tokio_tungstenite::connect_async(request)
            .await
            .expect("the peer accepts the WebSocket");
        assert_eq!(
            response
                .headers()
                .get("sec-websocket-protocol")
                .and_then(|v| v.to_str().ok()),
            Some("push-notification"),
            "the peer selects Firefox's subprotocol"
        );
        Browser { socket, keys, auth }
    }

    /// Reconnects with the same keys (as Firefox does after a dropped connection).
    async fn reconnect(self, peer: &PushPeer) -> Browser {
        let Browser {
            mut socket,
            keys,
            auth,
        } = self;
        // The peer may have closed it already.
        let _ = socket.close(None).await;
        Browser::connect_with(peer, keys, auth).await
    }

    async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .expect("the socket is open");
    }

    /// The next JSON text frame.
    async fn recv(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("a frame arrives in time")
                .expect("the socket is open")
                .expect("a valid frame");
            match frame {
                Message::Text(text) => {
                    return serde_json::from_str(text.as_str()).expect("frames are JSON");
                }
                Message::Ping(_) | Message::Pong(_) => {}
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// Waits for the peer to close the socket; the close code, if a close frame came.
    async fn closed(&mut self) -> Option<CloseCode> {
        loop {
            let frame = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("the socket closes in time");
            match frame {
                None | Some(Err(WsError::ConnectionClosed | WsError::AlreadyClosed)) => {
                    return None;
                }
                Some(Err(_)) => return None,
                Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(other)) => panic!("expected the socket to close, got {other:?}"),
            }
        }
    }

    /// `hello`; returns the UAID the peer answers.
    async fn hello(&mut self, uaid: &str) -> String {
        self.send(json!({
            "messageType": "hello",
            "uaid": uaid,
            "use_webpush": true,
            "broadcasts": {},
        }))
        .await;
        let reply = self.recv().await;
        assert_eq!(reply["messageType"], "hello", "{reply}");
        assert_eq!(reply["status"], 200, "{reply}");
        assert_eq!(reply["use_webpush"], true, "{reply}");
        reply["uaid"]
            .as_str()
            .expect("the hello reply has a uaid")
            .to_string()
    }

    /// `register` (with Firefox's padded base64url `key`); returns the endpoint.
    async fn register(&mut self, channel_id: &str, key: Option<&str>) -> String {
        let mut message = json!({"messageType": "register", "channelID": channel_id});
        if let Some(key) = key {
            message["key"] = json!(format!("{key}="));
        }
        self.send(message).await;
        let reply = self.recv().await;
        assert_eq!(reply["messageType"], "register", "{reply}");
        assert_eq!(reply["channelID"], channel_id, "{reply}");
        assert_eq!(reply["status"], 200, "{reply}");
        reply["pushEndpoint"]
            .as_str()
            .expect("the register reply has a pushEndpoint")
            .to_string()
    }

    async fn ack(&mut self, channel_id: &str, version: &str, code: u64) {
        self.send(json!({
            "messageType": "ack",
            "updates": [{"channelID": channel_id, "version": version, "code": code}],
        }))
        .await;
    }

    /// A valid request for this browser's keys, signed by `signer`.
    fn push(&self, peer: &PushPeer, signer: &VapidSigner, plaintext: &[u8]) -> Push {
        Push::for_keys(
            &peer.origin(),
            &self.keys.public,
            &self.auth,
            signer,
            plaintext,
        )
    }

    /// The next frame, a `notification`, decrypted.
    async fn recv_plaintext(&mut self) -> Vec<u8> {
        let notification = self.recv().await;
        assert_eq!(
            notification["messageType"], "notification",
            "{notification}"
        );
        self.decrypt(&notification)
    }

    /// Decrypts a `notification`'s `data` with this browser's keys.
    fn decrypt(&self, notification: &Value) -> Vec<u8> {
        let data = notification["data"]
            .as_str()
            .expect("the notification has data");
        let body = b64::decode(data).expect("data is base64url without padding");
        ece::decrypt(&self.keys.private, &self.keys.public, &self.auth, &body)
            .expect("the forwarded body decrypts with the browser's keys")
    }
}

fn token_of(endpoint: &str) -> String {
    endpoint
        .rsplit('/')
        .next()
        .expect("an endpoint has a last path segment")
        .to_string()
}

async fn post(push: Push, endpoint: &str) -> reqwest::Response {
    push.send(&reqwest::Client::new(), endpoint)
        .await
        .expect("the peer answers")
}

#[tokio::test]
async fn browser_registers_receives_and_acks() {
    let peer = PushPeer::start().await;
    assert_eq!(
        peer.ws_url(),
        format!("{}/", peer.origin().replace("http", "ws"))
    );
    let mut browser = Browser::connect(&peer).await;
    let uaid = browser.hello("").await;
    assert_eq!(uaid.len(), 32);
    assert!(uaid.bytes().all(|b| b.is_ascii_hexdigit()), "{uaid}");
    assert_eq!(peer.wait_connected(1, WAIT).await, 1);

    let signer = VapidSigner::generate();
    let endpoint = browser.register(CHANNEL, Some(&signer.public_b64())).await;
    let token = token_of(&endpoint);
    assert_eq!(endpoint, format!("{}/wpush/{token}", peer.origin()));
    let endpoints = peer.browser_endpoints();
    assert_eq!(endpoints.len(), 1);
    let registered = &endpoints[0];
    assert_eq!(registered.token, token);
    assert_eq!(registered.uaid, uaid);
    assert_eq!(registered.channel_id, CHANNEL);
    assert_eq!(registered.endpoint, endpoint);
    assert_eq!(registered.vapid_key, Some(signer.public_b64()));
    assert!(registered.registered);

    let push = browser.push(&peer, &signer, br#"{"title":"hi"}"#);
    let body = push.body.clone();
    let response = post(push, &endpoint).await;
    assert_created(&response, &peer.origin());

    let notification = browser.recv().await;
    assert_eq!(notification["messageType"], "notification");
    assert_eq!(notification["channelID"], CHANNEL);
    assert_eq!(notification["headers"]["encoding"], "aes128gcm");
    assert_eq!(notification["data"], b64::encode(&body));
    assert_eq!(browser.decrypt(&notification), br#"{"title":"hi"}"#);
    let version = notification["version"]
        .as_str()
        .expect("the notification has a version")
        .to_string();

    let forwarded = peer.wait_forwarded(1, WAIT).await;
    assert_eq!(forwarded.len(), 1);
    assert_eq!(forwarded[0].token, token);
    assert_eq!(forwarded[0].channel_id, CHANNEL);
    assert_eq!(forwarded[0].version, version);
    assert_eq!(forwarded[0].body_len, body.len());
    assert!(!forwarded[0].acked);

    browser.ack(CHANNEL, &version, 100).await;
    let forwarded = peer.wait_acked(1, WAIT).await;
    assert!(forwarded[0].acked);
    assert_eq!(forwarded[0].ack_code, Some(100));

    let received = peer.received_for(&token);
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].vapid_sub, "mailto:ops@herald.test");
    assert_eq!(received[0].ttl, Some(60));
    assert_eq!(peer.attempts_for(&token), 1);
    assert!(peer.rejections().is_empty(), "{:?}", peer.rejections());
}

#[tokio::test]
async fn messages_wait_for_a_disconnected_browser() {
    let peer = PushPeer::start().await;
    let signer = VapidSigner::generate();
    let mut browser = Browser::connect(&peer).await;
    let uaid = browser.hello("").await;
    let endpoint = browser.register(CHANNEL, None).await;

    browser.socket.close(None).await.expect("the client closes");
    drop(browser.socket.next().await);
    tokio::time::timeout(WAIT, async {
        while peer.connected_browsers() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the peer notices the closed socket");

    // A TTL of 0 means "now or never": not kept for a disconnected browser.
    let mut now_or_never = browser.push(&peer, &signer, b"now or never");
    now_or_never.ttl = Some("0".into());
    assert_eq!(
        post(now_or_never, &endpoint).await.status(),
        StatusCode::CREATED
    );
    let kept = browser.push(&peer, &signer, b"kept");
    assert_eq!(post(kept, &endpoint).await.status(), StatusCode::CREATED);
    assert!(peer.forwarded().is_empty());

    let mut browser = browser.reconnect(&peer).await;
    assert_eq!(browser.hello(&uaid).await, uaid, "a known UAID is kept");
    let notification = browser.recv().await;
    assert_eq!(notification["messageType"], "notification");
    assert_eq!(browser.decrypt(&notification), b"kept");
    // Queued messages are written right after the hello reply, so a pong next
    // means nothing else was queued.
    browser.send(json!({})).await;
    assert_eq!(browser.recv().await, json!({}));
    assert_eq!(peer.wait_forwarded(1, WAIT).await.len(), 1);
    assert!(peer.rejections().is_empty(), "{:?}", peer.rejections());
}

#[tokio::test]
async fn unregistered_endpoint_is_gone() {
    let peer = PushPeer::start().await;
    let signer = VapidSigner::generate();
    let mut browser = Browser::connect(&peer).await;
    browser.hello("").await;
    let endpoint = browser.register(CHANNEL, None).await;
    let kept = browser.register(OTHER_CHANNEL, None).await;

    browser
        .send(json!({"messageType": "unregister", "channelID": CHANNEL, "code": 200}))
        .await;
    let reply = browser.recv().await;
    assert_eq!(
        reply,
        json!({"messageType": "unregister", "channelID": CHANNEL, "status": 200})
    );

    let gone = post(browser.push(&peer, &signer, b"late"), &endpoint).await;
    assert_eq!(gone.status(), StatusCode::GONE);
    let ok = post(browser.push(&peer, &signer, b"still here"), &kept).await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    assert_eq!(browser.recv_plaintext().await, b"still here");

    let endpoints = peer.browser_endpoints();
    assert!(!endpoints[0].registered);
    assert!(endpoints[1].registered);
    assert_eq!(peer.attempts_for(&token_of(&endpoint)), 1);
    assert!(peer.rejections().is_empty(), "{:?}", peer.rejections());
}

#[tokio::test]
async fn vapid_key_must_match_the_registration_key() {
    let peer = PushPeer::start().await;
    let subscribed = VapidSigner::generate();
    let other = VapidSigner::generate();
    let mut browser = Browser::connect(&peer).await;
    browser.hello("").await;
    let with_key = browser
        .register(CHANNEL, Some(&subscribed.public_b64()))
        .await;
    let without_key = browser.register(OTHER_CHANNEL, None).await;

    let wrong = post(browser.push(&peer, &other, b"x"), &with_key).await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let rejections = peer.rejections();
    assert_eq!(rejections.len(), 1);
    assert!(
        rejections[0].contains("403") && rejections[0].contains("applicationServerKey"),
        "{rejections:?}"
    );

    // Without a key at registration, any valid VAPID key is accepted.
    let any = post(browser.push(&peer, &other, b"y"), &without_key).await;
    assert_eq!(any.status(), StatusCode::CREATED);
    let right = post(browser.push(&peer, &subscribed, b"z"), &with_key).await;
    assert_eq!(right.status(), StatusCode::CREATED);
    assert_eq!(peer.wait_forwarded(2, WAIT).await.len(), 2);
    assert_eq!(peer.rejections().len(), 1);
}

#[tokio::test]
async fn reset_uaid_closes_sockets_and_drops_endpoints() {
    let peer = PushPeer::start().await;
    let signer = VapidSigner::generate();
    let mut browser = Browser::connect(&peer).await;
    let uaid = browser.hello("").await;
    let endpoint = browser.register(CHANNEL, None).await;
    assert_eq!(peer.connected_browsers(), 1);
    // A socket that has not said hello yet is closed too.
    let mut idle = Browser::connect(&peer).await;
    idle.send(json!({})).await;
    assert_eq!(idle.recv().await, json!({}));

    peer.reset_uaid();
    assert_eq!(browser.closed().await, Some(CloseCode::Normal));
    assert_eq!(idle.closed().await, Some(CloseCode::Normal));
    assert_eq!(peer.wait_connected(0, WAIT).await, 0);

    let gone = post(browser.push(&peer, &signer, b"x"), &endpoint).await;
    assert_eq!(gone.status(), StatusCode::GONE);
    assert!(!peer.browser_endpoints()[0].registered);

    let mut browser = browser.reconnect(&peer).await;
    let new_uaid = browser.hello(&uaid).await;
    assert_ne!(new_uaid, uaid, "the old UAID is not kept after a reset");
    assert_eq!(new_uaid.len(), 32);
    // The new UAID is kept from now on, and new registrations work.
    let endpoint = browser.register(CHANNEL, None).await;
    let ok = post(browser.push(&peer, &signer, b"again"), &endpoint).await;
    assert_eq!(ok.status(), StatusCode::CREATED);
    assert_eq!(browser.recv_plaintext().await, b"again");
    let mut browser = browser.reconnect(&peer).await;
    assert_eq!(browser.hello(&new_uaid).await, new_uaid);
    assert!(peer.rejections().is_empty(), "{:?}", peer.rejections());
}

#[tokio::test]
async fn pings_nacks_and_odd_messages_are_handled() {
    let peer = PushPeer::start().await;
    let signer = VapidSigner::generate();
    let mut browser = Browser::connect(&peer).await;
    // Pings are answered even before hello.
    browser.send(json!({})).await;
    assert_eq!(browser.recv().await, json!({}));
    let uaid = browser.hello("").await;
    browser.send(json!({"messageType": "ping"})).await;
    assert_eq!(browser.recv().await, json!({}));
    browser
        .send(json!({"messageType": "broadcast_subscribe", "broadcasts": {"x": "v1"}}))
        .await;
    browser
        .send(json!({"messageType": "ack", "updates": []}))
        .await;
    browser.send(json!({})).await;
    assert_eq!(
        browser.recv().await,
        json!({}),
        "unknown messages are ignored"
    );

    let endpoint = browser.register(CHANNEL, None).await;
    assert_eq!(
        post(browser.push(&peer, &signer, b"boom"), &endpoint)
            .await
            .status(),
        StatusCode::CREATED
    );
    let notification = browser.recv().await;
    let version = notification["version"]
        .as_str()
        .expect("a version")
        .to_string();
    browser
        .send(json!({"messageType": "nack", "version": version, "code": 301}))
        .await;
    browser.ack(CHANNEL, &version, 102).await;
    let forwarded = peer.wait_acked(1, WAIT).await;
    assert_eq!(forwarded[0].nack_code, Some(301));
    assert_eq!(forwarded[0].ack_code, Some(102));
    let rejections = peer.rejections();
    assert!(
        rejections.len() == 1 && rejections[0].contains("code 102"),
        "an ack other than 100 is a rejection: {rejections:?}"
    );

    // A second connection with the same UAID takes over; the first is closed.
    let mut second = Browser::connect(&peer).await;
    assert_eq!(second.hello(&uaid).await, uaid);
    assert_eq!(browser.closed().await, Some(CloseCode::Normal));
    assert_eq!(peer.wait_connected(1, WAIT).await, 1);

    // Anything but a ping before hello is a protocol error.
    let mut rude = Browser::connect(&peer).await;
    rude.send(json!({"messageType": "register", "channelID": CHANNEL}))
        .await;
    assert_eq!(rude.closed().await, Some(CloseCode::Protocol));
    assert_eq!(peer.browser_endpoints().len(), 1);
}

#[tokio::test]
async fn modes_apply_to_browser_endpoints() {
    let peer = PushPeer::start().await;
    let signer = VapidSigner::generate();
    let mut browser = Browser::connect(&peer).await;
    browser.hello("").await;
    let endpoint = browser.register(CHANNEL, None).await;
    let token = token_of(&endpoint);

    peer.set_mode(&token, Mode::Status(410));
    let gone = post(browser.push(&peer, &signer, b"a"), &endpoint).await;
    assert_eq!(gone.status(), StatusCode::GONE);

    peer.set_mode(
        &token,
        Mode::FailThenAccept {
            times: 1,
            status: 503,
        },
    );
    let failed = post(browser.push(&peer, &signer, b"b"), &endpoint).await;
    assert_eq!(failed.status(), StatusCode::SERVICE_UNAVAILABLE);
    let accepted = post(browser.push(&peer, &signer, b"c"), &endpoint).await;
    assert_eq!(accepted.status(), StatusCode::CREATED);
    assert_eq!(browser.recv_plaintext().await, b"c");

    assert_eq!(peer.attempts_for(&token), 3);
    assert_eq!(peer.attempt_times_for(&token).len(), 3);
    assert_eq!(peer.forwarded().len(), 1);
    assert!(peer.rejections().is_empty(), "{:?}", peer.rejections());
}

#[tokio::test]
async fn browser_endpoints_check_requests_like_push() {
    let peer = PushPeer::start().await;
    let signer = VapidSigner::generate();
    let mut browser = Browser::connect(&peer).await;
    browser.hello("").await;
    let endpoint = browser.register(CHANNEL, None).await;

    let unknown = format!("{}/wpush/no-such-token", peer.origin());
    let response = post(browser.push(&peer, &signer, b"x"), &unknown).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(peer.rejections().is_empty(), "404 is not a rejection");

    let mut no_ttl = browser.push(&peer, &signer, b"x");
    no_ttl.ttl = None;
    assert_eq!(
        post(no_ttl, &endpoint).await.status(),
        StatusCode::BAD_REQUEST
    );

    let mut wrong_encoding = browser.push(&peer, &signer, b"x");
    wrong_encoding.encoding = Some("aesgcm".into());
    assert_eq!(
        post(wrong_encoding, &endpoint).await.status(),
        StatusCode::BAD_REQUEST
    );

    let mut no_vapid = browser.push(&peer, &signer, b"x");
    no_vapid.authorization = None;
    assert_eq!(
        post(no_vapid, &endpoint).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let mut wrong_aud = browser.push(&peer, &signer, b"x");
    wrong_aud.authorization = Some(signer.authorization(
        "https://push.example.net",
        crate::tests::now() + 3600,
        "mailto:ops@herald.test",
    ));
    assert_eq!(
        post(wrong_aud, &endpoint).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let large = browser.push(&peer, &signer, &[b'a'; 4100]);
    assert_eq!(
        post(large, &endpoint).await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );

    let mut garbage = browser.push(&peer, &signer, b"x");
    garbage.body = b"not an aes128gcm body".to_vec();
    assert_eq!(
        post(garbage, &endpoint).await.status(),
        StatusCode::BAD_REQUEST
    );

    peer.expect_vapid_key(&VapidSigner::generate().public_b64());
    assert_eq!(
        post(browser.push(&peer, &signer, b"x"), &endpoint)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    let rejections = peer.rejections();
    assert_eq!(rejections.len(), 7, "{rejections:?}");
    assert!(
        rejections.iter().all(|r| r.starts_with("POST /wpush/")),
        "{rejections:?}"
    );
    assert!(peer.forwarded().is_empty());
    assert_eq!(peer.attempts_for(&token_of(&endpoint)), 7);
}

#[tokio::test]
async fn control_routes_answer_json() {
    let peer = PushPeer::start().await;
    let signer = VapidSigner::generate();
    let client = reqwest::Client::new();
    let control = |path: &str| format!("{}/_control/{path}", peer.origin());
    let get_json = |path: String| {
        let client = client.clone();
        async move {
            let response = client.get(path).send().await.expect("the peer answers");
            assert_eq!(response.status(), StatusCode::OK);
            response
                .json::<Value>()
                .await
                .expect("control answers JSON")
        }
    };

    let plain = client
        .get(format!("{}/", peer.origin()))
        .send()
        .await
        .expect("the peer answers");
    assert_eq!(plain.status(), StatusCode::NOT_FOUND);

    let mut browser = Browser::connect(&peer).await;
    let uaid = browser.hello("").await;
    let endpoint = browser.register(CHANNEL, Some(&signer.public_b64())).await;
    let token = token_of(&endpoint);

    let endpoints = get_json(control("endpoints")).await;
    assert_eq!(
        endpoints,
        json!([{
            "token": token,
            "uaid": uaid,
            "channel_id": CHANNEL,
            "endpoint": endpoint,
            "vapid_key": signer.public_b64(),
            "registered": true,
        }])
    );

    let set = client
        .post(control(&format!("mode/{token}")))
        .body(r#"{"status": 410}"#)
        .send()
        .await
        .expect("the peer answers");
    assert_eq!(set.status(), StatusCode::OK);
    let gone = post(browser.push(&peer, &signer, b"x"), &endpoint).await;
    assert_eq!(gone.status(), StatusCode::GONE);
    let bad = client
        .post(control(&format!("mode/{token}")))
        .body(r#"{"teapot": true}"#)
        .send()
        .await
        .expect("the peer answers");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let set = client
        .post(control(&format!("mode/{token}")))
        .body(r#"{"accept": true}"#)
        .send()
        .await
        .expect("the peer answers");
    assert_eq!(set.status(), StatusCode::OK);

    let push = browser.push(&peer, &signer, b"hello");
    let body_len = push.body.len();
    assert_eq!(post(push, &endpoint).await.status(), StatusCode::CREATED);
    let notification = browser.recv().await;
    let version = notification["version"].as_str().expect("a version");
    browser.ack(CHANNEL, version, 100).await;
    peer.wait_acked(1, WAIT).await;
    let forwarded = get_json(control("forwarded")).await;
    assert_eq!(forwarded.as_array().map(Vec::len), Some(1));
    assert_eq!(forwarded[0]["token"], token);
    assert_eq!(forwarded[0]["channel_id"], CHANNEL);
    assert_eq!(forwarded[0]["version"], version);
    assert_eq!(forwarded[0]["body_len"], body_len);
    assert_eq!(forwarded[0]["acked"], true);

    assert_eq!(get_json(control("rejections")).await, json!([]));
    let mut no_ttl = browser.push(&peer, &signer, b"x");
    no_ttl.ttl = None;
    assert_eq!(
        post(no_ttl, &endpoint).await.status(),
        StatusCode::BAD_REQUEST
    );
    let rejections = get_json(control("rejections")).await;
    assert_eq!(rejections.as_array().map(Vec::len), Some(1));

    let status = get_json(control("status")).await;
    assert_eq!(status["ws"], peer.ws_url());
    assert_eq!(status["connected_browsers"], 1);
    assert_eq!(status["forwarded"], 1);
    let received = get_json(control("received")).await;
    assert_eq!(received[0]["subscription"], token);

    let reset = client
        .post(control("reset-uaid"))
        .send()
        .await
        .expect("the peer answers");
    assert_eq!(reset.status(), StatusCode::OK);
    assert_eq!(reset.json::<Value>().await.expect("JSON"), json!({}));
    browser.closed().await;
    let endpoints = get_json(control("endpoints")).await;
    assert_eq!(endpoints[0]["registered"], false);
    assert_eq!(peer.wait_connected(0, WAIT).await, 0);
}
