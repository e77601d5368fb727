//! Which push services Herald will POST to.
//!
//! A browser hands Herald its subscription's endpoint, and the delivery
//! engine later POSTs to it: without a check, any page could aim Herald at
//! `https://10.0.0.1/`, a cloud metadata service or any host on the
//! internet (server-side request forgery). So, like Pushpad, Herald accepts
//! only the push services browsers use, and the operator adds others
//! (self-hosted autopush, the test peer) with `--push-service PATTERN`.
//!
//! Two checks, at two times:
//! - When an endpoint arrives (and again before each push), its URL must
//!   match a pattern: `https`, or `http` where the pattern says `http://`
//!   or names a loopback host.
//! - When the engine connects, the host's addresses are resolved again and
//!   private, loopback, link-local, multicast and other special addresses
//!   are dropped (a DNS answer can change after the first check: DNS
//!   rebinding), unless the operator named this exact host or address in a
//!   pattern (no wildcard). Redirects are never followed.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

/// The push services of the browsers Herald supports (all on port 443):
/// Chrome, Edge's Chromium, Opera, Samsung Internet and other Chromium
/// browsers use FCM; Firefox uses Mozilla's autopush; Safari uses Apple's
/// service; legacy Edge uses WNS.
pub const DEFAULTS: &[&str] = &[
    "fcm.googleapis.com:443",
    "updates.push.services.mozilla.com:443",
    "*.push.apple.com:443",
    "*.notify.windows.com:443",
];

/// A host pattern: a name, `*.` a domain (any subdomain, not the domain
/// itself), or an IP address; optionally a port and an `http://` prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pattern {
    host: Host,
    port: Option<u16>,
    /// Plain http allowed (the pattern said `http://`).
    http: bool,
    /// Given by the operator rather than built in.
    operator: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Host {
    Name(String),
    Suffix(String),
    Ip(IpAddr),
}

impl Pattern {
    fn parse(text: &str, operator: bool) -> Result<Self, String> {
        let bad = || {
            format!(
                "--push-service {text:?} must be a host (push.example.com), *.domain, or an IP address, with an optional :port and http:// prefix"
            )
        };
        let (http, rest) = match text.trim() {
            t if t.starts_with("http://") => (true, &t[7..]),
            t if t.starts_with("https://") => (false, &t[8..]),
            t => (false, t),
        };
        let rest = rest.trim_end_matches('/');
        if rest.is_empty() || rest.contains(['/', '?', '#', '@']) {
            return Err(bad());
        }
        let wildcard = rest.starts_with("*.");
        let host_part = if wildcard { &rest[2..] } else { rest };
        // Let the URL parser split host and port and normalise the host.
        let url = url::Url::parse(&format!("http://{host_part}")).map_err(|_| bad())?;
        let port = url.port();
        let plain = |d: &str| {
            !d.is_empty()
                && !d.starts_with('.')
                && d.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        };
        let host = match url.host() {
            Some(url::Host::Domain(d)) if !plain(d) => return Err(bad()),
            Some(url::Host::Domain(d)) if wildcard => Host::Suffix(d.trim_end_matches('.').into()),
            Some(url::Host::Domain(d)) => Host::Name(d.trim_end_matches('.').into()),
            Some(url::Host::Ipv4(ip)) if !wildcard => Host::Ip(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) if !wildcard => Host::Ip(IpAddr::V6(ip)),
            _ => return Err(bad()),
        };
        Ok(Self {
            host,
            port,
            http,
            operator,
        })
    }

    fn matches(&self, host: &url::Host<&str>, port: u16) -> bool {
        self.port.is_none_or(|p| p == port) && self.matches_host(host)
    }

    fn matches_host(&self, host: &url::Host<&str>) -> bool {
        match (&self.host, host) {
            (Host::Name(n), url::Host::Domain(d)) => n == d.trim_end_matches('.'),
            (Host::Suffix(s), url::Host::Domain(d)) => d
                .trim_end_matches('.')
                .strip_suffix(s.as_str())
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
            (Host::Ip(ip), url::Host::Ipv4(v4)) => *ip == IpAddr::V4(*v4),
            (Host::Ip(ip), url::Host::Ipv6(v6)) => *ip == IpAddr::V6(*v6),
            _ => false,
        }
    }

    /// Whether this pattern lets its host reach private addresses: only an
    /// operator's pattern that names one host exactly.
    fn trusts_private(&self) -> bool {
        self.operator && !matches!(self.host, Host::Suffix(_))
    }

