//! Sending: the real server delivers to the push-service test peer, which
//! checks VAPID, decrypts with the subscriber's key and answers as asked.

use crate::both_engines;
use crate::helpers::{Browser, TestApp};
use push_peer::{Mode, PushPeer};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// A peer subscription stored in Herald (as the SDK would), optionally for a uid.
async fn subscriber(
    app: &TestApp,
    peer: &PushPeer,
    uid: Option<&str>,
    tags: &[&str],
    topics: &[&str],
) -> String {
    let sub = peer.new_subscription();
    let browser = Browser::from_peer(&sub);
    let mut body = browser.subscription();
    if let Some(uid) = uid {
        body["uid"] = json!(uid);
        body["uid_signature"] = json!(app.sign(uid));
    }
    body["tags"] = json!(tags);
    body["topics"] = json!(topics);
    let answer = app.mutate("POST", "/subscriptions", &body).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    sub.id
}

async fn peer_for(app: &TestApp) -> PushPeer {
    let peer = PushPeer::start().await;
    peer.expect_vapid_key(&app.project.vapid_public_key);
    peer
}

fn ids(received: &[push_peer::Received]) -> Vec<String> {
    let mut ids: Vec<String> = received.iter().map(|r| r.subscription.clone()).collect();
    ids.sort();
    ids
}

both_engines!(
    sending_to_a_uid_reaches_each_of_its_devices_decrypted,
    to_uid
);
async fn to_uid(app: TestApp) {
    let peer = peer_for(&app).await;
    let phone = subscriber(&app, &peer, Some("ann"), &[], &[]).await;
    let laptop = subscriber(&app, &peer, Some("ann"), &[], &[]).await;
    let other = subscriber(&app, &peer, Some("ben"), &[], &[]).await;
    let id = app
        .notify(json!({
            "title": "Your order shipped", "body": "Track it", "url": "https://shop.example/orders/1",
            "icon": "/icon.png", "actions": [{"action": "track", "title": "Track", "url": "/track"}],
            "tag": "order-1", "require_interaction": true, "data": {"order": 1},
            "ttl": 3600, "urgency": "high", "topic": "order-1", "target": {"uids": ["ann"]}
        }))
        .await;
    let got = peer.wait_for(2, Duration::from_secs(10)).await;
    let mut expected = vec![phone.clone(), laptop.clone()];
    expected.sort();
    assert_eq!(ids(&got), expected);
    assert!(peer.received_for(&other).is_empty());
    for r in &got {
        assert_eq!(r.payload["id"], id);
        assert!(r.payload["delivery"].as_i64().is_some());
        assert_eq!(r.payload["title"], "Your order shipped");
        assert_eq!(r.payload["body"], "Track it");
        assert_eq!(r.payload["url"], "https://shop.example/orders/1");
        assert_eq!(r.payload["actions"][0]["action"], "track");
        assert_eq!(r.payload["require_interaction"], true);
        assert_eq!(r.payload["data"], json!({"order": 1}));
        assert!(r.ttl.is_some_and(|t| t > 3500 && t <= 3600), "{:?}", r.ttl);
        assert_eq!(r.urgency.as_deref(), Some("high"));
        assert_eq!(r.topic.as_deref(), Some("order-1"));
        assert_eq!(r.vapid_sub, "mailto:tests@herald.example");
        assert_eq!(r.vapid_aud, peer.origin());
        assert!(r.vapid_exp - chrono::Utc::now().timestamp() <= 24 * 3600);
    }
    assert!(peer.rejections().is_empty(), "{:?}", peer.rejections());
    let progress = app.wait_done(id).await;
    assert_eq!(progress["status"], "done");
    assert_eq!(progress["counts"]["sent"], 2);
    assert_eq!(progress["counts"]["queued"], 0);

    // Receipts, each kind once per delivery.
    let delivery = got[0].payload["delivery"].clone();
    for kind in ["delivered", "delivered", "clicked"] {
        let answer = app
            .mutate(
                "POST",
                "/receipts",
                &json!({"delivery": delivery, "kind": kind}),
            )
            .await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    }
    let counts = app
        .backend("GET", &format!("/notifications/{id}"))
        .await
        .body["counts"]
        .clone();
    assert_eq!(
        (counts["delivered"].as_i64(), counts["clicked"].as_i64()),
        (Some(1), Some(1))
    );
    let bad = app
        .mutate(
            "POST",
            "/receipts",
            &json!({"delivery": 999_999, "kind": "clicked"}),
        )
        .await;
    assert_eq!(bad.status, 404);
    let bad = app
        .mutate(
            "POST",
            "/receipts",
            &json!({"delivery": delivery, "kind": "seen"}),
        )
        .await;
    assert_eq!(bad.status, 400);
}

