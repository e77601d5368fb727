//! Logging set-up. Logs go to stderr so that subcommands which print JSON on
//! stdout (`herald project create`) stay machine-readable.
//!
//! Nothing secret is ever handed to `tracing`: raw endpoints, auth secrets,
//! tokens and keys live in [`crate::secret`] types whose `Debug` redacts.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; `RUST_LOG` overrides the default filter.
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    // A second call (tests) fails harmlessly.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
