//! One attempt at one delivery: the per-origin connection slot, the last
//! check against an opt-out, encryption and signing, the POST, and what the
//! answer means for the queue.

use super::Config;
use super::origins::Origins;
use super::signing::Signing;
use crate::db::Db;
use crate::notifications::content::Content;
use crate::queue::{self, Claimed, Record};
use crate::time::now_ms;
use crate::webpush::crypto;
use crate::webpush::request::{self, Message};
use crate::webpush::response::{self, PushError, Retry};
use crate::webpush::vapid::Signer;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// Everything an attempt needs, shared by the engine's tasks.
pub(super) struct Sender {
    pub(super) db: Db,
    pub(super) config: Config,
    pub(super) client: reqwest::Client,
    pub(super) signing: Signing,
    pub(super) origins: Origins,
    /// Set on shutdown: start no new push.
    pub(super) stopping: AtomicBool,
}

/// Why an attempt did not end with the push service taking the message.
enum Failure {
    /// The push service's answer (or its silence).
    Push(PushError),
    /// Refused with a key `herald vapid rotate` has replaced since it was
    /// cached: the next attempt signs with the new one.
    KeyRotated(u16),
    /// Something about this message or subscription: retrying won't help.
    Message(String),
    /// Something passing (the database): try again later.
    Transient(anyhow::Error),
    /// Unanswered past `slow_push` with the origin's slow lane full: most
    /// likely a hung endpoint, tried again no sooner than four times that
    /// from now, after the pushes that are answered at once.
    Slow,
}

impl From<PushError> for Failure {
    fn from(error: PushError) -> Self {
        Self::Push(error)
    }
}

impl Sender {
    /// One attempt at one delivery; `None` when the engine is stopping and
    /// the delivery is left to its lease.
    pub(super) async fn attempt(&self, d: &Claimed, content: Option<&Content>) -> Option<Record> {
        if d.stale {
            return Some(Record::Cancelled);
        }
        if now_ms() >= d.expires_at {
            return Some(Record::Expired);
        }
        let Ok(url) = url::Url::parse(d.endpoint.expose()) else {
            return Some(Record::Failed { status: 0 });
        };
        // Stored before the operator's list changed, or by an older Herald.
        if let Err(refused) = self.config.push_services.check(&url) {
            tracing::warn!(delivery = d.id, reason = %refused, "not sending to an endpoint that is not on an allowed push service");
            return Some(Record::Failed { status: 0 });
        }
        let origin = url.origin().ascii_serialization();
        let waited = Instant::now();
        let slot = self.origins.slot(&origin).await?;
        if self.stopping.load(Ordering::SeqCst) {
            return None;
        }
        // An opt-out commits while we wait for a connection slot: look again
        // before sending if the wait was noticeable.
        if waited.elapsed() > Duration::from_millis(50)
            && !queue::still_sending(&self.db, d.id).await.unwrap_or(true)
        {
            return Some(Record::Cancelled);
        }
        let result = self.post_in_slot(d, content, &origin, slot).await;
        // Any answer says the host is there; silence counts towards its breaker.
        match &result {
            Err(Failure::Push(PushError::Unreachable) | Failure::Slow) => {
                self.origins.record(&origin, false);
            }
            Ok(_) | Err(Failure::Push(_) | Failure::KeyRotated(_)) => {
                self.origins.record(&origin, true);
            }
            Err(Failure::Message(_) | Failure::Transient(_)) => {}
        }
        if let Err(Failure::Transient(e)) = &result {
            if self.stopping.load(Ordering::SeqCst) {
                return None;
            }
            tracing::warn!(delivery = d.id, error = %format!("{e:#}"), "cannot prepare the push now; will retry");
        }
        if let Err(Failure::Message(e)) = &result {
            tracing::warn!(delivery = d.id, error = %e, "the message cannot be made for this subscription");
        }
        Some(self.record_for(d, result))
    }