both_engines!(
    tags_topics_and_broadcasts_reach_exactly_the_matching_subscriptions,
    targets
);
async fn targets(app: TestApp) {
    let peer = peer_for(&app).await;
    let vip = subscriber(&app, &peer, None, &["vip"], &["news"]).await;
    let vip_churned = subscriber(&app, &peer, None, &["vip", "churned"], &[]).await;
    let beta = subscriber(&app, &peer, None, &["beta"], &["news", "sales"]).await;
    let plain = subscriber(&app, &peer, Some("cat"), &[], &[]).await;
    // An opted-out subscriber gets nothing, whatever the target.
    let opted_out = peer.new_subscription();
    let opted_out_browser = Browser::from_peer(&opted_out);
    let mut body = opted_out_browser.subscription();
    body["tags"] = json!(["vip"]);
    body["topics"] = json!(["news"]);
    app.mutate("POST", "/subscriptions", &body).await;
    app.mutate("POST", "/subscriptions/opt-out", &opted_out_browser.owned())
        .await;
    let gone = subscriber(&app, &peer, None, &["vip"], &["news"]).await;

    let cases: Vec<(Value, Vec<&String>)> = vec![
        (json!({"tags": "vip && !churned"}), vec![&vip, &gone]),
        (json!({"tags": "(beta || churned) && !vip"}), vec![&beta]),
        (json!({"topic": "news"}), vec![&vip, &beta, &gone]),
        (
            json!({"all": true}),
            vec![&vip, &vip_churned, &beta, &plain, &gone],
        ),
    ];
    let mut total = 0;
    for (target, expected) in cases {
        let before = peer.received().len();
        let id = app.notify(json!({"title": "Hi", "target": target})).await;
        let progress = app.wait_done(id).await;
        assert_eq!(
            progress["counts"]["sent"].as_i64(),
            Some(expected.len() as i64),
            "{target}"
        );
        total += expected.len();
        let got = peer.wait_for(total, Duration::from_secs(5)).await;
        let mut want: Vec<String> = expected.into_iter().cloned().collect();
        want.sort();
        assert_eq!(ids(&got[before..]), want, "{target}");
    }
    assert!(peer.received_for(&opted_out.id).is_empty());
    let accepted = app
        .backend_with(
            "POST",
            "/notifications",
            Some(&json!({"title": "x", "target": {"tags": "nobody"}})),
        )
        .await;
    assert_eq!(accepted.status, 202);
    assert_eq!(accepted.body["queued"], 0);
    assert!(peer.rejections().is_empty(), "{:?}", peer.rejections());
}

both_engines!(
    a_404_or_410_expires_the_subscription_and_it_is_never_sent_to_again,
    gone
);
async fn gone(app: TestApp) {
    let peer = peer_for(&app).await;
    let kept = subscriber(&app, &peer, Some("dan"), &[], &[]).await;
    let gone410 = subscriber(&app, &peer, Some("dan"), &[], &[]).await;
    let gone404 = subscriber(&app, &peer, Some("dan"), &[], &[]).await;
    peer.set_mode(&gone410, Mode::Status(410));
    peer.set_mode(&gone404, Mode::Status(404));
    let first = app
        .notify(json!({"title": "1", "target": {"uids": ["dan"]}}))
        .await;
    let progress = app.wait_done(first).await;
    assert_eq!(progress["counts"]["sent"], 1);
    assert_eq!(progress["counts"]["failed"], 2);
    let listed = app.backend("GET", "/users/dan/subscriptions").await;
    let statuses: Vec<&str> = listed.body["subscriptions"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|s| s["status"].as_str())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == "expired").count(),
        2,
        "{statuses:?}"
    );
    let second = app
        .notify(json!({"title": "2", "target": {"uids": ["dan"]}}))
        .await;
    app.wait_done(second).await;
    let broadcast = app
        .notify(json!({"title": "3", "target": {"all": true}}))
        .await;
    app.wait_done(broadcast).await;
    assert_eq!(peer.attempts_for(&gone410), 1);
    assert_eq!(peer.attempts_for(&gone404), 1);
    assert_eq!(peer.received_for(&kept).len(), 3);
}

