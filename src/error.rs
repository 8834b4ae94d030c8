//! Errors on the wire: the code table (`src/error/codes.rs`: each code's name, HTTP status,
//! transport and description, written once), and the single place errors become HTTP
//! responses or WebSocket `error` frames. Module errors implement [`HasCode`]; nothing
//! else picks a status code.

mod codes;
#[cfg(test)]
mod doc_tables;

pub use codes::{ErrorCode, SentOver};

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

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

// Written by `ApiError::error_response` and published as the OpenAPI schema `ErrorBody`.
/// Every error answer: `{"error":{"code","message"}}`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody<'a> {
    pub error: ErrorDetail<'a>,
}

/// The code says what went wrong (and fixes the status); the message is for people.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail<'a> {
    pub code: ErrorCode,
    #[schema(min_length = 1)]
    pub message: &'a str,
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
        resp.json(ErrorBody { error: ErrorDetail { code: self.code, message: &self.message } })
    }
}
