//! Tag expressions: tag names combined with `&&`, `||`, `!` and
//! parentheses, `&&` binding tighter than `||` (`"vip && !churned"`).
//!
//! Anyone with an API token writes these, so the parser is built to be
//! attacked. Three limits are checked as the text is read, each with its own
//! message: the length ([`MAX_CHARS`]), the number of tag names
//! ([`MAX_TAGS`]) and the nesting of parentheses and negations together
//! ([`MAX_DEPTH`]). With the depth bounded, the recursion of the parser (and
//! of `Drop`) is bounded too: `"!"` repeated 15,000 times once overflowed a
//! tokio worker's stack and killed the process.
//!
//! The tree is n-ary (`a && b && c` is one `And` of three), double negations
//! cancel, and the SQL keeps that shape, so the SQL expression is as deep as
//! the parentheses, not as long as the text: SQLite refuses expressions
//! deeper than 1,000 levels.

use crate::db::Engine;
use crate::identity::{EXTRA_CHARS, is_valid_name};
use crate::invalid::Invalid;

/// Longest expression, in characters.
pub const MAX_CHARS: usize = 2000;
/// Most tag names in one expression.
pub const MAX_TAGS: usize = 100;
/// Deepest nesting of parentheses and `!` together.
pub const MAX_DEPTH: usize = 32;
/// Longest tag name (as subscriptions store them).
pub const MAX_TAG_CHARS: usize = 64;

const FIELD: &str = "target.tags";

/// A boolean expression over tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// The subscription has this tag.
    Tag(String),
    /// Negation.
    Not(Box<Expr>),
    /// All of these (two or more).
    And(Vec<Expr>),
    /// Any of these (two or more).
    Or(Vec<Expr>),
}

impl Expr {
    /// Whether a subscription with `tags` matches.
    pub fn matches(&self, tags: &[impl AsRef<str>]) -> bool {
        match self {
            Self::Tag(name) => tags.iter().any(|t| t.as_ref() == name),
            Self::Not(e) => !e.matches(tags),
            Self::And(all) => all.iter().all(|e| e.matches(tags)),
            Self::Or(any) => any.iter().any(|e| e.matches(tags)),
        }
    }

    /// The SQL condition over the JSON array in `s.tags`.
    pub fn sql(&self, engine: Engine) -> String {
        let mut out = String::new();
        self.write_sql(engine, &mut out);
        out
    }

    fn write_sql(&self, engine: Engine, out: &mut String) {
        let list = |items: &[Expr], op: &str, out: &mut String| {
            out.push('(');
            for (i, e) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(op);
                }
                e.write_sql(engine, out);
            }
            out.push(')');
        };
        match self {
            Self::Tag(name) => out.push_str(&contains("s.tags", name, engine)),
            Self::Not(e) => {
                out.push_str("not ");
                if matches!(**e, Self::Tag(_)) {
                    out.push('(');
                    e.write_sql(engine, out);
                    out.push(')');
                } else {
                    e.write_sql(engine, out);
                }
            }
            Self::And(all) => list(all, " and ", out),
            Self::Or(any) => list(any, " or ", out),
        }
    }
}

/// Whether the JSON array in `column` holds `name`. Names are validated to
/// the uid alphabet, which has no quotes, so `"name"` inlined as a literal
/// is an exact match inside the array's text.
pub fn contains(column: &str, name: &str, engine: Engine) -> String {
    debug_assert!(is_valid_name(name, 200));
    let needle = format!("'\"{name}\"'");
    match engine {
        Engine::Sqlite => format!("instr({column}, {needle}) > 0"),
        Engine::Postgres => format!("strpos({column}, {needle}) > 0"),
    }
}

