//! RFC 8291 (Message Encryption for Web Push) decryption of an RFC 8188
//! `aes128gcm` body, written on RustCrypto primitives (p256 ECDH, HKDF-SHA-256,
//! AES-128-GCM) so that it is an independent check of the server's encryption.

use aes_gcm::aead::Aead;
use aes_gcm::{Aes128Gcm, KeyInit, Nonce};
use hkdf::Hkdf;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use sha2::Sha256;

/// Length of the salt at the start of the `aes128gcm` header.
pub const SALT_LEN: usize = 16;
/// Length of an uncompressed P-256 public key (`0x04 || X || Y`).
pub const PUBLIC_KEY_LEN: usize = 65;
/// Length of the AES-GCM authentication tag.
pub const TAG_LEN: usize = 16;
/// Fixed part of the `aes128gcm` header: salt, record size (u32) and key id length (u8).
pub const HEADER_LEN: usize = SALT_LEN + 4 + 1;
/// The padding delimiter that ends the last (and, for Web Push, only) record.
pub const LAST_RECORD_DELIMITER: u8 = 0x02;

/// The parsed `aes128gcm` content-coding header (RFC 8188 section 2.1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// Random salt chosen by the sender.
    pub salt: [u8; SALT_LEN],
    /// Record size.
    pub rs: u32,
    /// Key id: for Web Push the sender's ephemeral uncompressed public key.
    pub keyid: Vec<u8>,
}

/// Splits a body into its header and the ciphertext after it.
pub fn parse_header(body: &[u8]) -> Result<(Header, &[u8]), String> {
    if body.len() < HEADER_LEN {
        return Err(format!(
            "body of {} bytes is shorter than the {HEADER_LEN}-byte aes128gcm header",
            body.len()
        ));
    }
    let (salt_bytes, rest) = body.split_at(SALT_LEN);
    let (rs_bytes, rest) = rest.split_at(4);
    let (idlen, rest) = rest.split_at(1);
    let idlen = usize::from(idlen[0]);
    if rest.len() < idlen {
        return Err(format!(
            "key id length {idlen} runs past the end of the body"
        ));
    }
    let (keyid, ciphertext) = rest.split_at(idlen);
    let mut salt = [0u8; SALT_LEN];
    salt.copy_from_slice(salt_bytes);
    let rs = u32::from_be_bytes([rs_bytes[0], rs_bytes[1], rs_bytes[2], rs_bytes[3]]);
    Ok((
        Header {
            salt,
            rs,
            keyid: keyid.to_vec(),
        },
        ciphertext,
    ))
}

/// The content-encryption key and nonce of an RFC 8291 message.
struct Keys {
    cek: [u8; 16],
    nonce: [u8; 12],
}

/// Runs the RFC 8291 section 3.4 key schedule from the ECDH shared secret.
fn derive_keys(
    ecdh_secret: &[u8],
    auth_secret: &[u8],
    ua_public: &[u8],
    as_public: &[u8],
    salt: &[u8],
) -> Result<Keys, String> {
    // PRK_key = HKDF-Extract(salt=auth_secret, IKM=ecdh_secret)
    // IKM = HKDF-Expand(PRK_key, "WebPush: info" || 0x00 || ua_public || as_public, 32)
    let prk_key = Hkdf::<Sha256>::new(Some(auth_secret), ecdh_secret);
    let mut ikm = [0u8; 32];
    prk_key
        .expand_multi_info(&[b"WebPush: info\0", ua_public, as_public], &mut ikm)
        .map_err(|e| format!("HKDF expand of IKM: {e}"))?;
    // PRK = HKDF-Extract(salt, IKM); CEK and NONCE from it.
    let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let mut cek = [0u8; 16];
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
        .map_err(|e| format!("HKDF expand of CEK: {e}"))?;
    let mut nonce = [0u8; 12];
    prk.expand(b"Content-Encoding: nonce\0", &mut nonce)
        .map_err(|e| format!("HKDF expand of nonce: {e}"))?;
    Ok(Keys { cek, nonce })
}

/// Parses a raw 32-byte P-256 private scalar.
pub(crate) fn secret_key(bytes: &[u8]) -> Result<SecretKey, String> {
    if bytes.len() != 32 {
        return Err(format!("private key is {} bytes, not 32", bytes.len()));
    }
    SecretKey::from_slice(bytes).map_err(|_| "private key is not a valid P-256 scalar".to_string())
}

