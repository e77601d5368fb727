//! The reads the operator's console is built on: subscriber stats by day,
//! the notification list a page at a time, and one notification's
//! timeline; each needs the project's token.

use crate::both_engines;
use crate::helpers::{Browser, TestApp};
use push_peer::{Mode, PushPeer};
use serde_json::{Value, json};
use std::time::Duration;

const DAY_MS: i64 = 86_400_000;

async fn peer_for(app: &TestApp) -> PushPeer {
    let peer = PushPeer::start().await;
    peer.expect_vapid_key(&app.project.vapid_public_key);
    peer
}

/// A peer subscription stored in Herald; its peer id and browser side.
async fn subscriber(app: &TestApp, peer: &PushPeer) -> (String, Browser) {
    let sub = peer.new_subscription();
    let browser = Browser::from_peer(&sub);
    let answer = app.subscribe(&browser).await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    (sub.id, browser)
}

fn day_row<'a>(stats: &'a Value, date: &str) -> &'a Value {
    stats["daily"]
        .as_array()
        .expect("daily")
        .iter()
        .find(|d| d["date"] == date)
        .unwrap_or_else(|| panic!("no row for {date} in {stats}"))
}

both_engines!(
    subscriber_stats_count_each_status_now_and_each_day_new_opted_out_and_expired,
    subscriber_stats
);
async fn subscriber_stats(app: TestApp) {
    let peer = peer_for(&app).await;
    let (_, _kept) = subscriber(&app, &peer).await;
    let (_, leaving) = subscriber(&app, &peer).await;
    let (gone, _) = subscriber(&app, &peer).await;
    let (_, old) = subscriber(&app, &peer).await;
    // One made three days ago (as if it had been): it counts on that day.
    sqlx::query("update subscriptions set created_at = created_at - $1 where endpoint = $2")
        .bind(3 * DAY_MS)
        .bind(&old.endpoint)
        .execute(app.db.pool())
        .await
        .expect("backdate");
    let out = app
        .mutate("POST", "/subscriptions/opt-out", &leaving.owned())
        .await;
    assert_eq!(out.status, 200, "{}", out.text);
    peer.set_mode(&gone, Mode::Status(410));
    let id = app
        .notify(json!({"title": "Hello", "target": {"all": true}}))
        .await;
    app.wait_done(id).await;

    let stats = app.backend("GET", "/stats/subscriptions?days=7").await;
    assert_eq!(stats.status, 200, "{}", stats.text);
    assert_eq!(
        stats.body["totals"],
        json!({"active": 2, "opted_out": 1, "expired": 1})
    );
    assert_eq!(stats.body["days"], 7);
    assert_eq!(stats.body["daily"].as_array().map(Vec::len), Some(7));
    let today = day_row(&stats.body, stats.body["to"].as_str().expect("to"));
    assert_eq!(
        (&today["new"], &today["opted_out"], &today["expired"]),
        (&json!(3), &json!(1), &json!(1))
    );
    let days = stats.body["daily"].as_array().expect("daily");
    assert_eq!(days[3]["new"], 1, "three days ago: {}", stats.body);
    let news: i64 = days.iter().filter_map(|d| d["new"].as_i64()).sum();
    assert_eq!(news, 4);
    // Two days: the old one is outside the window, still in the totals.
    let short = app.backend("GET", "/stats/subscriptions?days=2").await;
    let news: i64 = short.body["daily"]
        .as_array()
        .expect("daily")
        .iter()
        .filter_map(|d| d["new"].as_i64())
        .sum();
    assert_eq!(news, 3);
    assert_eq!(short.body["totals"]["active"], 2);
}

both_engines!(
    the_notification_list_pages_newest_first_with_each_ones_progress,
    list
);
async fn list(app: TestApp) {
    let mut ids = Vec::new();
    for n in 1..=5 {
        ids.push(
            app.notify(json!({
                "title": format!("n{n}"),
                "body": "text",
                "url": "https://shop.example/",
                "target": {"uids": [format!("nobody-{n}")]}
            }))
            .await,
        );
    }
    let mut seen = Vec::new();
    let mut path = "/notifications?limit=2".to_string();
    let mut pages = 0;
    loop {
        let page = app.backend("GET", &path).await;
        assert_eq!(page.status, 200, "{}", page.text);
        pages += 1;
        for item in page.body["notifications"].as_array().expect("list") {
            seen.push(item["id"].as_i64().expect("id"));
            assert_eq!(item["body"], "text");
            assert_eq!(item["status"], "done");
            assert_eq!(item["counts"]["queued"], 0);
            assert_eq!(item["total"], 0);
            assert!(item["target"]["uids"].is_array(), "{item}");
            assert!(
                item["created_at"]
                    .as_str()
                    .is_some_and(|t| t.ends_with('Z'))
            );
        }
        match page.body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/notifications?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids, "newest first, each once");
    assert_eq!(pages, 3);
    let first = app.backend("GET", "/notifications").await;
    assert_eq!(first.body["notifications"][0]["title"], "n5");
    assert!(
        first.body["next_cursor"].is_null(),
        "20 by default: one page"
    );

    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=x", "limit"),
        ("cursor=abc", "cursor"),
        ("cursor=-4", "cursor"),
    ] {
        let bad = app.backend("GET", &format!("/notifications?{query}")).await;
        assert_eq!(bad.status, 400, "{query}: {}", bad.text);
        assert_eq!(bad.body["error"]["field"], field, "{query}");
    }
}

