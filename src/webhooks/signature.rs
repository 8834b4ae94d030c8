//! The signature of a delivery: `X-Roomd-Signature: v1=<hex>`, where `<hex>` is the
//! HMAC-SHA256, keyed with the endpoint's secret, of `<timestamp>.<body>` and
//! `<timestamp>` is the `X-Roomd-Timestamp` header (Unix seconds). A receiver
//! recomputes it over the raw body and compares in constant time
//! (docs/INTEGRATIONS.md has the Python snippet).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header holding the timestamp (Unix seconds) that the signature covers.
pub const TIMESTAMP_HEADER: &str = "X-Roomd-Timestamp";
/// The header holding `v1=<hex HMAC-SHA256>`.
pub const SIGNATURE_HEADER: &str = "X-Roomd-Signature";
/// The header naming the endpoint (its id).
pub const WEBHOOK_HEADER: &str = "X-Roomd-Webhook";

/// The `X-Roomd-Signature` value of `body` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!("v1={}", hex::encode(mac(secret, timestamp, body).finalize().into_bytes()))
}

/// True when `signature` is the `v1=` signature of `body` at `timestamp` (constant-time).
pub fn verify(secret: &str, timestamp: i64, body: &[u8], signature: &str) -> bool {
    let Some(Ok(expected)) = signature.strip_prefix("v1=").map(hex::decode) else { return false };
    mac(secret, timestamp, body).verify_slice(&expected).is_ok()
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_with_its_secret_timestamp_and_body() {
        let sig = sign("0123456789abcdef", 1_700_000_000, b"{\"events\":[]}");
        assert!(verify("0123456789abcdef", 1_700_000_000, b"{\"events\":[]}", &sig));
        assert!(!verify("0123456789abcdeX", 1_700_000_000, b"{\"events\":[]}", &sig));
        assert!(!verify("0123456789abcdef", 1_700_000_001, b"{\"events\":[]}", &sig));
        assert!(!verify("0123456789abcdef", 1_700_000_000, b"{\"events\":[1]}", &sig));
        assert!(!verify("0123456789abcdef", 1_700_000_000, b"{\"events\":[]}", "v1=zz"));
    }

    #[test]
    fn the_signature_is_the_documented_hmac_of_timestamp_dot_body() {
        // Computed independently: python3 -c 'import hmac,hashlib;
        // print(hmac.new(b"0123456789abcdef", b"1700000000.{}", hashlib.sha256).hexdigest())'
        assert_eq!(
            sign("0123456789abcdef", 1_700_000_000, b"{}"),
            format!("v1={}", PY_HMAC_OF_TIMESTAMP_DOT_EMPTY_OBJECT)
        );
    }

    const PY_HMAC_OF_TIMESTAMP_DOT_EMPTY_OBJECT: &str =
        "e4f8e2ecae2295b2ddb2f0b5584c8275e226c0ebe9b3b819e70156bb67122e3e";
}
