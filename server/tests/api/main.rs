//! HTTP-level tests of the server core, each run on SQLite and PostgreSQL.

mod helpers;

mod backend;
mod cli;
mod connections;
mod consent;
mod console;
mod cors;
mod crypto;
mod delivery;
mod demo;
mod funnel;
mod hostile;
mod hung;
mod idempotency;
mod identity;
mod leases;
mod logs;
mod migrations;
mod subscriptions;
mod throttle;
mod validation;
