//! A request field that is missing or malformed: the domain's "bad input",
//! named by its field so the answer says exactly what to fix. The HTTP edge
//! turns it into a 400 (`{"error": {"code": "invalid_request", "field", …}}`),
//! the CLI into a line on stderr.

/// A field at fault, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Invalid {
    /// The field's path in the request (`keys.auth`, `target.uids[3]`).
    pub field: String,
    /// What to fix.
    pub message: String,
}

impl Invalid {
    /// `field` is at fault because of `message`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}