    fn shown(&self) -> String {
        let host = match &self.host {
            Host::Name(n) => n.clone(),
            Host::Suffix(s) => format!("*.{s}"),
            Host::Ip(IpAddr::V6(ip)) => format!("[{ip}]"),
            Host::Ip(ip) => ip.to_string(),
        };
        match self.port {
            Some(443) | None => host,
            Some(p) => format!("{host}:{p}"),
        }
    }
}

/// The push services Herald may deliver to.
#[derive(Debug, Clone)]
pub struct PushServices {
    patterns: Arc<Vec<Pattern>>,
}

impl Default for PushServices {
    fn default() -> Self {
        Self::new(&[], true).unwrap_or_else(|_| unreachable!("the defaults parse"))
    }
}

/// Why an endpoint was refused; the message is for the browser's developer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// No pattern matches the host.
    #[error(
        "{0} is not a known push service ({1}); the server's operator can allow others with --push-service"
    )]
    UnknownHost(String, String),
    /// The host matches, but only over https.
    #[error("must be an https URL (plain http only where the server's operator allows it)")]
    NotHttps,
    /// No host at all.
    #[error("must name a host")]
    NoHost,
}

impl PushServices {
    /// The built-in services (unless `defaults` is false) plus the
    /// operator's patterns.
    pub fn new(operator: &[String], defaults: bool) -> Result<Self, String> {
        let mut patterns = Vec::new();
        if defaults {
            for d in DEFAULTS {
                patterns.push(Pattern::parse(d, false)?);
            }
        }
        for p in operator {
            patterns.push(Pattern::parse(p, true)?);
        }
        Ok(Self {
            patterns: Arc::new(patterns),
        })
    }

    fn matching(&self, url: &url::Url) -> Option<&Pattern> {
        let host = url.host()?;
        let port = url.port_or_known_default()?;
        self.patterns.iter().find(|p| p.matches(&host, port))
    }

    /// Whether Herald may POST to `url`.
    pub fn check(&self, url: &url::Url) -> Result<(), Refused> {
        let Some(host) = url.host() else {
            return Err(Refused::NoHost);
        };
        let Some(pattern) = self.matching(url) else {
            let known = self
                .patterns
                .iter()
                .map(Pattern::shown)
                .collect::<Vec<_>>()
                .join(", ");
            return Err(Refused::UnknownHost(host.to_string(), known));
        };
        match url.scheme() {
            "https" => Ok(()),
            "http" if pattern.http || is_loopback_host(&host) && pattern.operator => Ok(()),
            _ => Err(Refused::NotHttps),
        }
    }

    /// Whether a connection to `host` may use this address.
    pub fn may_connect(&self, host: &str, ip: IpAddr) -> bool {
        if is_public(ip) {
            return true;
        }
        let Ok(url) = url::Url::parse(&format!("https://{host}")) else {
            return false;
        };
        let Some(host) = url.host() else { return false };
        self.patterns
            .iter()
            .any(|p| p.trusts_private() && p.matches_host(&host))
    }

    /// A DNS resolver for the delivery engine's HTTP client that applies
    /// [`PushServices::may_connect`] to every address.
    pub fn resolver(&self) -> Arc<Resolver> {
        Arc::new(Resolver {
            services: self.clone(),
        })
    }
}

fn is_loopback_host(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}

/// Whether `ip` is an ordinary internet address: not private, loopback,
/// link-local (cloud metadata lives at 169.254.169.254 and fd00:ec2::254),
/// shared, multicast, documentation, benchmarking or reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            let s = v6.segments();
            let special = v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7
                || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10
                || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
                || (s[0] == 0x0064 && s[1] == 0xff9b) // NAT64: reaches IPv4 hosts
                || (s[0] == 0x2002) // 6to4: embeds an IPv4 address
                || (s[0] == 0x2001 && s[1] == 0) // Teredo
                || s[..6] == [0; 6]; // IPv4-compatible ::a.b.c.d
            !special
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || a == 0
        || ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || (a == 100 && (b & 0xc0) == 64) // shared 100.64.0.0/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b & 0xfe) == 18) // benchmarking 198.18.0.0/15
        || a >= 240) // reserved
}

/// Resolves push-service hosts, keeping only addresses Herald may use.
pub struct Resolver {
    services: PushServices,
}

