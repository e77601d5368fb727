//! Building the HTTP request for one push message, without I/O: the RFC 8030
//! headers (TTL, urgency, topic), the aes128gcm body and the RFC 8292
//! authorization. The engine sends it, so this is testable without a network.

use http::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE};

/// What the push service needs besides the encrypted body.
pub struct Message<'a> {
    /// The subscription's endpoint.
    pub endpoint: &'a str,
    /// Seconds the push service should keep the message.
    pub ttl: u64,
    /// `very-low`, `low`, `normal` or `high`.
    pub urgency: Option<&'a str>,
    /// Collapse key: a newer message with the same topic replaces this one.
    pub topic: Option<&'a str>,
    /// `vapid t=…, k=…`.
    pub authorization: &'a str,
    /// The aes128gcm body.
    pub body: Vec<u8>,
}

/// Builds the POST to the endpoint.
pub fn request(message: Message<'_>) -> Result<http::Request<Vec<u8>>, http::Error> {
    let mut builder = http::Request::post(message.endpoint)
        .header("ttl", message.ttl.to_string())
        .header(CONTENT_ENCODING, "aes128gcm")
        .header(CONTENT_TYPE, "application/octet-stream")
        .header(AUTHORIZATION, message.authorization);
    if let Some(urgency) = message.urgency {
        builder = builder.header("urgency", urgency);
    }
    if let Some(topic) = message.topic {
        builder = builder.header("topic", topic);
    }
    builder.body(message.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_carry_the_rfc8030_headers() {
        let req = request(Message {
            endpoint: "https://push.example/x",
            ttl: 60,
            urgency: Some("high"),
            topic: Some("scores"),
            authorization: "vapid t=a.b.c, k=K",
            body: vec![1, 2, 3],
        })
        .expect("request");
        assert_eq!(req.headers()["ttl"], "60");
        assert_eq!(req.headers()["urgency"], "high");
        assert_eq!(req.headers()["topic"], "scores");
        assert_eq!(req.headers()["content-encoding"], "aes128gcm");
        assert_eq!(req.headers()["authorization"], "vapid t=a.b.c, k=K");
        assert_eq!(req.body(), &vec![1, 2, 3]);
    }
}
