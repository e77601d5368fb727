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
use herald_bench::Engine;
use herald_bench::faults::{self, Fault};

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

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut rows = Vec::new();
        for fault in [Fault::None, Fault::Kill, Fault::Term, Fault::KillOneOfThree] {
            rows.push((
                fault,
                faults::broadcast(args.engine, args.postgres_url.as_deref(), args.subscriptions, args.concurrency, fault).await?,
            ));
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
