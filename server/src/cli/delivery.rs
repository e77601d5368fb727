//! The delivery engine's flags, shared by `herald serve` and `herald send`.

use crate::webpush::services::PushServices;

/// Delivery engine settings (`herald serve`, `herald send`).
#[derive(clap::Args, Debug, Clone)]
pub struct DeliveryArgs {
    /// VAPID contact sent to push services: a mailto: or https: URL.
    #[arg(
        long,
        env = "HERALD_VAPID_SUBJECT",
        default_value = "mailto:admin@localhost"
    )]
    vapid_subject: String,
    /// Pushes in flight at once, in total.
    #[arg(long, default_value_t = 512)]
    concurrency: usize,
    /// Pushes in flight at once per push-service origin.
    #[arg(long, default_value_t = 128)]
    per_origin_concurrency: usize,
    /// Attempts before a delivery counts as failed.
    #[arg(long, default_value_t = 8)]
    max_attempts: u32,
    /// Seconds a claimed delivery stays reserved for its worker.
    #[arg(long, default_value_t = 120)]
    lease_seconds: u64,
    /// Seconds before one push request gives up.
    #[arg(long, default_value_t = 30)]
    request_timeout_seconds: u64,
    /// First retry delay in milliseconds after a 5xx or network error.
    #[arg(long, default_value_t = 1000)]
    retry_base_ms: u64,
    /// Another push service subscriptions may use (repeatable): a host
    /// (`push.example.com`), `*.domain`, or an IP address, optionally with
    /// `:port`, and `http://` to allow plain http. Only a pattern naming one
    /// host or address exactly lets it reach private or loopback addresses.
    /// Built in: FCM, Mozilla, Apple and Windows push services.
    #[arg(long = "push-service", value_name = "HOST_PATTERN")]
    push_services: Vec<String>,
    /// Accept only the `--push-service` patterns, not the built-in services.
    #[arg(long)]
    no_default_push_services: bool,
}

impl DeliveryArgs {
    pub fn config(&self) -> anyhow::Result<crate::delivery::Config> {
        anyhow::ensure!(
            self.vapid_subject.starts_with("mailto:") || self.vapid_subject.starts_with("https:"),
            "--vapid-subject must be a mailto: or https: URL"
        );
        Ok(crate::delivery::Config {
            subject: self.vapid_subject.clone(),
            concurrency: self.concurrency.max(1),
            per_origin: self.per_origin_concurrency.max(1),
            max_attempts: self.max_attempts.max(1),
            lease: std::time::Duration::from_secs(self.lease_seconds.max(1)),
            request_timeout: std::time::Duration::from_secs(self.request_timeout_seconds.max(1)),
            retry_base: std::time::Duration::from_millis(self.retry_base_ms.max(1)),
            push_services: PushServices::new(&self.push_services, !self.no_default_push_services)
                .map_err(anyhow::Error::msg)?,
            ..Default::default()
        })
    }
}
