//! Crash tests against the real `herald` binary, on SQLite and PostgreSQL:
//! `kill -9` mid-fan-out (restarted), SIGTERM mid-fan-out (restarted),
//! three nodes with one killed (the scenarios of `herald_bench::faults`,
//! which crash-bench also runs), and `kill -9` mid-subscribe-load. Nothing
//! acknowledged may be lost; duplicates stay within what was in flight;
//! each prints its figures. Times are printed, not asserted, beyond a
//! bound far below the 120 s lease that used to decide them.
//! `scripts/test.sh` builds the binary and runs these on their own with
//! `--nocapture`, so the figures show in its output.

use herald_bench::faults::{self, Fault};
use herald_bench::{Engine, Server, create_project, database_url};
use push_peer::PushPeer;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SUBSCRIPTIONS: usize = 3_000;

/// One crash test at a time: each runs several servers on two cores.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn postgres_url(engine: Engine) -> Option<String> {
    (engine == Engine::Postgres).then(|| {
        std::env::var("HERALD_TEST_POSTGRES_URL").expect(
            "PostgreSQL tests need HERALD_TEST_POSTGRES_URL; run scripts/test.sh, which starts a local cluster",
        )
    })
}

fn engine_name(engine: Engine) -> &'static str {
    match engine {
        Engine::Sqlite => "SQLite",
        Engine::Postgres => "PostgreSQL",
    }
}

async fn broadcast_through(engine: Engine, fault: Fault) {
    let label = format!("{} (mid-fan-out), {}", fault.name(), engine_name(engine));
    let url = postgres_url(engine);
    let o = faults::broadcast(engine, url.as_deref(), SUBSCRIPTIONS, 256, fault)
        .await
        .unwrap_or_else(|e| panic!("{label}: {e:#}"));
    println!(
        "crash: {label}: delivered {}/{SUBSCRIPTIONS}, duplicates {}, {} leased at the fault, finished {:.1} s after it",
        o.delivered,
        o.duplicates,
        o.leased_at_fault.unwrap_or(0),
        o.after_fault
    );
    assert_eq!(o.delivered, SUBSCRIPTIONS, "{label}: every delivery sent");
    assert!(
        o.received >= SUBSCRIPTIONS,
        "{label}: the peer got {}",
        o.received
    );
    if fault == Fault::Term {
        assert_eq!(
            o.leased_at_fault,
            Some(0),
            "{label}: SIGTERM left deliveries leased"
        );
    }
    // Only what was in flight at the fault can go twice.
    let in_flight = o.leased_at_fault.unwrap_or(0).max(0) as usize;
    assert!(
        o.duplicates <= in_flight + 512,
        "{label}: {} duplicates, {in_flight} in flight",
        o.duplicates
    );
    assert!(
        o.after_fault < 60.0,
        "{label}: {:.1} s after the fault",
        o.after_fault
    );
}

async fn subscribe_through_kill(engine: Engine) {
    let label = engine_name(engine);
    let dir = tempfile::tempdir().expect("dir");
    let url = database_url(engine, postgres_url(engine).as_deref(), dir.path())
        .await
        .expect("database");
    let (project, _) = create_project(&url).expect("project");
    let peer = Arc::new(PushPeer::start().await);
    let node = Server::start(&url, &["--node-id", "subscribe-0"]).expect("serve");
    let base = format!("{}/api/v1/projects/{project}/subscriptions", node.address);
    let client = reqwest::Client::new();
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
    tokio::time::sleep(Duration::from_millis(1500)).await;
    node.kill();
    let mut acknowledged = Vec::new();
    for task in tasks {
        acknowledged.extend(task.await.expect("task"));
    }
    let node = Server::start(&url, &["--node-id", "subscribe-0"]).expect("serve");
    let status = format!(
        "{}/api/v1/projects/{project}/subscriptions/status",
        node.address
    );
    let started = Instant::now();
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
        "crash: kill -9 mid-subscribe-load, {label}: {} acknowledged before the kill, {lost} lost (checked in {:.1} s)",
        acknowledged.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        acknowledged.len() > 100,
        "too few subscribes before the kill: {}",
        acknowledged.len()
    );
    assert_eq!(lost, 0, "acknowledged subscriptions lost");
    node.stop();
}

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
