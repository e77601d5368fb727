//! VAPID (RFC 8292): the P-256 key pair that identifies an application
//! server to push services, and the signed JWT made with it.
//!
//! Each project owns one key pair. The public half is what browsers pass to
//! `pushManager.subscribe()` as the `applicationServerKey`; the private half
//! signs. Signing costs an ECDSA signature, so one JWT is made per (key,
//! push-service origin) and reused until an hour before it expires; tokens
//! live 12 hours. The `Authorization` header is `vapid t=<jwt>, k=<key>`.

use crate::secret::Secret;
use aws_lc_rs::encoding::AsBigEndian;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A freshly generated key pair, both halves base64url without padding.
pub struct KeyPair {
    /// The raw 32-byte private scalar.
    pub private_key: Secret<String>,
    /// The 65-byte uncompressed public point.
    pub public_key: String,
}

/// Generates a new P-256 key pair from the system CSPRNG.
pub fn generate() -> anyhow::Result<KeyPair> {
    let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
        .map_err(|_| anyhow::anyhow!("cannot generate a P-256 key pair"))?;
    let private = key
        .private_key()
        .as_be_bytes()
        .map_err(|_| anyhow::anyhow!("cannot export the P-256 private key"))?;
    Ok(KeyPair {
        private_key: Secret::new(URL_SAFE_NO_PAD.encode(private.as_ref())),
        public_key: URL_SAFE_NO_PAD.encode(key.public_key().as_ref()),
    })
}

/// Whether `bytes` is an uncompressed point on P-256 (65 bytes, `0x04`
/// first): what a browser's `p256dh` and a VAPID public key must be.
pub fn is_uncompressed_point(bytes: &[u8]) -> bool {
    use aws_lc_rs::agreement::{ECDH_P256, ParsedPublicKey, UnparsedPublicKey};
    bytes.len() == 65
        && bytes[0] == 4
        && ParsedPublicKey::try_from(&UnparsedPublicKey::new(&ECDH_P256, bytes)).is_ok()
}

/// How long a token is valid (RFC 8292 allows at most 24 h).
const LIFETIME: Duration = Duration::from_secs(12 * 3600);
/// A cached token is replaced this long before it expires.
const RENEW_BEFORE: Duration = Duration::from_secs(3600);

/// A project's signing key.
pub struct Signer {
    key: EcdsaKeyPair,
    public_key: String,
}

impl Signer {
    /// Builds a signer from the stored base64url private scalar and public point.
    pub fn new(private_key: &Secret<String>, public_key: &str) -> anyhow::Result<Self> {
        let private = URL_SAFE_NO_PAD.decode(private_key.expose())?;
        let public = URL_SAFE_NO_PAD.decode(public_key)?;
        let key = EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &private,
            &public,
        )
        .map_err(|e| anyhow::anyhow!("the project's VAPID key pair is invalid: {e}"))?;
        Ok(Self {
            key,
            public_key: public_key.to_string(),
        })
    }

    /// A signed JWT for `audience`, expiring at `exp` (Unix seconds).
    pub fn sign(&self, audience: &str, subject: &str, exp: u64) -> anyhow::Result<String> {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({ "aud": audience, "exp": exp, "sub": subject });
        let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
        let signature = self
            .key
            .sign(&SystemRandom::new(), input.as_bytes())
            .map_err(|_| anyhow::anyhow!("VAPID signing failed"))?;
        Ok(format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(signature.as_ref())
        ))
    }
}

/// A header value and when its token expires.
type Token = (Arc<str>, SystemTime);

/// Tokens in use, by (public key, origin).
#[derive(Default, Clone)]
pub struct TokenCache {
    tokens: Arc<Mutex<HashMap<(String, String), Token>>>,
}

impl TokenCache {
    /// The `Authorization` header value for a push to `origin`.
    pub fn authorization(
        &self,
        signer: &Signer,
        origin: &str,
        subject: &str,
    ) -> anyhow::Result<Arc<str>> {
        let now = SystemTime::now();
        let key = (signer.public_key.clone(), origin.to_string());
        if let Ok(tokens) = self.tokens.lock()
            && let Some((value, expires)) = tokens.get(&key)
            && now + RENEW_BEFORE < *expires
        {
            return Ok(value.clone());
        }
        let expires = now + LIFETIME;
        let exp = expires.duration_since(UNIX_EPOCH)?.as_secs();
        let jwt = signer.sign(origin, subject, exp)?;
        let value: Arc<str> = format!("vapid t={jwt}, k={}", signer.public_key).into();
        if let Ok(mut tokens) = self.tokens.lock() {
            tokens.insert(key, (value.clone(), expires));
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_an_uncompressed_point_and_its_scalar() {
        let pair = generate().expect("keys");
        let public = URL_SAFE_NO_PAD.decode(&pair.public_key).expect("b64");
        assert!(is_uncompressed_point(&public));
        let private = URL_SAFE_NO_PAD
            .decode(pair.private_key.expose())
            .expect("b64");
        assert_eq!(private.len(), 32);
        assert!(Signer::new(&pair.private_key, &pair.public_key).is_ok());
        let mut off_curve = public.clone();
        off_curve[64] ^= 1;
        assert!(!is_uncompressed_point(&off_curve));
        assert!(!is_uncompressed_point(&[4u8; 65]));
    }

    #[test]
    fn tokens_are_reused_per_origin_and_verify_with_the_public_key() {
        let pair = generate().expect("keys");
        let signer = Signer::new(&pair.private_key, &pair.public_key).expect("signer");
        let cache = TokenCache::default();
        let a = cache
            .authorization(&signer, "https://push.a", "mailto:x@y")
            .expect("a");
        let again = cache
            .authorization(&signer, "https://push.a", "mailto:x@y")
            .expect("a");
        let b = cache
            .authorization(&signer, "https://push.b", "mailto:x@y")
            .expect("b");
        assert!(Arc::ptr_eq(&a, &again));
        assert_ne!(a, b);
        let jwt = a
            .strip_prefix("vapid t=")
            .and_then(|s| s.split(", k=").next())
            .expect("jwt");
        let (input, sig) = jwt.rsplit_once('.').expect("parts");
        let public = URL_SAFE_NO_PAD.decode(&pair.public_key).expect("pk");
        let key = aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED,
            public,
        );
        key.verify(input.as_bytes(), &URL_SAFE_NO_PAD.decode(sig).expect("sig"))
            .expect("valid signature");
        let claims = URL_SAFE_NO_PAD
            .decode(input.split('.').nth(1).expect("claims"))
            .expect("b64");
        let claims: serde_json::Value = serde_json::from_slice(&claims).expect("json");
        assert_eq!(claims["aud"], "https://push.a");
        assert_eq!(claims["sub"], "mailto:x@y");
    }
}
