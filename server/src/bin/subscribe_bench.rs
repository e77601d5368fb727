//! Load benchmark of the subscribe endpoint (`POST …/subscriptions`).
//!
//! Starts the real `herald serve` (the binary next to this one) on a fresh
//! database, creates a project, then keeps `--connections` HTTP/1.1
//! keep-alive connections busy for `--duration` seconds, each request a new
//! subscription with its own Idempotency-Key. Prints requests/s, latency
//! percentiles, errors, and the server process's CPU time and peak RSS.
//!
//!     cargo build --release --bin herald --bin subscribe-bench
//!     target/release/subscribe-bench --engine sqlite
//!     target/release/subscribe-bench --engine postgres --postgres-url postgres://postgres@127.0.0.1:55432/postgres

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use clap::{Parser, ValueEnum};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
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

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum Engine {
    Sqlite,
    Postgres,
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

async fn database_url(args: &Args, dir: &std::path::Path) -> anyhow::Result<String> {
    match args.engine {
        Engine::Sqlite => Ok(format!("sqlite://{}", dir.join("bench.db").display())),
        Engine::Postgres => {
            let admin = args.postgres_url.clone().ok_or_else(|| {
                anyhow::anyhow!("--postgres-url is required for --engine postgres")
            })?;
            sqlx::any::install_default_drivers();
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await?;
            let name = format!("herald_bench_{}", uuid::Uuid::new_v4().simple());
            sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
                .execute(&mut conn)
                .await?;
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b)
                .ok_or_else(|| anyhow::anyhow!("the URL must name a database"))?;
            Ok(format!("{base}/{name}"))
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let herald = std::env::current_exe()?.with_file_name("herald");
    anyhow::ensure!(
        herald.exists(),
        "build the server first: cargo build --release --bin herald"
    );
    let dir = tempfile::tempdir()?;
    let url = database_url(&args, dir.path()).await?;
    let created = Command::new(&herald)
        .args([
            "--database-url",
            &url,
            "project",
            "create",
            "--name",
            "bench",
        ])
        .output()?;
    anyhow::ensure!(created.status.success(), "project create failed");
    let project: serde_json::Value = serde_json::from_slice(&created.stdout)?;
    let project_id = project["id"].as_str().unwrap_or_default().to_string();

    let mut server = Command::new(&herald)
        .args(["--database-url", &url, "serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn,herald=info")
        .stderr(Stdio::piped())
        .spawn()?;
    let mut lines = BufReader::new(
        server
            .stderr
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stderr"))?,
    )
    .lines();
    let address = loop {
        let line = lines
            .next()
            .ok_or_else(|| anyhow::anyhow!("server exited"))??;
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.trim().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let pid = server.id();

    // A pool of valid browser keys; endpoints are unique per request.
    let keys: Vec<(String, String)> = (0..64)
        .map(|_| {
            let pair = herald::vapid::generate()?;
            let auth = URL_SAFE_NO_PAD.encode(herald::secret::random_bytes(16)?);
            Ok((pair.public_key, auth))
        })
        .collect::<anyhow::Result<_>>()?;
    let keys = Arc::new(keys);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .http1_only()
        .build()?;
    let target = format!("{address}/api/v1/projects/{project_id}/subscriptions");

    let cpu_before = cpu_seconds(pid)?;
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
                latencies.push(t.elapsed().as_micros() as u64);
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
    let cpu = cpu_seconds(pid)? - cpu_before;
    let peak_rss = peak_rss_kib(pid)?;
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    let _ = server.wait();

    latencies.sort_unstable();
    let pct = |p: f64| {
        let i = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len().max(1)) - 1;
        latencies.get(i).copied().unwrap_or(0) as f64 / 1000.0
    };
    let engine = match args.engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    };
    println!(
        "subscribe-bench engine={engine} connections={} duration={:.1}s",
        args.connections, elapsed
    );
    println!("  requests      {}", latencies.len());
    println!("  errors        {errors}");
    println!(
        "  throughput    {:.0} req/s",
        latencies.len() as f64 / elapsed
    );
    println!(
        "  latency ms    p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        pct(1.0)
    );
    println!(
        "  server cpu    {cpu:.1} s ({:.0} req per cpu-second)",
        latencies.len() as f64 / cpu.max(0.001)
    );
    println!("  server rss    peak {:.1} MiB", peak_rss as f64 / 1024.0);
    Ok(())
}

/// User + system CPU seconds of a process, from /proc.
fn cpu_seconds(pid: u32) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    Ok(ticks / 100.0)
}

/// Peak resident set size (VmHWM) in KiB.
fn peak_rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    Ok(status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0))
}
