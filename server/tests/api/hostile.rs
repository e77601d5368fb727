//! Input chosen to hurt: tag expressions built to exhaust the stack or the
//! SQL parser, NUL and other control characters in every part of a
//! request, and endpoints that aim the delivery engine at internal hosts.
//! Each must be a clear 4xx, and the server must keep serving.

use crate::both_engines;
use crate::helpers::{Browser, Engine, TestApp, spawn_app_configured};
use herald::notifications::tags;
use herald::webpush::services::PushServices;
use push_peer::PushPeer;
use serde_json::json;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A send to a tag expression.
async fn send_to_tags(app: &TestApp, expr: &str) -> crate::helpers::Answer {
    let body = json!({"title": "x", "target": {"tags": expr}});
    app.backend_with("POST", "/notifications", Some(&body))
        .await
}

fn message(answer: &crate::helpers::Answer) -> String {
    answer.body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

both_engines!(
    tag_expressions_past_a_limit_are_400s_saying_which_and_the_server_stays_up,
    expression_limits
);
async fn expression_limits(app: TestApp) {
    let cases = [
        // Once a stack overflow that aborted the whole process.
        (format!("{}a", "!".repeat(15_000)), "longer than 2000"),
        // Once a 500 from SQLite's expression depth limit.
        (format!("{}a", "!".repeat(1000)), "more than 32 deep"),
        (vec!["a"; 1000].join(" && "), "longer than 2000"),
        (vec!["a"; 101].join("&&"), "more than 100 tags"),
        (
            format!("{}a{}", "(".repeat(5000), ")".repeat(5000)),
            "longer than 2000",
        ),
        (
            format!("{}a{}", "(".repeat(40), ")".repeat(40)),
            "more than 32 deep",
        ),
    ];
    for (expr, says) in cases {
        let answer = send_to_tags(&app, &expr).await;
        assert_eq!(answer.status, 400, "{}", answer.text);
        assert_eq!(answer.body["error"]["field"], "target.tags");
        assert!(message(&answer).contains(says), "{says}: {}", answer.text);
    }
    let health = app
        .client
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .expect("alive");
    assert_eq!(health.status(), 200);
}

both_engines!(
    the_largest_allowed_expression_selects_exactly_the_subscriptions_it_describes,
    largest_expression
);
async fn largest_expression(app: TestApp) {
    let tag_sets: [&[&str]; 4] = [&["t0"], &["t1", "t2"], &["t1"], &[]];
    for tags in tag_sets {
        let mut body = Browser::new().subscription();
        body["tags"] = json!(tags);
        assert_eq!(
            app.mutate("POST", "/subscriptions", &body).await.status,
            201
        );
    }
    // 100 tag names, 32 levels deep: 15 `!(`, one `(` and the inner `!`.
    let names: Vec<String> = (3..98).map(|i| format!("x{i}")).collect();
    let inner = format!("t0 || t1 && t2 || {} || x99 && !x98", names.join(" || "));
    let expr = format!("{}({inner}){}", "!(".repeat(15), ")".repeat(15));
    let parsed = tags::parse(&expr).expect("within every limit");
    let expected = tag_sets.iter().filter(|t| parsed.matches(t)).count();
    assert_eq!(expected, 2);
    let answer = send_to_tags(&app, &expr).await;
    assert_eq!(answer.status, 202, "{}", answer.text);
    assert_eq!(answer.body["queued"], expected);
}

/// Every route, with `{project}`, `{id}` and `{uid}` in its path.
const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/projects/{project}/vapid-public-key"),
    ("POST", "/api/v1/projects/{project}/subscriptions"),
    ("POST", "/api/v1/projects/{project}/subscriptions/status"),
    ("PUT", "/api/v1/projects/{project}/subscriptions/uid"),
    ("DELETE", "/api/v1/projects/{project}/subscriptions/uid"),
    (
        "PUT",
        "/api/v1/projects/{project}/subscriptions/preferences",
    ),
    ("POST", "/api/v1/projects/{project}/subscriptions/opt-out"),
    ("POST", "/api/v1/projects/{project}/subscriptions/rotate"),
    ("POST", "/api/v1/projects/{project}/receipts"),
    ("POST", "/api/v1/projects/{project}/notifications"),
    ("GET", "/api/v1/projects/{project}/notifications/{id}"),
    ("DELETE", "/api/v1/projects/{project}/notifications/{id}"),
    (
        "GET",
        "/api/v1/projects/{project}/users/{uid}/subscriptions",
    ),
    (
        "DELETE",
        "/api/v1/projects/{project}/users/{uid}/subscriptions",
    ),
];