both_engines!(
    a_timeline_counts_sent_failed_and_shown_over_time_and_ends_at_the_last_event,
    timeline
);
async fn timeline(app: TestApp) {
    let peer = peer_for(&app).await;
    let (_, _) = subscriber(&app, &peer).await;
    let (_, _) = subscriber(&app, &peer).await;
    let (gone, _) = subscriber(&app, &peer).await;
    peer.set_mode(&gone, Mode::Status(410));
    let id = app
        .notify(json!({"title": "Sale", "target": {"all": true}}))
        .await;
    app.wait_done(id).await;
    let got = peer.wait_for(2, Duration::from_secs(10)).await;
    let receipt = app
        .mutate(
            "POST",
            "/receipts",
            &json!({"delivery": got[0].payload["delivery"], "kind": "delivered"}),
        )
        .await;
    assert_eq!(receipt.status, 200, "{}", receipt.text);

    let answer = app
        .backend("GET", &format!("/notifications/{id}/timeline"))
        .await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let t = &answer.body;
    assert_eq!(
        (t["id"].as_i64(), &t["status"], &t["total"]),
        (Some(id), &json!("done"), &json!(3))
    );
    let step = t["step_ms"].as_i64().expect("step");
    assert!(step >= 1000 && step % 1000 == 0, "{t}");
    let points = t["points"].as_array().expect("points");
    assert!((2..=61).contains(&points.len()), "{}", points.len());
    assert_eq!(points[0]["t"], t["from"]);
    assert_eq!(points.last().expect("last")["t"], t["to"]);
    let first = &points[0];
    assert_eq!((&first["queued"], &first["sent"]), (&json!(3), &json!(0)));
    let last = points.last().expect("last");
    assert_eq!(
        [
            &last["queued"],
            &last["sent"],
            &last["failed"],
            &last["delivered"],
            &last["expired"]
        ],
        [&json!(0), &json!(2), &json!(1), &json!(1), &json!(0)]
    );
    // Counts only grow; queued only shrinks.
    for pair in points.windows(2) {
        assert!(pair[1]["sent"].as_i64() >= pair[0]["sent"].as_i64());
        assert!(pair[1]["queued"].as_i64() <= pair[0]["queued"].as_i64());
        assert_eq!(
            pair[1]["t"].as_i64().expect("t") - pair[0]["t"].as_i64().expect("t"),
            step
        );
    }

    // A scheduled one: due tomorrow, all queued.
    let later = app
        .notify(json!({
            "title": "Tomorrow",
            "send_at": herald::time::rfc3339(herald::time::now_ms() + DAY_MS),
            "target": {"all": true}
        }))
        .await;
    let scheduled = app
        .backend("GET", &format!("/notifications/{later}/timeline"))
        .await;
    assert_eq!(scheduled.body["status"], "scheduled", "{}", scheduled.text);
    assert_eq!(scheduled.body["points"][0]["queued"], 2);
    // Cancelled before it was due: the two it targeted end as cancelled.
    let cancel = app
        .backend("DELETE", &format!("/notifications/{later}"))
        .await;
    assert_eq!(cancel.status, 200, "{}", cancel.text);
    let progress = app.backend("GET", &format!("/notifications/{later}")).await;
    assert_eq!(
        (
            &progress.body["status"],
            &progress.body["counts"]["cancelled"]
        ),
        (&json!("cancelled"), &json!(2)),
        "{}",
        progress.text
    );
    assert_eq!(progress.body["counts"]["queued"], 0, "{}", progress.text);
    let cancelled = app
        .backend("GET", &format!("/notifications/{later}/timeline"))
        .await;
    let end = cancelled.body["points"]
        .as_array()
        .and_then(|p| p.last())
        .cloned()
        .expect("points");
    assert_eq!(
        (&end["queued"], &end["cancelled"]),
        (&json!(0), &json!(2)),
        "{}",
        cancelled.text
    );

    assert_eq!(
        app.backend("GET", "/notifications/999999/timeline")
            .await
            .status,
        404
    );
    assert_eq!(
        app.backend("GET", "/notifications/x/timeline").await.status,
        404
    );
}

both_engines!(me_names_the_tokens_project_and_needs_a_token, me);
async fn me(app: TestApp) {
    let me = format!("{}/api/v1/me", app.address);
    let answer = app
        .client
        .get(&me)
        .bearer_auth(&app.project.api_token)
        .send()
        .await
        .expect("get");
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.expect("json");
    assert_eq!(body["project"]["id"], app.project.id.as_str(), "{body}");
    assert!(body["project"]["name"].is_string(), "{body}");
    assert!(body["project"].get("secret").is_none(), "{body}");
    for token in [None, Some("not-a-token"), Some(app.project.secret.as_str())] {
        let mut request = app.client.get(&me);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let answer = request.send().await.expect("get");
        assert_eq!(answer.status(), 401, "{token:?}");
        let body: Value = answer.json().await.expect("json");
        assert!(body["error"]["message"].is_string(), "{body}");
    }
}

both_engines!(the_console_reads_need_the_projects_token, need_token);
async fn need_token(app: TestApp) {
    for path in [
        "/notifications",
        "/notifications/1/timeline",
        "/stats/subscriptions",
    ] {
        let anonymous = app.client.get(app.url(path)).send().await.expect("get");
        assert_eq!(anonymous.status(), 401, "{path}");
        let wrong = app
            .client
            .get(app.url(path))
            .bearer_auth("not-a-token")
            .send()
            .await
            .expect("get");
        assert_eq!(wrong.status(), 401, "{path}");
    }
}
