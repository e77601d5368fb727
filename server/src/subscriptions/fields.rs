//! Validated request fields of the subscription API. Each `parse` names the
//! field it checks, so a 400 says exactly what to fix.

use crate::identity::is_valid_name;
use crate::invalid::Invalid;
use crate::secret::{Secret, sha256_hex};
use crate::webpush::services::PushServices;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

/// Longest endpoint accepted, in bytes.
pub const MAX_ENDPOINT_BYTES: usize = 1024;
/// Most tags or topics one subscription may carry.
pub const MAX_NAMES: usize = 100;
/// Longest tag or topic.
pub const MAX_NAME_CHARS: usize = 64;

/// A push service endpoint: an absolute URL on a push service Herald may
/// deliver to ([`PushServices`]). Its `Debug` shows the hash, never the URL.
#[derive(Clone)]
pub struct Endpoint {
    url: Secret<String>,
    hash: String,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Endpoint({})", &self.hash[..12])
    }
}

impl Endpoint {
    /// Validates a new endpoint in `field`: it must be on a push service
    /// Herald may deliver to.
    pub fn parse(field: &str, s: &str, services: &PushServices) -> Result<Self, Invalid> {
        let (endpoint, url) = Self::parse_url(field, s)?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Invalid::new(field, "must not carry credentials"));
        }
        services
            .check(&url)
            .map_err(|refused| Invalid::new(field, refused.to_string()))?;
        Ok(endpoint)
    }

    /// Validates the endpoint of a subscription the caller says exists (log
    /// out, opt out, ...): only its shape, since the stored row decides. An
    /// opt-out must work even for a push service no longer allowed.
    pub fn parse_existing(field: &str, s: &str) -> Result<Self, Invalid> {
        Ok(Self::parse_url(field, s)?.0)
    }

    fn parse_url(field: &str, s: &str) -> Result<(Self, url::Url), Invalid> {
        if s.len() > MAX_ENDPOINT_BYTES {
            return Err(Invalid::new(
                field,
                format!("must be at most {MAX_ENDPOINT_BYTES} bytes"),
            ));
        }
        let url = url::Url::parse(s).map_err(|_| Invalid::new(field, "must be an absolute URL"))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(Invalid::new(field, "must be an https URL"));
        }
        Ok((Self::from_stored(s.to_string()), url))
    }

    /// Wraps an endpoint read back from the database.
    pub fn from_stored(url: String) -> Self {
        let hash = sha256_hex(&url);
        Self {
            url: Secret::new(url),
            hash,
        }
    }

    /// The SHA-256 hex used for lookups and logs.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The URL itself (storage and delivery only).
    pub fn expose(&self) -> &str {
        self.url.expose()
    }
}

/// Decodes base64url, padding optional.
fn decode_b64url(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()
}

/// The subscription's public key: an uncompressed P-256 point, base64url.
#[derive(Debug, Clone)]
pub struct P256dh(String);

impl P256dh {
    /// Validates the key in `field`; stores it without padding.
    pub fn parse(field: &str, s: &str) -> Result<Self, Invalid> {
        let bytes = decode_b64url(s).ok_or_else(|| Invalid::new(field, "must be base64url"))?;
        if !crate::webpush::vapid::is_uncompressed_point(&bytes) {
            return Err(Invalid::new(
                field,
                "must be an uncompressed P-256 public key (65 bytes, base64url)",
            ));
        }
        Ok(Self(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// The canonical base64url form.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The subscription's 16-byte auth secret. Possession of it is what proves
/// a browser owns a subscription.
#[derive(Debug, Clone)]
pub struct AuthSecret(Secret<Vec<u8>>);

impl AuthSecret {
    /// Validates the secret in `field`.
    pub fn parse(field: &str, s: &str) -> Result<Self, Invalid> {
        match decode_b64url(s) {
            Some(bytes) if bytes.len() == 16 => Ok(Self(Secret::new(bytes))),
            Some(_) => Err(Invalid::new(field, "must decode to exactly 16 bytes")),
            None => Err(Invalid::new(field, "must be base64url")),
        }
    }

    /// Canonical base64url without padding, for storage.
    pub fn encoded(&self) -> Secret<String> {
        Secret::new(URL_SAFE_NO_PAD.encode(self.0.expose()))
    }

    /// Compares with a stored value in constant time.
    pub fn matches_stored(&self, stored: &str) -> bool {
        let stored = decode_b64url(stored).unwrap_or_default();
        stored.len() == self.0.expose().len() && bool::from(self.0.expose().ct_eq(&stored))
    }
}

/// A sorted, deduplicated list of tags or topics.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Names(Vec<String>);

impl Names {
    /// Validates the list in `field`.
    pub fn parse(field: &str, list: &[String]) -> Result<Self, Invalid> {
        if list.len() > MAX_NAMES {
            return Err(Invalid::new(
                field,
                format!("must hold at most {MAX_NAMES} entries"),
            ));
        }
        for (i, name) in list.iter().enumerate() {
            if !is_valid_name(name, MAX_NAME_CHARS) {
                return Err(Invalid::new(
                    format!("{field}[{i}]"),
                    format!(
                        "must be 1 to {MAX_NAME_CHARS} characters of letters, digits and _-=@,.;"
                    ),
                ));
            }
        }
        let mut names = list.to_vec();
        names.sort();
        names.dedup();
        Ok(Self(names))
    }

    /// Reads the stored JSON array.
    pub fn from_stored(json: &str) -> Self {
        Self(serde_json::from_str(json).unwrap_or_default())
    }

    /// The stored JSON array.
    pub fn to_stored(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "[]".into())
    }
}

/// How often a subscriber wants to hear from the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// Every notification as it is sent.
    #[default]
    Immediate,
    /// Collected into one a day.
    DailyDigest,
    /// Collected into one a week.
    WeeklyDigest,
}

impl Frequency {
    /// Validates the value in `field`.
    pub fn parse(field: &str, s: &str) -> Result<Self, Invalid> {
        Self::from_stored(s).ok_or_else(|| {
            Invalid::new(
                field,
                "must be one of immediate, daily_digest, weekly_digest",
            )
        })
    }

    /// Reads the stored text.
    pub fn from_stored(s: &str) -> Option<Self> {
        match s {
            "immediate" => Some(Self::Immediate),
            "daily_digest" => Some(Self::DailyDigest),
            "weekly_digest" => Some(Self::WeeklyDigest),
            _ => None,
        }
    }

    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Immediate => "immediate",
            Self::DailyDigest => "daily_digest",
            Self::WeeklyDigest => "weekly_digest",
        }
    }
}

