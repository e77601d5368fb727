//! Control characters stop at the edge.
//!
//! A NUL byte cannot be stored in PostgreSQL text (`invalid byte sequence
//! for encoding "UTF8": 0x00`), and other control characters in ids, tags or
//! tokens are never meant. Rather than trusting every handler and query to
//! think of it, two checks run on every request before any handler:
//! [`refuse_control_characters`] on the URL path (percent-decoded, so `%00`
//! counts), the query string and every header value, and [`check_json`] on
//! every string and key of a JSON body. Each answers a 400 that names where
//! the character was. Text fields may still hold tabs and line breaks.

use crate::error::ApiError;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use serde_json::Value;

/// Whether `c` is a control character no field of Herald's accepts.
fn forbidden(c: char, line_breaks_ok: bool) -> bool {
    match c {
        '\t' | '\n' | '\r' => !line_breaks_ok,
        c => c.is_control() && (c as u32) < 0xa0,
    }
}

fn describe(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

/// Axum middleware: 400 when the path, the query or a header value holds a
/// control character or, decoded, is not UTF-8.
pub async fn refuse_control_characters(request: Request, next: Next) -> Response {
    if let Err(error) = check_request(&request) {
        return error.into_response();
    }
    next.run(request).await
}

fn check_request(request: &Request) -> Result<(), ApiError> {
    let uri = request.uri();
    check_url_part("path", uri.path())?;
    if let Some(query) = uri.query() {
        check_url_part("query", query)?;
    }
    for (name, value) in request.headers() {
        if let Some(b) = value
            .as_bytes()
            .iter()
            .find(|&&b| b != b'\t' && (b < 0x20 || b == 0x7f))
        {
            return Err(ApiError::invalid(
                name.as_str(),
                format!("the header must not contain control characters (found 0x{b:02X})"),
            ));
        }
    }
    Ok(())
}

fn check_url_part(part: &str, raw: &str) -> Result<(), ApiError> {
    let decoded = percent_decode_str(raw).decode_utf8().map_err(|_| {
        ApiError::invalid(
            part,
            format!("the URL {part} must be UTF-8 once percent-decoded"),
        )
    })?;
    match decoded.chars().find(|&c| forbidden(c, false)) {
        Some(c) => Err(ApiError::invalid(
            part,
            format!(
                "the URL {part} must not contain control characters (found {} in {:?})",
                describe(c),
                raw.chars().take(120).collect::<String>()
            ),
        )),
        None => Ok(()),
    }
}

/// 400 naming the field (`title`, `actions[0].title`, `data.note`) when a
/// string or key of `value` holds a control character other than a tab or
/// a line break.
pub fn check_json(value: &Value) -> Result<(), ApiError> {
    let mut stack: Vec<(String, &Value)> = vec![(String::new(), value)];
    // A loop, not recursion: serde_json already refuses nesting deeper than
    // 128, and this walk must not be the thing that overflows a stack.
    while let Some((path, value)) = stack.pop() {
        match value {
            Value::String(s) => {
                if let Some(c) = s.chars().find(|&c| forbidden(c, true)) {
                    return Err(ApiError::invalid(
                        if path.is_empty() { "body".into() } else { path },
                        format!(
                            "must not contain control characters (found {})",
                            describe(c)
                        ),
                    ));
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    stack.push((format!("{path}[{i}]"), item));
                }
            }
            Value::Object(map) => {
                for (key, item) in map {
                    let field = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    if let Some(c) = key.chars().find(|&c| forbidden(c, false)) {
                        let name: String = key.chars().filter(|&c| !forbidden(c, false)).collect();
                        return Err(ApiError::invalid(
                            if path.is_empty() { "body".into() } else { path },
                            format!(
                                "the key {name:?} must not contain control characters (found {})",
                                describe(c)
                            ),
                        ));
                    }
                    stack.push((field, item));
                }
            }
            Value::Null | Value::Bool(_) | Value::Number(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(v: Value) -> String {
        match check_json(&v).expect_err("refused") {
            ApiError::Invalid { field, .. } => field,
            other => panic!("{other}"),
        }
    }

    #[test]
    fn json_strings_and_keys_are_checked_with_their_path() {
        assert!(check_json(&json!({"title": "a\tb\nc\r", "n": 1, "x": [true, null]})).is_ok());
        assert_eq!(field(json!({"title": "a\u{0}b"})), "title");
        assert_eq!(
            field(json!({"actions": [{}, {"title": "\u{7}"}]})),
            "actions[1].title"
        );
        assert_eq!(field(json!({"data": {"k\u{0}": 1}})), "data");
        assert_eq!(field(json!({"uid": "a\u{85}"})), "uid");
        assert!(check_json(&json!({"body": "ünïcødé ✓"})).is_ok());
    }

    #[test]
    fn url_parts_are_checked_decoded() {
        assert!(check_url_part("path", "/api/v1/projects/abc").is_ok());
        assert!(check_url_part("path", "/api/v1/projects/a%20b").is_ok());
        assert!(check_url_part("path", "/api/v1/projects/a%00b").is_err());
        assert!(check_url_part("path", "/api/v1/projects/a%0Ab").is_err());
        assert!(check_url_part("path", "/api/v1/projects/%FF").is_err());
        assert!(check_url_part("query", "cursor=%7F").is_err());
    }
}
