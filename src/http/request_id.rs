//! The id of an HTTP request: the client's `X-Request-Id` when it is usable (1 to
//! [`MAX_LEN`] visible ASCII characters, no spaces or control characters), else one
//! made here (16 hex digits). The request log middleware (`request_log`) picks it,
//! keeps it in the request's extensions — where the `AdminAuth` extractor finds it for
//! the audit entry — logs it and answers it in the `X-Request-Id` response header.

use actix_web::http::header::{HeaderName, HeaderValue};

/// The request and response header.
pub const HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The longest client id kept; a longer one is replaced.
pub const MAX_LEN: usize = 128;

/// A request id; only ever holds visible ASCII, so it is always a valid header value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    /// The client's id if it is usable, else a new one.
    pub fn from_header(value: Option<&HeaderValue>) -> Self {
        value.map(HeaderValue::as_bytes).filter(|v| usable(v)).map_or_else(Self::generate, |v| {
            // `usable` admits ASCII only, so this is lossless.
            Self(String::from_utf8_lossy(v).into_owned())
        })
    }

    /// A new random id.
    pub fn generate() -> Self {
        Self(crate::ids::new_request_id())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id as a response header value.
    pub fn header_value(&self) -> HeaderValue {
        // Visible ASCII by construction; the fallback is never taken.
        HeaderValue::from_str(&self.0).unwrap_or_else(|_| HeaderValue::from_static("invalid"))
    }
}

fn usable(v: &[u8]) -> bool {
    !v.is_empty() && v.len() <= MAX_LEN && v.iter().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from(v: &[u8]) -> RequestId {
        RequestId::from_header(Some(&HeaderValue::from_bytes(v).expect("header value")))
    }

    #[test]
    fn a_usable_client_id_is_kept() {
        assert_eq!(from(b"abc-123").as_str(), "abc-123");
        let longest = "x".repeat(MAX_LEN);
        assert_eq!(from(longest.as_bytes()).as_str(), longest);
    }

    #[test]
    fn a_missing_or_unusable_id_is_replaced_by_a_new_one() {
        let too_long = "x".repeat(MAX_LEN + 1);
        for bad in [&b"has space"[..], b"tab\there", b"caf\xc3\xa9", too_long.as_bytes(), b""] {
            let got = from(bad);
            assert_ne!(got.as_str().as_bytes(), bad);
            assert_eq!(got.as_str().len(), 16, "{got:?}");
            assert!(got.as_str().bytes().all(|b| b.is_ascii_hexdigit()), "{got:?}");
        }
        assert_ne!(RequestId::from_header(None), RequestId::from_header(None), "each new id differs");
    }
}
