//! Projects recently loaded, shared by the request handlers and the
//! delivery engine.

use super::Project;
use super::ProjectError;
use super::store::load;
use crate::db::Db;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// How long a loaded project is trusted before it is read again. Projects
/// change rarely (`herald vapid rotate` runs in another process); a few
/// seconds of staleness saves a query on every request.
const CACHE_TTL: Duration = Duration::from_secs(10);

/// Projects recently loaded, shared by the request handlers.
#[derive(Clone, Default)]
pub struct Cache {
    entries: Arc<RwLock<HashMap<String, CacheEntry>>>,
}

/// When a project was loaded, and what.
type CacheEntry = (Instant, Arc<Project>);

impl Cache {
    /// Like [`load`], answering from memory when the entry is fresh.
    pub async fn load(&self, db: &Db, id: &str) -> Result<Arc<Project>, ProjectError> {
        self.load_if_older(db, id, None).await
    }

    /// Like [`Cache::load`], but also reads the database when the entry was
    /// loaded before `since`.
    pub async fn load_if_older(
        &self,
        db: &Db,
        id: &str,
        since: Option<Instant>,
    ) -> Result<Arc<Project>, ProjectError> {
        if let Ok(entries) = self.entries.read()
            && let Some((at, project)) = entries.get(id)
            && at.elapsed() < CACHE_TTL
            && since.is_none_or(|since| *at >= since)
        {
            return Ok(project.clone());
        }
        let project = Arc::new(load(db, id).await?);
        if let Ok(mut entries) = self.entries.write() {
            entries.insert(id.to_string(), (Instant::now(), project.clone()));
        }
        Ok(project)
    }
}
