//! Randomness for the peer: subscription ids, auth secrets and P-256 key pairs.

use p256::SecretKey;

use crate::ece;

/// `N` bytes from the operating system's random source.
pub(crate) fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    bytes
}

/// A P-256 key pair as raw bytes: 32-byte private scalar, 65-byte uncompressed public key.
#[derive(Clone)]
pub(crate) struct KeyPair {
    pub(crate) private: Vec<u8>,
    pub(crate) public: Vec<u8>,
}

impl KeyPair {
    /// A fresh random key pair.
    pub(crate) fn generate() -> KeyPair {
        let secret = generate_secret_key();
        KeyPair {
            private: secret.to_bytes().to_vec(),
            public: ece::encode_public(&secret.public_key()),
        }
    }
}

/// A fresh random P-256 secret key (retries the negligible out-of-range draws).
pub(crate) fn generate_secret_key() -> SecretKey {
    loop {
        if let Ok(key) = SecretKey::from_slice(&random_bytes::<32>()) {
            return key;
        }
    }
}
