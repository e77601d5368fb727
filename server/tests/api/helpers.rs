//! `spawn_app`: a real Herald server on 127.0.0.1 port 0 with a fresh
//! database per test (a temporary SQLite file, or a new PostgreSQL database
//! on the cluster named by `HERALD_TEST_POSTGRES_URL` / a postgres
//! `DATABASE_URL`), plus a client that speaks its HTTP API.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use herald::db::Db;
use herald::projects::CreatedProject;
use herald::startup::{Application, Config};
use serde_json::{Value, json};
use sqlx::Row;

/// Which engine a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Generates `mod $name { sqlite(), postgres() }` running `$body(app)` on each engine.
#[macro_export]
macro_rules! both_engines {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$body($crate::helpers::spawn_app($crate::helpers::Engine::Sqlite).await)
                    .await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                super::$body($crate::helpers::spawn_app($crate::helpers::Engine::Postgres).await)
                    .await
            }
        }
    };
}

/// Generates `mod $name { sqlite(), postgres() }` running `$body(engine)`
/// on each engine (the body starts its own app).
#[macro_export]
macro_rules! both_engines_with {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$body($crate::helpers::Engine::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                super::$body($crate::helpers::Engine::Postgres).await
            }
        }
    };
}

pub struct TestApp {
    pub database_url: String,
    pub address: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub project: CreatedProject,
    _dir: tempfile::TempDir,
}

/// A browser-side subscription: endpoint and keys as `PushSubscription.toJSON()` gives them.
#[derive(Clone)]
pub struct Browser {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

impl Browser {
    pub fn new() -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let keys = herald::webpush::vapid::generate().expect("keys");
        let auth = herald::secret::random_bytes(16).expect("random");
        Self {
            endpoint: format!("https://push.example.net/wpush/v2/{id}"),
            p256dh: keys.public_key,
            auth: URL_SAFE_NO_PAD.encode(auth),
        }
    }

    /// A subscription handed out by the push-service test peer.
    pub fn from_peer(sub: &push_peer::PeerSubscription) -> Self {
        Self {
            endpoint: sub.endpoint.clone(),
            p256dh: sub.p256dh.clone(),
            auth: sub.auth.clone(),
        }
    }

    /// The body of a plain subscribe.
    pub fn subscription(&self) -> Value {
        json!({ "endpoint": self.endpoint, "keys": { "p256dh": self.p256dh, "auth": self.auth } })
    }

    /// `{endpoint, auth}`.
    pub fn owned(&self) -> Value {
        json!({ "endpoint": self.endpoint, "auth": self.auth })
    }

    /// The body of a `rotate` from this browser's subscription to `new`'s.
    pub fn rotation_to(&self, new: &Browser) -> Value {
        let mut body = new.subscription();
        body["old_endpoint"] = json!(self.endpoint);
        body["old_auth"] = json!(self.auth);
        body
    }
}

/// The PostgreSQL admin URL the suite uses; panics with a how-to when absent,
/// because PostgreSQL tests must run, never skip.
pub fn postgres_admin_url() -> String {
    std::env::var("HERALD_TEST_POSTGRES_URL")
        .ok()
        .or_else(|| {
            std::env::var("DATABASE_URL")
                .ok()
                .filter(|u| u.starts_with("postgres"))
        })
        .expect(
            "PostgreSQL tests need HERALD_TEST_POSTGRES_URL (or a postgres DATABASE_URL); \
             run scripts/test.sh, which starts a local cluster, or scripts/postgres.sh start",
        )
}

/// A fresh, empty database URL for `engine`; the directory holds SQLite files.
pub async fn fresh_database(engine: Engine, dir: &std::path::Path) -> String {
    match engine {
        Engine::Sqlite => format!("sqlite://{}", dir.join("herald.db").display()),
        Engine::Postgres => {
            let admin = postgres_admin_url();
            let name = format!("herald_test_{}", uuid::Uuid::new_v4().simple());
            sqlx::any::install_default_drivers();
            let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
                .await
                .expect("connect to the PostgreSQL admin database");
            sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b)
                .expect("URL has a database");
            format!("{base}/{name}")
        }
    }
}