/// Parses an uncompressed 65-byte P-256 public key.
pub(crate) fn public_key(bytes: &[u8], what: &str) -> Result<PublicKey, String> {
    if bytes.len() != PUBLIC_KEY_LEN || bytes[0] != 0x04 {
        return Err(format!(
            "{what} is not an uncompressed P-256 point ({} bytes)",
            bytes.len()
        ));
    }
    PublicKey::from_sec1_bytes(bytes).map_err(|_| format!("{what} is not on the P-256 curve"))
}

/// The uncompressed (65-byte) encoding of a public key.
pub(crate) fn encode_public(key: &PublicKey) -> Vec<u8> {
    key.to_encoded_point(false).as_bytes().to_vec()
}

/// Decrypts an RFC 8291 `aes128gcm` Web Push body.
///
/// `ua_private` is the subscriber's raw 32-byte P-256 private key, `ua_public` its
/// 65-byte uncompressed public key (the subscription's `p256dh`), `auth_secret`
/// the subscription's 16-byte `auth`. The body must be a single record whose
/// padding ends with the last-record delimiter `0x02`. Any failure is an `Err`
/// with a reason; this function does not panic on hostile input.
pub fn decrypt(
    ua_private: &[u8],
    ua_public: &[u8],
    auth_secret: &[u8],
    body: &[u8],
) -> Result<Vec<u8>, String> {
    let ua_secret = secret_key(ua_private)?;
    let ua_public_key = public_key(ua_public, "subscriber public key")?;
    if ua_secret.public_key() != ua_public_key {
        return Err("subscriber public key does not belong to the private key".to_string());
    }
    if auth_secret.len() != 16 {
        return Err(format!(
            "auth secret is {} bytes, not 16",
            auth_secret.len()
        ));
    }

    let (header, ciphertext, as_public_key) = check_shape(body)?;

    let shared =
        p256::ecdh::diffie_hellman(ua_secret.to_nonzero_scalar(), as_public_key.as_affine());
    let keys = derive_keys(
        &shared.raw_secret_bytes()[..],
        auth_secret,
        ua_public,
        &header.keyid,
        &header.salt,
    )?;
    let cipher = Aes128Gcm::new_from_slice(&keys.cek).map_err(|e| format!("AES key: {e}"))?;
    let padded = cipher
        .decrypt(&Nonce::from(keys.nonce), ciphertext)
        .map_err(|_| "AES-GCM authentication failed (wrong keys or tampered body)".to_string())?;
    strip_padding(padded)
}

/// Checks what can be checked without the subscriber's keys: the header parses,
/// the key id is a P-256 point, and the ciphertext is one record of a valid size.
/// Returns the header, the ciphertext and the sender's public key.
pub fn check_shape(body: &[u8]) -> Result<(Header, &[u8], PublicKey), String> {
    let (header, ciphertext) = parse_header(body)?;
    let as_public_key = public_key(&header.keyid, "key id (sender public key)")?;
    let rs = usize::try_from(header.rs).map_err(|_| "record size does not fit".to_string())?;
    if rs < TAG_LEN + 2 {
        return Err(format!("record size {rs} is below the minimum of 18"));
    }
    if ciphertext.len() > rs {
        return Err(format!(
            "ciphertext of {} bytes is more than one record of {rs} bytes",
            ciphertext.len()
        ));
    }
    if ciphertext.len() < TAG_LEN + 1 {
        return Err(format!(
            "ciphertext of {} bytes is too short for a tag and a padding delimiter",
            ciphertext.len()
        ));
    }
    Ok((header, ciphertext, as_public_key))
}

