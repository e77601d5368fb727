//! One extractor for every mutation, so a handler is only its domain call.
//!
//! A [`Mutation<B>`] reads, in this order: the caller's right to act (the
//! project's API token where [`Body::BACKEND`] says so), the project (404 if
//! unknown),
//! the `Idempotency-Key`, the client's IP and user agent for the consent
//! log, and the body, which [`Body::validate`] turns into the route's typed
//! request (400 naming the field). Then it claims the key and opens the
//! write transaction. The idempotency fingerprint takes the HTTP method and
//! path from the request itself, never from a string typed in a handler (PUT
//! and DELETE on `/uid` share a path). A replay of an earlier answer is sent
//! back from here: handlers never see one.

use crate::backend;
use crate::consent::ClientInfo;
use crate::consent::Origin;
use crate::db::Tx;
use crate::error::ApiError;
use crate::extract::{IdempotencyKey, JsonBody};
use crate::idempotency::{self, Begun, Pending};
use crate::projects::Project;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::Arc;

/// What a request's body must be, and how it becomes a typed request.
pub trait Body: DeserializeOwned + Send + 'static {
    /// The validated request.
    type Valid: Send + 'static;

    /// Whether the route is the backend's (`Authorization: Bearer <api
    /// token>`); browser routes prove possession of a subscription instead.
    const BACKEND: bool = false;

    /// Whether the body is read. A route whose path says it all (a DELETE)
    /// leaves it unread: it is built from `{}` and fingerprinted as empty.
    const READS_BODY: bool = true;

    /// Checks every field (400 naming the first bad one); `input` has the
    /// server's state and the path's parameters.
    fn validate(self, input: &Input<'_>) -> Result<Self::Valid, ApiError>;
}

/// What validation may look at besides the body.
pub struct Input<'a> {
    /// The server's state (push services, ...).
    pub state: &'a AppState,
    /// The path's parameters, percent-decoded (`uid`, ...).
    pub params: &'a HashMap<String, String>,
}

/// A mutation ready to run: the write in progress and the validated
/// request, apart so a handler can use both (`Mutation(mut write, req)`).
pub struct Mutation<B: Body>(pub Write, pub B::Valid);

/// A write in progress: validated, its key claimed, its transaction open.
pub struct Write {
    /// The server's state.
    pub state: AppState,
    /// The project it acts on.
    pub project: Arc<Project>,
    /// Who sent it.
    pub client: ClientInfo,
    pending: Pending,
}

impl Write {
    /// The transaction and the consent origin, borrowed together.
    pub fn parts(&mut self) -> (&mut Tx, Origin<'_>) {
        (
            self.pending.tx(),
            Origin {
                project: &self.project,
                client: &self.client,
            },
        )
    }

    /// The write transaction.
    pub fn tx(&mut self) -> &mut Tx {
        self.pending.tx()
    }

    /// Stores the answer under the key, commits, and returns the answer.
    pub async fn finish(
        self,
        status: StatusCode,
        body: &impl Serialize,
    ) -> Result<Response, ApiError> {
        self.pending.finish(status, body).await
    }
}

/// Why a mutation did not reach its handler.
pub enum Rejection {
    /// Refused: the error says why.
    Refused(ApiError),
    /// Seen before with this key: the first answer again.
    Replay(Response),
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Self::Refused(error) => error.into_response(),
            Self::Replay(response) => response,
        }
    }
}

impl<E> From<E> for Rejection
where
    ApiError: From<E>,
{
    fn from(error: E) -> Self {
        Self::Refused(error.into())
    }
}

impl<S, B> FromRequest<S> for Mutation<B>
where
    S: Send + Sync,
    AppState: FromRef<S>,
    B: Body,
{
    type Rejection = Rejection;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let (mut parts, body) = req.into_parts();
        let params: HashMap<String, String> = RawPathParams::from_request_parts(&mut parts, &state)
            .await
            .map_err(|_| ApiError::NotFound("no such route".into()))?
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let project_id = backend::project_param(&mut parts, &state).await?;
        if B::BACKEND {
            backend::authenticate(&mut parts, &state, &state, &project_id).await?;
        }
        let project = state.projects.load(&state.db, &project_id).await?;
        let key = IdempotencyKey::from_request_parts(&mut parts, &state).await?;
        let client = match ClientInfo::from_request_parts(&mut parts, &state).await {
            Ok(client) => client,
            Err(never) => match never {},
        };
        let method = parts.method.clone();
        let path = parts.uri.path().to_string();
        let req = Request::from_parts(parts, body);
        let (value, raw) = if B::READS_BODY {
            let body = JsonBody::<B>::from_request(req, &state).await?;
            (body.value, body.raw)
        } else {
            // Not read: the fingerprint is the method and path alone.
            let value =
                serde_json::from_str::<B>("{}").map_err(|e| ApiError::Internal(e.into()))?;
            (value, Bytes::new())
        };
        let valid = value.validate(&Input {
            state: &state,
            params: &params,
        })?;
        let fingerprint = idempotency::fingerprint(method.as_str(), &path, &raw);
        let pending = match idempotency::begin(&state.db, &project.id, key.0, &fingerprint).await? {
            Begun::Fresh(pending) => pending,
            Begun::Replay(response) => return Err(Rejection::Replay(response)),
        };
        let write = Write {
            state,
            project,
            client,
            pending,
        };
        Ok(Self(write, valid))
    }
}