/// Delivery settings that make retries and time-outs quick enough to test.
pub fn test_delivery_config() -> herald::delivery::Config {
    herald::delivery::Config {
        subject: "mailto:tests@herald.example".into(),
        request_timeout: std::time::Duration::from_secs(2),
        // Only a safety net now (heartbeats decide take-overs); short
        // leases turned a busy CI machine's slow pushes into duplicates.
        lease: std::time::Duration::from_secs(60),
        retry_base: std::time::Duration::from_millis(100),
        max_attempts: 4,
        poll_interval: std::time::Duration::from_millis(50),
        fanout_batch: 7,
        // The test peer on loopback, and the made-up service of `Browser::new`.
        push_services: herald::webpush::services::PushServices::new(
            &["127.0.0.1".into(), "push.example.net".into()],
            true,
        )
        .expect("patterns"),
        ..Default::default()
    }
}

pub async fn spawn_app(engine: Engine) -> TestApp {
    spawn_app_with(engine, vec!["*".into()]).await
}

pub async fn spawn_app_with(engine: Engine, allow_origins: Vec<String>) -> TestApp {
    spawn_app_configured(engine, |config| config.allow_origins = allow_origins).await
}

/// A test app whose configuration `change` adjusts before it starts.
pub async fn spawn_app_configured(engine: Engine, change: impl FnOnce(&mut Config)) -> TestApp {
    herald::telemetry::init();
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = fresh_database(engine, dir.path()).await;
    let mut config = node_config(vec!["*".into()], &dir, true);
    change(&mut config);
    let app = start_node(&database_url, config, dir).await;
    let project = herald::projects::create(&app.db, "Test shop")
        .await
        .expect("project");
    TestApp { project, ..app }
}

/// Another server on an existing database (a second node).
pub async fn spawn_node(
    database_url: &str,
    allow_origins: Vec<String>,
    dir: tempfile::TempDir,
) -> TestApp {
    spawn_node_with(database_url, allow_origins, dir, true).await
}

/// Another node serving `project`'s API only (no delivery workers).
pub async fn spawn_api_node(database_url: &str, project: &CreatedProject) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let node = spawn_node_with(database_url, vec![], dir, false).await;
    TestApp {
        project: project.clone(),
        ..node
    }
}

/// Another node serving the demo shop's backend for `app`'s project.
pub async fn spawn_demo_node(app: &TestApp) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = node_config(vec![], &dir, false);
    config.demo = Some(app.project.id.clone());
    let node = start_node(&app.database_url, config, dir).await;
    TestApp {
        project: app.project.clone(),
        ..node
    }
}

async fn spawn_node_with(
    database_url: &str,
    allow_origins: Vec<String>,
    dir: tempfile::TempDir,
    workers: bool,
) -> TestApp {
    let config = node_config(allow_origins, &dir, workers);
    start_node(database_url, config, dir).await
}

fn node_config(allow_origins: Vec<String>, dir: &tempfile::TempDir, workers: bool) -> Config {
    Config {
        listen: "127.0.0.1:0".into(),
        allow_origins,
        site_dir: dir.path().join("site"),
        dist_dir: dir.path().join("dist"),
        delivery: test_delivery_config(),
        workers,
        ..Config::default()
    }
}

async fn start_node(database_url: &str, config: Config, dir: tempfile::TempDir) -> TestApp {
    let database_url = database_url.to_string();
    let db = Db::connect(&database_url).await.expect("connect");
    let app = Application::build(config, db.clone())
        .await
        .expect("build app");
    let address = format!("http://{}", app.local_addr().expect("addr"));
    tokio::spawn(app.run());
    let project = herald::projects::create(&db, "Test shop")
        .await
        .expect("project");
    TestApp {
        database_url,
        address,
        client: reqwest::Client::new(),
        db,
        project,
        _dir: dir,
    }
}

