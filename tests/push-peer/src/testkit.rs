//! Test-only sender side: an RFC 8291 encryptor and a VAPID (ES256 JWT) signer,
//! written separately from the peer's decryptor/verifier so each checks the other.

use aes_gcm::aead::Aead;
use aes_gcm::{Aes128Gcm, KeyInit, Nonce};
use hkdf::Hkdf;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::b64;
pub(crate) use crate::keys::KeyPair;
use crate::keys::{generate_secret_key, random_bytes};

/// Encrypts `plaintext` for a subscriber with a chosen sender key and salt,
/// as one record of size `rs`, with no padding after the `0x02` delimiter.
pub(crate) fn encrypt_with(
    ua_public: &[u8],
    auth: &[u8],
    plaintext: &[u8],
    as_private: &[u8],
    salt: [u8; 16],
    rs: u32,
) -> Vec<u8> {
    let mut record = plaintext.to_vec();
    record.push(0x02);
    seal(ua_public, auth, record, as_private, salt, rs)
}

/// Encrypts with a random sender key and salt, `pad` zero bytes after `delimiter`.
pub(crate) fn encrypt_padded(
    ua_public: &[u8],
    auth: &[u8],
    plaintext: &[u8],
    pad: usize,
    delimiter: u8,
) -> Vec<u8> {
    let mut record = plaintext.to_vec();
    record.push(delimiter);
    record.extend(std::iter::repeat_n(0u8, pad));
    let sender = generate_secret_key();
    seal(
        ua_public,
        auth,
        record,
        &sender.to_bytes(),
        random_bytes::<16>(),
        4096,
    )
}

/// Encrypts with a random sender key and salt, record size 4096: what a server sends.
pub(crate) fn encrypt(ua_public: &[u8], auth: &[u8], plaintext: &[u8]) -> Vec<u8> {
    encrypt_padded(ua_public, auth, plaintext, 0, 0x02)
}

fn seal(
    ua_public: &[u8],
    auth: &[u8],
    record: Vec<u8>,
    as_private: &[u8],
    salt: [u8; 16],
    rs: u32,
) -> Vec<u8> {
    let as_secret = SecretKey::from_slice(as_private).expect("test sender key is valid");
    let as_public = as_secret.public_key().to_encoded_point(false);
    let ua_key = PublicKey::from_sec1_bytes(ua_public).expect("test subscriber key is valid");
    let shared = p256::ecdh::diffie_hellman(as_secret.to_nonzero_scalar(), ua_key.as_affine());

    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(ua_public);
    key_info.extend_from_slice(as_public.as_bytes());
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(auth), &shared.raw_secret_bytes()[..])
        .expand(&key_info, &mut ikm)
        .expect("32 bytes is a valid HKDF length");
    let prk = Hkdf::<Sha256>::new(Some(&salt), &ikm);
    let mut cek = [0u8; 16];
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
        .expect("16 bytes is a valid HKDF length");
    let mut nonce = [0u8; 12];
    prk.expand(b"Content-Encoding: nonce\0", &mut nonce)
        .expect("12 bytes is a valid HKDF length");
    let ciphertext = Aes128Gcm::new_from_slice(&cek)
        .expect("16-byte AES key")
        .encrypt(&Nonce::from(nonce), record.as_slice())
        .expect("AES-GCM encryption does not fail");

    let mut body = salt.to_vec();
    body.extend_from_slice(&rs.to_be_bytes());
    body.push(65);
    body.extend_from_slice(as_public.as_bytes());
    body.extend_from_slice(&ciphertext);
    body
}

/// An application server's VAPID key, signing ES256 JWTs.
pub(crate) struct VapidSigner {
    key: SigningKey,
}

impl VapidSigner {
    pub(crate) fn generate() -> VapidSigner {
        VapidSigner {
            key: SigningKey::from(generate_secret_key()),
        }
    }

    /// The uncompressed public key, base64url: the `k=` value.
    pub(crate) fn public_b64(&self) -> String {
        b64::encode(self.key.verifying_key().to_encoded_point(false).as_bytes())
    }

    /// A compact JWS over the given header and claims, raw `r || s` signature.
    pub(crate) fn jwt(&self, header: &Value, claims: &Value) -> String {
        let signing_input = format!(
            "{}.{}",
            b64::encode(header.to_string().as_bytes()),
            b64::encode(claims.to_string().as_bytes())
        );
        let signature: Signature = self.key.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", b64::encode(&signature.to_bytes()))
    }

    /// A complete `Authorization` value: `vapid t=<JWT>, k=<key>`.
    pub(crate) fn authorization(&self, aud: &str, exp: i64, sub: &str) -> String {
        let jwt = self.jwt(
            &json!({"typ": "JWT", "alg": "ES256"}),
            &json!({"aud": aud, "exp": exp, "sub": sub}),
        );
        format!("vapid t={jwt}, k={}", self.public_b64())
    }
}

/// A DER-encoded signature (the wrong format for JWS) over `message`.
pub(crate) fn der_signature(signer: &VapidSigner, message: &[u8]) -> Vec<u8> {
    let signature: Signature = signer.key.sign(message);
    signature.to_der().as_bytes().to_vec()
}

/// The three parts of a compact JWS.
pub(crate) fn split_jwt(jwt: &str) -> (&str, &str, &str) {
    let mut parts = jwt.splitn(3, '.');
    let header = parts.next().expect("JWT header");
    let claims = parts.next().expect("JWT claims");
    let signature = parts.next().expect("JWT signature");
    (header, claims, signature)
}