both_engines!(a_413_or_400_fails_at_once_without_retrying, final_failures);
async fn final_failures(app: TestApp) {
    let peer = peer_for(&app).await;
    let big = subscriber(&app, &peer, Some("eve"), &[], &[]).await;
    let bad = subscriber(&app, &peer, Some("eve"), &[], &[]).await;
    let forbidden = subscriber(&app, &peer, Some("eve"), &[], &[]).await;
    peer.set_mode(&big, Mode::Status(413));
    peer.set_mode(&bad, Mode::Status(400));
    peer.set_mode(&forbidden, Mode::Status(403));
    let id = app
        .notify(json!({"title": "x", "target": {"uids": ["eve"]}}))
        .await;
    let progress = app.wait_done(id).await;
    assert_eq!(progress["counts"]["failed"], 3);
    tokio::time::sleep(Duration::from_millis(500)).await;
    for sub in [&big, &bad, &forbidden] {
        assert_eq!(peer.attempts_for(sub), 1);
    }
    // Unlike 404/410 these do not expire the subscription.
    let listed = app.backend("GET", "/users/eve/subscriptions").await;
    assert!(
        listed.body["subscriptions"]
            .as_array()
            .expect("list")
            .iter()
            .all(|s| s["status"] == "active")
    );
}

both_engines!(a_429_is_retried_no_sooner_than_retry_after, retry_after);
async fn retry_after(app: TestApp) {
    let peer = peer_for(&app).await;
    let sub = subscriber(&app, &peer, Some("fay"), &[], &[]).await;
    peer.set_mode(
        &sub,
        Mode::RetryAfter {
            status: 429,
            value: "2".into(),
        },
    );
    let id = app
        .notify(json!({"title": "x", "target": {"uids": ["fay"]}}))
        .await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while peer.attempts_for(&sub) == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The peer counts an attempt on arrival and picks its answer after
    // checking it: let it answer the first one before changing the mode.
    tokio::time::sleep(Duration::from_millis(300)).await;
    peer.set_mode(&sub, Mode::Accept);
    let got = peer.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    let times = peer.attempt_times_for(&sub);
    assert_eq!(times.len(), 2);
    assert!(
        times[1] - times[0] >= Duration::from_millis(1900),
        "{:?}",
        times[1] - times[0]
    );
    assert_eq!(app.wait_done(id).await["counts"]["sent"], 1);
}

both_engines!(
    a_5xx_or_a_timeout_is_retried_with_backoff_until_accepted,
    server_errors
);
async fn server_errors(app: TestApp) {
    let peer = peer_for(&app).await;
    let flaky = subscriber(&app, &peer, Some("gil"), &[], &[]).await;
    let slow = subscriber(&app, &peer, Some("gil"), &[], &[]).await;
    let down = subscriber(&app, &peer, Some("gil"), &[], &[]).await;
    peer.set_mode(
        &flaky,
        Mode::FailThenAccept {
            times: 2,
            status: 500,
        },
    );
    peer.set_mode(&slow, Mode::Hang);
    peer.set_mode(&down, Mode::Status(502));
    let id = app
        .notify(json!({"title": "x", "target": {"uids": ["gil"]}}))
        .await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while peer.attempts_for(&slow) == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    peer.set_mode(&slow, Mode::Accept);
    let progress = app.wait_done(id).await;
    assert_eq!(progress["counts"]["sent"], 2, "{progress}");
    assert_eq!(progress["counts"]["failed"], 1, "{progress}");
    assert_eq!(peer.attempts_for(&flaky), 3);
    let times = peer.attempt_times_for(&flaky);
    assert!(
        times[2] - times[1] > times[1] - times[0] - Duration::from_millis(50),
        "back-off grows"
    );
    assert_eq!(peer.attempts_for(&slow), 2, "timed out once, then accepted");
    // max_attempts = 4 in the test configuration.
    assert_eq!(peer.attempts_for(&down), 4);
}

