//! Crash tests against the real `herald` binary, on SQLite and PostgreSQL:
//! `kill -9` mid-fan-out (restarted), SIGTERM mid-fan-out (restarted),
//! three nodes with one killed, and `kill -9` mid-subscribe-load. Nothing
//! acknowledged may be lost; duplicates stay within what was in flight;
//! each prints its figures (delivered, duplicates, time to finish after
//! the fault). Times are printed, not asserted, beyond a bound far below
//! the 120 s lease that used to decide them. `scripts/test.sh` runs them
//! on their own with `--nocapture`, so the figures show in its output.

use push_peer::{Options, PushPeer};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const HERALD: &str = env!("CARGO_BIN_EXE_herald");
const SUBSCRIPTIONS: usize = 3_000;

enum Engine {
    Sqlite,
    Postgres,
}

/// A fresh database for `engine`, and a directory that lives as long.
async fn database(engine: Engine) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("dir");
    let url = match engine {
        Engine::Sqlite => format!("sqlite://{}", dir.path().join("crash.db").display()),
        Engine::Postgres => {
            let admin = std::env::var("HERALD_TEST_POSTGRES_URL").expect(
                "PostgreSQL tests need HERALD_TEST_POSTGRES_URL; run scripts/test.sh, which starts a local cluster",
            );
            sqlx::any::install_default_drivers();
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
                .await
                .expect("connect");
            let name = format!("herald_crash_{}", uuid::Uuid::new_v4().simple());
            sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
                .execute(&mut conn)
                .await
                .expect("create database");
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b)
                .expect("a database in the URL");
            format!("{base}/{name}")
        }
    };
    (url, dir)
}

fn project(url: &str) -> (String, String) {
    let out = Command::new(HERALD)
        .args([
            "--database-url",
            url,
            "project",
            "create",
            "--name",
            "crash",
        ])
        .output()
        .expect("project create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    (
        p["id"].as_str().expect("id").into(),
        p["api_token"].as_str().expect("token").into(),
    )
}

/// `n` subscriptions on one peer subscription (distinct endpoints by query).
async fn seed(db: &herald::db::Db, project: &str, sub: &push_peer::PeerSubscription, n: usize) {
    let now = herald::time::now_ms();
    for start in (0..n).step_by(500) {
        let rows = 500.min(n - start);
        let values: Vec<String> = (0..rows)
            .map(|r| {
                format!(
                    "($1, ${}, ${}, ${}, $2, $3, $3)",
                    r * 3 + 4,
                    r * 3 + 5,
                    r * 3 + 6
                )
            })
            .collect();
        let sql = format!(
            "insert into subscriptions (project_id, endpoint, endpoint_hash, p256dh, auth, created_at, updated_at) values {}",
            values.join(",")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .persistent(false)
            .bind(project)
            .bind(&sub.auth)
            .bind(now);
        for i in start..start + rows {
            let endpoint = format!("{}?n={i}", sub.endpoint);
            let hash = herald::secret::sha256_hex(&endpoint);
            query = query.bind(endpoint).bind(hash).bind(&sub.p256dh);
        }
        query.execute(db.writer()).await.expect("seed");
    }
}

/// A `herald serve` child.
struct Node {
    child: Child,
    address: String,
}

impl Node {
    fn start(url: &str, node_id: &str) -> Self {
        let mut child = Command::new(HERALD)
            .args([
                "--database-url",
                url,
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--push-service",
                "127.0.0.1",
                "--node-id",
                node_id,
                "--retry-base-ms",
                "200",
                "--browser-rate-per-minute",
                "0",
            ])
            .env("RUST_LOG", "warn,herald=info")
            .stderr(Stdio::piped())
            .spawn()
            .expect("herald serve");
        let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
        let address = loop {
            let line = lines.next().expect("the server exited").expect("line");
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.trim().to_string();
            }
        };
        std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
        Self { child, address }
    }

    fn kill(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reap");
    }

    fn terminate(mut self) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        self.child.wait().expect("reap");
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Fault {
    Kill,
    Term,
    KillOneOfThree,
}

async fn count(db: &herald::db::Db, sql: &str, id: i64) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(id)
        .fetch_one(db.pool())
        .await
        .expect("count")
}

