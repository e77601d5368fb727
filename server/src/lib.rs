//! Herald's server: stores web push subscriptions, binds them to users, keeps
//! the consent log and (in later modules) delivers encrypted notifications.
//!
//! The crate is cut by domain: `subscriptions`, `identity`, `consent`,
//! `projects`, `users`. HTTP handlers and CLI subcommands are thin adapters
//! over the same domain functions; data flows request → domain → store.

pub mod cli;
pub mod consent;
pub mod db;
pub mod error;
pub mod extract;
pub mod idempotency;
pub mod identity;
pub mod maintenance;
pub mod projects;
pub mod secret;
pub mod startup;
pub mod subscriptions;
pub mod telemetry;
pub mod time;
pub mod users;
pub mod vapid;
