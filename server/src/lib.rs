//! Herald's server: stores web push subscriptions, binds them to users, keeps
//! the consent log and delivers encrypted notifications.
//!
//! The crate is cut by domain: `subscriptions`, `identity`, `consent`,
//! `projects`, `users`, `notifications`, `delivery`, `receipts`. HTTP handlers and CLI subcommands are thin adapters
//! over the same domain functions; data flows request → domain → store.

pub mod backend;
pub mod cli;
pub mod connections;
pub mod consent;
pub mod console;
pub mod db;
pub mod deadline;
pub mod delivery;
pub mod demo;
pub mod error;
pub mod extract;
pub mod funnel;
pub mod guard;
pub mod idempotency;
pub mod identity;
pub mod invalid;
pub mod limits;
pub mod maintenance;
pub mod mutation;
pub mod notifications;
pub mod projects;
pub mod queue;
pub mod receipts;
pub mod secret;
pub mod startup;
pub mod state;
pub mod states;
pub mod subscriptions;
pub mod telemetry;
pub mod throttle;
pub mod time;
pub mod users;
pub mod webpush;
pub mod window;