both_engines!(
    a_message_whose_ttl_passes_in_the_queue_is_expired,
    ttl_expiry
);
async fn ttl_expiry(app: TestApp) {
    let peer = peer_for(&app).await;
    let sub = subscriber(&app, &peer, Some("hal"), &[], &[]).await;
    peer.set_mode(
        &sub,
        Mode::RetryAfter {
            status: 503,
            value: "3".into(),
        },
    );
    let id = app
        .notify(json!({"title": "x", "ttl": 1, "target": {"uids": ["hal"]}}))
        .await;
    let progress = app.wait_done(id).await;
    assert_eq!(progress["counts"]["expired"], 1, "{progress}");
    assert_eq!(peer.attempts_for(&sub), 1);
}

both_engines!(
    after_an_opt_out_commits_nothing_more_reaches_the_subscription,
    opt_out_drains
);
async fn opt_out_drains(app: TestApp) {
    let peer = peer_for(&app).await;
    let sub = peer.new_subscription();
    let browser = Browser::from_peer(&sub);
    app.subscribe_as(&browser, "ivy").await;
    // Queued for later, and one being retried.
    let later = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let scheduled = app
        .notify(json!({"title": "later", "send_at": later, "target": {"uids": ["ivy"]}}))
        .await;
    peer.set_mode(&sub.id, Mode::Status(500));
    let now = app
        .notify(json!({"title": "now", "target": {"uids": ["ivy"]}}))
        .await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while peer.attempts_for(&sub.id) == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let out = app
        .mutate("POST", "/subscriptions/opt-out", &browser.owned())
        .await;
    assert_eq!(out.status, 200);
    // A request already on the wire when the opt-out committed may still
    // land (with a 500 here); let it, then nothing more may come.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let attempts_after_opt_out = peer.attempts_for(&sub.id);
    peer.set_mode(&sub.id, Mode::Accept);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        peer.attempts_for(&sub.id),
        attempts_after_opt_out,
        "nothing after the opt-out"
    );
    assert!(peer.received_for(&sub.id).is_empty());
    for id in [scheduled, now] {
        let progress = app.wait_done(id).await;
        assert_eq!(progress["counts"]["cancelled"], 1, "{progress}");
    }
    let broadcast = app
        .notify(json!({"title": "all", "target": {"all": true}}))
        .await;
    assert_eq!(app.wait_done(broadcast).await["counts"]["sent"], 0);
}

both_engines!(
    a_scheduled_send_waits_and_can_be_cancelled_before_it_starts,
    scheduling
);
async fn scheduling(app: TestApp) {
    let peer = peer_for(&app).await;
    let sub = subscriber(&app, &peer, None, &["fans"], &[]).await;
    let at = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let accepted = Instant::now();
    let id = app
        .notify(json!({"title": "soon", "send_at": at.to_rfc3339(), "target": {"tags": "fans"}}))
        .await;
    assert_eq!(
        app.backend("GET", &format!("/notifications/{id}"))
            .await
            .body["status"],
        "scheduled"
    );
    let got = peer.wait_for(1, Duration::from_secs(6)).await;
    assert_eq!(got.len(), 1);
    assert!(got[0].at - accepted >= Duration::from_millis(1300));
    assert_eq!(got[0].subscription, sub);

    let at = chrono::Utc::now() + chrono::Duration::seconds(60);
    let cancelled = app
        .notify(json!({"title": "never", "send_at": at.to_rfc3339(), "target": {"all": true}}))
        .await;
    let answer = app
        .backend("DELETE", &format!("/notifications/{cancelled}"))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["status"], "cancelled");
    // Cancelling something already sent is a conflict.
    let answer = app.backend("DELETE", &format!("/notifications/{id}")).await;
    assert_eq!(answer.status, 409);
    let missing = app.backend("GET", "/notifications/424242").await;
    assert_eq!(missing.status, 404);
}

