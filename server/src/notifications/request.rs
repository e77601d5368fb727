//! A send request, validated: the notification's content (what the service
//! worker shows), how the push services should treat it, when, and to whom.

use super::content::{Action, Content};
use super::target::{Target, TargetBody};
use crate::invalid::Invalid;
use crate::webpush::crypto::{MAX_BODY, OVERHEAD};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Longest time a push service is asked to keep a message: 28 days.
pub const MAX_TTL: i64 = 2_419_200;

/// The JSON body of `POST …/notifications`.
#[derive(Debug, Default, Deserialize)]
pub struct SendBody {
    pub title: Option<String>,
    pub body: Option<String>,
    pub url: Option<String>,
    pub icon: Option<String>,
    pub image: Option<String>,
    pub badge: Option<String>,
    pub actions: Option<Vec<ActionBody>>,
    pub tag: Option<String>,
    pub require_interaction: Option<bool>,
    pub data: Option<Map<String, Value>>,
    pub ttl: Option<i64>,
    pub urgency: Option<String>,
    pub topic: Option<String>,
    pub send_at: Option<String>,
    pub target: Option<TargetBody>,
}

/// An action button.
#[derive(Debug, Deserialize)]
pub struct ActionBody {
    pub action: Option<String>,
    pub title: Option<String>,
    pub url: Option<String>,
}

/// Why a send is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// A field is missing or malformed (400).
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Encrypted, it would exceed what push services accept (413).
    #[error(
        "the notification would be {size} bytes once encrypted, {} over the {MAX_BODY}-byte limit of push services; shorten title, body or data",
        size - MAX_BODY
    )]
    TooLarge {
        /// Its encrypted size, in bytes.
        size: usize,
    },
}

/// A validated send.
#[derive(Debug)]
pub struct Send {
    /// What it shows.
    pub content: Content,
    /// Seconds the push services keep it.
    pub ttl: i64,
    /// RFC 8030 urgency.
    pub urgency: Option<String>,
    /// RFC 8030 topic (collapse key).
    pub topic: Option<String>,
    /// When to send (Unix ms); `None` = now.
    pub send_at: Option<i64>,
    /// Who gets it.
    pub target: Target,
}

fn link(field: &str, value: Option<String>) -> Result<Option<String>, Invalid> {
    let Some(value) = value else { return Ok(None) };
    let ok = value.len() <= 2048
        && (value.starts_with('/')
            || url::Url::parse(&value).is_ok_and(|u| matches!(u.scheme(), "https" | "http")));
    if ok {
        Ok(Some(value))
    } else {
        Err(Invalid::new(
            field,
            "must be an http(s) URL or a path starting with / (at most 2048 bytes)",
        ))
    }
}

