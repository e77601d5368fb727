//! Who a notification goes to: `{"uids": [...]}`, `{"tags": "a && !b"}`,
//! `{"topic": "news"}` or `{"all": true}`, and the SQL predicate (over the
//! `subscriptions s` alias) that selects them.
//!
//! Tag expressions: tag names combined with `&&`, `||`, `!` and
//! parentheses; `&&` binds tighter than `||`. Names are validated to the
//! uid alphabet, which has no quote characters, so they are inlined into the
//! predicate as string literals.

use crate::db::Engine;
use crate::error::ApiError;
use crate::identity::{Uid, is_valid_name};
use serde::{Deserialize, Serialize};

/// Most uids one notification may target.
pub const MAX_UIDS: usize = 10_000;

/// A boolean expression over tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// The subscription has this tag.
    Tag(String),
    /// Negation.
    Not(Box<Expr>),
    /// Both.
    And(Box<Expr>, Box<Expr>),
    /// Either.
    Or(Box<Expr>, Box<Expr>),
}

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
    pub fn parse(body: TargetBody) -> Result<Self, ApiError> {
        let given = [
            body.uids.is_some(),
            body.tags.is_some(),
            body.topic.is_some(),
            body.all.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(ApiError::invalid(
                "target",
                r#"must be exactly one of {"uids": [...]}, {"tags": "expr"}, {"topic": "name"}, {"all": true}"#,
            ));
        }
        if let Some(uids) = body.uids {
            if uids.is_empty() || uids.len() > MAX_UIDS {
                return Err(ApiError::invalid(
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
            return Ok(Self::Tags(parse_expr(&expr)?, expr));
        }
        if let Some(topic) = body.topic {
            if !is_valid_name(&topic, 64) {
                return Err(ApiError::invalid(
                    "target.topic",
                    "must be 1 to 64 characters of letters, digits and _-=@,.;",
                ));
            }
            return Ok(Self::Topic(topic));
        }
        match body.all {
            Some(true) => Ok(Self::All),
            _ => Err(ApiError::invalid("target.all", "must be true")),
        }
    }

    /// The JSON stored with the notification.
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
            Self::Tags(expr, _) => expr_sql(expr, engine),
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

/// Whether the JSON array in `column` holds `name`. Names cannot contain a
/// double quote, so finding `"name"` in the array's text is an exact match.
fn contains(column: &str, name: &str, engine: Engine) -> String {
    debug_assert!(is_valid_name(name, 200));
    let needle = format!("'\"{name}\"'");
    match engine {
        Engine::Sqlite => format!("instr({column}, {needle}) > 0"),
        Engine::Postgres => format!("strpos({column}, {needle}) > 0"),
    }
}

fn expr_sql(expr: &Expr, engine: Engine) -> String {
    match expr {
        Expr::Tag(name) => contains("s.tags", name, engine),
        Expr::Not(e) => format!("not ({})", expr_sql(e, engine)),
        Expr::And(a, b) => format!("({} and {})", expr_sql(a, engine), expr_sql(b, engine)),
        Expr::Or(a, b) => format!("({} or {})", expr_sql(a, engine), expr_sql(b, engine)),
    }
}

/// Parses a tag expression; errors say where (1-based column).
pub fn parse_expr(text: &str) -> Result<Expr, ApiError> {
    let mut parser = Parser {
        chars: text.chars().collect(),
        pos: 0,
        depth: 0,
    };
    parser.skip_space();
    if parser.pos == parser.chars.len() {
        return Err(ApiError::invalid(
            "target.tags",
            "must be a tag expression, e.g. \"vip && !churned\"",
        ));
    }
    let expr = parser.or()?;
    parser.skip_space();
    if parser.pos < parser.chars.len() {
        return Err(parser.error("expected && or || or the end"));
    }
    Ok(expr)
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn error(&self, what: &str) -> ApiError {
        ApiError::invalid("target.tags", format!("{what} at column {}", self.pos + 1))
    }

    fn skip_space(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_space();
        let t: Vec<char> = token.chars().collect();
        if self.chars[self.pos.min(self.chars.len())..].starts_with(&t) {
            self.pos += t.len();
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Expr, ApiError> {
        let mut left = self.and()?;
        while self.eat("||") {
            left = Expr::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, ApiError> {
        let mut left = self.unary()?;
        while self.eat("&&") {
            left = Expr::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, ApiError> {
        if self.eat("!") {
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.eat("(") {
            self.depth += 1;
            if self.depth > 32 {
                return Err(self.error("parentheses nest too deep"));
            }
            let inner = self.or()?;
            if !self.eat(")") {
                return Err(self.error("expected )"));
            }
            self.depth -= 1;
            return Ok(inner);
        }
        self.skip_space();
        let start = self.pos;
        while self
            .chars
            .get(self.pos)
            .is_some_and(|c| c.is_ascii_alphanumeric() || crate::identity::EXTRA_CHARS.contains(*c))
        {
            self.pos += 1;
        }
        let name: String = self.chars[start..self.pos].iter().collect();
        if name.is_empty() {
            return Err(self.error("expected a tag name, ! or ("));
        }
        if name.len() > 64 {
            self.pos = start;
            return Err(self.error("tag names are at most 64 characters"));
        }
        Ok(Expr::Tag(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(s: &str) -> Box<Expr> {
        Box::new(Expr::Tag(s.into()))
    }

    #[test]
    fn precedence_negation_and_parentheses() {
        assert_eq!(
            parse_expr("a || b && !c").expect("ok"),
            Expr::Or(
                tag("a"),
                Box::new(Expr::And(tag("b"), Box::new(Expr::Not(tag("c")))))
            )
        );
        assert_eq!(
            parse_expr("(a || b) && c").expect("ok"),
            Expr::And(Box::new(Expr::Or(tag("a"), tag("b"))), tag("c"))
        );
        assert_eq!(
            parse_expr("  !!x ").expect("ok"),
            Expr::Not(Box::new(Expr::Not(tag("x"))))
        );
    }

    #[test]
    fn errors_point_at_the_column() {
        let message = |s: &str| parse_expr(s).expect_err("invalid").to_string();
        assert_eq!(
            message("a &&"),
            "target.tags: expected a tag name, ! or ( at column 5"
        );
        assert_eq!(message("(a || b"), "target.tags: expected ) at column 8");
        assert_eq!(
            message("a b"),
            "target.tags: expected && or || or the end at column 3"
        );
        assert_eq!(
            message("a & b"),
            "target.tags: expected && or || or the end at column 3"
        );
        assert!(message("").contains("must be a tag expression"));
    }

    #[test]
    fn predicates_inline_only_validated_names() {
        let t = Target::Tags(parse_expr("vip && !gone").expect("ok"), String::new());
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