async fn broadcast_through(engine: Engine, fault: Fault) {
    let what = match fault {
        Fault::Kill => "kill -9 mid-fan-out, restart",
        Fault::Term => "SIGTERM mid-fan-out, restart",
        Fault::KillOneOfThree => "3 nodes, kill -9 one mid-fan-out",
    };
    let label = format!(
        "{what}, {}",
        match engine {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        }
    );
    let (url, _dir) = database(engine).await;
    let (project, token) = project(&url);
    let db = herald::db::Db::connect(&url).await.expect("db");
    let peer = PushPeer::start_with(Options { verify_every: 50 }).await;
    let sub = peer.new_subscription();
    seed(&db, &project, &sub, SUBSCRIPTIONS).await;
    let nodes = if fault == Fault::KillOneOfThree { 3 } else { 1 };
    let mut running: Vec<Option<Node>> = (0..nodes)
        .map(|i| Some(Node::start(&url, &format!("crash-{i}"))))
        .collect();
    let address = running[nodes - 1].as_ref().expect("node").address.clone();
    let accepted: serde_json::Value = reqwest::Client::new()
        .post(format!("{address}/api/v1/projects/{project}/notifications"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"title": "Crash", "target": {"all": true}}))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let id = accepted["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("refused: {accepted}"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while peer.received().len() < SUBSCRIPTIONS / 3 {
        assert!(Instant::now() < deadline, "{label}: a third never went out");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let victim = running[0].take().expect("node 0");
    match fault {
        Fault::Term => victim.terminate(),
        Fault::Kill | Fault::KillOneOfThree => victim.kill(),
    }
    let fault_at = Instant::now();
    let in_flight = count(
        &db,
        "select count(*) from deliveries where notification_id = $1 and state = 'sending'",
        id,
    )
    .await;
    if fault == Fault::Term {
        assert_eq!(in_flight, 0, "{label}: SIGTERM left deliveries leased");
    }
    if fault != Fault::KillOneOfThree {
        running[0] = Some(Node::start(&url, "crash-0"));
    }
    loop {
        let left = count(&db, "select count(*) from deliveries where notification_id = $1 and state in ('queued', 'sending')", id).await;
        let written = count(
            &db,
            "select count(*) from deliveries where notification_id = $1",
            id,
        )
        .await;
        if left == 0 && written as usize == SUBSCRIPTIONS {
            break;
        }
        assert!(
            fault_at.elapsed() < Duration::from_secs(60),
            "{label}: not finished a minute after the fault ({left} left)"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let after = fault_at.elapsed();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = count(
        &db,
        "select count(*) from deliveries where notification_id = $1 and state = 'sent'",
        id,
    )
    .await as usize;
    let received = peer.received().len();
    let duplicates = received.saturating_sub(sent);
    println!(
        "crash: {label}: delivered {sent}/{SUBSCRIPTIONS}, duplicates {duplicates}, {in_flight} leased at the fault, finished {:.1} s after it",
        after.as_secs_f64()
    );
    assert_eq!(sent, SUBSCRIPTIONS, "{label}: every delivery sent");
    assert!(
        received >= SUBSCRIPTIONS,
        "{label}: the peer got {received}"
    );
    // Only what was in flight at the fault can go twice.
    assert!(
        duplicates as i64 <= in_flight.max(0) + 512,
        "{label}: {duplicates} duplicates, {in_flight} in flight"
    );
    for node in running.into_iter().flatten() {
        node.terminate();
    }
}

async fn subscribe_through_kill(engine: Engine) {
    let label = match engine {
        Engine::Sqlite => "SQLite",
        Engine::Postgres => "PostgreSQL",
    };
    let (url, _dir) = database(engine).await;
    let (project, _) = project(&url);
    let peer = PushPeer::start().await;
    let node = Node::start(&url, "subscribe-0");
    let base = format!("{}/api/v1/projects/{project}/subscriptions", node.address);
    let client = reqwest::Client::new();
    let stop = Instant::now() + Duration::from_millis(1500);
    let peer = std::sync::Arc::new(peer);
    let mut tasks = Vec::new();
    for _ in 0..32 {
        let (client, base, peer) = (client.clone(), base.clone(), peer.clone());
        // Subscribes until the server is gone: the kill lands mid-load.
        tasks.push(tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            loop {
                let sub = peer.new_subscription();
                let answer = client
                    .post(&base)
                    .json(&serde_json::json!({"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}))
                    .send()
                    .await;
                match answer {
                    Ok(r) if r.status().is_success() => acknowledged.push(sub),
                    _ => break acknowledged,
                }
            }
        }));
    }
    tokio::time::sleep_until(stop.into()).await;
    node.kill();
    let mut acknowledged = Vec::new();
    for task in tasks {
        acknowledged.extend(task.await.expect("task"));
    }
    let node = Node::start(&url, "subscribe-0");
    let status = format!(
        "{}/api/v1/projects/{project}/subscriptions/status",
        node.address
    );
    let mut lost = 0;
    for sub in &acknowledged {
        let r = client
            .post(&status)
            .json(&serde_json::json!({"endpoint": sub.endpoint, "auth": sub.auth}))
            .send()
            .await
            .expect("status");
        let body: serde_json::Value = r.json().await.unwrap_or_default();
        if body["status"] != "active" {
            lost += 1;
        }
    }
    println!(
        "crash: kill -9 mid-subscribe-load, {label}: {} acknowledged before the kill, {lost} lost",
        acknowledged.len()
    );
    assert!(
        acknowledged.len() > 100,
        "too few subscribes before the kill: {}",
        acknowledged.len()
    );
    assert_eq!(lost, 0, "acknowledged subscriptions lost");
    node.terminate();
}

/// One crash test at a time: each runs several servers on two cores.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

macro_rules! crash {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let _one_at_a_time = SERIAL.lock().await;
                ($body)(Engine::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let _one_at_a_time = SERIAL.lock().await;
                ($body)(Engine::Postgres).await
            }
        }
    };
}

crash!(crash_kill_9_mid_fan_out_then_restart_loses_nothing, |e| {
    broadcast_through(e, Fault::Kill)
});
crash!(
    crash_sigterm_mid_fan_out_hands_back_and_the_restart_finishes,
    |e| broadcast_through(e, Fault::Term)
);
crash!(crash_three_nodes_one_killed_the_others_finish, |e| {
    broadcast_through(e, Fault::KillOneOfThree)
});
crash!(
    crash_kill_9_mid_subscribe_load_loses_no_acknowledged_subscription,
    subscribe_through_kill
);
