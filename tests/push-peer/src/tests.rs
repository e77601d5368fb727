//! End-to-end tests of the peer's HTTP behaviour: real requests over loopback,
//! encrypted and signed by the test-only sender in `testkit`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use serde_json::json;

use crate::testkit::{self, VapidSigner};
use crate::{Mode, Options, PeerSubscription, PushPeer, b64};

pub(crate) fn now() -> i64 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    i64::try_from(secs).expect("seconds fit in i64")
}

/// One push request, valid unless a test changes a field.
pub(crate) struct Push {
    pub(crate) ttl: Option<String>,
    pub(crate) encoding: Option<String>,
    pub(crate) urgency: Option<String>,
    pub(crate) topic: Option<String>,
    pub(crate) authorization: Option<String>,
    pub(crate) body: Vec<u8>,
}

impl Push {
    fn valid(
        peer: &PushPeer,
        sub: &PeerSubscription,
        signer: &VapidSigner,
        plaintext: &[u8],
    ) -> Push {
        let p256dh = b64::decode(&sub.p256dh).expect("p256dh is base64url");
        let auth = b64::decode(&sub.auth).expect("auth is base64url");
        Push::for_keys(&peer.origin(), &p256dh, &auth, signer, plaintext)
    }

    /// A valid request to a push service at `origin` for a subscriber's raw keys.
    pub(crate) fn for_keys(
        origin: &str,
        p256dh: &[u8],
        auth: &[u8],
        signer: &VapidSigner,
        plaintext: &[u8],
    ) -> Push {
        Push {
            ttl: Some("60".into()),
            encoding: Some("aes128gcm".into()),
            urgency: None,
            topic: None,
            authorization: Some(signer.authorization(
                origin,
                now() + 12 * 3600,
                "mailto:ops@herald.test",
            )),
            body: testkit::encrypt(p256dh, auth, plaintext),
        }
    }

    pub(crate) async fn send(
        self,
        client: &reqwest::Client,
        endpoint: &str,
    ) -> reqwest::Result<reqwest::Response> {
        let mut request = client.post(endpoint).body(self.body);
        for (name, value) in [
            ("TTL", self.ttl),
            ("Content-Encoding", self.encoding),
            ("Urgency", self.urgency),
            ("Topic", self.topic),
            ("Authorization", self.authorization),
        ] {
            if let Some(value) = value {
                request = request.header(name, value);
            }
        }
        request.send().await
    }
}

/// A peer, one subscription, a VAPID key and a client.
struct Setup {
    peer: PushPeer,
    sub: PeerSubscription,
    signer: VapidSigner,
    client: reqwest::Client,
}

impl Setup {
    async fn new() -> Setup {
        Setup::with(Options::default()).await
    }

    async fn with(options: Options) -> Setup {
        let peer = PushPeer::start_with(options).await;
        let sub = peer.new_subscription();
        Setup {
            peer,
            sub,
            signer: VapidSigner::generate(),
            client: reqwest::Client::new(),
        }
    }

    fn push(&self, plaintext: &[u8]) -> Push {
        Push::valid(&self.peer, &self.sub, &self.signer, plaintext)
    }

    async fn send(&self, push: Push) -> reqwest::Response {
        push.send(&self.client, &self.sub.endpoint)
            .await
            .expect("the peer answers")
    }

