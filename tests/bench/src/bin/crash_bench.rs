//! Faults in the middle of a broadcast: the same broadcast to N
//! subscriptions on the push-service test peer, first without a fault
//! (the baseline), then with each fault once a third has gone out:
//!
//! - `kill -9` of the only node, restarted at once with the same node id;
//! - SIGTERM of the only node (it hands back what it did not send),
//!   restarted at once;
//! - three nodes, one killed with `kill -9` and not restarted.
//!
//! Prints, for each: delivered, duplicates (pushes the peer accepted past
//! one per delivery), the time to finish, and how much longer than the
//! baseline that was.
//!
//!     cargo build --release --bin herald --bin crash-bench
//!     target/release/crash-bench --subscriptions 20000
//!     target/release/crash-bench --engine postgres --postgres-url postgres://postgres@127.0.0.1:55432/postgres

use clap::Parser;
use herald::db::Db;
use herald_bench::{Engine, Server, create_project, database_url, seed};
use push_peer::{Options, PushPeer};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "A broadcast through kill -9, SIGTERM and a lost node")]
struct Args {
    /// Subscriptions to send to.
    #[arg(long, default_value_t = 20_000)]
    subscriptions: usize,
    /// Database engine for the server under test.
    #[arg(long, value_enum, default_value = "sqlite")]
    engine: Engine,
    /// PostgreSQL admin URL (a fresh database is created in it per run).
    #[arg(long, env = "HERALD_TEST_POSTGRES_URL")]
    postgres_url: Option<String>,
    /// Pushes in flight at once per node.
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
}

#[derive(Clone, Copy, PartialEq)]
enum Fault {
    None,
    Kill,
    Term,
    KillOneOfThree,
}

impl Fault {
    fn name(self) -> &'static str {
        match self {
            Fault::None => "no fault (baseline)",
            Fault::Kill => "kill -9, restart",
            Fault::Term => "SIGTERM, restart",
            Fault::KillOneOfThree => "3 nodes, kill -9 one",
        }
    }
}

struct Outcome {
    delivered: usize,
    duplicates: usize,
    seconds: f64,
    leased_at_fault: Option<i64>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut rows = Vec::new();
        for fault in [Fault::None, Fault::Kill, Fault::Term, Fault::KillOneOfThree] {
            rows.push((fault, once(&args, fault).await?));
        }
        let engine = format!("{:?}", args.engine).to_lowercase();
        println!(
            "crash-bench engine={engine} subscriptions={} concurrency={} (fault once a third is out)",
            args.subscriptions, args.concurrency
        );
        println!(
            "{:<22} {:>10} {:>11} {:>9} {:>12} {:>16}",
            "fault", "delivered", "duplicates", "finish", "vs baseline", "leased at fault"
        );
        let base = rows[0].1.seconds;
        for (fault, o) in &rows {
            println!(
                "{:<22} {:>10} {:>11} {:>8.1}s {:>+11.1}s {:>16}",
                fault.name(),
                o.delivered,
                o.duplicates,
                o.seconds,
                o.seconds - base,
                o.leased_at_fault.map_or("-".into(), |n| n.to_string())
            );
        }
        anyhow::Ok(())
    })
}

async fn once(args: &Args, fault: Fault) -> anyhow::Result<Outcome> {
    let n = args.subscriptions;
    let peer = PushPeer::start_with(Options { verify_every: 100 }).await;
    let sub = peer.new_subscription();
    let dir = tempfile::tempdir()?;
    let url = database_url(args.engine, args.postgres_url.as_deref(), dir.path()).await?;
    let (project, token) = create_project(&url)?;
    let db = Db::connect(&url).await?;
    seed(&db, &project, &sub, n).await?;
    let concurrency = args.concurrency.to_string();
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
    if fault != Fault::None {
        while peer.received().len() < n / 3 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let victim = servers[0].take().expect("node 0");
        match fault {
            Fault::Term => victim.stop(),
            _ => victim.kill(),
        }
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
        duplicates: received.saturating_sub(sent as usize),
        seconds,
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