/// An answer: status and JSON body (Null when empty or not JSON), raw text kept.
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub headers: reqwest::header::HeaderMap,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!(
            "{}/api/v1/projects/{}{}",
            self.address, self.project.id, path
        )
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.client.request(method, self.url(path));
        if let Some(body) = body {
            req = req.json(body);
        }
        if let Some(key) = key {
            req = req.header("Idempotency-Key", key);
        }
        answer(req.send().await.expect("request")).await
    }

    /// Like `send` with a fresh idempotency key.
    pub async fn mutate(&self, method: &str, path: &str, body: &Value) -> Answer {
        let key = uuid::Uuid::new_v4().to_string();
        self.send(method, path, Some(body), Some(&key)).await
    }

    pub async fn subscribe(&self, browser: &Browser) -> Answer {
        self.mutate("POST", "/subscriptions", &browser.subscription())
            .await
    }

    pub async fn subscribe_as(&self, browser: &Browser, uid: &str) -> Answer {
        let mut body = browser.subscription();
        body["uid"] = json!(uid);
        body["uid_signature"] = json!(self.sign(uid));
        self.mutate("POST", "/subscriptions", &body).await
    }

    pub async fn log_in(&self, browser: &Browser, uid: &str) -> Answer {
        let mut body = browser.owned();
        body["uid"] = json!(uid);
        body["uid_signature"] = json!(self.sign(uid));
        self.mutate("PUT", "/subscriptions/uid", &body).await
    }

    pub async fn status(&self, browser: &Browser) -> Answer {
        self.send(
            "POST",
            "/subscriptions/status",
            Some(&browser.owned()),
            None,
        )
        .await
    }

    pub fn sign(&self, uid: &str) -> String {
        herald::identity::hmac_signature(&self.project.secret, uid)
    }

    /// A backend call with the project's API token.
    pub async fn backend(&self, method: &str, path: &str) -> Answer {
        self.backend_with(method, path, None).await
    }

    /// A backend call with a JSON body.
    pub async fn backend_with(&self, method: &str, path: &str, body: Option<&Value>) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self
            .client
            .request(method, self.url(path))
            .bearer_auth(&self.project.api_token);
        if let Some(body) = body {
            req = req.json(body);
        }
        answer(req.send().await.expect("request")).await
    }

    /// `POST …/notifications`; panics unless it is accepted (202). Returns the id.
    pub async fn notify(&self, body: Value) -> i64 {
        let answer = self
            .backend_with("POST", "/notifications", Some(&body))
            .await;
        assert_eq!(answer.status, 202, "send refused: {}", answer.text);
        answer.body["id"].as_i64().expect("id")
    }

    /// Polls a notification until its status is `done` (or 10 s pass).
    pub async fn wait_done(&self, id: i64) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let progress = self.backend("GET", &format!("/notifications/{id}")).await;
            assert_eq!(progress.status, 200, "{}", progress.text);
            if progress.body["status"] == "done" || std::time::Instant::now() > deadline {
                return progress.body;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Consent rows of `kind` in this project.
    pub async fn consent_count(&self, kind: &str) -> i64 {
        sqlx::query("select count(*) as n from consent_log where project_id = $1 and kind = $2")
            .bind(&self.project.id)
            .bind(kind)
            .fetch_one(self.db.pool())
            .await
            .expect("count")
            .try_get("n")
            .expect("n")
    }

    /// Every consent row, oldest first, as (kind, scope).
    pub async fn consent_rows(&self) -> Vec<(String, String)> {
        sqlx::query("select kind, scope from consent_log where project_id = $1 order by id")
            .bind(&self.project.id)
            .fetch_all(self.db.pool())
            .await
            .expect("rows")
            .iter()
            .map(|r| {
                (
                    r.try_get("kind").expect("kind"),
                    r.try_get("scope").expect("scope"),
                )
            })
            .collect()
    }

    /// A snapshot of the subscriptions table, to show nothing changed.
    pub async fn subscriptions_snapshot(&self) -> Vec<String> {
        sqlx::query(
            "select endpoint_hash, coalesce(uid, '-') as uid, tags, topics, frequency, status
             from subscriptions where project_id = $1 order by id",
        )
        .bind(&self.project.id)
        .fetch_all(self.db.pool())
        .await
        .expect("rows")
        .iter()
        .map(|r| {
            let cols = [
                "endpoint_hash",
                "uid",
                "tags",
                "topics",
                "frequency",
                "status",
            ];
            cols.iter()
                .map(|c| r.try_get::<String, _>(*c).expect("col"))
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
    }
}

pub async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status,
        body,
        text,
        headers,
    }
}
