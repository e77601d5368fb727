//! Rule 8: a uid is bound only with a valid signature; anything else is a 403
//! that changes nothing.

use crate::both_engines;
use crate::helpers::{Browser, TestApp};
use herald::identity::{hmac_signature, jwt_signature};
use serde_json::{Value, json};

fn bad_signatures(app: &TestApp, uid: &str) -> Vec<(&'static str, Value)> {
    let now = chrono::Utc::now().timestamp();
    vec![
        ("missing", Value::Null),
        ("empty", json!("")),
        ("wrong hmac", json!(hmac_signature("not the secret", uid))),
        ("hmac of another uid", json!(app.sign("someone-else"))),
        ("garbage", json!("not-a-signature")),
        (
            "expired jwt",
            json!(jwt_signature(&app.project.secret, uid, now - 60)),
        ),
        (
            "jwt for another uid",
            json!(jwt_signature(
                &app.project.secret,
                "someone-else",
                now + 600
            )),
        ),
        (
            "jwt with a foreign key",
            json!(jwt_signature("foreign", uid, now + 600)),
        ),
    ]
}

both_engines!(
    wrong_missing_expired_or_foreign_signatures_are_refused_and_change_nothing,
    refused
);
async fn refused(app: TestApp) {
    let browser = Browser::new();
    app.subscribe_as(&browser, "ivy").await;
    let before = app.subscriptions_snapshot().await;
    let consent_before = app.consent_rows().await.len();
    for (what, signature) in bad_signatures(&app, "jack") {
        let mut login = browser.owned();
        login["uid"] = json!("jack");
        login["uid_signature"] = signature.clone();
        let answer = app.mutate("PUT", "/subscriptions/uid", &login).await;
        assert_eq!(answer.status, 403, "log in with {what}: {}", answer.text);
        assert_eq!(answer.body["error"]["code"], "forbidden");

        let fresh = Browser::new();
        let mut subscribe = fresh.subscription();
        subscribe["uid"] = json!("jack");
        subscribe["uid_signature"] = signature;
        let answer = app.mutate("POST", "/subscriptions", &subscribe).await;
        assert_eq!(answer.status, 403, "subscribe with {what}: {}", answer.text);
    }
    assert_eq!(app.subscriptions_snapshot().await, before);
    assert_eq!(app.consent_rows().await.len(), consent_before);
    let jack = app.backend("GET", "/users/jack/subscriptions").await;
    assert_eq!(jack.body["subscriptions"], json!([]));
}

both_engines!(an_unexpired_jwt_for_the_uid_binds_it, jwt_binds);
async fn jwt_binds(app: TestApp) {
    let browser = Browser::new();
    app.subscribe(&browser).await;
    let exp = chrono::Utc::now().timestamp() + 300;
    let mut login = browser.owned();
    login["uid"] = json!("kim@example.com");
    login["uid_signature"] = json!(jwt_signature(&app.project.secret, "kim@example.com", exp));
    let answer = app.mutate("PUT", "/subscriptions/uid", &login).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.body["uid"], "kim@example.com");
}

both_engines!(
    another_projects_secret_does_not_sign_for_this_one,
    foreign_project
);
async fn foreign_project(app: TestApp) {
    let other = herald::projects::create(&app.db, "Other shop")
        .await
        .expect("project");
    let browser = Browser::new();
    let mut body = browser.subscription();
    body["uid"] = json!("leo");
    body["uid_signature"] = json!(hmac_signature(&other.secret, "leo"));
    let answer = app.mutate("POST", "/subscriptions", &body).await;
    assert_eq!(answer.status, 403, "{}", answer.text);
    assert_eq!(app.status(&browser).await.status, 404, "nothing was stored");
}
