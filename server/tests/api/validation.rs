//! Every invalid input is a 400 (or 413) that names the field, and stores nothing.

use crate::both_engines;
use crate::helpers::{Browser, TestApp};
use serde_json::{Value, json};

fn with(mut body: Value, pointer: &str, value: Value) -> Value {
    *body.pointer_mut(pointer).expect("pointer") = value;
    body
}

both_engines!(
    each_invalid_subscription_field_is_a_400_naming_it,
    invalid_fields
);
async fn invalid_fields(app: TestApp) {
    let b = Browser::new();
    let ok = b.subscription();
    let not_a_point = base64_url(&[4u8; 65]);
    let cases: Vec<(&str, Value)> = vec![
        ("endpoint", json!({"keys": ok["keys"]})),
        (
            "endpoint",
            with(ok.clone(), "/endpoint", json!("not a url")),
        ),
        (
            "endpoint",
            with(ok.clone(), "/endpoint", json!("http://push.example.com/x")),
        ),
        (
            "endpoint",
            with(
                ok.clone(),
                "/endpoint",
                json!(format!("https://push.example.com/{}", "a".repeat(1020))),
            ),
        ),
        ("endpoint", with(ok.clone(), "/endpoint", json!(42))),
        ("keys", json!({"endpoint": b.endpoint})),
        (
            "keys.p256dh",
            with(ok.clone(), "/keys/p256dh", json!("***")),
        ),
        (
            "keys.p256dh",
            with(ok.clone(), "/keys/p256dh", json!(not_a_point)),
        ),
        (
            "keys.p256dh",
            with(ok.clone(), "/keys/p256dh", json!(base64_url(&[7u8; 33]))),
        ),
        (
            "keys.auth",
            with(ok.clone(), "/keys/auth", json!(base64_url(&[1u8; 15]))),
        ),
        (
            "keys.auth",
            with(ok.clone(), "/keys/auth", json!(base64_url(&[1u8; 17]))),
        ),
        ("keys.auth", with(ok.clone(), "/keys/auth", json!("%%%"))),
        (
            "uid",
            with(ok.clone(), "/endpoint", b.endpoint.clone().into())
                .merge(json!({"uid": "has space"})),
        ),
        ("uid", ok.clone().merge(json!({"uid": "x".repeat(201)}))),
        (
            "tags",
            ok.clone()
                .merge(json!({"tags": (0..101).map(|i| format!("t{i}")).collect::<Vec<_>>()})),
        ),
        (
            "tags[1]",
            ok.clone().merge(json!({"tags": ["ok", "not ok"]})),
        ),
        (
            "topics[0]",
            ok.clone().merge(json!({"topics": ["x".repeat(65)]})),
        ),
        ("topics", ok.clone().merge(json!({"topics": "news"}))),
        (
            "frequency",
            ok.clone().merge(json!({"frequency": "hourly"})),
        ),
        (
            "disclosure_version",
            ok.clone().merge(json!({"disclosure_version": ""})),
        ),
    ];
    for (field, body) in cases {
        let answer = app.mutate("POST", "/subscriptions", &body).await;
        assert_eq!(answer.status, 400, "{field}: {}", answer.text);
        assert_eq!(answer.body["error"]["code"], "invalid_request", "{field}");
        assert_eq!(answer.body["error"]["field"], field, "{}", answer.text);
        let message = answer.body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with(field),
            "message names {field}: {message}"
        );
    }
    assert!(app.subscriptions_snapshot().await.is_empty());
}

both_engines!(malformed_json_and_oversized_bodies_are_refused, malformed);
async fn malformed(app: TestApp) {
    let url = app.url("/subscriptions");
    for raw in ["{", "[1,2]", "", "null"] {
        let response = app
            .client
            .post(&url)
            .body(raw)
            .header("content-type", "application/json")
            .send()
            .await
            .expect("post");
        let answer = crate::helpers::answer(response).await;
        assert_eq!(answer.status, 400, "{raw:?}: {}", answer.text);
        assert_eq!(answer.body["error"]["code"], "malformed_json", "{raw:?}");
    }
    let big = json!({"endpoint": "https://e.com/x", "pad": "x".repeat(17 * 1024)});
    let answer = app.mutate("POST", "/subscriptions", &big).await;
    assert!(
        answer.status == 413 || answer.status == 400,
        "{}",
        answer.status
    );
    assert!(
        answer.body["error"]["message"].is_string(),
        "{}",
        answer.text
    );
}

both_engines!(owned_mutations_validate_endpoint_auth_and_uid, owned_fields);
async fn owned_fields(app: TestApp) {
    let b = Browser::new();
    app.subscribe(&b).await;
    let cases = [
        (
            "/subscriptions/uid",
            "PUT",
            json!({"auth": b.auth, "uid": "x", "uid_signature": "y"}),
            "endpoint",
        ),
        (
            "/subscriptions/uid",
            "PUT",
            json!({"endpoint": b.endpoint, "uid": "x", "uid_signature": "y"}),
            "auth",
        ),
        (
            "/subscriptions/uid",
            "PUT",
            json!({"endpoint": b.endpoint, "auth": b.auth}),
            "uid",
        ),
        (
            "/subscriptions/uid",
            "PUT",
            json!({"endpoint": b.endpoint, "auth": b.auth, "uid": "a/b"}),
            "uid",
        ),
        (
            "/subscriptions/opt-out",
            "POST",
            json!({"endpoint": b.endpoint, "auth": "short"}),
            "auth",
        ),
        (
            "/subscriptions/preferences",
            "PUT",
            json!({"endpoint": b.endpoint, "auth": b.auth, "frequency": 3}),
            "frequency",
        ),
        (
            "/subscriptions/rotate",
            "POST",
            json!({"old_auth": b.auth, "endpoint": b.endpoint, "keys": b.subscription()["keys"]}),
            "old_endpoint",
        ),
    ];
    for (path, method, body, field) in cases {
        let answer = app.mutate(method, path, &body).await;
        assert_eq!(answer.status, 400, "{path} {field}: {}", answer.text);
        assert_eq!(
            answer.body["error"]["field"], field,
            "{path}: {}",
            answer.text
        );
    }
}

fn base64_url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

trait Merge {
    fn merge(self, other: Value) -> Value;
}

impl Merge for Value {
    fn merge(mut self, other: Value) -> Value {
        if let (Some(a), Value::Object(b)) = (self.as_object_mut(), other) {
            a.extend(b);
        }
        self
    }
}
