//! The backend's view of users: which subscriptions a uid has, and logging
//! a user out everywhere. Authenticated with the project's API token.
//!
//! - [`store`]: the queries; [`service`]: log out everywhere;
//!   [`routes`]: the HTTP adapters.

pub mod routes;
pub mod service;
pub mod store;

pub use routes::router;
