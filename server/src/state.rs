//! What every request handler shares: the database, the project cache,
//! the push services new subscriptions may use, and a way to wake this
//! process's delivery engine. A ground floor: it names no route and no
//! engine internals, so route modules import it, not the server's start-up.

use crate::db::Db;
use crate::limits::Limits;
use crate::projects;
use crate::webpush::services::PushServices;
use std::sync::Arc;
use tokio::sync::Notify;

/// Shared by every handler.
#[derive(Clone, axum::extract::FromRef)]
pub struct AppState {
    /// The database.
    pub db: Db,
    /// Recently loaded projects.
    pub projects: projects::Cache,
    /// Wakes this process's delivery engine, if it runs one.
    pub delivery: Option<Arc<Notify>>,
    /// The push services new subscriptions may use.
    pub push_services: PushServices,
    /// Rate limits.
    pub limits: Limits,
}

impl AppState {
    /// Tells this process's delivery workers that new work is queued.
    pub fn wake_delivery(&self) {
        if let Some(wake) = &self.delivery {
            wake.notify_one();
        }
    }
}
