//! The encoder against the `web-push` crate (the reference), both decrypted
//! by the test peer's own RFC 8291 code.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use web_push::{ContentEncoding, SubscriptionInfo, WebPushMessageBuilder};

#[test]
fn herald_and_the_web_push_crate_encrypt_what_an_independent_decryptor_recovers() {
    let private = loop {
        let bytes = herald::secret::random_bytes(32).expect("random");
        if let Ok(key) = p256::SecretKey::from_slice(&bytes) {
            break key;
        }
    };
    let public = private
        .public_key()
        .to_encoded_point(false)
        .as_bytes()
        .to_vec();
    let auth = herald::secret::random_bytes(16).expect("random");
    let plaintext = br#"{"id":1,"delivery":2,"title":"Grapefruit","body":"in season"}"#;

    let ours =
        herald::webpush::crypto::encrypt(&public, &auth, plaintext).expect("herald encrypts");
    let info = SubscriptionInfo::new(
        "https://push.example/x".to_string(),
        URL_SAFE_NO_PAD.encode(&public),
        URL_SAFE_NO_PAD.encode(&auth),
    );
    let mut builder = WebPushMessageBuilder::new(&info);
    builder.set_payload(ContentEncoding::Aes128Gcm, plaintext);
    let reference = builder
        .build()
        .expect("web-push builds")
        .payload
        .expect("payload")
        .content;

    let private_bytes = private.to_bytes();
    for (who, body) in [("herald", &ours), ("web-push", &reference)] {
        let decrypted = push_peer::ece::decrypt(&private_bytes, &public, &auth, body)
            .unwrap_or_else(|e| panic!("{who}'s message does not decrypt: {e}"));
        assert_eq!(decrypted, plaintext, "{who}");
    }
    // Fresh salt and key every time: the same plaintext never encrypts alike.
    let again = herald::webpush::crypto::encrypt(&public, &auth, plaintext).expect("again");
    assert_ne!(again, ours);
}
