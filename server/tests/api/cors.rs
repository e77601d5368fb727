//! CORS: allowed origins get preflight answers; others get no CORS headers.

use crate::helpers::{Engine, spawn_app_with};

#[tokio::test]
async fn preflight_is_answered_for_allowed_origins_only() {
    let app = spawn_app_with(Engine::Sqlite, vec!["https://shop.example".into()]).await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/subscriptions"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,idempotency-key",
            )
            .send()
    };
    let allowed = preflight("https://shop.example").await.expect("options");
    assert!(allowed.status().is_success());
    let headers = allowed.headers();
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://shop.example"
    );
    let allow_headers = headers["access-control-allow-headers"]
        .to_str()
        .expect("ascii")
        .to_lowercase();
    assert!(allow_headers.contains("idempotency-key"), "{allow_headers}");
    assert!(
        headers.get("access-control-allow-credentials").is_none(),
        "no cookies"
    );
    let foreign = preflight("https://evil.example").await.expect("options");
    assert!(
        foreign
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn a_star_allows_any_origin() {
    let app = spawn_app_with(Engine::Sqlite, vec!["*".into()]).await;
    let response = app
        .client
        .get(app.url("/vapid-public-key"))
        .header("origin", "http://127.0.0.1:3000")
        .send()
        .await
        .expect("get");
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
}
