//! The operator's console at `/admin`: a page, a script and a stylesheet
//! built into the binary (server/admin/), so one binary serves it. It uses
//! only the backend API with the token the operator pastes; nothing here
//! reads the database. Strict headers: its own scripts and styles only, no
//! framing, no referrer.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

const PAGE: &str = include_str!("../admin/index.html");
const SCRIPT: &str = include_str!("../admin/console.js");
const STYLE: &str = include_str!("../admin/console.css");

/// Images may come from anywhere: the send form previews the icon and
/// image URLs the operator types.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src * data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The console's routes.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route(
            "/admin",
            get(|| async { file(PAGE, "text/html; charset=utf-8") }),
        )
        .route(
            "/admin/",
            get(|| async { file(PAGE, "text/html; charset=utf-8") }),
        )
        .route(
            "/admin/console.js",
            get(|| async { file(SCRIPT, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/admin/console.css",
            get(|| async { file(STYLE, "text/css; charset=utf-8") }),
        )
}

fn file(body: &'static str, kind: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}
