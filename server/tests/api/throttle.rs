//! Rate limits: browser-facing calls per client address, backend calls per
//! API token, 429 with Retry-After past the rate; health checks and static
//! files are not counted.

use crate::helpers::{Engine, spawn_app_configured};
use herald::limits::Rates;

#[tokio::test]
async fn calls_past_the_rate_get_429_with_retry_after_per_address_and_per_token() {
    let app = spawn_app_configured(Engine::Sqlite, |config| {
        config.rates = Rates {
            browser_per_minute: 5,
            backend_per_minute: 4,
        };
    })
    .await;
    let key = app.url("/vapid-public-key");
    for i in 0..5 {
        let r = app.client.get(&key).send().await.expect("get");
        assert_eq!(r.status(), 200, "call {i}");
    }
    let refused = app.client.get(&key).send().await.expect("get");
    assert_eq!(refused.status(), 429);
    let wait: u64 = refused
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    let body: serde_json::Value = refused.json().await.expect("json");
    assert_eq!(body["error"]["code"], "too_many_requests", "{body}");

    // The backend's budget is the token's own, apart from the address's.
    for i in 0..4 {
        assert_eq!(
            app.backend("GET", "/notifications").await.status,
            200,
            "call {i}"
        );
    }
    assert_eq!(app.backend("GET", "/notifications").await.status, 429);
    // Another of the project's tokens has its own budget.
    let second = herald::projects::create_token(&app.db, &app.project.id)
        .await
        .expect("token");
    let other = app
        .client
        .get(app.url("/notifications"))
        .bearer_auth(second.expose())
        .send()
        .await
        .expect("get");
    assert_eq!(other.status(), 200, "another token has its own budget");
    // A made-up token is no way around the address's limit (spent above).
    for path in ["/notifications", "/stats/subscriptions"] {
        let made_up = app
            .client
            .get(app.url(path))
            .bearer_auth(format!("hrld_made-up-{path}"))
            .send()
            .await
            .expect("get");
        assert_eq!(made_up.status(), 429, "{path}");
    }
    let me = app
        .client
        .get(format!("{}/api/v1/me", app.address))
        .bearer_auth("hrld_made-up")
        .send()
        .await
        .expect("get");
    assert_eq!(me.status(), 429, "/api/v1/me counts a bad token too");

    // Not counted: health checks and the console's files.
    for _ in 0..10 {
        let health = app
            .client
            .get(format!("{}/healthz", app.address))
            .send()
            .await
            .expect("get");
        assert_eq!(health.status(), 200);
        let console = app
            .client
            .get(format!("{}/admin", app.address))
            .send()
            .await
            .expect("get");
        assert_eq!(console.status(), 200);
    }
}
