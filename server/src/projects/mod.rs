//! Projects (one per website): their keys, secret and backend API tokens.
//!
//! - [`store`]: the rows, tokens and key rotation.
//! - [`cache`]: projects recently loaded, shared by API and engine.
//! - [`routes`]: the public VAPID key, for browsers.

pub mod cache;
pub mod routes;
pub mod store;

use crate::secret::Secret;
use serde::Serialize;

pub use cache::Cache;

/// Why a project could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// No project has this id (404).
    #[error("no project with id {0:?}")]
    NotFound(String),
    /// The API token is not one of the project's (401).
    #[error("the API token is not valid for this project")]
    BadToken,
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}
pub use routes::router;
pub use store::{authenticate, create, create_token, load, rotate_vapid};

/// A project as the request handlers need it.
#[derive(Debug, Clone)]
pub struct Project {
    /// The public id used in URLs.
    pub id: String,
    /// Key of the uid signatures (HMAC and JWT HS256).
    pub secret: Secret<String>,
    /// Salt of the consent log's hashes.
    pub consent_salt: Secret<String>,
    /// The VAPID private key, base64url raw scalar.
    pub vapid_private_key: Secret<String>,
    /// The VAPID public key, base64url uncompressed point.
    pub vapid_public_key: String,
    /// The key pair the last `herald vapid rotate` replaced (private,
    /// public), for subscriptions made with it.
    pub previous_vapid: Option<(Secret<String>, String)>,
}

/// What `herald project create` prints: the only time the secret and the
/// first token are shown in full.
#[derive(Clone, Serialize)]
pub struct CreatedProject {
    /// Project id.
    pub id: String,
    /// Project secret (signs uids).
    pub secret: String,
    /// First backend API token.
    pub api_token: String,
    /// VAPID public key.
    pub vapid_public_key: String,
}
