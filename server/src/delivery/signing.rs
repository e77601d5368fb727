//! The engine's VAPID signers: one per project key pair, made once, with
//! their JWTs reused per push-service origin ([`TokenCache`]). Projects come
//! from the cache the API shares, so a key rotation the API has seen is also
//! what pushes are signed with.

use crate::db::Db;
use crate::projects;
use crate::secret::Secret;
use crate::webpush::vapid::{Signer, TokenCache};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// A project's signers: the current key's, and the previous key's if kept.
pub(super) struct KeySigners {
    /// Signs with the key browsers subscribe with now.
    pub current: Arc<Signer>,
    /// Signs with the key the last `herald vapid rotate` replaced.
    pub previous: Option<Arc<Signer>>,
}

/// Signers and tokens for every project this engine sends for.
pub(super) struct Signing {
    db: Db,
    projects: projects::Cache,
    subject: String,
    signers: Mutex<HashMap<String, Arc<Signer>>>,
    tokens: TokenCache,
}

impl Signing {
    pub(super) fn new(db: Db, projects: projects::Cache, subject: String) -> Self {
        Self {
            db,
            projects,
            subject,
            signers: Mutex::default(),
            tokens: TokenCache::default(),
        }
    }

    /// The project's signers, reading the project again if the cached copy
    /// was loaded before `since`.
    pub(super) async fn for_project(
        &self,
        project_id: &str,
        since: Option<Instant>,
    ) -> anyhow::Result<KeySigners> {
        let project = self
            .projects
            .load_if_older(&self.db, project_id, since)
            .await?;
        let current = self.signer(&project.vapid_private_key, &project.vapid_public_key)?;
        let previous = match &project.previous_vapid {
            Some((private, public)) => Some(self.signer(private, public)?),
            None => None,
        };
        Ok(KeySigners { current, previous })
    }

    /// The `Authorization` header value for a push to `origin`.
    pub(super) fn authorization(&self, signer: &Signer, origin: &str) -> anyhow::Result<Arc<str>> {
        self.tokens.authorization(signer, origin, &self.subject)
    }

    /// The signer of one key pair, made once.
    fn signer(&self, private: &Secret<String>, public: &str) -> anyhow::Result<Arc<Signer>> {
        let mut signers = self
            .signers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(signer) = signers.get(public) {
            return Ok(signer.clone());
        }
        let signer = Arc::new(Signer::new(private, public)?);
        signers.insert(public.to_string(), signer.clone());
        Ok(signer)
    }
}