fn text(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, Invalid> {
    match value {
        Some(v) if v.chars().count() > max => Err(Invalid::new(
            field,
            format!("must be at most {max} characters"),
        )),
        other => Ok(other),
    }
}

fn actions(list: Option<Vec<ActionBody>>) -> Result<Vec<Action>, Invalid> {
    let list = list.unwrap_or_default();
    if list.len() > 2 {
        return Err(Invalid::new("actions", "at most 2 actions"));
    }
    list.into_iter()
        .enumerate()
        .map(|(i, a)| {
            let action = a
                .action
                .filter(|s| !s.is_empty() && s.len() <= 64)
                .ok_or_else(|| {
                    Invalid::new(
                        format!("actions[{i}].action"),
                        "is required (1 to 64 characters)",
                    )
                })?;
            let title = a
                .title
                .filter(|s| !s.is_empty())
                .ok_or_else(|| Invalid::new(format!("actions[{i}].title"), "is required"))?;
            let url = link(&format!("actions[{i}].url"), a.url)?;
            Ok(Action { action, title, url })
        })
        .collect()
}

fn ttl(ttl: Option<i64>) -> Result<i64, Invalid> {
    let ttl = ttl.unwrap_or(MAX_TTL);
    if (0..=MAX_TTL).contains(&ttl) {
        Ok(ttl)
    } else {
        Err(Invalid::new(
            "ttl",
            format!("must be 0 to {MAX_TTL} seconds"),
        ))
    }
}

fn urgency(urgency: Option<String>) -> Result<Option<String>, Invalid> {
    match urgency {
        Some(u) if !["very-low", "low", "normal", "high"].contains(&u.as_str()) => Err(
            Invalid::new("urgency", "must be one of very-low, low, normal, high"),
        ),
        other => Ok(other),
    }
}

/// RFC 8030 topics are at most 32 characters of the URL-safe base64 alphabet.
fn topic(topic: Option<String>) -> Result<Option<String>, Invalid> {
    match topic {
        Some(t)
            if t.is_empty()
                || t.len() > 32
                || !t
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_') =>
        {
            Err(Invalid::new(
                "topic",
                "must be 1 to 32 URL-safe base64 characters (letters, digits, - and _)",
            ))
        }
        other => Ok(other),
    }
}

fn send_at(send_at: Option<String>) -> Result<Option<i64>, Invalid> {
    send_at
        .map(|s| {
            chrono::DateTime::parse_from_rfc3339(&s)
                .map(|t| t.timestamp_millis())
                .map_err(|_| {
                    Invalid::new(
                        "send_at",
                        "must be an RFC 3339 time, e.g. 2026-12-01T09:00:00Z",
                    )
                })
        })
        .transpose()
}

impl Send {
    /// Validates a send request: each field in turn (the first bad one is
    /// named), then the size the encrypted message would have.
    pub fn parse(b: SendBody) -> Result<Self, SendError> {
        let title = text("title", b.title, 1000)?;
        let body = text("body", b.body, 4000)?;
        if title.as_deref().unwrap_or_default().trim().is_empty()
            && body.as_deref().unwrap_or_default().trim().is_empty()
        {
            return Err(Invalid::new("title", "a notification needs a title or a body").into());
        }
        let actions = actions(b.actions)?;
        let ttl = ttl(b.ttl)?;
        let urgency = urgency(b.urgency)?;
        let topic = topic(b.topic)?;
        let send_at = send_at(b.send_at)?;
        let tag = text("tag", b.tag, 128)?;
        let target = b
            .target
            .ok_or_else(|| Invalid::new("target", "is required"))?;
        let target = Target::parse(target)?;
        let content = Content {
            title,
            body,
            url: link("url", b.url)?,
            icon: link("icon", b.icon)?,
            image: link("image", b.image)?,
            badge: link("badge", b.badge)?,
            actions,
            tag,
            require_interaction: b.require_interaction.unwrap_or(false),
            data: b.data.map(Value::Object).unwrap_or(Value::Null),
        };
        let largest = content.largest_plaintext() + OVERHEAD;
        if largest > MAX_BODY {
            return Err(SendError::TooLarge { size: largest });
        }
        Ok(Self {
            content,
            ttl,
            urgency,
            topic,
            send_at,
            target,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Option<TargetBody> {
        Some(TargetBody {
            all: Some(true),
            ..Default::default()
        })
    }

    #[test]
    fn the_ttl_defaults_to_the_longest() {
        let send = Send::parse(SendBody {
            title: Some("Hi".into()),
            target: all(),
            ..Default::default()
        })
        .expect("ok");
        assert_eq!(send.ttl, MAX_TTL);
        assert_eq!(send.content.title.as_deref(), Some("Hi"));
    }

    #[test]
    fn oversized_payloads_say_by_how_much() {
        let body = "x".repeat(3950);
        let err = Send::parse(SendBody {
            body: Some(body),
            target: all(),
            ..Default::default()
        })
        .expect_err("too big");
        assert!(
            matches!(err, SendError::TooLarge { .. })
                && err.to_string().contains("over the 4096-byte limit"),
            "{err}"
        );
    }
}
