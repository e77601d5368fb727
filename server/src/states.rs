//! The states stored rows move through, as types: a subscription's
//! [`Status`] and a delivery's [`DeliveryState`].
//!
//! Queries name a state through [`Status::sql`] / [`DeliveryState::sql`]
//! (a quoted literal), never by hand: the partial indexes of the queue
//! (`where state = 'queued'`) are only used when the query says the same
//! literal, so states are inlined rather than bound as parameters.

use serde::Serialize;

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Receives notifications.
    Active,
    /// The user opted out; nothing is sent.
    OptedOut,
    /// The push service said 404/410; nothing is sent.
    Expired,
}

impl Status {
    /// Reads the stored text (anything unknown counts as expired: never sent to).
    pub fn from_stored(s: &str) -> Self {
        match s {
            "active" => Self::Active,
            "opted_out" => Self::OptedOut,
            _ => Self::Expired,
        }
    }

    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::OptedOut => "opted_out",
            Self::Expired => "expired",
        }
    }

    /// The stored text as an SQL literal.
    pub fn sql(self) -> &'static str {
        match self {
            Self::Active => "'active'",
            Self::OptedOut => "'opted_out'",
            Self::Expired => "'expired'",
        }
    }
}

/// Where a delivery stands: `queued` → `sending` (leased by a worker) →
/// `sent` | `failed` | `expired` | `cancelled`; a retry puts it back to
/// `queued` with a later attempt time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DeliveryState {
    /// Waiting for its time.
    Queued,
    /// Claimed by a worker, under a lease.
    Sending,
    /// Accepted by the push service.
    Sent,
    /// Refused for good.
    Failed,
    /// Its TTL passed first.
    Expired,
    /// Not to be sent (opt-out, expired subscription, cancelled send).
    Cancelled,
}

impl DeliveryState {
    /// Reads the stored text.
    pub fn from_stored(s: &str) -> Option<Self> {
        Some(match s {
            "queued" => Self::Queued,
            "sending" => Self::Sending,
            "sent" => Self::Sent,
            "failed" => Self::Failed,
            "expired" => Self::Expired,
            "cancelled" => Self::Cancelled,
            _ => return None,
        })
    }

    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Failed => "failed",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
        }
    }

    /// The stored text as an SQL literal.
    pub fn sql(self) -> &'static str {
        match self {
            Self::Queued => "'queued'",
            Self::Sending => "'sending'",
            Self::Sent => "'sent'",
            Self::Failed => "'failed'",
            Self::Expired => "'expired'",
            Self::Cancelled => "'cancelled'",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_back_what_they_store() {
        for s in [Status::Active, Status::OptedOut, Status::Expired] {
            assert_eq!(Status::from_stored(s.as_str()), s);
            assert_eq!(s.sql(), format!("'{}'", s.as_str()));
        }
        use DeliveryState::*;
        for s in [Queued, Sending, Sent, Failed, Expired, Cancelled] {
            assert_eq!(DeliveryState::from_stored(s.as_str()), Some(s));
            assert_eq!(s.sql(), format!("'{}'", s.as_str()));
        }
    }
}
