//! `JsonBody<T>`: the extractor of every admin API request body. It reads the body as
//! `web::Json` does (the `JsonConfig` of `http::configure`: `Content-Type`,
//! `server.max_body_bytes`, its error answers), but as a JSON value first, then as `T`:
//!
//! - malformed JSON is 400 `bad_request` wherever the fault is (read straight into `T`,
//!   a wrong field type before a syntax error further on was a 422);
//! - a body that is not a JSON object is 422 `unprocessable` (serde reads an array as
//!   a struct's fields in order, so `["c-1","hi"]` was a post with text `c-1`);
//! - a well-formed object with invalid values is 422, and the message starts with the
//!   field's path (`settings.max_members: invalid type: …`), so a client knows which
//!   field to fix.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ApiError, ErrorCode};

/// A request body: a JSON object read as `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<T> JsonBody<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for JsonBody<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, actix_web::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let value = web::Json::<Value>::from_request(req, payload);
        Box::pin(async move {
            let web::Json(value) = value.await?;
            Ok(JsonBody(parse(value)?))
        })
    }
}

/// `value` as `T`, if it is an object of the right shape.
fn parse<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    if !value.is_object() {
        return Err(ApiError::new(ErrorCode::Unprocessable, "the body must be a JSON object"));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = path.rsplit('.').next().unwrap_or_default().to_string();
        let inner = e.into_inner().to_string();
        // The object itself (a missing or unknown field), or a message of our own
        // deserializers that names its field already: as it is.
        let message =
            if path == "." || inner.starts_with(&field) { inner } else { format!("{path}: {inner}") };
        ApiError::new(ErrorCode::Unprocessable, message)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Post {
        text: String,
        client_id: Option<String>,
    }

    #[test]
    fn only_an_object_is_a_body() {
        let ok: Post = parse(serde_json::json!({"text": "hi"})).unwrap();
        assert_eq!(ok, Post { text: "hi".into(), client_id: None });
        for not_an_object in
            [serde_json::json!(["c-1", "hi"]), serde_json::json!("hi"), serde_json::json!(null)]
        {
            let err = parse::<Post>(not_an_object).unwrap_err();
            assert_eq!(err.code, ErrorCode::Unprocessable, "{err}");
        }
        let wrong_type = parse::<Post>(serde_json::json!({"text": 5})).unwrap_err();
        assert_eq!(wrong_type.code, ErrorCode::Unprocessable);
        assert!(wrong_type.message.starts_with("text: invalid type"), "names the field: {wrong_type}");
        let missing = parse::<Post>(serde_json::json!({"client_id": "c"})).unwrap_err();
        assert_eq!(missing.message, "missing field `text`");
    }
}
