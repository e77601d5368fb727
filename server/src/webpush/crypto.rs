//! Message encryption for Web Push: `aes128gcm` (RFC 8188) keyed as RFC 8291
//! says, on aws-lc-rs (the hot path: one ECDH and one AES-GCM per message).
//!
//! The output is a single record: `salt(16) || rs(4) || idlen(1) ||
//! keyid(65: our ephemeral public key) || ciphertext || tag(16)`, where the
//! plaintext is followed by the 0x02 "last record" delimiter.

use aws_lc_rs::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::agreement::{self, ECDH_P256, PrivateKey, UnparsedPublicKey};
use aws_lc_rs::hkdf::{HKDF_SHA256, KeyType, Prk, Salt};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};

/// Bytes the encryption adds to a plaintext: the header (86), the record
/// delimiter (1) and the GCM tag (16).
pub const OVERHEAD: usize = 16 + 4 + 1 + 65 + 1 + 16;
/// The largest body push services must accept (RFC 8030 §7.2).
pub const MAX_BODY: usize = 4096;
/// Record size announced in the header.
const RECORD_SIZE: u32 = 4096;

/// Why a message could not be encrypted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EncryptError {
    /// The subscription's p256dh is not a usable P-256 point.
    #[error("the subscription's public key is not a valid P-256 point")]
    BadPublicKey,
    /// The auth secret is not 16 bytes.
    #[error("the subscription's auth secret is not 16 bytes")]
    BadAuthSecret,
    /// The encrypted message would be over 4096 bytes.
    #[error("the encrypted message would be {0} bytes, over the 4096-byte limit")]
    TooLarge(usize),
    /// The crypto library failed (no randomness, ...).
    #[error("encryption failed")]
    Internal,
}

struct Len(usize);

impl KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

fn expand(prk: &Prk, info: &[&[u8]], out: &mut [u8]) -> Result<(), EncryptError> {
    prk.expand(info, Len(out.len()))
        .and_then(|okm| okm.fill(out))
        .map_err(|_| EncryptError::Internal)
}

/// Encrypts `plaintext` for a subscriber with a fresh ephemeral key and salt.
pub fn encrypt(
    ua_public: &[u8],
    auth_secret: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, EncryptError> {
    let rng = SystemRandom::new();
    let mut salt = [0u8; 16];
    rng.fill(&mut salt).map_err(|_| EncryptError::Internal)?;
    let key = PrivateKey::generate(&ECDH_P256).map_err(|_| EncryptError::Internal)?;
    encrypt_with(&key, &salt, ua_public, auth_secret, plaintext)
}

/// Encrypts with a given sender key and salt (the test vectors need this).
pub fn encrypt_with(
    as_private: &PrivateKey,
    salt: &[u8; 16],
    ua_public: &[u8],
    auth_secret: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, EncryptError> {
    if auth_secret.len() != 16 {
        return Err(EncryptError::BadAuthSecret);
    }
    let total = plaintext.len() + OVERHEAD;
    if total > MAX_BODY {
        return Err(EncryptError::TooLarge(total));
    }
    let as_public = as_private
        .compute_public_key()
        .map_err(|_| EncryptError::Internal)?;
    let as_public = as_public.as_ref();
    let peer = UnparsedPublicKey::new(&ECDH_P256, ua_public);
    // RFC 8291 §3.3-3.4: the ECDH secret, mixed with the auth secret, gives the IKM.
    let ikm = agreement::agree(
        as_private,
        peer,
        EncryptError::BadPublicKey,
        |ecdh_secret| {
            let prk_key = Salt::new(HKDF_SHA256, auth_secret).extract(ecdh_secret);
            let mut ikm = [0u8; 32];
            expand(
                &prk_key,
                &[b"WebPush: info\0", ua_public, as_public],
                &mut ikm,
            )?;
            Ok(ikm)
        },
    )?;
    // RFC 8188 §2.2-2.3: content encryption key and nonce from the salt.
    let prk = Salt::new(HKDF_SHA256, salt).extract(&ikm);
    let mut cek = [0u8; 16];
    let mut nonce = [0u8; 12];
    expand(&prk, &[b"Content-Encoding: aes128gcm\0"], &mut cek)?;
    expand(&prk, &[b"Content-Encoding: nonce\0"], &mut nonce)?;

    let mut body = Vec::with_capacity(total);
    body.extend_from_slice(salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(as_public.len() as u8);
    body.extend_from_slice(as_public);
    let header_len = body.len();
    body.extend_from_slice(plaintext);
    body.push(2); // the last (and only) record's delimiter
    let key =
        LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &cek).map_err(|_| EncryptError::Internal)?);
    let mut record = body.split_off(header_len);
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::empty(),
        &mut record,
    )
    .map_err(|_| EncryptError::Internal)?;
    body.extend_from_slice(&record);
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn b64(s: &str) -> Vec<u8> {
        URL_SAFE_NO_PAD.decode(s).expect("base64url")
    }

    /// RFC 8291 Appendix A, byte for byte.
    #[test]
    fn rfc8291_appendix_a_vector() {
        let plaintext = b"When I grow up, I want to be a watermelon";
        let as_private = PrivateKey::from_private_key(
            &ECDH_P256,
            &b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"),
        )
        .expect("sender key");
        let ua_public = b64(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
        );
        let auth = b64("BTBZMqHH6r4Tts7J_aSIgg");
        let salt: [u8; 16] = b64("DGv6ra1nlYgDCS1FRnbzlw").try_into().expect("16 bytes");
        let body = encrypt_with(&as_private, &salt, &ua_public, &auth, plaintext).expect("encrypt");
        let expected = b64(
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
        );
        assert_eq!(
            URL_SAFE_NO_PAD.encode(&body),
            URL_SAFE_NO_PAD.encode(&expected)
        );
    }

    #[test]
    fn limits_and_bad_keys_are_errors() {
        let ua = b64(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
        );
        let auth = [7u8; 16];
        let max = vec![b'x'; MAX_BODY - OVERHEAD];
        assert_eq!(encrypt(&ua, &auth, &max).expect("fits").len(), MAX_BODY);
        let over = vec![b'x'; MAX_BODY - OVERHEAD + 1];
        assert_eq!(
            encrypt(&ua, &auth, &over),
            Err(EncryptError::TooLarge(MAX_BODY + 1))
        );
        assert_eq!(
            encrypt(&[4u8; 65], &auth, b"x"),
            Err(EncryptError::BadPublicKey)
        );
        assert_eq!(
            encrypt(&ua, &[1u8; 15], b"x"),
            Err(EncryptError::BadAuthSecret)
        );
    }
}