    async fn send_valid(&self) -> StatusCode {
        self.send(self.push(br#"{"n":1}"#)).await.status()
    }
}

#[tokio::test]
async fn subscription_looks_like_a_browser_one() {
    let peer = PushPeer::start().await;
    let sub = peer.new_subscription();
    assert!(peer.origin().starts_with("http://127.0.0.1:"));
    assert_eq!(sub.endpoint, format!("{}/push/{}", peer.origin(), sub.id));
    assert!(
        sub.id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    let p256dh = b64::decode(&sub.p256dh).expect("p256dh is base64url without padding");
    assert_eq!((p256dh.len(), p256dh[0]), (65, 0x04));
    assert_eq!(b64::decode(&sub.auth).expect("auth is base64url").len(), 16);
    assert_ne!(peer.new_subscription().id, sub.id);
    assert_eq!(
        sub.to_json(),
        json!({"endpoint": sub.endpoint, "expirationTime": null,
               "keys": {"p256dh": sub.p256dh, "auth": sub.auth}})
    );
}

#[tokio::test]
async fn accepts_valid_push_and_records_it() {
    let s = Setup::new().await;
    let mut push = s.push(br#"{"title":"Hello","body":"world"}"#);
    push.ttl = Some("3600".into());
    push.urgency = Some("high".into());
    push.topic = Some("news-1_A".into());
    let exp = now() + 12 * 3600;
    push.authorization = Some(s.signer.authorization(
        &s.peer.origin(),
        exp,
        "mailto:ops@herald.test",
    ));
    let response = s.send(push).await;

    assert_created(&response, &s.peer.origin());

    let received = s.peer.wait_for(1, Duration::from_secs(5)).await;
    assert!(s.peer.rejections().is_empty(), "{:?}", s.peer.rejections());
    assert_eq!(received.len(), 1);
    let got = &received[0];
    assert_eq!(got.subscription, s.sub.id);
    assert_eq!(got.plaintext, br#"{"title":"Hello","body":"world"}"#);
    assert_eq!(got.payload, json!({"title": "Hello", "body": "world"}));
    assert_eq!(got.ttl, Some(3600));
    assert_eq!(got.urgency.as_deref(), Some("high"));
    assert_eq!(got.topic.as_deref(), Some("news-1_A"));
    assert_eq!(got.vapid_sub, "mailto:ops@herald.test");
    assert_eq!(got.vapid_aud, s.peer.origin());
    assert_eq!(got.vapid_exp, exp);
    assert_eq!(s.peer.received_for(&s.sub.id).len(), 1);
    assert!(s.peer.received_for("other").is_empty());
    assert_eq!(s.peer.attempts_for(&s.sub.id), 1);
    assert_eq!(s.peer.total_requests(), 1);
}

#[tokio::test]
async fn non_json_payload_is_kept_with_null_payload() {
    let s = Setup::new().await;
    assert_eq!(
        s.send(s.push(b"plain text")).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(s.send(s.push(b"")).await.status(), StatusCode::CREATED);
    let received = s.peer.received();
    assert_eq!(received[0].plaintext, b"plain text");
    assert_eq!(received[0].payload, serde_json::Value::Null);
    assert!(received[1].plaintext.is_empty());
    assert!(s.peer.rejections().is_empty(), "{:?}", s.peer.rejections());
}

#[tokio::test]
async fn mode_status_answers_that_status() {
    let s = Setup::new().await;
    for status in [400u16, 404, 410, 413, 500, 502] {
        s.peer.set_mode(&s.sub.id, Mode::Status(status));
        let response = s.send(s.push(b"{}")).await;
        assert_eq!(response.status().as_u16(), status);
        assert!(!response.text().await.expect("text body").is_empty());
    }
    assert!(s.peer.received().is_empty());
    assert_eq!(s.peer.attempts_for(&s.sub.id), 6);
    assert!(s.peer.rejections().is_empty(), "{:?}", s.peer.rejections());
    s.peer.set_mode(&s.sub.id, Mode::Accept);
    assert_eq!(s.send_valid().await, StatusCode::CREATED);
}

#[tokio::test]
async fn mode_retry_after_sends_the_header() {
    let s = Setup::new().await;
    for (status, value) in [(429u16, "7"), (503, "Wed, 21 Oct 2015 07:28:00 GMT")] {
        s.peer.set_mode(
            &s.sub.id,
            Mode::RetryAfter {
                status,
                value: value.into(),
            },
        );
        let response = s.send(s.push(b"{}")).await;
        assert_eq!(response.status().as_u16(), status);
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok());
        assert_eq!(retry_after, Some(value));
    }
    assert!(s.peer.received().is_empty());
    assert_eq!(s.peer.attempts_for(&s.sub.id), 2);
}

#[tokio::test]
async fn mode_delay_waits_then_accepts() {
    let s = Setup::new().await;
    s.peer
        .set_mode(&s.sub.id, Mode::Delay(Duration::from_millis(300)));
    let started = Instant::now();
    assert_eq!(s.send_valid().await, StatusCode::CREATED);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(s.peer.received().len(), 1);
}

#[tokio::test]
async fn mode_hang_never_answers() {
    let s = Setup::new().await;
    s.peer.set_mode(&s.sub.id, Mode::Hang);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .expect("client builds");
    let error = s
        .push(b"{}")
        .send(&client, &s.sub.endpoint)
        .await
        .expect_err("a hanging peer times the client out");
    assert!(error.is_timeout(), "{error}");
    assert_eq!(s.peer.attempts_for(&s.sub.id), 1);
    assert!(s.peer.received().is_empty());
    s.peer.set_mode(&s.sub.id, Mode::Accept);
    assert_eq!(s.send_valid().await, StatusCode::CREATED);
}

#[tokio::test]
async fn mode_fail_then_accept_counts_attempts() {
    let s = Setup::new().await;
    s.peer.set_mode(
        &s.sub.id,
        Mode::FailThenAccept {
            times: 2,
            status: 500,
        },
    );
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(s.send_valid().await.as_u16());
    }
    assert_eq!(statuses, [500, 500, 201, 201]);
    assert_eq!(s.peer.attempts_for(&s.sub.id), 4);
    let times = s.peer.attempt_times_for(&s.sub.id);
    assert_eq!(times.len(), 4);
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(s.peer.received_for(&s.sub.id).len(), 2);
    assert!(s.peer.rejections().is_empty(), "{:?}", s.peer.rejections());
}

#[tokio::test]
async fn unknown_subscription_is_404_not_a_rejection() {
    let s = Setup::new().await;
    let endpoint = format!("{}/push/no-such-id", s.peer.origin());
    let response = s
        .push(b"{}")
        .send(&s.client, &endpoint)
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let other = s
        .client
        .get(format!("{}/", s.peer.origin()))
        .send()
        .await
        .expect("answers");
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    assert!(s.peer.rejections().is_empty());
    assert_eq!(s.peer.attempts_for("no-such-id"), 1);
    assert_eq!(s.peer.total_requests(), 2);
}

#[tokio::test]
async fn bad_vapid_is_401_and_rejected() {
    let s = Setup::new().await;
    let origin = s.peer.origin();
    let mut cases = Vec::new();

    // Tampered signature.
    let good = s
        .signer
        .authorization(&origin, now() + 3600, "mailto:a@b.c");
    let mut tampered = good.into_bytes();
    let at = tampered.iter().position(|&b| b == b',').expect("t=..., k=") - 3;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    cases.push(Some(String::from_utf8(tampered).expect("ascii")));
    // Missing header, wrong aud (trailing slash), expired, too far ahead, bad sub.
    cases.push(None);
    cases.push(Some(s.signer.authorization(
        &format!("{origin}/"),
        now() + 3600,
        "mailto:a@b.c",
    )));
    cases.push(Some(s.signer.authorization(
        &origin,
        now() - 10,
        "mailto:a@b.c",
    )));
    cases.push(Some(s.signer.authorization(
        &origin,
        now() + 25 * 3600,
        "mailto:a@b.c",
    )));
    cases.push(Some(s.signer.authorization(&origin, now() + 3600, "a@b.c")));

    let n = cases.len();
    for authorization in cases {
        let mut push = s.push(b"{}");
        push.authorization = authorization;
        assert_eq!(s.send(push).await.status(), StatusCode::UNAUTHORIZED);
    }
    let rejections = s.peer.rejections();
    assert_eq!(rejections.len(), n, "{rejections:?}");
    assert!(
        rejections.iter().all(|r| r.contains("401")),
        "{rejections:?}"
    );
    assert!(rejections[0].contains("signature"), "{rejections:?}");
    assert!(rejections[1].contains("Authorization"), "{rejections:?}");
    assert!(s.peer.received().is_empty());
    assert_eq!(s.peer.attempts_for(&s.sub.id), n);
}

#[tokio::test]
async fn unexpected_vapid_key_is_403() {
    let s = Setup::new().await;
    s.peer
        .expect_vapid_key(&VapidSigner::generate().public_b64());
    assert_eq!(s.send_valid().await, StatusCode::FORBIDDEN);
    assert_eq!(s.peer.rejections().len(), 1);
    assert!(s.peer.rejections()[0].contains("403"));

    s.peer.expect_vapid_key(&s.signer.public_b64());
    assert_eq!(s.send_valid().await, StatusCode::CREATED);
    assert_eq!(s.peer.rejections().len(), 1);
}

/// A change that makes a valid push invalid (or keeps it valid).
type Change = fn(&mut Push);

#[tokio::test]
async fn bad_headers_are_400_and_rejected() {
    let s = Setup::new().await;
    let cases: Vec<(&str, Change)> = vec![
        ("no TTL", |p| p.ttl = None),
        ("negative TTL", |p| p.ttl = Some("-1".into())),
        ("non-numeric TTL", |p| p.ttl = Some("soon".into())),
        ("no Content-Encoding", |p| p.encoding = None),
        ("aesgcm", |p| p.encoding = Some("aesgcm".into())),
        ("bad Urgency", |p| p.urgency = Some("urgent".into())),
        ("long Topic", |p| p.topic = Some("a".repeat(33))),
        ("bad Topic", |p| p.topic = Some("a b".into())),
        ("padded Topic", |p| p.topic = Some("abc=".into())),
    ];
    for (name, change) in &cases {
        let mut push = s.push(b"{}");
        change(&mut push);
        assert_eq!(
            s.send(push).await.status(),
            StatusCode::BAD_REQUEST,
            "{name}"
        );
    }
    assert_eq!(
        s.peer.rejections().len(),
        cases.len(),
        "{:?}",
        s.peer.rejections()
    );

    // The edge values that are fine.
    for change in [
        |p: &mut Push| p.ttl = Some("0".into()),
        |p: &mut Push| p.topic = Some("a".repeat(32)),
        |p: &mut Push| p.urgency = Some("very-low".into()),
    ] {
        let mut push = s.push(b"{}");
        change(&mut push);
        assert_eq!(s.send(push).await.status(), StatusCode::CREATED);
    }
    assert_eq!(s.peer.rejections().len(), cases.len());
}

#[tokio::test]
async fn bad_bodies_are_rejected() {
    let s = Setup::new().await;
    // Over 4096 bytes: 413.
    let big = vec![b'x'; 4096];
    assert_eq!(
        s.send(s.push(&big)).await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    // Tampered ciphertext, truncated body, encrypted for another subscription: 400.
    let mut tampered = s.push(b"{}");
    let last = tampered.body.len() - 1;
    tampered.body[last] ^= 1;
    assert_eq!(s.send(tampered).await.status(), StatusCode::BAD_REQUEST);
    let mut truncated = s.push(b"{}");
    truncated.body.truncate(30);
    assert_eq!(s.send(truncated).await.status(), StatusCode::BAD_REQUEST);
    let other = s.peer.new_subscription();
    let for_other = Push::valid(&s.peer, &other, &s.signer, b"{}");
    assert_eq!(s.send(for_other).await.status(), StatusCode::BAD_REQUEST);

    let rejections = s.peer.rejections();
    assert_eq!(rejections.len(), 4, "{rejections:?}");
    assert!(rejections[0].contains("413"), "{rejections:?}");
    assert!(
        rejections[1..].iter().all(|r| r.contains("aes128gcm")),
        "{rejections:?}"
    );
    assert!(s.peer.received().is_empty());
}

#[tokio::test]
async fn verify_every_n_only_checks_every_nth() {
    let s = Setup::with(Options { verify_every: 3 }).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        // Garbage: only the verified requests (1st and 4th) notice.
        let mut push = s.push(b"{}");
        push.body = b"not encrypted".to_vec();
        statuses.push(s.send(push).await.status().as_u16());
    }
    assert_eq!(statuses, [400, 201, 201, 400, 201, 201]);
    assert_eq!(s.peer.rejections().len(), 2);
    let received = s.peer.received();
    assert_eq!(received.len(), 4);
    assert!(
        received
            .iter()
            .all(|r| r.payload.is_null() && r.plaintext.is_empty())
    );
    assert_eq!(received[0].ttl, Some(60));

    // A valid one on a verified turn is decrypted.
    assert_eq!(
        s.send(s.push(br#"{"n":7}"#)).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(s.peer.received()[4].payload, json!({"n": 7}));
}

#[tokio::test]
async fn wait_for_returns_on_timeout_and_on_arrival() {
    let s = Setup::new().await;
    let started = Instant::now();
    assert!(
        s.peer
            .wait_for(1, Duration::from_millis(200))
            .await
            .is_empty()
    );
    assert!(started.elapsed() >= Duration::from_millis(200));

    let peer = s.peer.clone();
    let waiter = tokio::spawn(async move { peer.wait_for(2, Duration::from_secs(10)).await });
    assert_eq!(s.send_valid().await, StatusCode::CREATED);
    assert_eq!(s.send_valid().await, StatusCode::CREATED);
    let started = Instant::now();
    let received = waiter.await.expect("waiter does not panic");
    assert_eq!(received.len(), 2);
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// A push accepted the RFC 8030 way: `201 Created` with a `Location` on the peer.
pub(crate) fn assert_created(response: &reqwest::Response, origin: &str) {
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("201 has a Location");
    assert!(location.starts_with(origin), "{location}");
}
