//! Shared helpers: `TestServer` (the real binary), `WsClient` (a real WebSocket
//! client), `TestDb` (SQLite file or PostgreSQL schema), `eventually` for polling,
//! and assertions on whole error frames and error bodies.

pub mod db;
pub mod raw_ws;
pub mod receiver;
pub mod server;
pub mod services;
pub mod ws_client;

use std::future::Future;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

pub use server::TestServer;
pub use ws_client::{Auth, WsClient};

/// How long a test waits for one expected frame.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How long a test waits for slower outcomes (a printed token, a restart).
pub const LONG: Duration = Duration::from_secs(20);

/// Polls `check` every 20 ms until it is true; panics with `what` after `timeout`.
pub async fn eventually<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check().await {
            return;
        }
        assert!(Instant::now() < deadline, "not true within {timeout:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `frame` is `{"type":"error","code":code,"message":"…"}` echoing `id` (absent or
/// null when `id` is `None`).
pub fn assert_error_frame(frame: &Value, id: Option<Value>, code: &str) {
    assert_eq!(frame["type"], "error", "expected an error frame, got {frame}");
    assert_eq!(frame["code"], code, "error code in {frame}");
    let message =
        frame["message"].as_str().unwrap_or_else(|| panic!("error.message must be a string: {frame}"));
    assert!(!message.is_empty(), "error.message is empty: {frame}");
    match id {
        Some(id) => assert_eq!(frame["id"], id, "the error must echo the frame id: {frame}"),
        None => assert!(frame["id"].is_null(), "an error to a frame without id has no id: {frame}"),
    }
}

/// The response has `status` and exactly the body `{"error":{"code":code,"message":"…"}}`.
pub async fn assert_api_error(resp: reqwest::Response, status: u16, code: &str) {
    let got = resp.status().as_u16();
    let text = resp.text().await.expect("error body");
    assert_eq!(got, status, "status; body: {text}");
    let body: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("error body is not JSON ({e}): {text}"));
    let top = body.as_object().unwrap_or_else(|| panic!("error body must be an object: {body}"));
    assert_eq!(top.keys().collect::<Vec<_>>(), ["error"], "error body shape: {body}");
    assert_eq!(body["error"]["code"], code, "error code: {body}");
    let message =
        body["error"]["message"].as_str().unwrap_or_else(|| panic!("error.message must be a string: {body}"));
    assert!(!message.is_empty(), "error.message is empty: {body}");
}

/// The `seq` of a frame.
pub fn seq(frame: &Value) -> i64 {
    frame["seq"].as_i64().unwrap_or_else(|| panic!("no integer seq in {frame}"))
}

/// The `text` of a frame.
pub fn text(frame: &Value) -> &str {
    frame["text"].as_str().unwrap_or_else(|| panic!("no text in {frame}"))
}

/// Settings for tests that send faster than the default per-session rate limit.
pub const FAST: &[(&str, &str)] =
    &[("ROOMD__LIMITS__MSGS_PER_SEC", "100000"), ("ROOMD__LIMITS__BURST", "100000")];

/// Only `keys` of the object `v` (missing keys become null): compares a frame's
/// contract fields exactly while tolerating fields added later.
pub fn pick(v: &Value, keys: &[&str]) -> Value {
    Value::Object(keys.iter().map(|k| (k.to_string(), v[*k].clone())).collect())
}

/// `ts` is RFC 3339 and within a minute of now.
pub fn assert_recent_rfc3339(ts: &Value) {
    let s = ts.as_str().unwrap_or_else(|| panic!("ts must be a string: {ts}"));
    let t =
        chrono::DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("ts {s:?} is not RFC 3339: {e}"));
    let age = chrono::Utc::now().signed_duration_since(t).num_seconds().abs();
    assert!(age < 60, "ts {s} is {age}s away from now");
}
