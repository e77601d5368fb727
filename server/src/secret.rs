//! Secrets and their hashes.
//!
//! Rule 9 of the design: raw endpoints, auth secrets, API tokens, the project
//! secret and the VAPID private key never reach a log line or an error body.
//! Every such value travels in a [`Secret`], whose `Debug` and `Display` print
//! `[redacted]`, so a stray `{:?}` cannot leak it.

use sha2::{Digest, Sha256};
use std::fmt;

/// A value that must never be printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The value itself, for the few places that must use it (crypto, storage).
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Lowercase hex SHA-256 of `data`.
pub fn sha256_hex(data: impl AsRef<[u8]>) -> String {
    hex::encode(Sha256::digest(data.as_ref()))
}

/// Lowercase hex SHA-256 of `salt` followed by `data` (consent log hashes).
pub fn salted_hash(salt: &str, data: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt.as_bytes());
    hasher.update([0u8]);
    hasher.update(data.as_bytes());
    hex::encode(hasher.finalize())
}

/// `n` bytes from the operating system's CSPRNG.
pub fn random_bytes(n: usize) -> anyhow::Result<Vec<u8>> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|e| anyhow::anyhow!("no system randomness: {e}"))?;
    Ok(buf)
}

/// A random string of `n` bytes, hex encoded.
pub fn random_hex(n: usize) -> anyhow::Result<String> {
    Ok(hex::encode(random_bytes(n)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("hunter2".to_string());
        assert_eq!(format!("{s:?} {s}"), "[redacted] [redacted]");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn salted_hashes_differ_by_salt() {
        assert_ne!(salted_hash("a", "x"), salted_hash("b", "x"));
        assert_eq!(sha256_hex("abc").len(), 64);
    }
}