both_engines!(
    invalid_sends_are_refused_with_the_field_and_oversized_ones_with_413,
    invalid_sends
);
async fn invalid_sends(app: TestApp) {
    let cases = [
        (json!({"title": "x"}), "target"),
        (json!({"title": "x", "target": {}}), "target"),
        (
            json!({"title": "x", "target": {"all": true, "topic": "a"}}),
            "target",
        ),
        (json!({"target": {"all": true}}), "title"),
        (
            json!({"title": "x", "target": {"tags": "a && (b"}}),
            "target.tags",
        ),
        (json!({"title": "x", "target": {"uids": []}}), "target.uids"),
        (
            json!({"title": "x", "target": {"uids": ["bad uid"]}}),
            "target.uids[0]",
        ),
        (
            json!({"title": "x", "ttl": 2_419_201, "target": {"all": true}}),
            "ttl",
        ),
        (
            json!({"title": "x", "urgency": "urgent", "target": {"all": true}}),
            "urgency",
        ),
        (
            json!({"title": "x", "topic": "has space", "target": {"all": true}}),
            "topic",
        ),
        (
            json!({"title": "x", "topic": "a".repeat(33), "target": {"all": true}}),
            "topic",
        ),
        (
            json!({"title": "x", "send_at": "tomorrow", "target": {"all": true}}),
            "send_at",
        ),
        (
            json!({"title": "x", "url": "javascript:alert(1)", "target": {"all": true}}),
            "url",
        ),
        (
            json!({"title": "x", "actions": [{"action": "a", "title": "A"}, {"action": "b", "title": "B"}, {"action": "c", "title": "C"}], "target": {"all": true}}),
            "actions",
        ),
        (
            json!({"title": "x", "actions": [{"title": "A"}], "target": {"all": true}}),
            "actions[0].action",
        ),
        (
            json!({"title": "x", "data": [1], "target": {"all": true}}),
            "data",
        ),
    ];
    for (body, field) in cases {
        let answer = app
            .backend_with("POST", "/notifications", Some(&body))
            .await;
        assert_eq!(answer.status, 400, "{body}: {}", answer.text);
        assert_eq!(answer.body["error"]["field"], field, "{}", answer.text);
    }
    let tags = app
        .backend_with(
            "POST",
            "/notifications",
            Some(&json!({"title": "x", "target": {"tags": "a &&"}})),
        )
        .await;
    assert!(
        tags.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("column 5"),
        "{}",
        tags.text
    );
    let big = json!({"title": "x", "body": "y".repeat(3000), "data": {"z": "w".repeat(900)}, "target": {"all": true}});
    let answer = app.backend_with("POST", "/notifications", Some(&big)).await;
    assert_eq!(answer.status, 413, "{}", answer.text);
    assert!(
        answer.body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("over the 4096-byte limit")
    );
    let anonymous = app
        .client
        .post(app.url("/notifications"))
        .json(&json!({"title": "x", "target": {"all": true}}))
        .send()
        .await
        .expect("post");
    assert_eq!(anonymous.status(), 401);
}

both_engines!(
    a_broadcast_is_fanned_out_in_batches_once_per_subscription,
    fan_out
);
async fn fan_out(app: TestApp) {
    let peer = peer_for(&app).await;
    let mut subs = Vec::new();
    for _ in 0..30 {
        subs.push(subscriber(&app, &peer, None, &[], &[]).await);
    }
    // The test configuration expands 7 subscriptions per step.
    let id = app
        .notify(json!({"title": "everyone", "target": {"all": true}}))
        .await;
    let progress = app.wait_done(id).await;
    assert_eq!(progress["counts"]["sent"], 30, "{progress}");
    let got = peer.wait_for(30, Duration::from_secs(5)).await;
    subs.sort();
    assert_eq!(ids(&got), subs, "each exactly once");
    // Subscribers who arrive after the send was accepted are not part of it.
    let late = subscriber(&app, &peer, None, &[], &[]).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(peer.received_for(&late).is_empty());
}

