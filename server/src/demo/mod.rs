//! The demo shop's own backend (`herald serve --demo PROJECT_ID`): what a
//! site's server does around Herald, so a tester can use the shop by hand.
//! Three demo users log in and out with a cookie session; `POST
//! /demo/auth?uid=…` (the SDK's `authEndpoint`) answers `{token}`, a JWT
//! for the logged-in user signed with the project secret that expires in
//! ten minutes, once the request carries the session's CSRF token in
//! `X-CSRF-Token`. Not part of the product's API: off unless `--demo`.
//!
//! - [`session`]: the signed session cookie and its CSRF token.
//! - [`routes`]: `/demo/config`, `/demo/session`, `/demo/login`,
//!   `/demo/logout`, `/demo/auth`.

pub mod routes;
pub mod session;

pub use routes::router;

/// A demo user: id (the uid Herald sees) and display name.
pub const USERS: [(&str, &str); 3] = [
    ("alice", "Alice Martin"),
    ("bob", "Bob Okafor"),
    ("carol", "Carol Nguyen"),
];

/// How long a uid token lasts (seconds).
pub const TOKEN_SECONDS: i64 = 600;
