//! What a notification shows, as stored with it and as each delivery's
//! plaintext carries it.
//!
//! The content is validated once, when the send is accepted, and stored as
//! a JSON object in `notifications.payload`. Each delivery's plaintext is
//! that object with the notification's and the delivery's ids added (the
//! service worker reports receipts with them), serialised by serde: no
//! string splicing, so a change of shape is a change of this type.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An action button.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Action {
    /// The action's id, reported on click.
    pub action: String,
    /// The button's label.
    pub title: String,
    /// Opened when it is clicked.
    pub url: Option<String>,
}

/// What the service worker shows. Every member is always present in the
/// plaintext (null when unset), so the worker reads one shape.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Content {
    /// Title.
    pub title: Option<String>,
    /// Body text.
    pub body: Option<String>,
    /// Opened on click.
    pub url: Option<String>,
    /// Icon URL.
    pub icon: Option<String>,
    /// Large image URL.
    pub image: Option<String>,
    /// Monochrome badge URL.
    pub badge: Option<String>,
    /// Up to two buttons.
    #[serde(default)]
    pub actions: Vec<Action>,
    /// Replaces an earlier notification with the same tag.
    pub tag: Option<String>,
    /// Stays until the user acts.
    #[serde(default)]
    pub require_interaction: bool,
    /// The site's own data, handed to its pages.
    #[serde(default)]
    pub data: Value,
}

/// One delivery's plaintext.
#[derive(Serialize)]
struct Plaintext<'a> {
    id: i64,
    delivery: i64,
    #[serde(flatten)]
    content: &'a Content,
}

impl Content {
    /// The JSON stored in `notifications.payload`.
    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| unreachable!("content serialises"))
    }

    /// Reads the stored JSON back.
    pub fn from_stored(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The plaintext delivery `delivery_id` of notification `id` carries.
    pub fn plaintext(&self, id: i64, delivery_id: i64) -> String {
        serde_json::to_string(&Plaintext {
            id,
            delivery: delivery_id,
            content: self,
        })
        .unwrap_or_else(|_| unreachable!("content serialises"))
    }

    /// The longest plaintext any delivery of this content can have (the
    /// largest ids), to hold it against the push services' size limit.
    pub fn largest_plaintext(&self) -> usize {
        self.plaintext(i64::MAX, i64::MAX).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plaintext_has_every_member_the_worker_reads_and_the_ids() {
        let content = Content {
            title: Some("Hi".into()),
            ..Default::default()
        };
        let p: Value = serde_json::from_str(&content.plaintext(1, 2)).expect("json");
        for key in [
            "id",
            "delivery",
            "title",
            "body",
            "url",
            "icon",
            "image",
            "badge",
            "actions",
            "tag",
            "require_interaction",
            "data",
        ] {
            assert!(p.get(key).is_some(), "{key}");
        }
        assert_eq!(
            (p["id"].clone(), p["delivery"].clone()),
            (1.into(), 2.into())
        );
        assert_eq!(
            Content::from_stored(&content.to_stored()).expect("read"),
            content
        );
    }
}
