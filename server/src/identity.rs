//! Identity: who a subscription belongs to (rule 8).
//!
//! A site proves a uid in one of two ways, both keyed with the project
//! secret: the Pushpad-compatible hex HMAC-SHA256 of the uid, or an expiring
//! JWT (HS256, `sub` = uid, `exp` required). Anything else is refused before
//! any data changes.

use crate::invalid::Invalid;
use crate::secret::Secret;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The characters allowed in uids, tags and topics besides ASCII letters and digits.
pub const EXTRA_CHARS: &str = "_-=@,.;";

/// Whether `s` is `min..=max` characters of letters, digits and `_-=@,.;`.
pub fn is_valid_name(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || EXTRA_CHARS.contains(c))
}

/// A user id: 1..=200 characters of letters, digits and `_-=@,.;`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uid(String);

impl Uid {
    /// Validates a uid sent in field `field`.
    pub fn parse(field: &str, s: &str) -> Result<Self, Invalid> {
        if is_valid_name(s, 200) {
            Ok(Self(s.to_string()))
        } else {
            Err(Invalid::new(
                field,
                "must be 1 to 200 characters of letters, digits and _-=@,.;",
            ))
        }
    }

    /// The uid as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a uid's signature is refused (the HTTP edge answers 403).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No signature at all.
    #[error(
        "uid_signature is required to bind a uid: HMAC-SHA256(project secret, uid) in hex, or a JWT signed with the project secret"
    )]
    Missing,
    /// An HMAC that is not this uid's.
    #[error("uid_signature does not match the uid")]
    Mismatch,
    /// A JWT that is malformed, foreign, expired or for another uid.
    #[error("uid_signature token {0}")]
    Token(&'static str),
}

/// Checks `signature` for `uid` with the project secret: it must be a valid
/// HMAC or an unexpired JWT for exactly this uid.
pub fn verify_signature(
    secret: &Secret<String>,
    uid: &Uid,
    signature: Option<&str>,
) -> Result<(), SignatureError> {
    let signature = signature.unwrap_or_default().trim();
    if signature.is_empty() {
        return Err(SignatureError::Missing);
    }
    let key = secret.expose().as_bytes();
    if signature.contains('.') {
        verify_jwt(key, uid, signature)
    } else {
        verify_hmac(key, uid, signature)
    }
}

fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length, so this cannot fail.
    <HmacSha256 as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
}

fn verify_hmac(key: &[u8], uid: &Uid, signature: &str) -> Result<(), SignatureError> {
    let wrong = || SignatureError::Mismatch;
    let bytes = hex::decode(signature.to_ascii_lowercase()).map_err(|_| wrong())?;
    let mut mac = mac(key);
    mac.update(uid.as_str().as_bytes());
    // verify_slice compares in constant time.
    mac.verify_slice(&bytes).map_err(|_| wrong())
}

#[derive(Deserialize)]
struct JwtHeader {
    alg: String,
}

#[derive(Deserialize)]
struct JwtClaims {
    sub: Option<String>,
    exp: Option<serde_json::Number>,
}

/// Verifies an HS256 JWT by hand: the only algorithm accepted is HS256, so
/// none of the "alg: none" / key-confusion pitfalls of general JWT libraries
/// apply, and the check fits on a screen.
fn verify_jwt(key: &[u8], uid: &Uid, token: &str) -> Result<(), SignatureError> {
    let bad = SignatureError::Token;
    let Some((signing_input, signature)) = token.rsplit_once('.') else {
        return Err(bad("is not a JWT (header.claims.signature)"));
    };
    let Some((header, claims)) = signing_input
        .split_once('.')
        .filter(|(_, c)| !c.contains('.'))
    else {
        return Err(bad("is not a JWT (header.claims.signature)"));
    };
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part.trim_end_matches('='));
    let header: JwtHeader = decode(header)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| bad("has an unreadable header"))?;
    if header.alg != "HS256" {
        return Err(bad("must be signed with HS256"));
    }
    let signature = decode(signature).map_err(|_| bad("has an unreadable signature"))?;
    let mut mac = mac(key);
    mac.update(signing_input.as_bytes());
    mac.verify_slice(&signature)
        .map_err(|_| bad("is not signed with this project's secret"))?;
    let claims: JwtClaims = decode(claims)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| bad("has unreadable claims"))?;
    let exp = claims
        .exp
        .and_then(|n| n.as_f64())
        .ok_or_else(|| bad("must carry an exp claim"))?;
    if exp <= chrono::Utc::now().timestamp() as f64 {
        return Err(bad("has expired"));
    }
    if claims.sub.as_deref() != Some(uid.as_str()) {
        return Err(bad("was issued for another uid"));
    }
    Ok(())
}