both_engines!(
    a_nul_or_control_character_anywhere_in_a_request_is_a_400_naming_where,
    control_characters
);
async fn control_characters(app: TestApp) {
    let b = Browser::new();
    for (method, route) in ROUTES {
        for (project, id, uid) in [
            ("a%00b", "1", "ann"),
            (app.project.id.as_str(), "1%00", "ann"),
            (app.project.id.as_str(), "1", "a%01nn"),
            ("%C0%80", "1", "ann"),
        ] {
            let path = route
                .replace("{project}", project)
                .replace("{id}", id)
                .replace("{uid}", uid);
            if !path.contains('%') {
                continue;
            }
            let answer = crate::helpers::answer(
                app.client
                    .request(
                        reqwest::Method::from_bytes(method.as_bytes()).expect("method"),
                        format!("{}{path}", app.address),
                    )
                    .bearer_auth(&app.project.api_token)
                    .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
                    .json(&b.subscription())
                    .send()
                    .await
                    .expect("request"),
            )
            .await;
            assert_eq!(answer.status, 400, "{method} {path}: {}", answer.text);
            assert_eq!(answer.body["error"]["field"], "path", "{}", answer.text);
        }
    }
    // In the query string too.
    let query = app.send("GET", "/vapid-public-key?x=%00", None, None).await;
    assert_eq!(query.status, 400, "{}", query.text);
    assert_eq!(query.body["error"]["field"], "query");

    // JSON text fields, named by their path; nothing is stored.
    let mut sub = b.subscription();
    sub["tags"] = json!(["ok", "bad\u{0}tag"]);
    let answer = app.mutate("POST", "/subscriptions", &sub).await;
    assert_eq!(answer.status, 400, "{}", answer.text);
    assert_eq!(answer.body["error"]["field"], "tags[1]");
    assert!(message(&answer).contains("U+0000"), "{}", answer.text);
    assert!(app.subscriptions_snapshot().await.is_empty());
    for (body, field) in [
        (json!({"title": "a\u{0}", "target": {"all": true}}), "title"),
        (
            json!({"title": "a", "data": {"note": "x\u{1b}[31m"}, "target": {"all": true}}),
            "data.note",
        ),
        (
            json!({"title": "a", "target": {"uids": ["ann\u{0}"]}}),
            "target.uids[0]",
        ),
    ] {
        let answer = app
            .backend_with("POST", "/notifications", Some(&body))
            .await;
        assert_eq!(answer.status, 400, "{body}: {}", answer.text);
        assert_eq!(answer.body["error"]["field"], field, "{}", answer.text);
    }
    // Line breaks and tabs are text, not control: a body may have them.
    let fine = app
        .backend_with(
            "POST",
            "/notifications",
            Some(&json!({"title": "a\tb", "body": "line 1\nline 2", "target": {"all": true}})),
        )
        .await;
    assert_eq!(fine.status, 202, "{}", fine.text);

    // A header value with a control character, sent raw (clients refuse to).
    let address = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let request = format!(
        "GET /api/v1/projects/{}/vapid-public-key HTTP/1.1\r\nHost: x\r\nX-Note: a\x01b\r\nConnection: close\r\n\r\n",
        app.project.id
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply).await;
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");
}

/// An app with only the built-in push services, as `herald serve` starts.
async fn default_services(engine: Engine) -> TestApp {
    spawn_app_configured(engine, |config| {
        config.delivery.push_services = PushServices::default();
    })
    .await
}

