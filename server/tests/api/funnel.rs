//! The prompt funnel: the SDK reports each step, the backend reads daily
//! counts; reports are rate-limited per address, reads need the token.

use crate::both_engines;
use crate::helpers::TestApp;
use serde_json::json;

async fn report(app: &TestApp, event: &str) -> u16 {
    app.send(
        "POST",
        "/prompt-events",
        Some(&json!({ "event": event })),
        None,
    )
    .await
    .status
}

both_engines!(
    prompt_steps_are_counted_by_day_and_read_back_with_the_token,
    counted
);
async fn counted(app: TestApp) {
    for event in [
        "shown",
        "shown",
        "shown",
        "accepted",
        "granted",
        "dismissed",
    ] {
        assert_eq!(report(&app, event).await, 204);
    }
    let stats = app.backend("GET", "/stats/prompt?days=7").await;
    assert_eq!(stats.status, 200, "{}", stats.text);
    assert_eq!(stats.body["days"], 7);
    let daily = stats.body["daily"].as_array().expect("daily");
    assert_eq!(daily.len(), 7, "one row a day, zeros included");
    let today = &daily[6];
    assert_eq!(today["date"], stats.body["to"]);
    assert_eq!(
        (
            today["shown"].clone(),
            today["accepted"].clone(),
            today["granted"].clone()
        ),
        (json!(3), json!(1), json!(1))
    );
    assert_eq!(
        (today["dismissed"].clone(), today["denied"].clone()),
        (json!(1), json!(0))
    );
    assert_eq!(daily[0]["shown"], 0);
    assert_eq!(stats.body["totals"]["shown"], 3);
    // 30 days by default.
    let default = app.backend("GET", "/stats/prompt").await;
    assert_eq!(default.body["daily"].as_array().map(Vec::len), Some(30));
}

both_engines!(bad_reports_and_reads_are_refused_saying_why, refused);
async fn refused(app: TestApp) {
    let bad = app
        .send(
            "POST",
            "/prompt-events",
            Some(&json!({ "event": "clicked" })),
            None,
        )
        .await;
    assert_eq!(bad.status, 400, "{}", bad.text);
    assert_eq!(bad.body["error"]["field"], "event");
    for days in ["0", "367", "x"] {
        let answer = app
            .backend("GET", &format!("/stats/prompt?days={days}"))
            .await;
        assert_eq!(answer.status, 400, "{days}: {}", answer.text);
        assert_eq!(answer.body["error"]["field"], "days");
    }
    let anonymous = app
        .client
        .get(app.url("/stats/prompt"))
        .send()
        .await
        .expect("get");
    assert_eq!(anonymous.status(), 401);
    let unknown = app
        .client
        .post(format!(
            "{}/api/v1/projects/nope/prompt-events",
            app.address
        ))
        .json(&json!({ "event": "shown" }))
        .send()
        .await
        .expect("post");
    assert_eq!(unknown.status(), 404);
}

both_engines!(
    a_flood_of_reports_from_one_address_gets_429_with_retry_after,
    flood
);
async fn flood(app: TestApp) {
    let mut statuses = Vec::new();
    for _ in 0..70 {
        statuses.push(report(&app, "shown").await);
    }
    assert!(statuses[..60].iter().all(|s| *s == 204), "{statuses:?}");
    let refused = app
        .send(
            "POST",
            "/prompt-events",
            Some(&json!({ "event": "shown" })),
            None,
        )
        .await;
    assert_eq!(refused.status, 429);
    let retry: u64 = refused.headers["retry-after"]
        .to_str()
        .expect("header")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(refused.body["error"]["code"], "too_many_requests");
    // What was refused was not counted.
    let stats = app.backend("GET", "/stats/prompt?days=1").await;
    assert_eq!(stats.body["totals"]["shown"], 60);
}
