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
    /// Seconds a claimed delivery stays reserved for its node at most (a
    /// node that stops beating loses its leases after 3 s anyway).
    #[arg(long, default_value_t = 120)]
    lease_seconds: u64,
    /// Seconds before one push request gives up.
    #[arg(long, default_value_t = 10)]
    request_timeout_seconds: u64,
    /// Milliseconds after which an unanswered push gives its push-service
    /// slot to the next one (it waits on in a slow lane a quarter the size
    /// of --per-origin-concurrency, or is retried later when that is full).
    #[arg(long, default_value_t = 500)]
    slow_push_ms: u64,
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
    /// This node's name on the deliveries it leases: keep it the same across
    /// restarts and different on every node (default: the host name and the
    /// port `serve` listens on). A restarted node takes back at once what
    /// its previous run held; two processes must never share one.
    #[arg(long, env = "HERALD_NODE_ID")]
    node_id: Option<String>,
}

impl DeliveryArgs {
    /// The engine's settings; `default_node` names this node unless
    /// `--node-id` does.
    pub fn config(&self, default_node: &str) -> anyhow::Result<crate::delivery::Config> {
        let node_id = self
            .node_id
            .clone()
            .unwrap_or_else(|| default_node.to_string());
        anyhow::ensure!(
            !node_id.is_empty() && node_id.len() <= 200 && !node_id.chars().any(char::is_control),
            "--node-id must be 1 to 200 characters, none of them control characters"
        );
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
            slow_push: std::time::Duration::from_millis(self.slow_push_ms.max(1)),
            push_services: PushServices::new(&self.push_services, !self.no_default_push_services)
                .map_err(anyhow::Error::msg)?,
            node_id,
            ..Default::default()
        })
    }
}

/// This machine's name, for default node ids.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "herald".into())
}