both_engines!(
    a_retried_send_with_the_same_idempotency_key_notifies_once,
    send_idempotency
);
async fn send_idempotency(app: TestApp) {
    let peer = peer_for(&app).await;
    subscriber(&app, &peer, Some("joe"), &[], &[]).await;
    let body = json!({"title": "once", "target": {"uids": ["joe"]}});
    let send = || {
        app.client
            .post(app.url("/notifications"))
            .bearer_auth(&app.project.api_token)
            .header("Idempotency-Key", "send-1")
            .json(&body)
            .send()
    };
    let first = crate::helpers::answer(send().await.expect("post")).await;
    let second = crate::helpers::answer(send().await.expect("post")).await;
    assert_eq!(first.status, 202);
    assert_eq!(first.text, second.text);
    app.wait_done(first.body["id"].as_i64().expect("id")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(peer.received().len(), 1);
}

both_engines!(
    a_delivery_left_leased_by_a_dead_worker_is_taken_over_once,
    lease_takeover
);
async fn lease_takeover(app: TestApp) {
    use sqlx::Row;
    let peer = peer_for(&app).await;
    let dead = subscriber(&app, &peer, Some("kay"), &[], &[]).await;
    let waiting = subscriber(&app, &peer, Some("lou"), &[], &[]).await;
    // Queue two sends but make them look claimed by a worker that died: one
    // lease already over, one running for two more seconds.
    let at = chrono::Utc::now() + chrono::Duration::seconds(3600);
    let kay = app
        .notify(json!({"title": "kay", "send_at": at.to_rfc3339(), "target": {"uids": ["kay"]}}))
        .await;
    let lou = app
        .notify(json!({"title": "lou", "send_at": at.to_rfc3339(), "target": {"uids": ["lou"]}}))
        .await;
    let now = chrono::Utc::now().timestamp_millis();
    for (id, lease) in [(kay, now - 1000), (lou, now + 2000)] {
        sqlx::query("update notifications set send_at = $1 where id = $2")
            .bind(now)
            .bind(id)
            .execute(app.db.writer())
            .await
            .expect("update");
        sqlx::query("update deliveries set state = 'sending', attempts = 1, lease_until = $1, next_attempt_at = $2 where notification_id = $3")
            .bind(lease)
            .bind(now)
            .bind(id)
            .execute(app.db.writer())
            .await
            .expect("lease");
    }
    let started = Instant::now();
    let got = peer.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 2);
    let lou_at = got
        .iter()
        .find(|r| r.subscription == waiting)
        .expect("lou")
        .at;
    assert!(
        lou_at - started >= Duration::from_millis(1500),
        "a live lease is respected"
    );
    assert!(got.iter().any(|r| r.subscription == dead));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(peer.received().len(), 2, "each exactly once");
    let attempts: i64 = sqlx::query("select max(attempts) as a from deliveries")
        .fetch_one(app.db.pool())
        .await
        .expect("row")
        .try_get("a")
        .expect("a");
    assert_eq!(attempts, 2, "the take-over is a second attempt");
}

both_engines!(
    two_nodes_on_one_database_share_the_work_and_send_each_message_once,
    two_nodes
);
async fn two_nodes(app: TestApp) {
    let second =
        crate::helpers::spawn_node(&app.database_url, vec![], tempfile::tempdir().expect("dir"))
            .await;
    let peer = peer_for(&app).await;
    let mut subs = Vec::new();
    for _ in 0..60 {
        subs.push(subscriber(&app, &peer, None, &["many"], &[]).await);
    }
    // Slow answers keep both nodes' workers busy at the same time.
    for sub in &subs {
        peer.set_mode(sub, Mode::Delay(Duration::from_millis(30)));
    }
    let first = app
        .notify(json!({"title": "one", "target": {"tags": "many"}}))
        .await;
    let answer = second
        .client
        .post(format!(
            "{}/api/v1/projects/{}/notifications",
            second.address, app.project.id
        ))
        .bearer_auth(&app.project.api_token)
        .json(&json!({"title": "two", "target": {"all": true}}))
        .send()
        .await
        .expect("post");
    assert_eq!(answer.status(), 202);
    let got = peer.wait_for(120, Duration::from_secs(20)).await;
    assert_eq!(got.len(), 120);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(peer.received().len(), 120, "no duplicates");
    for sub in &subs {
        assert_eq!(peer.received_for(sub).len(), 2);
    }
    assert_eq!(app.wait_done(first).await["counts"]["sent"], 60);
}

