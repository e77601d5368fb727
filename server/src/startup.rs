//! Building and running the HTTP server: `Application::build` wires the
//! routes, CORS and static files to a listener (port 0 picks a free port,
//! which the tests use), and `run` serves until Ctrl-C or SIGTERM, with
//! the connection limits of [`crate::connections`].

use crate::connections::ConnectionLimits;
use crate::db::Db;
use crate::error::ApiError;
use crate::extract::MAX_BODY_BYTES;
use crate::limits::{Limits, Rates};
use crate::state::AppState;
use crate::{
    connections, console, deadline, delivery, demo, funnel, guard, maintenance, notifications,
    projects, receipts, subscriptions, throttle, users,
};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::trace::TraceLayer;

/// What `herald serve` needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on, e.g. `127.0.0.1:8080` (port 0: any free port).
    pub listen: String,
    /// Origins allowed to call the browser API; `*` allows any.
    pub allow_origins: Vec<String>,
    /// Folder served at `/` (the demo site).
    pub site_dir: PathBuf,
    /// Folder holding the build outputs `sdk/` and `sw/`.
    pub dist_dir: PathBuf,
    /// Days an opted-out subscription is kept before it is purged.
    pub retention_days: u32,
    /// Whether this process runs delivery workers.
    pub workers: bool,
    /// How the delivery workers behave.
    pub delivery: delivery::Config,
    /// The demo shop's project: serves its backend under `/demo` (off when `None`).
    pub demo: Option<String>,
    /// How many connections, and how long each may wait.
    pub connections: ConnectionLimits,
    /// How long one request may run.
    pub request_timeout: Duration,
    /// API calls a minute per client address and per token.
    pub rates: Rates,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            allow_origins: vec![],
            site_dir: "demo-site".into(),
            dist_dir: "dist".into(),
            retention_days: 90,
            workers: true,
            delivery: delivery::Config::default(),
            demo: None,
            connections: ConnectionLimits::default(),
            request_timeout: Duration::from_secs(30),
            rates: Rates::default(),
        }
    }
}

/// A bound, ready-to-run server.
pub struct Application {
    listener: TcpListener,
    router: Router,
    db: Db,
    retention_days: u32,
    limits: Limits,
    connections: ConnectionLimits,
    delivery: Option<Arc<delivery::Handle>>,
}

impl Application {
    /// Migrates the database and binds the listener.
    pub async fn build(config: Config, db: Db) -> anyhow::Result<Self> {
        if config.connections.idle_timeout <= config.request_timeout {
            anyhow::bail!(
                "the idle timeout ({:?}) must be longer than the request timeout ({:?}): a request that is still working would be cut as idle",
                config.connections.idle_timeout,
                config.request_timeout
            );
        }
        db.migrate().await?;
        let cors = cors(&config.allow_origins)?;
        let projects = crate::projects::Cache::default();
        let limits = Limits::new(config.rates);
        let delivery = if config.workers {
            Some(Arc::new(delivery::start(
                db.clone(),
                config.delivery.clone(),
                projects.clone(),
            )?))
        } else {
            None
        };
        let state = AppState {
            db: db.clone(),
            projects,
            delivery: delivery.as_ref().map(|engine| engine.waker()),
            push_services: config.delivery.push_services.clone(),
            limits: limits.clone(),
        };
        let throttled = limits.clone();
        let router = router(state, &config)?
            .layer(axum::middleware::from_fn(move |request, next| {
                throttle::limit(throttled.clone(), request, next)
            }))
            .layer(cors);
        let listener = TcpListener::bind(&config.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
        Ok(Self {
            listener,
            router,
            db,
            retention_days: config.retention_days,
            limits,
            connections: config.connections,
            delivery,
        })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Serves until Ctrl-C / SIGTERM, then finishes the requests in flight.
    pub async fn run(self) -> anyhow::Result<()> {
        let chores = tokio::spawn(maintenance::run(
            self.db.clone(),
            self.retention_days,
            self.limits.clone(),
        ));
        connections::serve(
            self.listener,
            self.router,
            self.connections,
            shutdown_signal(),
        )
        .await;
        chores.abort();
        // Let pushes in flight finish and be recorded before the pool goes.
        if let Some(delivery) = &self.delivery {
            delivery.shutdown(Duration::from_secs(10)).await;
        }
        self.db.close().await;
        Ok(())
    }
}

/// Every route: the API, `/healthz`, the demo's backend when asked for,
/// and the static files.
pub fn router(state: AppState, config: &Config) -> anyhow::Result<Router> {
    let sw = config.dist_dir.join("sw").join("herald-sw.js");
    let request_timeout = config.request_timeout;
    let mut api = Router::new()
        .merge(projects::router())
        .merge(subscriptions::router())
        .merge(users::router())
        .merge(notifications::router())
        .merge(receipts::router())
        .merge(funnel::router())
        .merge(console::router())
        .route("/healthz", get(healthz))
        .route("/api/{*rest}", axum::routing::any(api_not_found));
    if let Some(project) = &config.demo {
        api = api.merge(demo::router(demo::routes::Demo {
            project: project.clone(),
            keys: demo::session::Keys::random()?,
        }));
    }
    let api = api
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
    Ok(api
        .route_service("/herald-sw.js", ServeFile::new(sw))
        .nest_service("/sdk", ServeDir::new(config.dist_dir.join("sdk")))
        .fallback_service(ServeDir::new(&config.site_dir))
        .layer(axum::middleware::from_fn(guard::refuse_control_characters))
        .layer(axum::middleware::from_fn(move |request, next| {
            deadline::limit(request_timeout, request, next)
        }))
        .layer(TraceLayer::new_for_http()))
}

async fn healthz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state.db.ping().await?;
    Ok(Json(json!({ "status": "ok" })))
}

async fn api_not_found() -> ApiError {
    ApiError::NotFound("no such API route; see docs/DESIGN.md for the API".into())
}

fn cors(origins: &[String]) -> anyhow::Result<CorsLayer> {
    let allow = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        let list = origins
            .iter()
            .map(|o| HeaderValue::from_str(o.trim_end_matches('/')))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| {
                anyhow::anyhow!("--allow-origin must be an origin like https://shop.example")
            })?;
        AllowOrigin::list(list)
    };
    Ok(CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([HeaderName::from_static("idempotent-replayed")])
        .max_age(Duration::from_secs(86400)))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