/// Parses a tag expression; errors say which limit or where (1-based column).
pub fn parse(text: &str) -> Result<Expr, Invalid> {
    if text.chars().count() > MAX_CHARS {
        return Err(Invalid::new(
            FIELD,
            format!("is longer than {MAX_CHARS} characters"),
        ));
    }
    let mut parser = Parser {
        chars: text.chars().collect(),
        pos: 0,
        depth: 0,
        tags: 0,
    };
    parser.skip_space();
    if parser.pos == parser.chars.len() {
        return Err(Invalid::new(
            FIELD,
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
    /// Parentheses and negations open around the current position.
    depth: usize,
    /// Tag names read so far.
    tags: usize,
}

impl Parser {
    fn error(&self, what: &str) -> Invalid {
        Invalid::new(FIELD, format!("{what} at column {}", self.pos + 1))
    }

    fn skip_space(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_space();
        let mut at = self.pos;
        for t in token.chars() {
            if self.chars.get(at) != Some(&t) {
                return false;
            }
            at += 1;
        }
        self.pos = at;
        true
    }

    fn enter(&mut self) -> Result<(), Invalid> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Invalid::new(
                FIELD,
                format!(
                    "nests parentheses and ! more than {MAX_DEPTH} deep (at column {})",
                    self.pos
                ),
            ));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Expr, Invalid> {
        let mut any = vec![self.and()?];
        while self.eat("||") {
            any.push(self.and()?);
        }
        Ok(join(any, false))
    }

    fn and(&mut self) -> Result<Expr, Invalid> {
        let mut all = vec![self.unary()?];
        while self.eat("&&") {
            all.push(self.unary()?);
        }
        Ok(join(all, true))
    }

    fn unary(&mut self) -> Result<Expr, Invalid> {
        if self.eat("!") {
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(match inner {
                // `!!x` is `x`: the SQL never grows with a chain of negations.
                Expr::Not(e) => *e,
                e => Expr::Not(Box::new(e)),
            });
        }
        if self.eat("(") {
            self.enter()?;
            let inner = self.or()?;
            if !self.eat(")") {
                return Err(self.error("expected )"));
            }
            self.depth -= 1;
            return Ok(inner);
        }
        self.tag()
    }

    fn tag(&mut self) -> Result<Expr, Invalid> {
        self.skip_space();
        let start = self.pos;
        while self
            .chars
            .get(self.pos)
            .is_some_and(|c| c.is_ascii_alphanumeric() || EXTRA_CHARS.contains(*c))
        {
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.error("expected a tag name, ! or ("));
        }
        if self.pos - start > MAX_TAG_CHARS {
            self.pos = start;
            return Err(self.error(&format!("tag names are at most {MAX_TAG_CHARS} characters")));
        }
        self.tags += 1;
        if self.tags > MAX_TAGS {
            self.pos = start;
            return Err(Invalid::new(
                FIELD,
                format!(
                    "names more than {MAX_TAGS} tags (tag {} is at column {})",
                    MAX_TAGS + 1,
                    self.pos + 1
                ),
            ));
        }
        Ok(Expr::Tag(self.chars[start..self.pos].iter().collect()))
    }
}

/// One operand stays itself; several become one n-ary node, with operands
/// of the same operator merged in (`(a && b) && c` is `And[a, b, c]`).
fn join(mut items: Vec<Expr>, and: bool) -> Expr {
    if items.len() == 1 {
        return items.pop().unwrap_or_else(|| unreachable!("one item"));
    }
    let mut flat = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Expr::And(inner) if and => flat.extend(inner),
            Expr::Or(inner) if !and => flat.extend(inner),
            other => flat.push(other),
        }
    }
    if and { Expr::And(flat) } else { Expr::Or(flat) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(s: &str) -> Expr {
        Expr::Tag(s.into())
    }

    #[test]
    fn precedence_negation_and_parentheses() {
        assert_eq!(
            parse("a || b && !c").expect("ok"),
            Expr::Or(vec![
                tag("a"),
                Expr::And(vec![tag("b"), Expr::Not(Box::new(tag("c")))])
            ])
        );
        assert_eq!(
            parse("(a || b) && c").expect("ok"),
            Expr::And(vec![Expr::Or(vec![tag("a"), tag("b")]), tag("c")])
        );
        assert_eq!(parse("  !!x ").expect("ok"), tag("x"));
        assert_eq!(parse("!!!x").expect("ok"), Expr::Not(Box::new(tag("x"))));
    }

    #[test]
    fn chains_and_nested_groups_of_one_operator_are_flat() {
        assert_eq!(
            parse("a && b && (c && d)").expect("ok"),
            Expr::And(vec![tag("a"), tag("b"), tag("c"), tag("d")])
        );
        assert_eq!(
            parse("a || (b || c)").expect("ok"),
            Expr::Or(vec![tag("a"), tag("b"), tag("c")])
        );
    }

    #[test]
    fn errors_point_at_the_column() {
        let message = |s: &str| parse(s).expect_err("invalid").to_string();
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
    fn each_limit_has_its_own_message() {
        let message = |s: &str| parse(s).expect_err("invalid").to_string();
        let long = format!("{}a", "!".repeat(15_000));
        assert!(message(&long).contains("longer than 2000 characters"));
        assert!(message(&format!("{}a", "!".repeat(33))).contains("more than 32 deep"));
        assert!(parse(&format!("{}a", "!".repeat(32))).is_ok());
        let parens = format!("{}a{}", "(".repeat(33), ")".repeat(33));
        assert!(message(&parens).contains("more than 32 deep"));
        let many = vec!["a"; 101].join(" && ");
        assert!(message(&many).contains("more than 100 tags"));
        assert!(parse(&vec!["a"; 100].join(" && ")).is_ok());
        assert!(message(&"a".repeat(65)).contains("at most 64 characters"));
    }

    #[test]
    fn sql_keeps_the_tree_flat_and_inlines_only_validated_names() {
        assert_eq!(
            parse("vip && !gone && x").expect("ok").sql(Engine::Sqlite),
            r#"(instr(s.tags, '"vip"') > 0 and not (instr(s.tags, '"gone"') > 0) and instr(s.tags, '"x"') > 0)"#
        );
        assert_eq!(
            parse("!(a || b)").expect("ok").sql(Engine::Postgres),
            r#"not (strpos(s.tags, '"a"') > 0 or strpos(s.tags, '"b"') > 0)"#
        );
        assert!(parse("a' or 1=1 --").is_err());
    }

    #[test]
    fn matching_follows_the_operators() {
        let e = parse("a && !(b || c)").expect("ok");
        assert!(e.matches(&["a"]));
        assert!(!e.matches(&["a", "c"]));
        assert!(!e.matches(&[] as &[&str]));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Any text at all: an answer, never a panic, and a parsed tree
        /// within the limits.
        #[test]
        fn any_text_parses_or_is_refused(text in "[a-c!()&| \\t%\\u{0}é]{0,80}") {
            if let Ok(expr) = parse(&text) {
                proptest::prop_assert!(depth(&expr) <= MAX_DEPTH + 1);
                let _ = expr.sql(Engine::Sqlite);
            }
        }

        /// Long runs of one operator, the shapes that once broke things.
        #[test]
        fn long_runs_are_bounded(op in "(!|\\(|&&|\\|\\|)", n in 0usize..3000) {
            let text = format!("{}a", op.repeat(n));
            let _ = parse(&text);
        }
    }

    fn depth(e: &Expr) -> usize {
        match e {
            Expr::Tag(_) => 1,
            Expr::Not(e) => 1 + depth(e),
            Expr::And(v) | Expr::Or(v) => 1 + v.iter().map(depth).max().unwrap_or(0),
        }
    }
}
