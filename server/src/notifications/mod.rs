//! Notifications: what the backend sends, to whom, and how far it got.
//!
//! - [`content`]: what a notification shows, stored and per delivery.
//! - [`request`]: the validated send (content, TTL, urgency, topic, schedule).
//! - [`tags`]: tag expressions, bounded, and their flat SQL.
//! - [`target`]: uids, tag expressions, topics, broadcast, and their SQL.
//! - [`service`]: send, progress, cancel; [`fanout`]: audiences expanded
//!   in batches; [`store`]: the rows and audience queries.
//! - [`listing`]: the console's pages of notifications; [`timeline`]:
//!   one notification's counts over time.
//! - [`routes`]: the HTTP adapters.

pub mod content;
pub mod fanout;
pub mod listing;
pub mod request;
pub mod routes;
pub mod service;
pub mod store;
pub mod tags;
pub mod target;
pub mod timeline;

pub use routes::router;
