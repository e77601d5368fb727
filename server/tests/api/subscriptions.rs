//! Subscribing, logging in and out, preferences, opt-out and rotation.

use crate::both_engines;
use crate::helpers::{Browser, TestApp};
use serde_json::json;

both_engines!(
    subscribing_creates_once_then_answers_the_stored_state,
    subscribing_creates_once
);
async fn subscribing_creates_once(app: TestApp) {
    let browser = Browser::new();
    let mut body = browser.subscription();
    body["tags"] = json!(["vip", "beta", "vip"]);
    body["topics"] = json!(["news"]);
    body["frequency"] = json!("daily_digest");
    let first = app.mutate("POST", "/subscriptions", &body).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(
        first.body,
        json!({"status": "active", "uid": null, "tags": ["beta", "vip"], "topics": ["news"], "frequency": "daily_digest"})
    );
    let again = app.subscribe(&browser).await;
    assert_eq!(again.status, 200, "{}", again.text);
    // A plain re-subscribe keeps what was set before.
    assert_eq!(again.body, first.body);
    assert_eq!(app.status(&browser).await.body, first.body);
    assert_eq!(app.consent_count("opt_in").await, 1);
}

both_engines!(
    assigning_a_uid_takes_the_subscription_from_the_previous_user,
    reassign
);
async fn reassign(app: TestApp) {
    let browser = Browser::new();
    assert_eq!(app.subscribe_as(&browser, "alice").await.status, 201);
    let moved = app.log_in(&browser, "bob").await;
    assert_eq!(moved.status, 200, "{}", moved.text);
    assert_eq!(moved.body["uid"], "bob");
    let alice = app.backend("GET", "/users/alice/subscriptions").await;
    assert_eq!(alice.status, 200);
    assert_eq!(alice.body["subscriptions"], json!([]));
    let bob = app.backend("GET", "/users/bob/subscriptions").await;
    assert_eq!(bob.body["subscriptions"].as_array().map(Vec::len), Some(1));
    let kinds: Vec<String> = app
        .consent_rows()
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(kinds, ["opt_in", "uid_assign", "uid_remove", "uid_assign"]);
}

both_engines!(
    a_user_with_three_devices_has_three_subscriptions_listed_by_hash,
    three_devices
);
async fn three_devices(app: TestApp) {
    let devices: Vec<Browser> = (0..3).map(|_| Browser::new()).collect();
    for device in &devices {
        assert_eq!(app.subscribe_as(device, "carol").await.status, 201);
    }
    let listed = app.backend("GET", "/users/carol/subscriptions").await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    let subs = listed.body["subscriptions"]
        .as_array()
        .expect("list")
        .clone();
    assert_eq!(subs.len(), 3);
    for (device, sub) in devices.iter().zip(&subs) {
        assert_eq!(
            sub["endpoint_hash"],
            herald::secret::sha256_hex(&device.endpoint)
        );
        assert_eq!(sub["status"], "active");
        assert!(sub["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    }
    for device in &devices {
        assert!(
            !listed.text.contains(&device.endpoint),
            "raw endpoint leaked"
        );
        assert!(!listed.text.contains(&device.auth), "auth leaked");
    }
}

both_engines!(logging_out_keeps_an_anonymous_active_subscription, log_out);
async fn log_out(app: TestApp) {
    let browser = Browser::new();
    app.subscribe_as(&browser, "dave").await;
    let out = app
        .mutate("DELETE", "/subscriptions/uid", &browser.owned())
        .await;
    assert_eq!(out.status, 200, "{}", out.text);
    assert_eq!(out.body["uid"], json!(null));
    assert_eq!(out.body["status"], "active");
    let dave = app.backend("GET", "/users/dave/subscriptions").await;
    assert_eq!(dave.body["subscriptions"], json!([]));
    assert_eq!(app.consent_count("uid_remove").await, 1);
    // Logging out again changes nothing and records nothing.
    let again = app
        .mutate("DELETE", "/subscriptions/uid", &browser.owned())
        .await;
    assert_eq!(again.status, 200);
    assert_eq!(app.consent_count("uid_remove").await, 1);
}

both_engines!(
    opting_out_then_subscribing_again_is_a_new_opt_in,
    opt_out_and_back
);
async fn opt_out_and_back(app: TestApp) {
    let browser = Browser::new();
    app.subscribe_as(&browser, "erin").await;
    let out = app
        .mutate("POST", "/subscriptions/opt-out", &browser.owned())
        .await;
    assert_eq!(out.status, 200, "{}", out.text);
    assert_eq!(out.body["status"], "opted_out");
    assert_eq!(app.status(&browser).await.body["status"], "opted_out");
    let back = app.subscribe(&browser).await;
    assert_eq!(back.status, 200);
    assert_eq!(back.body["status"], "active");
    let kinds: Vec<String> = app
        .consent_rows()
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(kinds, ["opt_in", "uid_assign", "opt_out", "opt_in"]);
}

both_engines!(preference_changes_each_write_a_consent_row, preferences);
async fn preferences(app: TestApp) {
    let browser = Browser::new();
    app.subscribe(&browser).await;
    let mut body = browser.owned();
    body["topics"] = json!(["sales", "news"]);
    body["frequency"] = json!("weekly_digest");
    let changed = app.mutate("PUT", "/subscriptions/preferences", &body).await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["topics"], json!(["news", "sales"]));
    assert_eq!(changed.body["frequency"], "weekly_digest");
    let rows = app.consent_rows().await;
    assert_eq!(rows[1].0, "topic_update");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&rows[1].1).expect("json"),
        json!({"topics": ["news", "sales"]})
    );
    assert_eq!(rows[2].0, "frequency_update");
    // The same preferences again: no change, no new row.
    app.mutate("PUT", "/subscriptions/preferences", &body).await;
    assert_eq!(app.consent_rows().await.len(), 3);
    let empty = app
        .mutate("PUT", "/subscriptions/preferences", &browser.owned())
        .await;
    assert_eq!(empty.status, 400);
}