/// Signs `uid` the Pushpad way; used by tests and the demo site's backend.
pub fn hmac_signature(secret: &str, uid: &str) -> String {
    let mut mac = mac(secret.as_bytes());
    mac.update(uid.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Issues an HS256 JWT for `uid` that expires at `exp` (Unix seconds).
pub fn jwt_signature(secret: &str, uid: &str, exp: i64) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = URL_SAFE_NO_PAD.encode(serde_json::json!({ "sub": uid, "exp": exp }).to_string());
    let signing_input = format!("{header}.{claims}");
    let mut mac = mac(secret.as_bytes());
    mac.update(signing_input.as_bytes());
    let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{signing_input}.{signature}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uid(s: &str) -> Uid {
        Uid::parse("uid", s).expect("valid uid")
    }

    #[test]
    fn uids_follow_the_alphabet_and_length() {
        assert!(Uid::parse("uid", "user_1-=@,.;").is_ok());
        assert!(Uid::parse("uid", "").is_err());
        assert!(Uid::parse("uid", "a b").is_err());
        assert!(Uid::parse("uid", "é").is_err());
        assert!(Uid::parse("uid", &"a".repeat(200)).is_ok());
        assert!(Uid::parse("uid", &"a".repeat(201)).is_err());
    }

    #[test]
    fn hmac_signatures_verify_only_for_their_uid() {
        let secret = Secret::new("s3cret".to_string());
        let sig = hmac_signature("s3cret", "alice");
        assert!(verify_signature(&secret, &uid("alice"), Some(&sig)).is_ok());
        assert!(verify_signature(&secret, &uid("alice"), Some(&sig.to_uppercase())).is_ok());
        assert!(verify_signature(&secret, &uid("bob"), Some(&sig)).is_err());
        assert!(verify_signature(&secret, &uid("alice"), None).is_err());
        assert!(verify_signature(&secret, &uid("alice"), Some("zz")).is_err());
    }

    #[test]
    fn jwts_need_the_right_key_sub_and_a_future_exp() {
        let secret = Secret::new("s3cret".to_string());
        let later = chrono::Utc::now().timestamp() + 600;
        let ok = jwt_signature("s3cret", "alice", later);
        assert!(verify_signature(&secret, &uid("alice"), Some(&ok)).is_ok());
        assert!(verify_signature(&secret, &uid("bob"), Some(&ok)).is_err());
        let expired = jwt_signature("s3cret", "alice", later - 1200);
        assert!(verify_signature(&secret, &uid("alice"), Some(&expired)).is_err());
        let foreign = jwt_signature("other", "alice", later);
        assert!(verify_signature(&secret, &uid("alice"), Some(&foreign)).is_err());
        let mut tampered = ok.clone();
        tampered.push('x');
        assert!(verify_signature(&secret, &uid("alice"), Some(&tampered)).is_err());
    }

    #[test]
    fn jwts_without_exp_or_with_another_alg_are_refused() {
        let secret = Secret::new("s3cret".to_string());
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#);
        let claims = URL_SAFE_NO_PAD.encode(br#"{"sub":"alice"}"#);
        let input = format!("{header}.{claims}");
        let mut m = mac(b"s3cret");
        m.update(input.as_bytes());
        let no_exp = format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
        );
        assert!(verify_signature(&secret, &uid("alice"), Some(&no_exp)).is_err());
        let none_alg = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(br#"{"sub":"alice","exp":9999999999}"#)
        );
        assert!(verify_signature(&secret, &uid("alice"), Some(&none_alg)).is_err());
    }
}