both_engines!(
    a_push_signed_with_a_key_rotated_since_it_was_cached_is_retried_with_the_new_key,
    rotated_key
);
async fn rotated_key(app: TestApp) {
    let peer = peer_for(&app).await;
    let sub = subscriber(&app, &peer, Some("ann"), &[], &[]).await;
    // The first push makes the engine cache the project and its key.
    let first = app
        .notify(json!({"title": "before", "target": {"uids": ["ann"]}}))
        .await;
    assert_eq!(app.wait_done(first).await["counts"]["sent"], 1);
    // `herald vapid rotate` (another process) replaces the key; the browser
    // resubscribes with the new one, so the push service now expects it.
    let new_key = herald::projects::rotate_vapid(&app.db, &app.project.id)
        .await
        .expect("rotate");
    peer.expect_vapid_key(&new_key);
    let second = app
        .notify(json!({"title": "after", "target": {"uids": ["ann"]}}))
        .await;
    let done = app.wait_done(second).await;
    assert_eq!(done["counts"]["sent"], 1, "{done}");
    assert_eq!(done["counts"]["failed"], 0, "{done}");
    let got = peer.received_for(&sub);
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].payload["title"], "after");
}

both_engines!(
    a_subscription_made_with_the_key_a_rotation_replaced_still_receives,
    previous_key
);
async fn previous_key(app: TestApp) {
    // Subscribed with the project's first key (through an API-only node, so
    // this node has not cached the project before the rotation); the push
    // service holds the subscription to that key.
    let peer = peer_for(&app).await;
    let other = crate::helpers::spawn_api_node(&app.database_url, &app.project).await;
    let sub = subscriber(&other, &peer, Some("ann"), &[], &[]).await;
    let new_key = herald::projects::rotate_vapid(&app.db, &app.project.id)
        .await
        .expect("rotate");
    assert_ne!(new_key, app.project.vapid_public_key);
    // The browser has not loaded the site since: Herald signs with the new
    // key, is refused, and signs again with the previous one.
    let id = app
        .notify(json!({"title": "still here", "target": {"uids": ["ann"]}}))
        .await;
    let done = app.wait_done(id).await;
    assert_eq!(done["counts"]["sent"], 1, "{done}");
    let got = peer.received_for(&sub);
    assert_eq!(got.len(), 1, "delivered once");
    assert_eq!(got[0].payload["title"], "still here");
    // A second rotation drops the first key: nothing is signed with it.
    herald::projects::rotate_vapid(&app.db, &app.project.id)
        .await
        .expect("rotate again");
    let gone = app
        .notify(json!({"title": "too old", "target": {"uids": ["ann"]}}))
        .await;
    let done = app.wait_done(gone).await;
    assert_eq!(done["counts"]["failed"], 1, "{done}");
    assert_eq!(peer.received_for(&sub).len(), 1);
}

both_engines!(
    a_notification_whose_stored_target_cannot_be_read_fails_saying_why,
    unreadable_target
);
async fn unreadable_target(app: TestApp) {
    let mut body = Browser::new().subscription();
    body["tags"] = json!(["a"]);
    assert_eq!(
        app.mutate("POST", "/subscriptions", &body).await.status,
        201
    );
    let later = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let id = app
        .notify(json!({"title": "x", "send_at": later, "target": {"tags": "a"}}))
        .await;
    // Damaged behind Herald's back (a hand edit, a bad restore).
    sqlx::query("update notifications set target = $1, send_at = 0 where id = $2")
        .bind(r#"{"tags": "a &&"}"#)
        .bind(id)
        .execute(app.db.writer())
        .await
        .expect("update");
    let deadline = Instant::now() + Duration::from_secs(10);
    let progress = loop {
        let progress = app.backend("GET", &format!("/notifications/{id}")).await;
        if progress.body["status"] == "failed" || Instant::now() > deadline {
            break progress.body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(progress["status"], "failed", "{progress}");
    assert!(
        progress["failure"]
            .as_str()
            .unwrap_or_default()
            .contains("stored target cannot be read"),
        "{progress}"
    );
}