mod internal_endpoints_are_refused_unless_the_operator_allows_them {
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite() {
        super::internal_endpoints(super::default_services(super::Engine::Sqlite).await).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn postgres() {
        super::internal_endpoints(super::default_services(super::Engine::Postgres).await).await
    }
}
async fn internal_endpoints(app: TestApp) {
    let mut b = Browser::new();
    for endpoint in [
        "https://10.0.0.1/wpush/x",
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://169.254.169.254/latest/meta-data/",
        "https://localhost:22/x",
        "https://[::1]/x",
        "http://127.0.0.1:9/x",
        "https://shop.example/x",
        "https://fcm.googleapis.com.evil.example/x",
    ] {
        b.endpoint = endpoint.into();
        let answer = app.subscribe(&b).await;
        assert_eq!(answer.status, 400, "{endpoint}: {}", answer.text);
        assert_eq!(answer.body["error"]["field"], "endpoint");
        assert!(
            message(&answer).contains("not a known push service")
                || message(&answer).contains("https"),
            "{}",
            answer.text
        );
    }
    assert!(app.subscriptions_snapshot().await.is_empty());
    // The services browsers really use are fine, and a rotation cannot
    // move a subscription onto an internal host either.
    let mut fcm = Browser::new();
    fcm.endpoint = "https://fcm.googleapis.com/fcm/send/abc:def".into();
    assert_eq!(app.subscribe(&fcm).await.status, 201);
    let mut internal = Browser::new();
    internal.endpoint = "https://192.168.1.1/x".into();
    let rotate = app
        .mutate("POST", "/subscriptions/rotate", &fcm.rotation_to(&internal))
        .await;
    assert_eq!(rotate.status, 400, "{}", rotate.text);
    assert_eq!(rotate.body["error"]["field"], "endpoint");

    let opt_out = app
        .mutate("POST", "/subscriptions/opt-out", &fcm.owned())
        .await;
    assert_eq!(opt_out.status, 200, "{}", opt_out.text);

    // A row stored before the list changed is not delivered to either.
    let peer = PushPeer::start().await;
    let sub = peer.new_subscription();
    let stored = Browser::from_peer(&sub);
    sqlx::query(
        "insert into subscriptions (project_id, endpoint, endpoint_hash, p256dh, auth, created_at, updated_at)
         values ($1, $2, $3, $4, $5, 0, 0)",
    )
    .bind(&app.project.id)
    .bind(&stored.endpoint)
    .bind(herald::secret::sha256_hex(&stored.endpoint))
    .bind(&stored.p256dh)
    .bind(&stored.auth)
    .execute(app.db.writer())
    .await
    .expect("insert");
    let id = app
        .notify(json!({"title": "x", "target": {"all": true}}))
        .await;
    let progress = app.wait_done(id).await;
    assert_eq!(progress["counts"]["failed"], 1, "{progress}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(peer.total_requests(), 0);
}

both_engines!(
    random_tag_expressions_select_in_sql_exactly_what_they_mean,
    random_expressions
);
async fn random_expressions(app: TestApp) {
    // Every subset of five tags, one subscription each.
    let names = ["t0", "t1", "t2", "t3", "t4"];
    let mut subsets = Vec::new();
    for mask in 0u32..32 {
        let tags: Vec<&str> = (0..5)
            .filter(|i| mask & (1 << i) != 0)
            .map(|i| names[i])
            .collect();
        let mut body = Browser::new().subscription();
        body["tags"] = json!(tags);
        assert_eq!(
            app.mutate("POST", "/subscriptions", &body).await.status,
            201
        );
        subsets.push(tags);
    }
    let tokens = [
        "t0", "t1", "t2", "t3", "t4", "!", "(", ")", "&&", "||", " ", "!", "(", "t9",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let (mut parsed, mut checked) = (0, 0);
    while checked < 150 {
        let len = 1 + next(24);
        let text: String = (0..len).map(|_| tokens[next(tokens.len())]).collect();
        parsed += 1;
        let Ok(expr) = tags::parse(&text) else {
            continue;
        };
        let target = herald::notifications::target::Target::Tags(expr.clone(), text.clone());
        let sql = format!(
            "select count(*) as n from subscriptions s where s.project_id = $1 and {}",
            target.predicate(app.db.engine())
        );
        let n: i64 = sqlx::Row::try_get(
            &sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&app.project.id)
                .fetch_one(app.db.pool())
                .await
                .unwrap_or_else(|e| panic!("{text:?}: {e}")),
            "n",
        )
        .expect("n");
        let expected = subsets.iter().filter(|t| expr.matches(t)).count();
        assert_eq!(n as usize, expected, "{text:?}");
        checked += 1;
    }
    assert!(parsed >= checked);
}
