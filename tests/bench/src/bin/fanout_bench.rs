//! Delivery benchmark: one broadcast through the real server to N
//! subscriptions on the push-service test peer (answering 201 at once,
//! checking every 100th message in full), then the same messages sent by
//! Node's `web-push` package, and the ratio.
//!
//! Prints msgs/s, msgs per CPU-second of the server process, p50/p99 from
//! acceptance to the push service, peak RSS; then Node's figures.
//!
//!     npm install   # the web-push package for the Node baseline
//!     cargo build --release --bin herald --bin fanout-bench
//!     target/release/fanout-bench --subscriptions 20000
//!     target/release/fanout-bench --engine postgres --postgres-url postgres://postgres@127.0.0.1:55432/postgres
//!
//! `--accept-only` measures just how long the send API takes to accept a
//! broadcast and when the first push leaves (for a million subscriptions).
//! `--hung 300 --subscriptions 1000 --concurrency 128` adds endpoints that
//! never answer on the same push service and measures when the healthy
//! ones are all delivered.

use clap::Parser;
use herald::db::Db;
use herald_bench::{Engine, Server, create_project, database_url, quantile, seed};
use push_peer::{Options, PushPeer};
use sqlx::Row;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Delivery fan-out benchmark, Herald against Node's web-push")]
struct Args {
    /// Subscriptions to send to.
    #[arg(long, default_value_t = 20_000)]
    subscriptions: usize,
    /// Database engine for the server under test.
    #[arg(long, value_enum, default_value = "sqlite")]
    engine: Engine,
    /// PostgreSQL admin URL (a fresh database is created in it).
    #[arg(long, env = "HERALD_TEST_POSTGRES_URL")]
    postgres_url: Option<String>,
    /// Pushes in flight at once (Herald's --per-origin-concurrency, Node's sockets).
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    /// Skip the Node baseline.
    #[arg(long)]
    skip_node: bool,
    /// Only measure acceptance and the first push.
    #[arg(long)]
    accept_only: bool,
    /// Also this many subscriptions on the same push service whose
    /// endpoint never answers: measures how soon the healthy ones are all
    /// delivered (the hung ones are not waited for).
    #[arg(long, default_value_t = 0)]
    hung: usize,
    /// An extra flag for `herald serve` (repeatable), e.g. `--herald-arg=--slow-push-ms=500`.
    #[arg(long = "herald-arg", allow_hyphen_values = true)]
    herald_args: Vec<String>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let peer = PushPeer::start_with(Options { verify_every: 100 }).await;
    let sub = peer.new_subscription();
    let dir = tempfile::tempdir()?;
    let url = database_url(args.engine, args.postgres_url.as_deref(), dir.path()).await?;
    let (project, token) = create_project(&url)?;
    let db = Db::connect(&url).await?;
    let seeding = Instant::now();
    if args.hung > 0 {
        // Same origin, another path (the peer keys its modes on the path);
        // stored first, so they are claimed first: the worst case.
        let hung = peer.new_subscription();
        peer.set_mode(&hung.id, push_peer::Mode::Hang);
        seed(&db, &project, &hung, args.hung).await?;
    }
    seed(&db, &project, &sub, args.subscriptions).await?;
    eprintln!(
        "seeded {} subscriptions in {:.1} s",
        args.subscriptions,
        seeding.elapsed().as_secs_f64()
    );

