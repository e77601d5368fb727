//! Rule 7: replays return the first answer byte for byte and change nothing;
//! a key reused for another request is a 422; concurrent duplicates make one effect.

use crate::both_engines;
use crate::helpers::{Browser, TestApp};
use serde_json::json;

both_engines!(
    a_replay_returns_the_first_answer_byte_for_byte_and_one_consent_row,
    replay
);
async fn replay(app: TestApp) {
    let browser = Browser::new();
    let body = browser.subscription();
    let first = app
        .send("POST", "/subscriptions", Some(&body), Some("key-1"))
        .await;
    assert_eq!(first.status, 201);
    // Change the state in between: the replay must still be the first answer.
    let mut prefs = browser.owned();
    prefs["topics"] = json!(["news"]);
    app.mutate("PUT", "/subscriptions/preferences", &prefs)
        .await;
    let replay = app
        .send("POST", "/subscriptions", Some(&body), Some("key-1"))
        .await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.text, first.text);
    assert_eq!(
        replay
            .headers
            .get("idempotent-replayed")
            .map(|v| v.as_bytes()),
        Some(&b"true"[..])
    );
    assert_eq!(app.consent_count("opt_in").await, 1);

    let out1 = app
        .send(
            "POST",
            "/subscriptions/opt-out",
            Some(&browser.owned()),
            Some("key-2"),
        )
        .await;
    let out2 = app
        .send(
            "POST",
            "/subscriptions/opt-out",
            Some(&browser.owned()),
            Some("key-2"),
        )
        .await;
    assert_eq!((out1.status, &out1.text), (out2.status, &out2.text));
    assert_eq!(app.consent_count("opt_out").await, 1);
}

both_engines!(the_same_key_with_another_body_is_refused_with_422, reused);
async fn reused(app: TestApp) {
    let browser = Browser::new();
    app.send(
        "POST",
        "/subscriptions",
        Some(&browser.subscription()),
        Some("key-x"),
    )
    .await;
    let before = app.subscriptions_snapshot().await;
    let other = Browser::new();
    let answer = app
        .send(
            "POST",
            "/subscriptions",
            Some(&other.subscription()),
            Some("key-x"),
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.text);
    assert_eq!(answer.body["error"]["code"], "idempotency_key_reused");
    // Another path with the same key is another request too.
    let answer = app
        .send(
            "POST",
            "/subscriptions/opt-out",
            Some(&browser.owned()),
            Some("key-x"),
        )
        .await;
    assert_eq!(answer.status, 422);
    assert_eq!(app.subscriptions_snapshot().await, before);
}

both_engines!(
    fifty_concurrent_requests_with_one_key_make_one_effect_and_no_5xx,
    concurrent
);
async fn concurrent(app: TestApp) {
    let app = std::sync::Arc::new(app);
    let browser = Browser::new();
    let mut body = browser.subscription();
    body["uid"] = json!("mia");
    body["uid_signature"] = json!(app.sign("mia"));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let (app, body) = (app.clone(), body.clone());
        tasks.spawn(async move {
            app.send("POST", "/subscriptions", Some(&body), Some("one-key"))
                .await
        });
    }
    let mut texts = Vec::new();
    while let Some(answer) = tasks.join_next().await {
        let answer = answer.expect("task");
        assert_eq!(answer.status, 201, "{}", answer.text);
        texts.push(answer.text);
    }
    assert!(
        texts.windows(2).all(|w| w[0] == w[1]),
        "every answer is the first one"
    );
    assert_eq!(app.consent_count("opt_in").await, 1);
    assert_eq!(app.consent_count("uid_assign").await, 1);
    assert_eq!(app.subscriptions_snapshot().await.len(), 1);
}

both_engines!(
    concurrent_subscribes_of_one_endpoint_with_different_keys_store_it_once,
    racing_upserts
);
async fn racing_upserts(app: TestApp) {
    let app = std::sync::Arc::new(app);
    let browser = Browser::new();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (app, browser) = (app.clone(), browser.clone());
        tasks.spawn(async move { app.subscribe(&browser).await.status });
    }
    let mut statuses = Vec::new();
    while let Some(status) = tasks.join_next().await {
        statuses.push(status.expect("task"));
    }
    statuses.sort_unstable();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 201),
        "{statuses:?}"
    );
    assert_eq!(app.consent_count("opt_in").await, 1);
}

both_engines!(a_malformed_idempotency_key_is_a_400, bad_key);
async fn bad_key(app: TestApp) {
    let browser = Browser::new();
    let long = "k".repeat(256);
    let answer = app
        .send(
            "POST",
            "/subscriptions",
            Some(&browser.subscription()),
            Some(&long),
        )
        .await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.body["error"]["field"], "Idempotency-Key");
}
