//! Shared pieces of the benchmark programs: a fresh database, the `herald`
//! binary under test as a child process, and its CPU and memory from /proc.

pub mod faults;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// Which database the server under test uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A new database on the PostgreSQL cluster given by `--postgres-url`.
    Postgres,
}

/// A fresh database URL for `engine`.
pub async fn database_url(
    engine: Engine,
    postgres_url: Option<&str>,
    dir: &std::path::Path,
) -> anyhow::Result<String> {
    match engine {
        Engine::Sqlite => Ok(format!("sqlite://{}", dir.join("bench.db").display())),
        Engine::Postgres => {
            let admin = postgres_url.ok_or_else(|| {
                anyhow::anyhow!("--postgres-url is required for --engine postgres")
            })?;
            sqlx::any::install_default_drivers();
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(admin).await?;
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

/// The `herald` binary next to this program (`target/release/` for the
/// benchmarks), or one folder up (`target/debug/deps/` for the crash tests).
pub fn herald_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let near = exe.with_file_name("herald");
    let up = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|dir| dir.join("herald"));
    [Some(near), up]
        .into_iter()
        .flatten()
        .find(|path| path.exists())
        .ok_or_else(|| anyhow::anyhow!("build the server first: cargo build --release --bin herald (or --bin herald for the tests)"))
}

/// Runs `herald project create`; returns (id, api token).
pub fn create_project(database_url: &str) -> anyhow::Result<(String, String)> {
    let out = Command::new(herald_binary()?)
        .args([
            "--database-url",
            database_url,
            "project",
            "create",
            "--name",
            "bench",
        ])
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "project create failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let project: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let field = |k: &str| project[k].as_str().unwrap_or_default().to_string();
    Ok((field("id"), field("api_token")))
}

/// A `herald serve` child process.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub address: String,
}

impl Server {
    /// Starts `herald serve` on a free port with extra arguments.
    pub fn start(database_url: &str, extra: &[&str]) -> anyhow::Result<Self> {
        let mut child = Command::new(herald_binary()?)
            .args([
                "--database-url",
                database_url,
                "serve",
                "--listen",
                "127.0.0.1:0",
                // The peer on loopback, and subscribe-bench's made-up service.
                "--push-service",
                "127.0.0.1",
                "--push-service",
                "push.example.net",
                // Load from one address and one token is the point here.
                "--browser-rate-per-minute",
                "0",
                "--backend-rate-per-minute",
                "0",
            ])
            .args(extra)
            .env("RUST_LOG", "warn,herald=info")
            .stderr(Stdio::piped())
            .spawn()?;
        let stderr = child
            .stderr
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stderr"))?;
        let mut lines = BufReader::new(stderr).lines();
        let address = loop {
            let line = lines
                .next()
                .ok_or_else(|| anyhow::anyhow!("the server exited"))??;
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.trim().to_string();
            }
        };
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if line.contains("ERROR") {
                    eprintln!("server: {line}");
                }
            }
        });
        Ok(Self { child, address })
    }

    /// User + system CPU seconds the server has used.
    pub fn cpu_seconds(&self) -> anyhow::Result<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))?;
        let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks: f64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
            + fields.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
        Ok(ticks / clock_ticks())
    }

    /// Peak resident set size (VmHWM), MiB.
    pub fn peak_rss_mib(&self) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        Ok(kib / 1024.0)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the server outright (SIGKILL, then reaps it).
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops the server (SIGTERM, then waits).
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// Kernel clock ticks per second (`getconf CLK_TCK`, 100 on Linux).
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// The value at quantile `q` of sorted `values`.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// Stores `n` subscriptions pointing at one peer subscription (distinct
/// endpoints by query string; the peer keys on the path).
pub async fn seed(
    db: &herald::db::Db,
    project: &str,
    sub: &push_peer::PeerSubscription,
    n: usize,
) -> anyhow::Result<()> {
    const ROWS: usize = 1000;
    let now = chrono_now_ms();
    let mut i = 0;
    while i < n {
        let rows = ROWS.min(n - i);
        let mut sql = String::from(
            "insert into subscriptions (project_id, endpoint, endpoint_hash, p256dh, auth, created_at, updated_at) values ",
        );
        let values: Vec<String> = (0..rows)
            .map(|r| {
                let b = r * 3;
                format!("($1, ${}, ${}, ${}, $2, $3, $3)", b + 4, b + 5, b + 6)
            })
            .collect();
        sql.push_str(&values.join(","));
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .persistent(false)
            .bind(project)
            .bind(&sub.auth)
            .bind(now);
        for r in 0..rows {
            let endpoint = format!("{}?n={}", sub.endpoint, i + r);
            let hash = herald::secret::sha256_hex(&endpoint);
            query = query.bind(endpoint).bind(hash).bind(&sub.p256dh);
        }
        query.execute(db.writer()).await?;
        i += rows;
    }
    Ok(())
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
