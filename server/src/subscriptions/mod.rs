//! Browser push subscriptions: what a browser hands Herald when a user
//! subscribes, and everything that can happen to it afterwards.
//!
//! - [`fields`]: validated request fields (endpoint, keys, tags, frequency).
//! - [`store`]: the rows.
//! - [`service`]: the lifecycle (subscribe, log in/out, preferences, opt-out, rotate).
//! - [`stats`]: the subscriber numbers the console charts.
//! - [`routes`]: the HTTP adapters (browser-facing, and the backend's stats read).

pub mod fields;
pub mod routes;
pub mod service;
pub mod stats;
pub mod store;

pub use routes::router;