    let per_origin = args.concurrency.to_string();
    let mut flags = vec![
        "--per-origin-concurrency",
        &per_origin,
        "--concurrency",
        &per_origin,
    ];
    flags.extend(args.herald_args.iter().map(String::as_str));
    let server = Server::start(&url, &flags)?;
    let client = reqwest::Client::new();
    let notifications = format!("{}/api/v1/projects/{project}/notifications", server.address);
    let body = serde_json::json!({
        "title": "Spring sale", "body": "Everything 20% off until Sunday",
        "url": "https://shop.example/sale", "icon": "https://shop.example/icon.png",
        "target": {"all": true}
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let cpu_before = server.cpu_seconds()?;
    let t0 = Instant::now();
    let accepted: serde_json::Value = client
        .post(&notifications)
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await?
        .json()
        .await?;
    let accept_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let id = accepted["id"]
        .as_i64()
        .ok_or_else(|| anyhow::anyhow!("send refused: {accepted}"))?;
    let engine = format!("{:?}", args.engine).to_lowercase();
    println!(
        "fanout-bench engine={engine} subscriptions={} concurrency={}",
        args.subscriptions, args.concurrency
    );
    println!(
        "  accepted      {} queued in {accept_ms:.1} ms",
        accepted["queued"]
    );

    if args.hung > 0 {
        let got = peer
            .wait_for(args.subscriptions, Duration::from_secs(120))
            .await;
        let mut at: Vec<f64> = got.iter().map(|r| (r.at - t0).as_secs_f64()).collect();
        at.sort_by(f64::total_cmp);
        println!(
            "  with {} hung endpoints: {} of {} healthy delivered, the last {:.2} s after the send (p50 {:.2} s)",
            args.hung,
            got.len(),
            args.subscriptions,
            at.last().copied().unwrap_or(f64::NAN),
            quantile(&at, 0.5)
        );
        server.stop();
        return Ok(());
    }
    if args.accept_only {
        let first = peer.wait_for(1, Duration::from_secs(30)).await;
        if let Some(r) = first.first() {
            println!(
                "  first push    {:.1} ms after the request was sent",
                (r.at - t0).as_secs_f64() * 1000.0
            );
        }
        server.stop();
        return Ok(());
    }

    let status_url = format!("{notifications}/{id}");
    let progress = loop {
        let progress: serde_json::Value = client
            .get(&status_url)
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await?;
        if progress["status"] == "done" {
            break progress;
        }
        // As a backend would poll; counting is a scan of the deliveries.
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let cpu = server.cpu_seconds()? - cpu_before;
    let rss = server.peak_rss_mib()?;
    server.stop();
    let received = peer.received();
    let mut latencies: Vec<f64> = received
        .iter()
        .map(|r| (r.at - t0).as_secs_f64() * 1000.0)
        .collect();
    latencies.sort_by(f64::total_cmp);
    let span = latencies.last().copied().unwrap_or(0.0) / 1000.0;
    let n = received.len() as f64;
    let herald_per_cpu = n / cpu.max(0.001);
    println!(
        "  sent          {} (counts {})",
        received.len(),
        progress["counts"]
    );
    println!("  rejections    {}", peer.rejections().len());
    println!("  throughput    {:.0} msgs/s", n / span.max(0.001));
    println!("  server cpu    {cpu:.2} s = {herald_per_cpu:.0} msgs per cpu-second");
    println!(
        "  queue->push   p50 {:.0} ms  p99 {:.0} ms",
        quantile(&latencies, 0.5),
        quantile(&latencies, 0.99)
    );
    println!("  server rss    peak {rss:.1} MiB");

    if args.skip_node {
        return Ok(());
    }
    let keys =
        sqlx::query("select vapid_public_key, vapid_private_key from projects where id = $1")
            .bind(&project)
            .fetch_one(db.pool())
            .await?;
    let subscriptions: Vec<serde_json::Value> = (0..args.subscriptions)
        .map(|i| serde_json::json!({"endpoint": format!("{}?n={i}", sub.endpoint), "keys": {"p256dh": sub.p256dh, "auth": sub.auth}}))
        .collect();
    let payload = herald::notifications::content::Content {
        title: Some("Spring sale".into()),
        body: Some("Everything 20% off until Sunday".into()),
        url: Some("https://shop.example/sale".into()),
        icon: Some("https://shop.example/icon.png".into()),
        ..Default::default()
    }
    .plaintext(id, 0);
    let input = serde_json::json!({
        "subscriptions": subscriptions,
        "vapid": {
            "subject": "mailto:admin@localhost",
            "publicKey": keys.try_get::<String, _>("vapid_public_key")?,
            "privateKey": keys.try_get::<String, _>("vapid_private_key")?,
        },
        "payload": payload,
        "concurrency": args.concurrency,
    });
    let file = dir.path().join("node-input.json");
    std::fs::write(&file, serde_json::to_vec(&input)?)?;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/node-webpush.mjs");
    let before = peer.received().len();
    let out = tokio::process::Command::new("node")
        .arg(script)
        .arg(&file)
        .output()
        .await?;
    anyhow::ensure!(
        out.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let node: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let node_sent = node["sent"].as_f64().unwrap_or(0.0);
    let node_cpu = node["cpu_ms"].as_f64().unwrap_or(0.0) / 1000.0;
    let node_wall = node["wall_ms"].as_f64().unwrap_or(0.0) / 1000.0;
    let node_per_cpu = node_sent / node_cpu.max(0.001);
    println!(
        "node web-push   sent {node_sent} (peer got {}), failed {}",
        peer.received().len() - before,
        node["failed"]
    );
    println!(
        "  throughput    {:.0} msgs/s",
        node_sent / node_wall.max(0.001)
    );
    println!("  cpu           {node_cpu:.2} s = {node_per_cpu:.0} msgs per cpu-second");
    println!(
        "ratio           herald/node msgs per cpu-second = {:.1}x",
        herald_per_cpu / node_per_cpu.max(0.001)
    );
    Ok(())
}
