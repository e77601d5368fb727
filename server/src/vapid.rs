//! VAPID keys (RFC 8292): each project owns one P-256 key pair. The public
//! half is what browsers pass to `pushManager.subscribe()` as the
//! `applicationServerKey`; the private half signs the delivery JWTs.

use crate::error::ApiError;
use crate::secret::Secret;
use crate::startup::AppState;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::SecretKey;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use serde_json::{Value, json};

/// A freshly generated key pair, both halves base64url without padding.
pub struct KeyPair {
    /// The raw 32-byte private scalar.
    pub private_key: Secret<String>,
    /// The 65-byte uncompressed public point.
    pub public_key: String,
}

/// Generates a new P-256 key pair from the system CSPRNG.
pub fn generate() -> anyhow::Result<KeyPair> {
    // A random 32-byte string is a valid scalar unless it is zero or above
    // the group order, which happens with probability ~2^-32; draw again then.
    loop {
        let bytes = crate::secret::random_bytes(32)?;
        if let Ok(key) = SecretKey::from_slice(&bytes) {
            let public = key.public_key().to_encoded_point(false);
            return Ok(KeyPair {
                private_key: Secret::new(URL_SAFE_NO_PAD.encode(bytes)),
                public_key: URL_SAFE_NO_PAD.encode(public.as_bytes()),
            });
        }
    }
}

/// `GET /api/v1/projects/{project}/vapid-public-key`.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/v1/projects/{project}/vapid-public-key",
        get(get_vapid_public_key),
    )
}

async fn get_vapid_public_key(
    State(state): State<AppState>,
    Path(project): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let project = state.projects.load(&state.db, &project).await?;
    Ok(Json(json!({ "key": project.vapid_public_key })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_public_keys_are_uncompressed_points() {
        let pair = generate().expect("keys");
        let public = URL_SAFE_NO_PAD.decode(&pair.public_key).expect("b64");
        assert_eq!(public.len(), 65);
        assert_eq!(public[0], 4);
        assert!(p256::PublicKey::from_sec1_bytes(&public).is_ok());
    }
}
