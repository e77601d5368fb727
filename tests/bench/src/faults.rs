//! Faults in the middle of a broadcast through the real `herald` binary:
//! `kill -9` and a restart, SIGTERM and a restart, and one of three nodes
//! killed. `crash-bench` prints them against a run without a fault; the
//! crash tests (tests/crash.rs) assert on them.

use crate::{Engine, Server, create_project, database_url, seed};
use herald::db::Db;
use push_peer::{Options, PushPeer};
use std::time::{Duration, Instant};

/// What happens once a third of the broadcast is out.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Fault {
    /// Nothing (the baseline).
    None,
    /// `kill -9` of the only node, restarted at once under its node id.
    Kill,
    /// SIGTERM of the only node, restarted at once.
    Term,
    /// Three nodes; one is killed with `kill -9` and stays down.
    KillOneOfThree,
}

impl Fault {
    /// How the fault reads in a table.
    pub fn name(self) -> &'static str {
        match self {
            Fault::None => "no fault (baseline)",
            Fault::Kill => "kill -9, restart",
            Fault::Term => "SIGTERM, restart",
            Fault::KillOneOfThree => "3 nodes, kill -9 one",
        }
    }
}

/// What came of one broadcast.
#[derive(Debug)]
pub struct Outcome {
    /// Deliveries the push service accepted (state `sent`).
    pub delivered: usize,
    /// Pushes the peer accepted, duplicates included.
    pub received: usize,
    /// Pushes the peer accepted past one per delivery.
    pub duplicates: usize,
    /// From the send to the last delivery out of the queue.
    pub seconds: f64,
    /// From the fault to the last delivery out of the queue.
    pub after_fault: f64,
    /// Deliveries leased right after the fault (after SIGTERM's hand-back).
    pub leased_at_fault: Option<i64>,
}

/// One broadcast to `n` subscriptions on the test peer through `fault`,
/// once a third has gone out (after it, the node is restarted under its
/// node id, except the lost one of three).
pub async fn broadcast(
    engine: Engine,
    postgres_url: Option<&str>,
    n: usize,
    concurrency: usize,
    fault: Fault,
) -> anyhow::Result<Outcome> {
    let peer = PushPeer::start_with(Options { verify_every: 100 }).await;
    let sub = peer.new_subscription();
    let dir = tempfile::tempdir()?;
    let url = database_url(engine, postgres_url, dir.path()).await?;
    let (project, token) = create_project(&url)?;
    let db = Db::connect(&url).await?;
    seed(&db, &project, &sub, n).await?;
    let concurrency = concurrency.to_string();
    let start = |node: &str| {
        Server::start(
            &url,
            &[
                "--per-origin-concurrency",
                &concurrency,
                "--concurrency",
                &concurrency,
                "--node-id",
                node,
            ],
        )
    };
    let nodes = if fault == Fault::KillOneOfThree { 3 } else { 1 };
    let mut servers: Vec<Option<Server>> = (0..nodes)
        .map(|i| start(&format!("crash-bench-{i}")).map(Some))
        .collect::<anyhow::Result<_>>()?;
    let address = servers[nodes - 1]
        .as_ref()
        .map(|s| s.address.clone())
        .unwrap_or_default();
    let client = reqwest::Client::new();
    let accepted: serde_json::Value = client
        .post(format!("{address}/api/v1/projects/{project}/notifications"))
        .bearer_auth(&token)
        .json(&serde_json::json!({"title": "Crash test", "body": "One of each, please", "target": {"all": true}}))
        .send()
        .await?
        .json()
        .await?;
    let t0 = Instant::now();
    let id = accepted["id"]
        .as_i64()
        .ok_or_else(|| anyhow::anyhow!("send refused: {accepted}"))?;
    let mut leased_at_fault = None;
    let mut fault_at = t0;
    if fault != Fault::None {
        while peer.received().len() < n / 3 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let victim = servers[0].take().expect("node 0");
        match fault {
            Fault::Term => victim.stop(),
            _ => victim.kill(),
        }
        fault_at = Instant::now();
        leased_at_fault = Some(leased(&db).await?);
        if fault != Fault::KillOneOfThree {
            servers[0] = Some(start("crash-bench-0")?);
        }
    }
    // Done when every delivery has left the queue.
    loop {
        let left: i64 = sqlx::query_scalar(
            "select count(*) from deliveries where notification_id = $1 and state in ('queued', 'sending')",
        )
        .bind(id)
        .fetch_one(db.pool())
        .await?;
        let written: i64 =
            sqlx::query_scalar("select count(*) from deliveries where notification_id = $1")
                .bind(id)
                .fetch_one(db.pool())
                .await?;
        if left == 0 && written as usize == n {
            break;
        }
        anyhow::ensure!(
            t0.elapsed() < Duration::from_secs(600),
            "not done in 10 minutes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seconds = t0.elapsed().as_secs_f64();
    let after_fault = fault_at.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent: i64 = sqlx::query_scalar(
        "select count(*) from deliveries where notification_id = $1 and state = 'sent'",
    )
    .bind(id)
    .fetch_one(db.pool())
    .await?;
    let received = peer.received().len();
    for server in servers.into_iter().flatten() {
        server.stop();
    }
    db.close().await;
    Ok(Outcome {
        delivered: sent as usize,
        received,
        duplicates: received.saturating_sub(sent as usize),
        seconds,
        after_fault,
        leased_at_fault,
    })
}

/// Deliveries leased (sending) right now.
async fn leased(db: &Db) -> anyhow::Result<i64> {
    Ok(
        sqlx::query_scalar("select count(*) from deliveries where state = 'sending'")
            .fetch_one(db.pool())
            .await?,
    )
}
