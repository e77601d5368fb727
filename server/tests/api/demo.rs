//! The demo shop's backend (`herald serve --demo`): log in as a demo user,
//! get a uid token for that user only, with the session's CSRF token; the
//! token binds the uid in Herald; log out ends it. Off without `--demo`.

use crate::both_engines;
use crate::helpers::{Browser, TestApp, spawn_demo_node};
use serde_json::{Value, json};

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

both_engines!(
    a_demo_user_gets_a_token_for_their_own_uid_only_and_herald_accepts_it,
    demo_auth
);
async fn demo_auth(app: TestApp) {
    let demo = spawn_demo_node(&app).await;
    let jar = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", demo.address);

    let (status, config) =
        json_of(jar.get(url("/demo/config")).send().await.expect("config")).await;
    assert_eq!(status, 200);
    assert_eq!(config["project"], json!(app.project.id));
    assert_eq!(config["users"].as_array().map(Vec::len), Some(3));

    // Not logged in: no token.
    let (status, _) = json_of(
        jar.post(url("/demo/auth?uid=alice"))
            .send()
            .await
            .expect("auth"),
    )
    .await;
    assert_eq!(status, 401);
    let (status, body) = json_of(
        jar.post(url("/demo/login"))
            .json(&json!({"user": "mallory"}))
            .send()
            .await
            .expect("login"),
    )
    .await;
    assert_eq!((status, &body["error"]["field"]), (400, &json!("user")));

    let response = jar
        .post(url("/demo/login"))
        .json(&json!({"user": "alice"}))
        .send()
        .await
        .expect("login");
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let (_, session) = json_of(response).await;
    // The browser sends the cookie back (name=value, before the attributes).
    let cookie = cookie.split(';').next().unwrap_or_default().to_string();
    assert_eq!(session["user"]["id"], "alice");
    let csrf = session["csrf"].as_str().expect("csrf").to_string();
    let (_, again) = json_of(
        jar.get(url("/demo/session"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("session"),
    )
    .await;
    assert_eq!(again, session);

    // Without the CSRF header, or for someone else's uid: refused.
    let (status, _) = json_of(
        jar.post(url("/demo/auth?uid=alice"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("auth"),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = json_of(
        jar.post(url("/demo/auth?uid=bob"))
            .header("x-csrf-token", &csrf)
            .header("cookie", &cookie)
            .send()
            .await
            .expect("auth"),
    )
    .await;
    assert_eq!(status, 403);
    let (status, token) = json_of(
        jar.post(url("/demo/auth?uid=alice"))
            .header("x-csrf-token", &csrf)
            .header("cookie", &cookie)
            .send()
            .await
            .expect("auth"),
    )
    .await;
    assert_eq!(status, 200);
    let token = token["token"].as_str().expect("token").to_string();
    assert_eq!(token.split('.').count(), 3, "a JWT");

    // Herald accepts the token as the uid's signature.
    let browser_sub = Browser::new();
    let mut body = browser_sub.subscription();
    body["uid"] = json!("alice");
    body["uid_signature"] = json!(token);
    let answer = app.mutate("POST", "/subscriptions", &body).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(answer.body["uid"], "alice");
    // Not for bob.
    let mut body = Browser::new().subscription();
    body["uid"] = json!("bob");
    body["uid_signature"] = json!(token);
    assert_eq!(
        app.mutate("POST", "/subscriptions", &body).await.status,
        403
    );

    // Log out: the cookie is cleared; a forged one is no session.
    let response = jar.post(url("/demo/logout")).send().await.expect("logout");
    let cleared = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        cleared.starts_with("herald_demo=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    let (status, out) = json_of(response).await;
    assert_eq!((status, &out["user"]), (200, &Value::Null));
    let forged = cookie.replace("alice.", "bob.");
    let (status, _) = json_of(
        jar.post(url("/demo/auth?uid=bob"))
            .header("x-csrf-token", &csrf)
            .header("cookie", &forged)
            .send()
            .await
            .expect("auth"),
    )
    .await;
    assert_eq!(status, 401);
}

both_engines!(without_demo_there_are_no_demo_routes, no_demo);
async fn no_demo(app: TestApp) {
    let answer = app
        .client
        .post(format!("{}/demo/login", app.address))
        .json(&json!({"user": "alice"}))
        .send()
        .await
        .expect("post");
    assert!(
        answer.status() == 404 || answer.status() == 405,
        "{}",
        answer.status()
    );
}
