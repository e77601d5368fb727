//! One attempt at one delivery: the per-origin connection slot, the last
//! check against an opt-out, encryption and signing, the POST, and what the
//! answer means for the queue.

use super::crypto;
use super::push::{self, Message, Outcome};
use super::queue::{self, Claimed, Record};
use super::vapid::Signer;
use super::worker::Worker;
use crate::notifications::request::payload;
use crate::secret::Secret;
use crate::time::now_ms;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::Semaphore;

/// A project's signers: the current key's, and the previous key's if kept.
type Signers = (Arc<Signer>, Option<Arc<Signer>>);

impl Worker {
    fn origin_limit(&self, origin: &str) -> Arc<Semaphore> {
        let mut origins = self
            .origins
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        origins
            .entry(origin.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(self.config.per_origin.max(1))))
            .clone()
    }

    /// The project's signers (current key, and the previous one if kept),
    /// reading the project again if the cached copy was loaded before `since`.
    async fn signers_loaded_since(
        &self,
        project_id: &str,
        since: Option<Instant>,
    ) -> anyhow::Result<Signers> {
        let project = self
            .projects
            .load_if_older(&self.db, project_id, since)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let current = self.signer_for(&project.vapid_private_key, &project.vapid_public_key)?;
        let previous = match &project.previous_vapid {
            Some((private, public)) => Some(self.signer_for(private, public)?),
            None => None,
        };
        Ok((current, previous))
    }

    /// The signer of one key pair, made once.
    fn signer_for(&self, private: &Secret<String>, public: &str) -> anyhow::Result<Arc<Signer>> {
        let mut signers = self
            .signers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(signer) = signers.get(public) {
            return Ok(signer.clone());
        }
        let signer = Arc::new(Signer::new(private, public)?);
        signers.insert(public.to_string(), signer.clone());
        Ok(signer)
    }

    /// One attempt at one delivery.
    pub(super) async fn attempt(&self, d: &Claimed) -> Option<Record> {
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
        let limit = self.origin_limit(&origin);
        let waited = Instant::now();
        let _slot = limit.acquire().await.ok()?;
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
        Some(match self.post(d, &origin).await {
            Ok(outcome) => self.record_for(d, outcome),
            Err(Problem::Message(e)) => {
                tracing::warn!(delivery = d.id, error = %e, "the message cannot be made for this subscription");
                Record::Failed { status: 0 }
            }
            Err(Problem::Transient(e)) => {
                if self.stopping.load(Ordering::SeqCst) {
                    return None;
                }
                tracing::warn!(delivery = d.id, error = %format!("{e:#}"), "cannot prepare the push now; will retry");
                self.record_for(d, (0, Outcome::Retry))
            }
        })
    }

    async fn post(&self, d: &Claimed, origin: &str) -> Result<(u16, Outcome), Problem> {
        let signed = Instant::now();
        let (signer, previous) = self
            .signers_loaded_since(&d.project_id, None)
            .await
            .map_err(Problem::Transient)?;
        let message = |e: &dyn std::fmt::Display| Problem::Message(e.to_string());
        let p256dh = URL_SAFE_NO_PAD.decode(&d.p256dh).map_err(|e| message(&e))?;
        let auth = URL_SAFE_NO_PAD
            .decode(d.auth.expose())
            .map_err(|e| message(&e))?;
        let plaintext = payload(d.notification_id, d.id, &d.payload);
        let body = crypto::encrypt(&p256dh, &auth, plaintext.as_bytes()).map_err(|e| match e {
            crypto::EncryptError::Internal => Problem::Transient(anyhow::anyhow!("{e}")),
            other => message(&other),
        })?;
        // Kept only while the project has a previous key to try.
        let spare = previous.as_ref().map(|_| body.clone());
        let Some(mut response) = self.post_signed(d, origin, &signer, body).await? else {
            return Ok((0, Outcome::Retry));
        };
        let mut status = response.status().as_u16();
        let mut outcome = push::outcome(status, response.headers(), SystemTime::now());
        if let Outcome::Failed {
            vapid_problem: true,
            ..
        } = outcome
            // The project as it is now: read again unless that happened
            // since this push was signed, so a burst of refusals costs at
            // most one query per push then in flight.
            && let Ok((current, previous)) = self
                .signers_loaded_since(&d.project_id, Some(signed))
                .await
        {
            if !Arc::ptr_eq(&current, &signer) {
                // Signed with a key `herald vapid rotate` has replaced since
                // it was cached: the next attempt uses the new one.
                tracing::info!(
                    origin,
                    status,
                    delivery = d.id,
                    "the push service refused a key the project has since rotated; retrying with the new key"
                );
                return Ok((status, Outcome::Retry));
            }
            if let (Some(previous), Some(body)) = (previous, spare) {
                // Made with the key the last rotation replaced (its browser
                // has not loaded the site since): sign with that one.
                let Some(again) = self.post_signed(d, origin, &previous, body).await? else {
                    return Ok((0, Outcome::Retry));
                };
                response = again;
                status = response.status().as_u16();
                outcome = push::outcome(status, response.headers(), SystemTime::now());
            }
        }
        if let Outcome::Failed { vapid_problem, .. } = outcome {
            let text = response.text().await.unwrap_or_default();
            let text: String = text.chars().take(300).collect();
            if vapid_problem {
                tracing::warn!(origin, status, response = %text, "push service refused Herald's VAPID credentials; check the project's key and --vapid-subject");
            } else {
                tracing::warn!(origin, status, response = %text, delivery = d.id, "push service refused a message");
            }
        }
        Ok((status, outcome))
    }

    /// POSTs the encrypted `body` signed by `signer`; `None` when the push
    /// service could not be reached (worth a retry).
    async fn post_signed(
        &self,
        d: &Claimed,
        origin: &str,
        signer: &Signer,
        body: Vec<u8>,
    ) -> Result<Option<reqwest::Response>, Problem> {
        let authorization = self
            .tokens
            .authorization(signer, origin, &self.config.subject)
            .map_err(Problem::Transient)?;
        let ttl = u64::try_from((d.expires_at - now_ms()) / 1000).unwrap_or(0);
        let request = push::request(Message {
            endpoint: d.endpoint.expose(),
            ttl,
            urgency: d.urgency.as_deref(),
            topic: d.topic.as_deref(),
            authorization: &authorization,
            body,
        })
        .map_err(|e| Problem::Message(e.to_string()))?;
        let request = reqwest::Request::try_from(request)
            .map_err(|e| Problem::Message(e.without_url().to_string()))?;
        match self.client.execute(request).await {
            Ok(response) => Ok(Some(response)),
            Err(e) => {
                // reqwest puts the URL in its errors; the endpoint must not be logged.
                tracing::debug!(origin, delivery = d.id, error = %e.without_url(), "push attempt failed; will retry");
                Ok(None)
            }
        }
    }

    fn record_for(&self, d: &Claimed, (status, outcome): (u16, Outcome)) -> Record {
        let now = now_ms();
        let retry_at = |delay: Duration| {
            let at = now + delay.as_millis() as i64;
            if d.attempt >= i64::from(self.config.max_attempts) {
                Record::Failed { status }
            } else if at >= d.expires_at {
                Record::Expired
            } else {
                Record::Retry { status, at }
            }
        };
        match outcome {
            Outcome::Sent => Record::Sent { status },
            Outcome::Gone => Record::Gone {
                status,
                subscription_id: d.subscription_id,
            },
            Outcome::Failed { status, .. } => Record::Failed { status },
            Outcome::RetryAfter(delay) => retry_at(delay),
            Outcome::Retry => {
                let jitter = f64::from(
                    SystemTime::now()
                        .duration_since(SystemTime::UNIX_EPOCH)
                        .map_or(0, |d| d.subsec_nanos())
                        % 1000,
                ) / 1000.0;
                let attempt = u32::try_from(d.attempt).unwrap_or(u32::MAX);
                retry_at(push::backoff(
                    attempt,
                    self.config.retry_base,
                    self.config.retry_cap,
                    jitter,
                ))
            }
        }
    }
}

/// Why a push could not be made.
enum Problem {
    /// Something about this message or subscription: retrying won't help.
    Message(String),
    /// Something passing (the database): try again later.
    Transient(anyhow::Error),
}