both_engines!(
    rotating_carries_uid_tags_and_topics_to_the_new_endpoint,
    rotate
);
async fn rotate(app: TestApp) {
    let old = Browser::new();
    let mut body = old.subscription();
    body["uid"] = json!("frank");
    body["uid_signature"] = json!(app.sign("frank"));
    body["tags"] = json!(["vip"]);
    body["topics"] = json!(["news"]);
    app.mutate("POST", "/subscriptions", &body).await;
    let new = Browser::new();
    let rotated = app
        .mutate("POST", "/subscriptions/rotate", &old.rotation_to(&new))
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    assert_eq!(rotated.body["uid"], "frank");
    assert_eq!(rotated.body["tags"], json!(["vip"]));
    assert_eq!(app.status(&new).await.body["topics"], json!(["news"]));
    assert_eq!(app.status(&old).await.status, 404);
    let frank = app.backend("GET", "/users/frank/subscriptions").await;
    let subs = frank.body["subscriptions"]
        .as_array()
        .expect("list")
        .clone();
    assert_eq!(subs.len(), 1);
    assert_eq!(
        subs[0]["endpoint_hash"],
        herald::secret::sha256_hex(&new.endpoint)
    );
}

both_engines!(
    rotating_onto_an_endpoint_already_stored_merges_into_it,
    rotate_merge
);
async fn rotate_merge(app: TestApp) {
    let old = Browser::new();
    app.subscribe_as(&old, "gina").await;
    let new = Browser::new();
    app.subscribe(&new).await;
    let rotated = app
        .mutate("POST", "/subscriptions/rotate", &old.rotation_to(&new))
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.text);
    assert_eq!(rotated.body["uid"], "gina");
    assert_eq!(app.status(&old).await.body["status"], "expired");
    let gina = app.backend("GET", "/users/gina/subscriptions").await;
    assert_eq!(gina.body["subscriptions"].as_array().map(Vec::len), Some(1));
}

both_engines!(mutations_need_the_subscriptions_auth_secret, possession);
async fn possession(app: TestApp) {
    let browser = Browser::new();
    app.subscribe_as(&browser, "hank").await;
    let before = app.subscriptions_snapshot().await;
    let consent_before = app.consent_rows().await.len();
    let thief = Browser::new();
    let stolen = json!({ "endpoint": browser.endpoint, "auth": thief.auth });
    let mut login = stolen.clone();
    login["uid"] = json!("mallory");
    login["uid_signature"] = json!(app.sign("mallory"));
    let mut prefs = stolen.clone();
    prefs["topics"] = json!(["spam"]);
    let rotate = json!({
        "old_endpoint": browser.endpoint, "old_auth": thief.auth,
        "endpoint": thief.endpoint, "keys": {"p256dh": thief.p256dh, "auth": thief.auth}
    });
    let mut resubscribe = thief.subscription();
    resubscribe["endpoint"] = json!(browser.endpoint);
    for (method, path, body) in [
        ("PUT", "/subscriptions/uid", &login),
        ("DELETE", "/subscriptions/uid", &stolen),
        ("PUT", "/subscriptions/preferences", &prefs),
        ("POST", "/subscriptions/opt-out", &stolen),
        ("POST", "/subscriptions/rotate", &rotate),
        ("POST", "/subscriptions", &resubscribe),
        ("POST", "/subscriptions/status", &stolen),
    ] {
        let answer = app.mutate(method, path, body).await;
        assert_eq!(answer.status, 403, "{method} {path}: {}", answer.text);
        assert_eq!(answer.body["error"]["code"], "forbidden");
    }
    assert_eq!(app.subscriptions_snapshot().await, before);
    assert_eq!(app.consent_rows().await.len(), consent_before);
    let unknown = app
        .mutate("POST", "/subscriptions/opt-out", &thief.owned())
        .await;
    assert_eq!(unknown.status, 404);
}

both_engines!(an_unknown_project_is_a_404, unknown_project);
async fn unknown_project(app: TestApp) {
    let url = format!("{}/api/v1/projects/nope/vapid-public-key", app.address);
    let answer = crate::helpers::answer(app.client.get(url).send().await.expect("get")).await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.body["error"]["code"], "not_found");
    let key = app.send("GET", "/vapid-public-key", None, None).await;
    assert_eq!(key.body["key"], app.project.vapid_public_key);
    let health = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .expect("get");
    assert_eq!(health.status(), 200);
}
