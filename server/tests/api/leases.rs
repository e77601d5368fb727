//! Leases that outlive their worker: a stopping engine hands back what it
//! did not send, a node restarted with the same id takes back its previous
//! run's leases at once, and other nodes take over a crashed node's once
//! its heartbeat is old, but never a live node's. Engines are started and
//! "killed" (dropped: no hand-back, no goodbye) in the test itself, with
//! leases far longer than the test, so only these mechanisms explain a
//! take-over.

use crate::helpers::{Browser, Engine, TestApp, spawn_app_configured, test_delivery_config};
use push_peer::{Mode, PushPeer};
use serde_json::json;
use sqlx::Row;
use std::time::{Duration, Instant};

/// A server without delivery workers, a peer, and `n` subscriptions on it
/// answering as `mode`; one notification to all of them, not yet claimed.
async fn setup(engine: Engine, n: usize, mode: Mode) -> (TestApp, PushPeer, Vec<String>, i64) {
    let app = spawn_app_configured(engine, |config| config.workers = false).await;
    let peer = PushPeer::start().await;
    peer.expect_vapid_key(&app.project.vapid_public_key);
    let mut ids = Vec::new();
    for _ in 0..n {
        let sub = peer.new_subscription();
        peer.set_mode(&sub.id, mode.clone());
        let answer = app.subscribe(&Browser::from_peer(&sub)).await;
        assert_eq!(answer.status, 201, "{}", answer.text);
        ids.push(sub.id);
    }
    let id = app
        .notify(json!({"title": "Lease", "target": {"all": true}}))
        .await;
    (app, peer, ids, id)
}

/// An engine named `node` on the app's database; leases of a minute unless
/// `node_timeout` says otherwise.
fn engine(app: &TestApp, node: &str, node_timeout: Duration) -> herald::delivery::Handle {
    let mut config = test_delivery_config();
    config.node_id = node.into();
    config.lease = Duration::from_secs(600);
    config.node_timeout = node_timeout;
    // A "killed" engine's pushes stay hung past the test: in this process
    // its tasks outlive the drop, where a real kill -9 would end them.
    config.request_timeout = Duration::from_secs(60);
    herald::delivery::start(app.db.clone(), config, Default::default()).expect("engine")
}

async fn leased_by(app: &TestApp, node: &str) -> i64 {
    sqlx::query("select count(*) as n from deliveries where state = 'sending' and lease_owner = $1")
        .bind(node)
        .fetch_one(app.db.pool())
        .await
        .expect("count")
        .try_get("n")
        .expect("n")
}

async fn until_leased(app: &TestApp, node: &str, n: i64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while leased_by(app, node).await < n {
        assert!(Instant::now() < deadline, "{node} never leased {n}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Until every subscription's push has reached the peer (and hangs there):
/// the dropped engine's tasks have nothing left to send.
async fn until_hung(peer: &PushPeer, ids: &[String]) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while ids.iter().any(|id| peer.attempts_for(id) == 0) {
        assert!(
            Instant::now() < deadline,
            "the pushes never reached the peer"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The peer counts an attempt as it arrives and picks its answer after
    // checking the message: let it get to the hang.
    tokio::time::sleep(Duration::from_millis(300)).await;
}

fn accept_all(peer: &PushPeer, ids: &[String]) {
    for id in ids {
        peer.set_mode(id, Mode::Accept);
    }
}

crate::both_engines_with!(a_stopping_engine_hands_back_what_it_did_not_send, stop);
async fn stop(engine_kind: Engine) {
    let (app, _peer, _ids, _) = setup(engine_kind, 5, Mode::Hang).await;
    let node = engine(&app, "stopper", Duration::from_secs(60));
    until_leased(&app, "stopper", 5).await;
    node.shutdown(Duration::from_millis(300)).await;
    assert_eq!(leased_by(&app, "stopper").await, 0, "nothing left leased");
    let row = sqlx::query(
        "select count(*) as n from deliveries where state = 'queued' and lease_until is null",
    )
    .fetch_one(app.db.pool())
    .await
    .expect("count");
    assert_eq!(
        row.try_get::<i64, _>("n").expect("n"),
        5,
        "back in the queue"
    );
    let nodes = sqlx::query("select count(*) as n from nodes where id = 'stopper'")
        .fetch_one(app.db.pool())
        .await
        .expect("count");
    assert_eq!(nodes.try_get::<i64, _>("n").expect("n"), 0, "it left");
}

crate::both_engines_with!(
    a_node_restarted_with_its_id_takes_back_its_previous_runs_leases_at_once,
    restart
);
async fn restart(engine_kind: Engine) {
    let (app, peer, ids, id) = setup(engine_kind, 3, Mode::Hang).await;
    let first = engine(&app, "shop-1", Duration::from_secs(60));
    until_leased(&app, "shop-1", 3).await;
    until_hung(&peer, &ids).await;
    drop(first); // kill -9: no hand-back, its heartbeat still fresh
    accept_all(&peer, &ids);
    // Another node leaves them alone: the lease and the heartbeat are fresh.
    let other = engine(&app, "shop-2", Duration::from_secs(60));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(peer.received().is_empty(), "a live-looking lease was taken");
    drop(other);
    let started = Instant::now();
    let again = engine(&app, "shop-1", Duration::from_secs(60));
    let got = peer.wait_for(3, Duration::from_secs(5)).await;
    assert_eq!(got.len(), 3, "the restarted node took back its own");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let progress = app.wait_done(id).await;
    assert_eq!(progress["counts"]["sent"], 3, "{progress}");
    again.shutdown(Duration::from_secs(1)).await;
}

crate::both_engines_with!(
    a_crashed_nodes_leases_are_taken_over_once_its_heartbeat_is_old,
    takeover
);
async fn takeover(engine_kind: Engine) {
    let (app, peer, ids, id) = setup(engine_kind, 3, Mode::Hang).await;
    let crashed = engine(&app, "node-a", Duration::from_secs(60));
    until_leased(&app, "node-a", 3).await;
    until_hung(&peer, &ids).await;
    drop(crashed);
    accept_all(&peer, &ids);
    // While node-a still beats (a slow node, not a dead one), hands off.
    herald::queue::leases::heartbeat(&app.db, "node-a")
        .await
        .expect("beat");
    let survivor = engine(&app, "node-b", Duration::from_secs(1));
    let beating = Instant::now();
    while beating.elapsed() < Duration::from_secs(2) {
        herald::queue::leases::heartbeat(&app.db, "node-a")
            .await
            .expect("beat");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(peer.received().is_empty(), "a live node's lease was taken");
    let silent = Instant::now();
    let got = peer.wait_for(3, Duration::from_secs(6)).await;
    assert_eq!(got.len(), 3, "taken over");
    // One second of node timeout, checked every heartbeat (1 s).
    assert!(
        silent.elapsed() < Duration::from_secs(3),
        "{:?}",
        silent.elapsed()
    );
    let progress = app.wait_done(id).await;
    assert_eq!(progress["counts"]["sent"], 3, "{progress}");
    survivor.shutdown(Duration::from_secs(1)).await;
}
