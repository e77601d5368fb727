//! The demo's session: a cookie `herald_demo=<user>.<mac>` (HttpOnly,
//! SameSite=Strict, path /demo), and a CSRF token derived from it that the
//! page reads from `/demo/session` and sends back in `X-CSRF-Token`. The
//! key is made when the server starts: a restart logs everyone out.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The cookie's name.
pub const COOKIE: &str = "herald_demo";

/// Signs sessions and CSRF tokens.
#[derive(Clone)]
pub struct Keys {
    key: [u8; 32],
}

impl Keys {
    /// Fresh random keys.
    pub fn random() -> anyhow::Result<Self> {
        let bytes = crate::secret::random_bytes(32)?;
        let mut key = [0u8; 32];
        key.copy_from_slice(&bytes);
        Ok(Self { key })
    }

    fn mac(&self, purpose: &str, user: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(purpose.as_bytes());
        mac.update(b":");
        mac.update(user.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    /// The cookie value for `user`.
    pub fn cookie(&self, user: &str) -> String {
        format!("{user}.{}", self.mac("session", user))
    }

    /// The user a `Cookie` header's session names, if its mac holds.
    pub fn user(&self, cookie_header: Option<&str>) -> Option<String> {
        let value = cookie_header?
            .split(';')
            .filter_map(|c| c.trim().split_once('='))
            .find(|(name, _)| *name == COOKIE)?
            .1;
        let (user, mac) = value.rsplit_once('.')?;
        let expected = self.mac("session", user);
        bool::from(expected.as_bytes().ct_eq(mac.as_bytes())).then(|| user.to_string())
    }

    /// The CSRF token of `user`'s session.
    pub fn csrf(&self, user: &str) -> String {
        self.mac("csrf", user)
    }

    /// Whether `token` is `user`'s CSRF token.
    pub fn csrf_holds(&self, user: &str, token: Option<&str>) -> bool {
        token.is_some_and(|t| bool::from(self.csrf(user).as_bytes().ct_eq(t.as_bytes())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_is_read_back_only_with_its_own_mac() {
        let keys = Keys::random().expect("keys");
        let cookie = keys.cookie("alice");
        let header = format!("theme=dark; {COOKIE}={cookie}");
        assert_eq!(keys.user(Some(&header)).as_deref(), Some("alice"));
        let forged = format!("{COOKIE}=bob.{}", &cookie["alice.".len()..]);
        assert_eq!(keys.user(Some(&forged)), None);
        assert_eq!(keys.user(None), None);
        let other = Keys::random().expect("keys");
        assert_eq!(other.user(Some(&header)), None, "another server's cookie");
        assert!(keys.csrf_holds("alice", Some(&keys.csrf("alice"))));
        assert!(!keys.csrf_holds("alice", Some(&keys.csrf("bob"))));
        assert!(!keys.csrf_holds("alice", None));
    }
}
