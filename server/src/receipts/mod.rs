//! Receipts from the service worker: a notification was shown (`delivered`)
//! or clicked. Each kind is recorded once per delivery; repeats change
//! nothing, so the worker can retry freely.
//!
//! - [`store`]: the update; [`routes`]: the HTTP adapter.

pub mod routes;
pub mod store;

pub use routes::router;
