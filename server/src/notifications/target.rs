//! Who a notification goes to: `{"uids": [...]}`, `{"tags": "a && !b"}`,
//! `{"topic": "news"}` or `{"all": true}`, and the SQL predicate (over the
//! `subscriptions s` alias) that selects them. Tag expressions are parsed
//! in [`super::tags`]. Names are validated to the uid alphabet, which has no
//! quote characters, so they are inlined into the predicate as literals.

use super::tags::{self, Expr, contains};
use crate::db::Engine;
use crate::identity::{Uid, is_valid_name};
use crate::invalid::Invalid;
use serde::{Deserialize, Serialize};

/// Most uids one notification may target.
pub const MAX_UIDS: usize = 10_000;

/// A validated target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Every subscription of these users.
    Uids(Vec<Uid>),
    /// Subscriptions whose tags satisfy the expression (kept as written too).
    Tags(Expr, String),
    /// Subscriptions with this topic.
    Topic(String),
    /// Everyone.
    All,
}

/// The target as JSON.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct TargetBody {
    /// User ids.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uids: Option<Vec<String>>,
    /// Tag expression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<String>,
    /// Topic name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Broadcast.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all: Option<bool>,
}

impl Target {
    /// Validates `target`: exactly one of its forms.
    pub fn parse(body: TargetBody) -> Result<Self, Invalid> {
        let given = [
            body.uids.is_some(),
            body.tags.is_some(),
            body.topic.is_some(),
            body.all.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(Invalid::new(
                "target",
                r#"must be exactly one of {"uids": [...]}, {"tags": "expr"}, {"topic": "name"}, {"all": true}"#,
            ));
        }
        if let Some(uids) = body.uids {
            if uids.is_empty() || uids.len() > MAX_UIDS {
                return Err(Invalid::new(
                    "target.uids",
                    format!("must hold 1 to {MAX_UIDS} uids"),
                ));
            }
            let mut parsed = uids
                .iter()
                .enumerate()
                .map(|(i, u)| Uid::parse(&format!("target.uids[{i}]"), u))
                .collect::<Result<Vec<_>, _>>()?;
            parsed.sort_by(|a, b| a.as_str().cmp(b.as_str()));
            parsed.dedup();
            return Ok(Self::Uids(parsed));
        }
        if let Some(expr) = body.tags {
            return Ok(Self::Tags(tags::parse(&expr)?, expr));
        }
        if let Some(topic) = body.topic {
            if !is_valid_name(&topic, 64) {
                return Err(Invalid::new(
                    "target.topic",
                    "must be 1 to 64 characters of letters, digits and _-=@,.;",
                ));
            }
            return Ok(Self::Topic(topic));
        }
        match body.all {
            Some(true) => Ok(Self::All),
            _ => Err(Invalid::new("target.all", "must be true")),
        }
    }

    /// The JSON stored with the notification.
    pub fn to_stored(&self) -> String {
        serde_json::to_string(&self.to_body()).unwrap_or_else(|_| unreachable!("targets serialise"))
    }

    /// Reads a stored target back, checking it as a request's would be.
    pub fn from_stored(text: &str) -> Result<Self, String> {
        let body: TargetBody = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Self::parse(body).map_err(|e| e.to_string())
    }

    /// The target as the API takes it.
    pub fn to_body(&self) -> TargetBody {
        match self {
            Self::Uids(uids) => TargetBody {
                uids: Some(uids.iter().map(|u| u.as_str().to_string()).collect()),
                ..Default::default()
            },
            Self::Tags(_, text) => TargetBody {
                tags: Some(text.clone()),
                ..Default::default()
            },
            Self::Topic(t) => TargetBody {
                topic: Some(t.clone()),
                ..Default::default()
            },
            Self::All => TargetBody {
                all: Some(true),
                ..Default::default()
            },
        }
    }

    /// The SQL condition over `subscriptions s` (status and project are the caller's).
    pub fn predicate(&self, engine: Engine) -> String {
        match self {
            Self::Uids(uids) => {
                let list: Vec<String> = uids.iter().map(|u| literal(u.as_str())).collect();
                format!("s.uid in ({})", list.join(", "))
            }
            Self::Tags(expr, _) => expr.sql(engine),
            Self::Topic(topic) => contains("s.topics", topic, engine),
            Self::All => "1 = 1".into(),
        }
    }
}

/// A validated name as an SQL literal (the alphabet has no quotes; checked again here).
fn literal(name: &str) -> String {
    debug_assert!(is_valid_name(name, 200));
    format!("'{}'", name.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_inline_only_validated_names() {
        let t = Target::parse(TargetBody {
            tags: Some("vip && !gone".into()),
            ..Default::default()
        })
        .expect("ok");
        assert_eq!(
            t.predicate(Engine::Sqlite),
            r#"(instr(s.tags, '"vip"') > 0 and not (instr(s.tags, '"gone"') > 0))"#
        );
        assert!(
            Target::parse(TargetBody {
                all: Some(true),
                topic: Some("x".into()),
                ..Default::default()
            })
            .is_err()
        );
        assert!(
            Target::parse(TargetBody {
                uids: Some(vec!["a'b".into()]),
                ..Default::default()
            })
            .is_err()
        );
    }
}
