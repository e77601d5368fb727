//! The soft prompt's funnel: the SDK reports each step (the prompt shown,
//! Allow clicked, dismissed, and what the browser's own dialog answered),
//! and the operator reads daily counts. Counts only, per project and UTC
//! day: nothing about the browser, the user or the address is kept.
//!
//! - [`store`]: the counters; [`routes`]: the SDK's report (rate-limited
//!   per client address) and the backend's daily read.

pub mod routes;
pub mod store;

pub use routes::router;

/// A step of the funnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// The soft prompt was shown.
    Shown,
    /// Its Allow button was clicked (the browser's dialog opens).
    Accepted,
    /// It was closed with Later, Escape or its close button.
    Dismissed,
    /// The browser's dialog answered granted.
    Granted,
    /// The browser's dialog answered denied.
    Denied,
}

impl Step {
    /// Every step, in funnel order.
    pub const ALL: [Step; 5] = [
        Self::Shown,
        Self::Accepted,
        Self::Dismissed,
        Self::Granted,
        Self::Denied,
    ];

    /// The stored and reported name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Shown => "shown",
            Self::Accepted => "accepted",
            Self::Dismissed => "dismissed",
            Self::Granted => "granted",
            Self::Denied => "denied",
        }
    }

    /// Reads a name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|step| step.as_str() == s)
    }
}
