//! Web Push as the RFCs define it, and nothing of Herald's: a bottom floor
//! that knows messages, keys and push services, not notifications or the
//! database.
//!
//! - [`crypto`]: aes128gcm message encryption (RFC 8188 keyed per RFC 8291).
//! - [`vapid`]: key pairs, the signer and its reused JWTs (RFC 8292).
//! - [`request`]: the HTTP request for one message (RFC 8030 headers).
//! - [`response`]: what a push service's answer means, as error kinds.
//! - [`services`]: which push services Herald may talk to (SSRF guard).

pub mod crypto;
pub mod request;
pub mod response;
pub mod services;
pub mod vapid;
