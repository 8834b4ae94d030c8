//! Refuses, before any handler runs, admin API requests whose path or query string
//! carries a NUL character (`%00`): PostgreSQL `TEXT` cannot hold NUL, so such a value
//! would make the store fail (503) where SQLite answered normally. Checked once here for
//! every path and query parameter (room and user ids, `q`, `tag`, cursors, filters).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::ResponseError;

use crate::error::{ApiError, ErrorCode};

/// The answer to a request with `%00` in its path or query.
pub const NUL_MESSAGE: &str = "the path and query must not contain NUL (%00)";

/// `middleware::from_fn` body: 400 `bad_request` for a NUL anywhere in the path or query.
pub async fn reject_nul(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if has_nul(req.uri().path()) || has_nul(req.query_string()) {
        let resp = ApiError::new(ErrorCode::BadRequest, NUL_MESSAGE).error_response();
        return Ok(req.into_response(resp).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// True when the percent-encoded `s` decodes to a NUL. A raw NUL cannot be in a URI,
/// and `%00` is the only encoding of it (an overlong UTF-8 form is not UTF-8 and is
/// refused by the extractors).
fn has_nul(s: &str) -> bool {
    s.as_bytes().windows(3).any(|w| w == b"%00") || s.contains('\0')
}

#[cfg(test)]
mod tests {
    use super::has_nul;

    #[test]
    fn finds_encoded_nul_only() {
        assert!(has_nul("/api/v1/rooms/a%00b"));
        assert!(has_nul("q=%00"));
        assert!(!has_nul("/api/v1/rooms/a%200"));
        assert!(!has_nul("q=100%25"));
        assert!(!has_nul("cursor=%0A0"));
    }
}
