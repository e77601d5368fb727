//! The demo backend's routes. Only a logged-in user's own uid is signed,
//! and only with the session's CSRF token in `X-CSRF-Token`.

use super::session::{COOKIE, Keys};
use super::{TOKEN_SECONDS, USERS};
use crate::error::ApiError;
use crate::extract::JsonBody;
use crate::identity::jwt_signature;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;

/// The demo's settings: the project whose secret signs its users' uids.
#[derive(Clone)]
pub struct Demo {
    /// The demo shop's project id.
    pub project: String,
    /// Session and CSRF keys.
    pub keys: Keys,
}

/// The `/demo/*` routes for `demo`.
pub fn router(demo: Demo) -> Router<AppState> {
    Router::new()
        .route("/demo/config", get(config))
        .route("/demo/session", get(session))
        .route("/demo/login", post(login))
        .route("/demo/logout", post(logout))
        .route("/demo/auth", post(auth))
        .layer(Extension(demo))
}

fn users() -> Value {
    USERS
        .iter()
        .map(|(id, name)| json!({"id": id, "name": name}))
        .collect()
}

fn name_of(user: &str) -> Option<&'static str> {
    USERS.iter().find(|(id, _)| *id == user).map(|(_, n)| *n)
}

fn cookie_header(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::COOKIE).and_then(|v| v.to_str().ok())
}

/// The session's user and CSRF token, as the page reads them.
fn described(demo: &Demo, user: Option<&str>) -> Value {
    match user.and_then(|u| name_of(u).map(|n| (u, n))) {
        Some((id, name)) => json!({"user": {"id": id, "name": name}, "csrf": demo.keys.csrf(id)}),
        None => json!({"user": null, "csrf": null}),
    }
}

/// `GET /demo/config`: the project and the users to log in as.
async fn config(Extension(demo): Extension<Demo>) -> Json<Value> {
    Json(json!({"project": demo.project, "users": users()}))
}

/// `GET /demo/session`: who is logged in, and the CSRF token.
async fn session(Extension(demo): Extension<Demo>, headers: HeaderMap) -> Json<Value> {
    let user = demo.keys.user(cookie_header(&headers));
    Json(described(&demo, user.as_deref()))
}

#[derive(Deserialize)]
struct LoginBody {
    user: Option<String>,
}

fn set_cookie(value: &str, max_age: i64) -> Result<HeaderValue, ApiError> {
    HeaderValue::from_str(&format!(
        "{COOKIE}={value}; Path=/demo; HttpOnly; SameSite=Strict; Max-Age={max_age}"
    ))
    .map_err(|_| ApiError::invalid("user", "must be one of the demo users"))
}

/// `POST /demo/login {user}`: one of the three demo users.
async fn login(
    Extension(demo): Extension<Demo>,
    body: JsonBody<LoginBody>,
) -> Result<Response, ApiError> {
    let user = body
        .value
        .user
        .filter(|u| name_of(u).is_some())
        .ok_or_else(|| ApiError::invalid("user", "must be alice, bob or carol"))?;
    let cookie = set_cookie(&demo.keys.cookie(&user), 86_400)?;
    let mut response = Json(described(&demo, Some(&user))).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}

/// `POST /demo/logout`: ends the session.
async fn logout(Extension(demo): Extension<Demo>) -> Result<Response, ApiError> {
    let mut response = Json(described(&demo, None)).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, set_cookie("", 0)?);
    Ok(response)
}

/// `POST /demo/auth?uid=…`: `{token}` for the logged-in user's own uid.
async fn auth(
    Extension(demo): Extension<Demo>,
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let user = demo
        .keys
        .user(cookie_header(&headers))
        .ok_or(ApiError::Unauthorized("log in to the demo shop first"))?;
    let csrf = headers.get("x-csrf-token").and_then(|v| v.to_str().ok());
    if !demo.keys.csrf_holds(&user, csrf) {
        return Err(ApiError::Forbidden(
            "X-CSRF-Token must be the session's csrf (GET /demo/session)".into(),
        ));
    }
    if query.get("uid") != Some(&user) {
        return Err(ApiError::Forbidden(format!(
            "only the logged-in user's uid ({user}) is signed"
        )));
    }
    let project = state.projects.load(&state.db, &demo.project).await?;
    let exp = chrono::Utc::now().timestamp() + TOKEN_SECONDS;
    Ok(Json(json!({
        "token": jwt_signature(project.secret.expose(), &user, exp),
        "expires_in": TOKEN_SECONDS,
    })))
}
