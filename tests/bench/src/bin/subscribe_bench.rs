//! Load benchmark of the subscribe endpoint (`POST …/subscriptions`).
//!
//! Starts the real `herald serve` (the binary next to this one, without
//! delivery workers) on a fresh database, creates a project, then keeps
//! `--connections` HTTP/1.1 keep-alive connections busy for `--duration`
//! seconds, each request a new subscription with its own Idempotency-Key.
//! Prints requests/s, latency percentiles, errors, and the server process's
//! CPU time and peak RSS.
//!
//!     cargo build --release --bin herald --bin subscribe-bench
//!     target/release/subscribe-bench --engine sqlite
//!     target/release/subscribe-bench --engine postgres --postgres-url postgres://postgres@127.0.0.1:55432/postgres

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::Parser;
use herald_bench::{Engine, Server, create_project, database_url, quantile};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Load benchmark of Herald's subscribe endpoint")]
struct Args {
    /// Database engine for the server under test.
    #[arg(long, value_enum, default_value = "sqlite")]
    engine: Engine,
    /// PostgreSQL admin URL (a fresh database is created in it).
    #[arg(long, env = "HERALD_TEST_POSTGRES_URL")]
    postgres_url: Option<String>,
    /// Concurrent connections.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Seconds of load.
    #[arg(long, default_value_t = 30)]
    duration: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // One thread: the load generator shares the machine with the server and
    // should not take more than a core from it.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(args))
}

async fn run(args: Args) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = database_url(args.engine, args.postgres_url.as_deref(), dir.path()).await?;
    let (project_id, _token) = create_project(&url)?;
    let server = Server::start(&url, &["--no-workers"])?;

    // A pool of valid browser keys; endpoints are unique per request.
    let keys: Vec<(String, String)> = (0..64)
        .map(|_| {
            let pair = herald::webpush::vapid::generate()?;
            let auth = URL_SAFE_NO_PAD.encode(herald::secret::random_bytes(16)?);
            Ok((pair.public_key, auth))
        })
        .collect::<anyhow::Result<_>>()?;
    let keys = Arc::new(keys);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .http1_only()
        .build()?;
    let target = format!(
        "{}/api/v1/projects/{project_id}/subscriptions",
        server.address
    );

    let cpu_before = server.cpu_seconds()?;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.duration);
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..args.connections {
        let (client, target, keys) = (client.clone(), target.clone(), keys.clone());
        tasks.spawn(async move {
            let mut latencies = Vec::with_capacity(100_000);
            let mut errors = 0u64;
            let mut n = 0usize;
            while Instant::now() < deadline {
                let (p256dh, auth) = &keys[(worker + n) % keys.len()];
                let body = serde_json::json!({
                    "endpoint": format!("https://push.example.net/bench/{worker}/{n}"),
                    "keys": { "p256dh": p256dh, "auth": auth },
                    "tags": ["bench"],
                });
                n += 1;
                let t = Instant::now();
                let ok = client
                    .post(&target)
                    .header("idempotency-key", uuid::Uuid::new_v4().to_string())
                    .json(&body)
                    .send()
                    .await
                    .map(|r| r.status().is_success())
                    .unwrap_or(false);
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                if !ok {
                    errors += 1;
                }
            }
            (latencies, errors)
        });
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    while let Some(done) = tasks.join_next().await {
        let (l, e) = done?;
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = server.cpu_seconds()? - cpu_before;
    let peak_rss = server.peak_rss_mib()?;
    server.stop();

    latencies.sort_by(f64::total_cmp);
    let engine = match args.engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    };
    let n = latencies.len() as f64;
    println!(
        "subscribe-bench engine={engine} connections={} duration={elapsed:.1}s",
        args.connections
    );
    println!("  requests      {}", latencies.len());
    println!("  errors        {errors}");
    println!("  throughput    {:.0} req/s", n / elapsed);
    println!(
        "  latency ms    p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        quantile(&latencies, 0.50),
        quantile(&latencies, 0.90),
        quantile(&latencies, 0.99),
        quantile(&latencies, 1.0)
    );
    println!(
        "  server cpu    {cpu:.1} s ({:.0} req per cpu-second)",
        n / cpu.max(0.001)
    );
    println!("  server rss    peak {peak_rss:.1} MiB");
    Ok(())
}