/// Validates an optional disclosure version: 1..=64 visible characters.
pub fn disclosure_version(field: &str, s: Option<&str>) -> Result<Option<String>, Invalid> {
    match s {
        None => Ok(None),
        Some(v) if !v.is_empty() && v.chars().count() <= 64 && !v.chars().any(char::is_control) => {
            Ok(Some(v.to_string()))
        }
        Some(_) => Err(Invalid::new(field, "must be 1 to 64 characters")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn services() -> PushServices {
        PushServices::new(&["127.0.0.1".into(), "push.example.com".into()], true).expect("ok")
    }

    #[test]
    fn endpoints_must_be_on_an_allowed_push_service() {
        let s = services();
        assert!(Endpoint::parse("endpoint", "https://push.example.com/x", &s).is_ok());
        assert!(Endpoint::parse("endpoint", "https://fcm.googleapis.com/fcm/send/x", &s).is_ok());
        assert!(Endpoint::parse("endpoint", "http://127.0.0.1:9/x", &s).is_ok());
        assert!(Endpoint::parse("endpoint", "http://localhost/x", &s).is_err());
        assert!(Endpoint::parse("endpoint", "https://10.0.0.1/x", &s).is_err());
        assert!(Endpoint::parse("endpoint", "http://push.example.com/x", &s).is_err());
        assert!(Endpoint::parse("endpoint", "ftp://push.example.com/x", &s).is_err());
        assert!(Endpoint::parse("endpoint", "https://u:p@push.example.com/x", &s).is_err());
        assert!(Endpoint::parse("endpoint", "/relative", &s).is_err());
        let long = format!("https://push.example.com/{}", "a".repeat(1024));
        assert!(Endpoint::parse("endpoint", &long, &s).is_err());
    }

    #[test]
    fn endpoint_debug_shows_only_a_hash_prefix() {
        let e = Endpoint::parse(
            "endpoint",
            "https://push.example.com/secret-path",
            &services(),
        )
        .expect("ok");
        assert!(!format!("{e:?}").contains("secret-path"));
    }

    #[test]
    fn auth_must_be_16_bytes_and_compares_by_value() {
        let a = AuthSecret::parse("keys.auth", "AAAAAAAAAAAAAAAAAAAAAA").expect("16 bytes");
        assert!(a.matches_stored("AAAAAAAAAAAAAAAAAAAAAA=="));
        assert!(!a.matches_stored("AAAAAAAAAAAAAAAAAAAAAQ"));
        assert!(AuthSecret::parse("keys.auth", "AAAA").is_err());
        assert!(AuthSecret::parse("keys.auth", "!!").is_err());
    }

    #[test]
    fn names_are_sorted_deduplicated_and_bounded() {
        let n = Names::parse("tags", &["b".into(), "a".into(), "b".into()]).expect("ok");
        assert_eq!(n.to_stored(), r#"["a","b"]"#);
        assert!(Names::parse("tags", &["".into()]).is_err());
        assert!(Names::parse("tags", &vec!["x".to_string(); 101]).is_err());
        assert!(Names::parse("tags", &["a".repeat(65)]).is_err());
    }
}