impl reqwest::dns::Resolve for Resolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let services = self.services.clone();
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|addr| services.may_connect(&host, addr.ip()))
                .collect();
            if found.is_empty() {
                return Err(format!(
                    "{host} has no address Herald may connect to (private, loopback and link-local addresses need --push-service {host})"
                )
                .into());
            }
            Ok(Box::new(found.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(services: &PushServices, url: &str) -> Result<(), Refused> {
        services.check(&url::Url::parse(url).expect("url"))
    }

    #[test]
    fn by_default_only_the_browsers_push_services_are_accepted() {
        let s = PushServices::default();
        for ok in [
            "https://fcm.googleapis.com/fcm/send/abc",
            "https://updates.push.services.mozilla.com/wpush/v2/abc",
            "https://web.push.apple.com/QGx",
            "https://wns2-by3p.notify.windows.com/w/?token=x",
        ] {
            assert_eq!(check(&s, ok), Ok(()), "{ok}");
        }
        for refused in [
            "https://10.0.0.1/x",
            "https://metadata.google.internal/computeMetadata/v1/",
            "https://localhost:22/x",
            "https://push.apple.com/x",
            "https://evilpush.apple.com.attacker.net/x",
            "https://fcm.googleapis.com:8443/x",
            "https://example.com/x",
            "http://fcm.googleapis.com/x",
            "http://127.0.0.1:9/x",
        ] {
            assert!(check(&s, refused).is_err(), "{refused}");
        }
        let message = check(&s, "https://10.0.0.1/x")
            .expect_err("refused")
            .to_string();
        assert!(message.starts_with("10.0.0.1 is not a known push service (fcm.googleapis.com,"));
    }

    #[test]
    fn operator_patterns_add_hosts_ports_and_plain_http() {
        let s = PushServices::new(
            &[
                "127.0.0.1".into(),
                "*.push.example".into(),
                "http://autopush.lan:8082".into(),
            ],
            true,
        )
        .expect("patterns");
        assert_eq!(check(&s, "http://127.0.0.1:4321/x"), Ok(()));
        assert_eq!(check(&s, "https://a.push.example/x"), Ok(()));
        assert_eq!(check(&s, "http://autopush.lan:8082/x"), Ok(()));
        assert_eq!(check(&s, "http://a.push.example/x"), Err(Refused::NotHttps));
        assert!(check(&s, "http://autopush.lan:8083/x").is_err());
        assert!(check(&s, "https://push.example/x").is_err());
        assert_eq!(check(&s, "https://fcm.googleapis.com/x"), Ok(()));
        let only = PushServices::new(&["push.example".into()], false).expect("patterns");
        assert!(check(&only, "https://fcm.googleapis.com/x").is_err());
        for bad in ["", "*", "*.", "https://a/b", "user@host", "*.1.2.3.4"] {
            assert!(PushServices::new(&[bad.into()], true).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn private_addresses_need_an_exact_operator_pattern() {
        let s = PushServices::new(&["autopush.lan".into(), "*.corp.example".into()], true)
            .expect("patterns");
        let private: IpAddr = "10.1.2.3".parse().expect("ip");
        let public: IpAddr = "142.250.1.1".parse().expect("ip");
        assert!(s.may_connect("autopush.lan", private));
        assert!(!s.may_connect("x.corp.example", private));
        assert!(!s.may_connect("fcm.googleapis.com", private));
        assert!(s.may_connect("fcm.googleapis.com", public));
    }

    #[test]
    fn special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "198.18.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "2002:a00:1::",
            "ff02::1",
        ] {
            assert!(!is_public(ip.parse().expect("ip")), "{ip}");
        }
        for ip in ["142.250.1.1", "2a00:1450:4001::200e", "::ffff:8.8.8.8"] {
            assert!(is_public(ip.parse().expect("ip")), "{ip}");
        }
    }

    #[tokio::test]
    async fn the_resolver_drops_addresses_a_host_may_not_use() {
        use reqwest::dns::Resolve;
        let name = || "localhost".parse::<reqwest::dns::Name>().expect("name");
        let defaults = PushServices::default().resolver();
        let refused = match defaults.resolve(name()).await {
            Ok(_) => panic!("localhost resolved for the defaults"),
            Err(e) => e.to_string(),
        };
        assert!(
            refused.contains("no address Herald may connect to"),
            "{refused}"
        );
        let operator = PushServices::new(&["localhost".into()], true)
            .expect("patterns")
            .resolver();
        let found: Vec<SocketAddr> = operator.resolve(name()).await.expect("allowed").collect();
        assert!(!found.is_empty() && found.iter().all(|a| a.ip().is_loopback()));
    }
}
