//! Rule 9: a full session against the real binary, logging at debug level,
//! leaves no raw endpoint, auth secret, token, signature or key in the log.

use crate::helpers::{Browser, Engine, answer, fresh_database};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

async fn secrets_never_reach_the_log(engine: Engine) {
    let dir = tempfile::tempdir().expect("dir");
    let url = fresh_database(engine, dir.path()).await;
    let created = Command::new(env!("CARGO_BIN_EXE_herald"))
        .args([
            "--database-url",
            &url,
            "project",
            "create",
            "--name",
            "Logs",
        ])
        .output()
        .expect("create");
    let project: serde_json::Value = serde_json::from_slice(&created.stdout).expect("json");
    let (id, secret, token) = (
        project["id"].as_str().expect("id").to_string(),
        project["secret"].as_str().expect("secret").to_string(),
        project["api_token"].as_str().expect("token").to_string(),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_herald"))
        .args([
            "--database-url",
            &url,
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--allow-origin",
            "*",
            "--push-service",
            "push.example.net",
        ])
        .env("RUST_LOG", "debug,tower_http=trace")
        .stderr(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve");
    let log = Arc::new(Mutex::new(String::new()));
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let address = loop {
        let line = lines.next().expect("server exited early").expect("line");
        log.lock().expect("lock").push_str(&line);
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.trim().to_string();
        }
    };
    let sink = log.clone();
    let reader = std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let mut log = sink.lock().expect("lock");
            log.push_str(&line);
            log.push('\n');
        }
    });

    let client = reqwest::Client::new();
    let api = |path: &str| format!("{address}/api/v1/projects/{id}{path}");
    let a = Browser::new();
    let b = Browser::new();
    let sig = herald::identity::hmac_signature(&secret, "zoe");
    let mut sub = a.subscription();
    sub["uid"] = json!("zoe");
    sub["uid_signature"] = json!(sig);
    let calls: Vec<(&str, String, serde_json::Value)> = vec![
        ("POST", api("/subscriptions"), sub),
        ("POST", api("/subscriptions/status"), a.owned()),
        (
            "PUT",
            api("/subscriptions/preferences"),
            json!({"endpoint": a.endpoint, "auth": a.auth, "topics": ["news"]}),
        ),
        (
            "PUT",
            api("/subscriptions/uid"),
            json!({"endpoint": a.endpoint, "auth": a.auth, "uid": "zoe", "uid_signature": "bad"}),
        ),
        (
            "DELETE",
            api("/subscriptions/uid"),
            json!({"endpoint": a.endpoint, "auth": b.auth}),
        ),
        (
            "POST",
            api("/subscriptions"),
            json!({"endpoint": a.endpoint, "keys": {"p256dh": "bad", "auth": a.auth}}),
        ),
        (
            "POST",
            api("/subscriptions"),
            json!({"endpoint": a.endpoint, "keys": {"p256dh": a.p256dh, "auth": a.auth}, "tags": a.endpoint}),
        ),
        ("POST", api("/subscriptions/rotate"), a.rotation_to(&b)),
        ("POST", api("/subscriptions/opt-out"), b.owned()),
    ];
    for (method, url, body) in calls {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let response = client
            .request(method, url)
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .json(&body)
            .send()
            .await
            .expect("request");
        let answer = answer(response).await;
        for secret in [&a.endpoint, &a.auth, &b.endpoint, &b.auth] {
            assert!(
                !(answer.status >= 400 && answer.text.contains(secret.as_str())),
                "error body leaks: {}",
                answer.text
            );
        }
    }
    for auth in [token.as_str(), "hrld_wrong_token"] {
        client
            .get(api("/users/zoe/subscriptions"))
            .bearer_auth(auth)
            .send()
            .await
            .expect("get");
    }
    client
        .delete(api("/users/zoe/subscriptions"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("delete");

    // SIGTERM: the server shuts down gracefully and flushes its log; with
    // nothing in flight it does not wait out the 10 s delivery grace.
    let asked = std::time::Instant::now();
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    let status = child.wait().expect("wait");
    assert!(status.success(), "graceful shutdown exits 0");
    let took = asked.elapsed();
    assert!(
        took < std::time::Duration::from_secs(8),
        "an idle server stops when asked, not after the grace period ({took:?})"
    );
    reader.join().expect("reader");
    let log = log.lock().expect("lock").clone();

    assert!(
        log.contains("/subscriptions/rotate"),
        "the log records requests: {log}"
    );
    let private_key = sqlx_private_key(&url, &id).await;
    for (what, secret) in [
        ("endpoint a", a.endpoint.as_str()),
        ("endpoint b", b.endpoint.as_str()),
        ("auth a", a.auth.as_str()),
        ("auth b", b.auth.as_str()),
        ("api token", token.as_str()),
        ("wrong token", "hrld_wrong_token"),
        ("project secret", secret.as_str()),
        (
            "uid signature",
            herald::identity::hmac_signature(&secret, "zoe").as_str(),
        ),
        ("vapid private key", private_key.as_str()),
        ("push host", "push.example.net"),
    ] {
        assert!(!log.contains(secret), "the log contains the {what}");
    }
}

async fn sqlx_private_key(url: &str, id: &str) -> String {
    use sqlx::Row;
    let db = herald::db::Db::connect(url).await.expect("db");
    sqlx::query("select vapid_private_key from projects where id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await
        .expect("row")
        .try_get("vapid_private_key")
        .expect("key")
}

#[tokio::test]
async fn secrets_never_reach_the_log_on_sqlite() {
    secrets_never_reach_the_log(Engine::Sqlite).await;
}

#[tokio::test]
async fn secrets_never_reach_the_log_on_postgres() {
    secrets_never_reach_the_log(Engine::Postgres).await;
}
