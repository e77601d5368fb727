//! The database: one pool, SQLite or PostgreSQL, chosen by the URL.
//!
//! Both engines run the same queries through sqlx's `Any` driver. Queries use
//! `$1`-style placeholders, which SQLite also understands. Where the engines
//! differ (row locks, how a write transaction starts), the difference is
//! typed: a write transaction is a [`Tx`] that knows its engine, and the
//! store modules ask it for the lock clause, so no caller can forget it.
//! The migrations live in `migrations/sqlite` and `migrations/postgres`:
//! the same tables, numbered alike, each in its engine's dialect.

use anyhow::Context;
use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyConnection, AnyPool, Executor, Transaction};
use std::ops::{Deref, DerefMut};
use std::time::Duration;

/// A write transaction on either engine, knowing which.
///
/// It derefs to the connection, so queries run on `&mut *tx`. Row locks
/// come from [`Tx::lock`] and [`Tx::lock_skipping`]: on SQLite the write
/// transaction already excludes every other writer, on PostgreSQL rows read
/// to be changed must be locked.
pub struct Tx {
    inner: Transaction<'static, Any>,
    engine: Engine,
}

impl Tx {
    /// Which engine it runs on.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// ` for update` on PostgreSQL, nothing on SQLite: appended to a
    /// `select` whose rows this transaction will change.
    pub fn lock(&self) -> &'static str {
        match self.engine {
            Engine::Sqlite => "",
            Engine::Postgres => " for update",
        }
    }

    /// ` for update skip locked` on PostgreSQL (claimers take disjoint rows
    /// without waiting on each other), nothing on SQLite.
    pub fn lock_skipping(&self) -> &'static str {
        match self.engine {
            Engine::Sqlite => "",
            Engine::Postgres => " for update skip locked",
        }
    }

    /// Makes the changes durable.
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.inner.commit().await
    }

    /// Drops the changes.
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.inner.rollback().await
    }
}

impl Deref for Tx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.inner
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }
}

/// Which database engine is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// A SQLite file (the zero set-up default).
    Sqlite,
    /// PostgreSQL (production, several nodes).
    Postgres,
}

/// The shared connection pools and what they talk to.
///
/// On SQLite there are two pools on the same file: readers, and a single
/// writer connection. SQLite admits one writer at a time anyway; queueing
/// writers on the pool (in async code, in order) is much cheaper than
/// letting several connections fight over the lock in SQLite's busy handler,
/// which sleeps in steps of up to 100 ms. On PostgreSQL both are one pool.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    writer: AnyPool,
    engine: Engine,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The URL used when none is given: `herald.db` in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://herald.db";

impl Db {
    /// Connects to `url`: `postgres://…` / `postgresql://…`, `sqlite://path`,
    /// or a bare file path (SQLite). A SQLite file is created if missing and
    /// put in WAL mode.
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        install_default_drivers();
        let (engine, url) = normalise_url(url);
        let connect = |max: u32| {
            let options = AnyPoolOptions::new()
                .acquire_timeout(Duration::from_secs(30))
                .max_connections(max);
            let url = url.clone();
            async move {
                match engine {
                    Engine::Postgres => options.connect(&url).await,
                    Engine::Sqlite => {
                        options
                            .after_connect(|conn, _meta| Box::pin(sqlite_pragmas(conn)))
                            .connect(&url)
                            .await
                    }
                }
                .with_context(|| format!("cannot open the {engine:?} database"))
            }
        };
        // A few connections per core for reads: more only make the
        // database's workers fight over the same CPUs (measured with
        // subscribe-bench on 2 cores, PostgreSQL: 32 → 2,446 req/s, 8 → 2,962).
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
        let readers = (cores * 4).clamp(4, 64);
        Ok(match engine {
            Engine::Postgres => {
                let pool = connect(readers).await?;
                Self {
                    writer: pool.clone(),
                    pool,
                    engine,
                }
            }
            Engine::Sqlite => {
                // The writer first: it creates the file and switches it to WAL.
                let writer = connect(1).await?;
                let pool = connect(readers).await?;
                Self {
                    pool,
                    writer,
                    engine,
                }
            }
        })
    }

    /// Applies every migration not yet applied.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        let migrator = match self.engine {
            Engine::Sqlite => &SQLITE_MIGRATIONS,
            Engine::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator
            .run(&self.writer)
            .await
            .context("applying migrations failed")
    }

    /// The pool for reads.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The pool for single-statement writes outside a transaction.
    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// Which engine this is.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Starts a transaction that will write.
    ///
    /// On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`): a
    /// deferred transaction that reads first and writes later can fail with
    /// `SQLITE_BUSY` when another writer got in between, and the busy timeout
    /// does not retry that case. Taking the lock up front makes writers queue.
    pub async fn begin_write(&self) -> Result<Tx, sqlx::Error> {
        let inner = match self.engine {
            Engine::Sqlite => self.writer.begin_with("begin immediate").await?,
            Engine::Postgres => self.writer.begin().await?,
        };
        Ok(Tx {
            inner,
            engine: self.engine,
        })
    }

    /// Whether the database answers (`/healthz`).
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("select 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }
}

/// Per-connection SQLite settings. WAL lets readers run beside the writer;
/// `synchronous = normal` is durable across application crashes in WAL mode
/// (only a power loss can drop the last commits); the busy timeout covers
/// the rare writes that do not go through the writer pool.
async fn sqlite_pragmas(conn: &mut sqlx::AnyConnection) -> Result<(), sqlx::Error> {
    conn.execute("pragma journal_mode = wal").await?;
    conn.execute("pragma synchronous = normal").await?;
    conn.execute("pragma busy_timeout = 15000").await?;
    conn.execute("pragma foreign_keys = on").await?;
    // 64 MiB of page cache per connection instead of 2 MiB: the delivery
    // queue's indexes are hot.
    conn.execute("pragma cache_size = -65536").await?;
    Ok(())
}

/// Decides the engine from a URL and turns a bare path into a SQLite URL.
fn normalise_url(url: &str) -> (Engine, String) {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return (Engine::Postgres, url.to_string());
    }
    let url = if url.starts_with("sqlite:") {
        url.to_string()
    } else {
        format!("sqlite://{url}")
    };
    // `mode=rwc` creates the file when it is missing.
    let url = if url.contains("mode=") || url.contains(":memory:") {
        url
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    };
    (Engine::Sqlite, url)
}

/// Turns a database error into a log-safe description.
///
/// A PostgreSQL error's *detail* can quote the failing row, which may hold a
/// raw endpoint or an auth secret; only the code and message are kept.
pub fn describe_error(error: sqlx::Error) -> anyhow::Error {
    match &error {
        sqlx::Error::Database(db) => anyhow::anyhow!(
            "database error {}: {}",
            db.code().unwrap_or_default(),
            db.message()
        ),
        other => anyhow::anyhow!("database error: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_engine() {
        assert_eq!(
            normalise_url("herald.db"),
            (Engine::Sqlite, "sqlite://herald.db?mode=rwc".into())
        );
        assert_eq!(
            normalise_url("sqlite:///tmp/x.db"),
            (Engine::Sqlite, "sqlite:///tmp/x.db?mode=rwc".into())
        );
        assert_eq!(normalise_url("postgres://u@h/d").0, Engine::Postgres);
        assert_eq!(normalise_url("postgresql://u@h/d").0, Engine::Postgres);
    }
}