/// Removes RFC 8188 padding: trailing zeros, then the `0x02` last-record delimiter.
fn strip_padding(mut padded: Vec<u8>) -> Result<Vec<u8>, String> {
    let Some(end) = padded.iter().rposition(|&b| b != 0) else {
        return Err("record has no padding delimiter (all zero)".to_string());
    };
    match padded[end] {
        LAST_RECORD_DELIMITER => {
            padded.truncate(end);
            Ok(padded)
        }
        0x01 => Err("padding delimiter 0x01 marks a non-final record; expected one record".into()),
        other => Err(format!("padding delimiter is 0x{other:02x}, expected 0x02")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::b64;
    use crate::testkit;

    const PLAINTEXT: &str = "When I grow up, I want to be a watermelon";
    const UA_PRIVATE: &str = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
    const UA_PUBLIC: &str =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    const AS_PRIVATE: &str = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
    const AUTH: &str = "BTBZMqHH6r4Tts7J_aSIgg";
    const SALT: &str = "DGv6ra1nlYgDCS1FRnbzlw";
    const BODY: &str = "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

    fn d(s: &str) -> Vec<u8> {
        b64::decode(s).expect("test vector is base64url")
    }

    fn rfc_decrypt(body: &[u8]) -> Result<Vec<u8>, String> {
        decrypt(&d(UA_PRIVATE), &d(UA_PUBLIC), &d(AUTH), body)
    }

    #[test]
    fn rfc8291_appendix_a_decrypts() {
        let plaintext = rfc_decrypt(&d(BODY)).expect("RFC 8291 example decrypts");
        assert_eq!(plaintext, PLAINTEXT.as_bytes());
    }

    #[test]
    fn rfc8291_header_fields() {
        let body = d(BODY);
        let (header, ciphertext) = parse_header(&body).expect("header parses");
        assert_eq!(header.salt.to_vec(), d(SALT));
        assert_eq!(header.rs, 4096);
        assert_eq!(header.keyid.len(), PUBLIC_KEY_LEN);
        assert_eq!(ciphertext.len(), PLAINTEXT.len() + 1 + TAG_LEN);
    }

    #[test]
    fn test_encryptor_reproduces_rfc8291_body() {
        // Checks the test-only encryptor used by the HTTP tests against the RFC.
        let salt: [u8; 16] = d(SALT).try_into().expect("16-byte salt");
        let body = testkit::encrypt_with(
            &d(UA_PUBLIC),
            &d(AUTH),
            PLAINTEXT.as_bytes(),
            &d(AS_PRIVATE),
            salt,
            4096,
        );
        assert_eq!(b64::encode(&body), BODY);
    }

    #[test]
    fn tampered_byte_fails() {
        let body = d(BODY);
        // Flip one bit in every position in turn: salt, idlen, key id, ciphertext, tag.
        // The record size is not an input to the keys (RFC 8188), so a larger one is harmless.
        for i in (0..body.len()).filter(|i| !(16..20).contains(i)) {
            let mut tampered = body.clone();
            tampered[i] ^= 0x01;
            assert!(
                rfc_decrypt(&tampered).is_err(),
                "byte {i} tampered but decrypted"
            );
        }
    }

    #[test]
    fn truncated_body_fails() {
        let body = d(BODY);
        for len in 0..body.len() {
            assert!(
                rfc_decrypt(&body[..len]).is_err(),
                "truncated to {len} but decrypted"
            );
        }
        let mut longer = body.clone();
        longer.push(0);
        assert!(rfc_decrypt(&longer).is_err(), "extra byte accepted");
    }

    #[test]
    fn wrong_auth_fails() {
        let mut auth = d(AUTH);
        auth[0] ^= 0x80;
        let err = decrypt(&d(UA_PRIVATE), &d(UA_PUBLIC), &auth, &d(BODY))
            .expect_err("wrong auth must fail");
        assert!(err.contains("authentication failed"), "{err}");
        assert!(decrypt(&d(UA_PRIVATE), &d(UA_PUBLIC), &auth[..15], &d(BODY)).is_err());
    }

    #[test]
    fn wrong_keys_fail() {
        let other = testkit::KeyPair::generate();
        assert!(decrypt(&other.private, &d(UA_PUBLIC), &d(AUTH), &d(BODY)).is_err());
        assert!(decrypt(&other.private, &other.public, &d(AUTH), &d(BODY)).is_err());
        assert!(decrypt(&[0u8; 32], &d(UA_PUBLIC), &d(AUTH), &d(BODY)).is_err());
        assert!(decrypt(&d(UA_PRIVATE), &d(UA_PUBLIC)[..64], &d(AUTH), &d(BODY)).is_err());
    }

    #[test]
    fn padding_rules() {
        let ua = testkit::KeyPair::generate();
        let auth = [7u8; 16];
        // Padding after the delimiter is fine.
        let padded = testkit::encrypt_padded(&ua.public, &auth, b"hi", 100, LAST_RECORD_DELIMITER);
        assert_eq!(
            decrypt(&ua.private, &ua.public, &auth, &padded).expect("padded decrypts"),
            b"hi"
        );
        // A non-final delimiter (0x01) or a missing one is refused.
        let non_final = testkit::encrypt_padded(&ua.public, &auth, b"hi", 0, 0x01);
        assert!(decrypt(&ua.private, &ua.public, &auth, &non_final).is_err());
        let zeros = testkit::encrypt_padded(&ua.public, &auth, b"", 5, 0x00);
        assert!(decrypt(&ua.private, &ua.public, &auth, &zeros).is_err());
    }
}
