//! The `herald` binary's subcommands, run as a user would run them.

use crate::helpers::{Engine, fresh_database};
use std::process::Command;

fn herald(database_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_herald"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run herald")
}

async fn project_and_token_commands(engine: Engine) {
    let dir = tempfile::tempdir().expect("dir");
    let url = fresh_database(engine, dir.path()).await;
    let migrate = herald(&url, &["migrate"]);
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );

    let created = herald(&url, &["project", "create", "--name", "Shoe shop"]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let stdout = String::from_utf8(created.stdout).expect("utf8");
    assert_eq!(
        stdout.trim().lines().count(),
        1,
        "exactly one line: {stdout}"
    );
    let project: serde_json::Value = serde_json::from_str(stdout.trim()).expect("one JSON object");
    let keys: Vec<&str> = project
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys.len(), 4);
    for key in ["id", "secret", "api_token", "vapid_public_key"] {
        assert!(
            project[key].as_str().is_some_and(|v| !v.is_empty()),
            "{key} in {stdout}"
        );
    }
    let id = project["id"].as_str().expect("id");

    let token = herald(
        &url,
        &["--database-url", &url, "token", "create", "--project", id],
    );
    assert!(token.status.success());
    let token = String::from_utf8(token.stdout)
        .expect("utf8")
        .trim()
        .to_string();
    assert!(token.starts_with("hrld_") && token != project["api_token"]);

    let missing = herald(&url, &["token", "create", "--project", "nope"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no project with id nope"));

    let rotated = herald(&url, &["vapid", "rotate", "--project", id]);
    assert!(rotated.status.success());
    let rotated: serde_json::Value = serde_json::from_slice(&rotated.stdout).expect("json");
    assert_ne!(rotated["vapid_public_key"], project["vapid_public_key"]);
}

#[tokio::test]
async fn project_and_token_commands_on_sqlite() {
    project_and_token_commands(Engine::Sqlite).await;
}

#[tokio::test]
async fn project_and_token_commands_on_postgres() {
    project_and_token_commands(Engine::Postgres).await;
}

#[test]
fn without_a_database_url_herald_uses_herald_db_in_the_working_directory() {
    let dir = tempfile::tempdir().expect("dir");
    let out = Command::new(env!("CARGO_BIN_EXE_herald"))
        .arg("migrate")
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("herald.db").exists());
}

async fn send_command(engine: Engine) {
    let app = crate::helpers::spawn_app(engine).await;
    let peer = push_peer::PushPeer::start().await;
    let sub = peer.new_subscription();
    let browser = crate::helpers::Browser::from_peer(&sub);
    assert_eq!(app.subscribe_as(&browser, "nia").await.status, 201);
    let url = app.database_url.clone();
    let id = app.project.id.clone();
    let out = tokio::task::spawn_blocking(move || {
        herald(
            &url,
            &[
                "send",
                "--project",
                &id,
                "--title",
                "From the CLI",
                "--body",
                "Hello",
                "--uid",
                "nia",
                "--push-service",
                "127.0.0.1",
            ],
        )
    })
    .await
    .expect("join");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let accepted: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(accepted["queued"], 1);
    // It returns once the notification is done: the push has arrived.
    let got = peer.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].payload["title"], "From the CLI");
    assert_eq!(got[0].payload["id"], accepted["id"]);

    let url = app.database_url.clone();
    let id = app.project.id.clone();
    let missing = tokio::task::spawn_blocking(move || {
        herald(&url, &["send", "--project", &id, "--title", "x"])
    })
    .await
    .expect("join");
    assert!(!missing.status.success());
    assert!(
        String::from_utf8_lossy(&missing.stderr)
            .contains("--uid U (repeatable), --tags EXPR, --topic T or --all")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herald_send_delivers_and_waits_until_done_on_sqlite() {
    send_command(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn herald_send_delivers_and_waits_until_done_on_postgres() {
    send_command(Engine::Postgres).await;
}