    /// The POST, holding `slot` for at most `slow_push`: past that the push
    /// waits on in the origin's slow lane and the slot goes to the next
    /// push; with the slow lane full it stops here (retried
    /// no sooner than 4 × `slow_push`), so hung endpoints hold a host's
    /// slots for half a second, not for the whole request timeout.
    async fn post_in_slot(
        &self,
        d: &Claimed,
        content: Option<&Content>,
        origin: &str,
        slot: super::origins::Slot,
    ) -> Result<u16, Failure> {
        let post = self.post(d, content, origin);
        tokio::pin!(post);
        tokio::select! {
            result = &mut post => return result,
            () = tokio::time::sleep(self.config.slow_push) => {}
        }
        let Some(lane) = self.origins.slow_lane(origin) else {
            tracing::debug!(
                origin,
                delivery = d.id,
                "push unanswered and the slow lane is full; will retry"
            );
            return Err(Failure::Slow);
        };
        drop(slot);
        let result = post.await;
        drop(lane);
        result
    }

    async fn post(
        &self,
        d: &Claimed,
        content: Option<&Content>,
        origin: &str,
    ) -> Result<u16, Failure> {
        let signed = Instant::now();
        let signers = self
            .signing
            .for_project(&d.project_id, None)
            .await
            .map_err(Failure::Transient)?;
        let body = encrypt(d, content)?;
        // Kept only while the project has a previous key to try.
        let spare = signers.previous.as_ref().map(|_| body.clone());
        let mut answer = self.post_signed(d, origin, &signers.current, body).await?;
        if let Err(PushError::Unauthorized { status }) = answer.result
            && let Some(again) = self
                .after_key_refused(d, origin, (&signers.current, signed), status, spare)
                .await?
        {
            answer = again;
        }
        log_refusal(d, origin, &answer);
        Ok(answer.result?)
    }

    /// The push service refused the key `signer` (signed at `signed`). The
    /// project as it is now decides: read again unless that happened since
    /// this push was signed, so a burst of refusals costs at most one query
    /// per push then in flight. A key rotated since it was cached: retry
    /// with the new one. A previous key kept: the subscription may have been
    /// made with it (its browser has not loaded the site since), send again
    /// signed with that one.
    async fn after_key_refused(
        &self,
        d: &Claimed,
        origin: &str,
        (signer, signed): (&Arc<Signer>, Instant),
        status: u16,
        spare: Option<Vec<u8>>,
    ) -> Result<Option<Answer>, Failure> {
        let Ok(now) = self.signing.for_project(&d.project_id, Some(signed)).await else {
            return Ok(None);
        };
        if !Arc::ptr_eq(&now.current, signer) {
            tracing::info!(
                origin,
                status,
                delivery = d.id,
                "the push service refused a key the project has since rotated; retrying with the new key"
            );
            return Err(Failure::KeyRotated(status));
        }
        match (now.previous, spare) {
            (Some(previous), Some(body)) => {
                Ok(Some(self.post_signed(d, origin, &previous, body).await?))
            }
            _ => Ok(None),
        }
    }

    /// POSTs the encrypted `body` signed by `signer`.
    async fn post_signed(
        &self,
        d: &Claimed,
        origin: &str,
        signer: &Signer,
        body: Vec<u8>,
    ) -> Result<Answer, Failure> {
        let authorization = self
            .signing
            .authorization(signer, origin)
            .map_err(Failure::Transient)?;
        let ttl = u64::try_from((d.expires_at - now_ms()) / 1000).unwrap_or(0);
        let request = request::request(Message {
            endpoint: d.endpoint.expose(),
            ttl,
            urgency: d.urgency.as_deref(),
            topic: d.topic.as_deref(),
            authorization: &authorization,
            body,
        })
        .map_err(|e| Failure::Message(e.to_string()))?;
        let request = reqwest::Request::try_from(request)
            .map_err(|e| Failure::Message(e.without_url().to_string()))?;
        let response = match self.client.execute(request).await {
            Ok(response) => response,
            Err(e) => {
                // reqwest puts the URL in its errors; the endpoint must not be logged.
                tracing::debug!(origin, delivery = d.id, error = %e.without_url(), "push attempt failed; will retry");
                return Ok(Answer {
                    result: Err(PushError::Unreachable),
                    text: String::new(),
                });
            }
        };
        let status = response.status().as_u16();
        let result = response::read(status, response.headers(), SystemTime::now()).map(|()| status);
        // The body is read only when it is worth logging.
        let text = match &result {
            Err(e) if e.retry() == Retry::Never => response.text().await.unwrap_or_default(),
            _ => String::new(),
        };
        Ok(Answer { result, text })
    }

