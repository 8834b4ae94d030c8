//! Error codes on the wire and the single place errors become HTTP responses or
//! WebSocket `error` frames. Module errors implement [`HasCode`]; nothing else picks
//! a status code.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// Every error code roomd sends, on HTTP and WebSocket alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    BadRequest,
    TooLarge,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    NotJoined,
    Conflict,
    Unprocessable,
    RateLimited,
    RoomUnavailable,
    /// The store or another dependency cannot serve the request now.
    Unavailable,
    Internal,
}

impl ErrorCode {
    /// Every code, in table order (the OpenAPI document lists these).
    pub const ALL: [ErrorCode; 13] = [
        Self::BadRequest,
        Self::TooLarge,
        Self::Unauthorized,
        Self::Forbidden,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::NotJoined,
        Self::Conflict,
        Self::Unprocessable,
        Self::RateLimited,
        Self::RoomUnavailable,
        Self::Unavailable,
        Self::Internal,
    ];

    /// The wire name (`room_unavailable`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::TooLarge => "too_large",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::NotJoined => "not_joined",
            Self::Conflict => "conflict",
            Self::Unprocessable => "unprocessable",
            Self::RateLimited => "rate_limited",
            Self::RoomUnavailable => "room_unavailable",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }

    /// The HTTP status of each code; the only place statuses are chosen.
    pub fn status(self) -> StatusCode {
        match self {
            Self::BadRequest | Self::NotJoined => StatusCode::BAD_REQUEST,
            Self::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict => StatusCode::CONFLICT,
            Self::Unprocessable => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            // The contract promises no 500: failures we cannot attribute to the
            // request are "try again later".
            Self::RoomUnavailable | Self::Unavailable | Self::Internal => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Implemented by every module error; `ApiError` and `WsError` are built only through it.
pub trait HasCode: std::error::Error {
    fn code(&self) -> ErrorCode;
    fn retry_after(&self) -> Option<Duration> {
        None
    }
    /// What the client is told (HTTP `error.message`, WebSocket `message`): the error's
    /// text, except for errors that would carry a backend's text (the database's), which
    /// answer a fixed message; their text is logged instead (`ApiError::detail`).
    fn public_message(&self) -> String {
        self.to_string()
    }
}

/// An error answered over HTTP as `{"error":{"code","message"}}`.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub retry_after: Option<Duration>,
    /// Server-side only: the full text of an error whose `message` is a fixed public
    /// one (logged with the request by `request_log`, never sent).
    pub detail: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), retry_after: None, detail: None }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

impl<E: HasCode> From<E> for ApiError {
    fn from(e: E) -> Self {
        let (message, full) = (e.public_message(), e.to_string());
        let detail = (full != message).then_some(full);
        Self { code: e.code(), message, retry_after: e.retry_after(), detail }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorInner<'a>,
}

#[derive(Serialize)]
struct ErrorInner<'a> {
    code: ErrorCode,
    message: &'a str,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.code.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut resp = HttpResponse::build(self.status_code());
        if let Some(after) = self.retry_after {
            resp.insert_header(("Retry-After", after.as_secs_f64().ceil().max(1.0).to_string()));
        }
        resp.json(ErrorBody { error: ErrorInner { code: self.code, message: &self.message } })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_code_maps_to_500() {
        use ErrorCode::*;
        for code in [
            BadRequest,
            TooLarge,
            Unauthorized,
            Forbidden,
            NotFound,
            NotJoined,
            Conflict,
            Unprocessable,
            RateLimited,
            RoomUnavailable,
            Unavailable,
            Internal,
        ] {
            assert_ne!(code.status(), StatusCode::INTERNAL_SERVER_ERROR, "{code:?}");
        }
    }

    #[test]
    fn codes_serialize_in_snake_case() {
        assert_eq!(serde_json::to_string(&ErrorCode::RoomUnavailable).unwrap(), "\"room_unavailable\"");
        assert_eq!(serde_json::to_string(&ErrorCode::NotJoined).unwrap(), "\"not_joined\"");
    }
}
