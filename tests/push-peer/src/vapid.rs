//! RFC 8292 (VAPID) verification of a push request's `Authorization` header:
//! `vapid t=<JWT>, k=<public key>`, an ES256 JWT signed by the application server.

use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use serde_json::Value;

use crate::b64;

/// The longest a VAPID JWT may stay valid, from now (RFC 8292 section 2).
pub const MAX_LIFETIME_SECS: i64 = 24 * 60 * 60;

/// What a valid VAPID header told us.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims {
    /// The `aud` claim: the push service's origin.
    pub aud: String,
    /// The `exp` claim, seconds since the Unix epoch.
    pub exp: i64,
    /// The `sub` claim: a `mailto:` or `https:` contact.
    pub sub: String,
    /// The `k=` parameter as sent (base64url).
    pub k: String,
    /// The application server's public key, 65 bytes uncompressed, decoded from `k=`.
    pub key: Vec<u8>,
}

/// The `t=` and `k=` parameters of a `vapid` authorization.
struct Params<'a> {
    t: &'a str,
    k: &'a str,
}

fn parse_authorization(authorization: &str) -> Result<Params<'_>, String> {
    let authorization = authorization.trim();
    let (scheme, rest) = authorization
        .split_once(char::is_whitespace)
        .ok_or_else(|| "Authorization has no `vapid` parameters".to_string())?;
    if !scheme.eq_ignore_ascii_case("vapid") {
        return Err(format!(
            "Authorization scheme is {scheme:?}, expected \"vapid\""
        ));
    }
    let mut t = None;
    let mut k = None;
    for param in rest.split(',') {
        let param = param.trim();
        if param.is_empty() {
            continue;
        }
        let (name, value) = param
            .split_once('=')
            .ok_or_else(|| format!("Authorization parameter {param:?} has no `=`"))?;
        let slot = match name.trim().to_ascii_lowercase().as_str() {
            "t" => &mut t,
            "k" => &mut k,
            other => return Err(format!("unknown Authorization parameter {other:?}")),
        };
        if slot.replace(value.trim()).is_some() {
            return Err(format!("Authorization parameter {name:?} given twice"));
        }
    }
    let t = t.ok_or_else(|| "Authorization has no t= (JWT)".to_string())?;
    let k = k.ok_or_else(|| "Authorization has no k= (public key)".to_string())?;
    Ok(Params { t, k })
}

fn decode_json(part: &str, what: &str) -> Result<Value, String> {
    let bytes = b64::decode(part).map_err(|e| format!("JWT {what}: {e}"))?;
    let value: Value =
        serde_json::from_slice(&bytes).map_err(|e| format!("JWT {what} is not JSON: {e}"))?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(format!("JWT {what} is not a JSON object"))
    }
}