    fn record_for(&self, d: &Claimed, result: Result<u16, Failure>) -> Record {
        let now = now_ms();
        let retry_at = |status: u16, delay: Duration| {
            let at = now + delay.as_millis() as i64;
            if d.attempt >= i64::from(self.config.max_attempts) {
                Record::Failed { status }
            } else if at >= d.expires_at {
                Record::Expired
            } else {
                Record::Retry { status, at }
            }
        };
        let backoff = || {
            let jitter = f64::from(
                SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(0, |d| d.subsec_nanos())
                    % 1000,
            ) / 1000.0;
            let attempt = u32::try_from(d.attempt).unwrap_or(u32::MAX);
            response::backoff(
                attempt,
                self.config.retry_base,
                self.config.retry_cap,
                jitter,
            )
        };
        match result {
            Ok(status) => Record::Sent { status },
            Err(Failure::Push(PushError::Gone { status })) => Record::Gone {
                status,
                subscription_id: d.subscription_id,
            },
            Err(Failure::Push(error)) => match error.retry() {
                Retry::Never => Record::Failed {
                    status: error.status(),
                },
                Retry::After(delay) => retry_at(error.status(), delay),
                Retry::Backoff => retry_at(error.status(), backoff()),
            },
            Err(Failure::KeyRotated(status)) => retry_at(status, backoff()),
            Err(Failure::Message(_)) => Record::Failed { status: 0 },
            Err(Failure::Transient(_)) => retry_at(0, backoff()),
            // Hung endpoints come back after the pushes answered at once; a
            // push that was only slow (a busy machine) is not held long.
            Err(Failure::Slow) => retry_at(0, backoff().max(self.config.slow_push * 4)),
        }
    }
}

/// The message for `d`'s subscriber, encrypted (RFC 8291).
fn encrypt(d: &Claimed, content: Option<&Content>) -> Result<Vec<u8>, Failure> {
    let message = |e: &dyn std::fmt::Display| Failure::Message(e.to_string());
    let content =
        content.ok_or_else(|| Failure::Message("the stored notification cannot be read".into()))?;
    let p256dh = URL_SAFE_NO_PAD.decode(&d.p256dh).map_err(|e| message(&e))?;
    let auth = URL_SAFE_NO_PAD
        .decode(d.auth.expose())
        .map_err(|e| message(&e))?;
    let plaintext = content.plaintext(d.notification_id, d.id);
    crypto::encrypt(&p256dh, &auth, plaintext.as_bytes()).map_err(|e| match e {
        crypto::EncryptError::Internal => Failure::Transient(anyhow::anyhow!("{e}")),
        other => message(&other),
    })
}

/// A final refusal is worth a line in the log (a gone subscription is not:
/// it is routine).
fn log_refusal(d: &Claimed, origin: &str, answer: &Answer) {
    let Err(error) = &answer.result else { return };
    if error.retry() != Retry::Never || matches!(error, PushError::Gone { .. }) {
        return;
    }
    let text: String = answer.text.chars().take(300).collect();
    let status = error.status();
    if let PushError::Unauthorized { .. } = error {
        tracing::warn!(origin, status, response = %text, "push service refused Herald's VAPID credentials; check the project's key and --vapid-subject");
    } else {
        tracing::warn!(origin, status, response = %text, delivery = d.id, "push service refused a message");
    }
}

/// What a push service answered, and its body when that is worth logging.
struct Answer {
    result: Result<u16, PushError>,
    text: String,
}
