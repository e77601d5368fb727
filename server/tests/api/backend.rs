//! The backend's user endpoints: bearer tokens and logging a user out everywhere.

use crate::both_engines;
use crate::helpers::{Browser, TestApp, answer};
use serde_json::json;

both_engines!(user_endpoints_need_this_projects_api_token, tokens);
async fn tokens(app: TestApp) {
    let url = app.url("/users/olga/subscriptions");
    let none = answer(app.client.get(&url).send().await.expect("get")).await;
    assert_eq!(none.status, 401);
    assert_eq!(none.body["error"]["code"], "unauthorized");
    let wrong = answer(
        app.client
            .get(&url)
            .bearer_auth("hrld_wrong")
            .send()
            .await
            .expect("get"),
    )
    .await;
    assert_eq!(wrong.status, 401);
    let other = herald::projects::create(&app.db, "Other")
        .await
        .expect("project");
    let foreign = answer(
        app.client
            .get(&url)
            .bearer_auth(&other.api_token)
            .send()
            .await
            .expect("get"),
    )
    .await;
    assert_eq!(foreign.status, 401);
    let basic = answer(
        app.client
            .get(&url)
            .header("authorization", "Basic eDp5")
            .send()
            .await
            .expect("get"),
    )
    .await;
    assert_eq!(basic.status, 401);
    let delete = answer(app.client.delete(&url).send().await.expect("delete")).await;
    assert_eq!(delete.status, 401);
    let ok = app.backend("GET", "/users/olga/subscriptions").await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.body, json!({"uid": "olga", "subscriptions": []}));
    let second = herald::projects::create_token(&app.db, &app.project.id)
        .await
        .expect("token");
    let with_second = answer(
        app.client
            .get(&url)
            .bearer_auth(second.expose())
            .send()
            .await
            .expect("get"),
    )
    .await;
    assert_eq!(with_second.status, 200);
}

both_engines!(
    deleting_a_users_subscriptions_logs_them_out_everywhere,
    everywhere
);
async fn everywhere(app: TestApp) {
    let devices: Vec<Browser> = (0..3).map(|_| Browser::new()).collect();
    for d in &devices {
        app.subscribe_as(d, "pat").await;
    }
    let other = Browser::new();
    app.subscribe_as(&other, "quinn").await;
    let out = app.backend("DELETE", "/users/pat/subscriptions").await;
    assert_eq!(out.status, 200, "{}", out.text);
    assert_eq!(out.body, json!({"uid": "pat", "logged_out": 3}));
    for d in &devices {
        let state = app.status(d).await.body;
        assert_eq!(state["uid"], json!(null));
        assert_eq!(state["status"], "active");
    }
    assert_eq!(app.status(&other).await.body["uid"], "quinn");
    assert_eq!(app.consent_count("uid_remove").await, 3);
    let listed = app.backend("GET", "/users/pat/subscriptions").await;
    assert_eq!(listed.body["subscriptions"], json!([]));
    let bad = app.backend("GET", "/users/not%20valid/subscriptions").await;
    assert_eq!(bad.status, 400);
}