/// Verifies a `vapid t=<JWT>, k=<key>` authorization header value.
///
/// Checks: the scheme and both parameters are present; `k` is an uncompressed
/// P-256 key; the JWT header's `alg` is `ES256`; the 64-byte `r || s` signature
/// verifies with `k` over `header.payload`; `aud` equals `expected_aud` exactly;
/// `exp` is after `now_unix` and at most 24 hours after it; `sub` starts with
/// `mailto:` or `https:`.
pub fn verify(authorization: &str, expected_aud: &str, now_unix: i64) -> Result<Claims, String> {
    let params = parse_authorization(authorization)?;

    let key = b64::decode(params.k).map_err(|e| format!("k=: {e}"))?;
    if key.len() != 65 || key[0] != 0x04 {
        return Err(format!(
            "k= is not an uncompressed P-256 public key ({} bytes)",
            key.len()
        ));
    }
    let verifying_key = VerifyingKey::from_sec1_bytes(&key)
        .map_err(|_| "k= is not on the P-256 curve".to_string())?;

    let mut parts = params.t.split('.');
    let (Some(header_b64), Some(claims_b64), Some(signature_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("JWT does not have three dot-separated parts".to_string());
    };

    let header = decode_json(header_b64, "header")?;
    match header.get("alg").and_then(Value::as_str) {
        Some("ES256") => {}
        Some(other) => return Err(format!("JWT alg is {other:?}, expected \"ES256\"")),
        None => return Err("JWT header has no alg".to_string()),
    }

    let signature_bytes = b64::decode(signature_b64).map_err(|e| format!("JWT signature: {e}"))?;
    if signature_bytes.len() != 64 {
        return Err(format!(
            "JWT signature is {} bytes, expected 64 (raw r || s)",
            signature_bytes.len()
        ));
    }
    let signature = Signature::from_slice(&signature_bytes)
        .map_err(|_| "JWT signature is not a valid P-256 signature".to_string())?;
    let signing_input = format!("{header_b64}.{claims_b64}");
    verifying_key
        .verify(signing_input.as_bytes(), &signature)
        .map_err(|_| "JWT signature does not verify with k=".to_string())?;

    let claims = decode_json(claims_b64, "claims")?;
    let aud = claims
        .get("aud")
        .and_then(Value::as_str)
        .ok_or_else(|| "JWT has no string aud claim".to_string())?;
    if aud != expected_aud {
        return Err(format!("JWT aud is {aud:?}, expected {expected_aud:?}"));
    }
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or_else(|| "JWT has no integer exp claim".to_string())?;
    if exp <= now_unix {
        return Err(format!(
            "JWT expired: exp {exp} is not after now {now_unix}"
        ));
    }
    if exp - now_unix > MAX_LIFETIME_SECS {
        return Err(format!(
            "JWT exp {exp} is {} s ahead, more than 24 h",
            exp - now_unix
        ));
    }
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .ok_or_else(|| "JWT has no string sub claim".to_string())?;
    if !(sub.starts_with("mailto:") || sub.starts_with("https:")) {
        return Err(format!("JWT sub {sub:?} is neither mailto: nor https:"));
    }

    Ok(Claims {
        aud: aud.to_string(),
        exp,
        sub: sub.to_string(),
        k: params.k.to_string(),
        key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{self, VapidSigner};
    use serde_json::json;

    const AUD: &str = "http://127.0.0.1:4321";
    const NOW: i64 = 1_700_000_000;

    fn header(signer: &VapidSigner, aud: &str, exp: i64, sub: &str) -> String {
        signer.authorization(aud, exp, sub)
    }

    #[test]
    fn accepts_valid_jwt() {
        let signer = VapidSigner::generate();
        let auth = header(&signer, AUD, NOW + 12 * 3600, "mailto:ops@example.com");
        let claims = verify(&auth, AUD, NOW).expect("valid JWT verifies");
        assert_eq!(claims.aud, AUD);
        assert_eq!(claims.exp, NOW + 12 * 3600);
        assert_eq!(claims.sub, "mailto:ops@example.com");
        assert_eq!(claims.k, signer.public_b64());
        assert_eq!(claims.key.len(), 65);

        let https = header(&signer, AUD, NOW + 60, "https://herald.example");
        assert!(verify(&https, AUD, NOW).is_ok());
        // Exactly 24 h ahead is allowed; parameter order and scheme case do not matter.
        let jwt = signer.jwt(
            &json!({"typ":"JWT","alg":"ES256"}),
            &json!({"aud":AUD,"exp":NOW + MAX_LIFETIME_SECS,"sub":"mailto:a@b"}),
        );
        let reordered = format!("Vapid k={}, t={jwt}", signer.public_b64());
        assert!(verify(&reordered, AUD, NOW).is_ok());
    }

    fn refuse(auth: &str, needle: &str) {
        let err = verify(auth, AUD, NOW).expect_err("must be refused");
        assert!(
            err.contains(needle),
            "error {err:?} should mention {needle:?}"
        );
    }

    #[test]
    fn refuses_wrong_aud() {
        let signer = VapidSigner::generate();
        refuse(
            &header(&signer, "http://127.0.0.1:9999", NOW + 60, "mailto:a@b"),
            "aud",
        );
        refuse(
            &header(&signer, &format!("{AUD}/"), NOW + 60, "mailto:a@b"),
            "aud",
        );
    }

    #[test]
    fn refuses_expired() {
        let signer = VapidSigner::generate();
        refuse(&header(&signer, AUD, NOW - 1, "mailto:a@b"), "expired");
        refuse(&header(&signer, AUD, NOW, "mailto:a@b"), "expired");
    }

    #[test]
    fn refuses_exp_more_than_24h_ahead() {
        let signer = VapidSigner::generate();
        refuse(
            &header(&signer, AUD, NOW + MAX_LIFETIME_SECS + 1, "mailto:a@b"),
            "24 h",
        );
    }

    #[test]
    fn refuses_bad_sub() {
        let signer = VapidSigner::generate();
        refuse(&header(&signer, AUD, NOW + 60, "ops@example.com"), "sub");
        refuse(&header(&signer, AUD, NOW + 60, "http://example.com"), "sub");
        let no_sub = signer.jwt(
            &json!({"typ":"JWT","alg":"ES256"}),
            &json!({"aud":AUD,"exp":NOW + 60}),
        );
        refuse(
            &format!("vapid t={no_sub}, k={}", signer.public_b64()),
            "sub",
        );
    }

    #[test]
    fn refuses_alg_other_than_es256() {
        let signer = VapidSigner::generate();
        let claims = json!({"aud":AUD,"exp":NOW + 60,"sub":"mailto:a@b"});
        for alg in ["HS256", "none", "ES384", "RS256"] {
            let jwt = signer.jwt(&json!({"typ":"JWT","alg":alg}), &claims);
            refuse(&format!("vapid t={jwt}, k={}", signer.public_b64()), "alg");
        }
        let no_alg = signer.jwt(&json!({"typ":"JWT"}), &claims);
        refuse(
            &format!("vapid t={no_alg}, k={}", signer.public_b64()),
            "alg",
        );
    }

    #[test]
    fn refuses_tampered_signature() {
        let signer = VapidSigner::generate();
        let jwt = signer.jwt(
            &json!({"typ":"JWT","alg":"ES256"}),
            &json!({"aud":AUD,"exp":NOW + 60,"sub":"mailto:a@b"}),
        );
        let (signing_input, signature) = jwt.rsplit_once('.').expect("three parts");
        let mut sig = b64::decode(signature).expect("signature is base64url");
        sig[10] ^= 0x01;
        let tampered = format!("{signing_input}.{}", b64::encode(&sig));
        refuse(
            &format!("vapid t={tampered}, k={}", signer.public_b64()),
            "signature",
        );

        // Claims changed after signing.
        let (h, _, s) = testkit::split_jwt(&jwt);
        let forged_claims = b64::encode(
            br#"{"aud":"http://127.0.0.1:4321","exp":1700000060,"sub":"mailto:evil@b"}"#,
        );
        refuse(
            &format!("vapid t={h}.{forged_claims}.{s}, k={}", signer.public_b64()),
            "signature",
        );

        // Signed by someone else.
        let other = VapidSigner::generate();
        refuse(
            &format!("vapid t={jwt}, k={}", other.public_b64()),
            "signature",
        );

        // DER instead of raw r || s.
        let der = testkit::der_signature(&signer, signing_input.as_bytes());
        refuse(
            &format!(
                "vapid t={signing_input}.{}, k={}",
                b64::encode(&der),
                signer.public_b64()
            ),
            "64",
        );
    }

    #[test]
    fn refuses_missing_k_and_malformed_headers() {
        let signer = VapidSigner::generate();
        let jwt = signer.jwt(
            &json!({"typ":"JWT","alg":"ES256"}),
            &json!({"aud":AUD,"exp":NOW + 60,"sub":"mailto:a@b"}),
        );
        refuse(&format!("vapid t={jwt}"), "k=");
        refuse(&format!("vapid k={}", signer.public_b64()), "t=");
        refuse(&format!("WebPush {jwt}"), "scheme");
        refuse(&format!("Bearer {jwt}"), "scheme");
        refuse("vapid", "parameters");
        refuse("", "parameters");
        refuse(&format!("vapid t={jwt}, k=AAAA"), "k=");
        refuse(
            &format!("vapid t=abc.def, k={}", signer.public_b64()),
            "three",
        );
    }
}
