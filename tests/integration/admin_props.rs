//! Property-based tests (proptest) of the admin API's request bodies, as
//! docs/ADMIN_API.md describes them: every body an endpoint takes, generated from the
//! documented rules (arbitrary unicode within the length limits, boundary numbers) and
//! broken in every documented way (too long, NUL, blank, out of range, wrong type,
//! unknown field), and arbitrary bytes and JSON. For each, against the real `roomd`
//! binary on a fresh database (SQLite, or PostgreSQL with `ROOMD_TEST_DATABASE_URL`):
//!
//! - no body is answered 5xx, and every refusal is the documented error body
//!   (`{"error":{"code","message"}}`) with a code the rule broken calls for;
//! - a valid body is accepted, and reading the resource back returns exactly what was
//!   written (round trip);
//! - a refused body leaves the stored data as it was (read back before and after).
//!
//! Endpoints: `POST /rooms`, `PATCH /rooms/{id}` (and its settings alone), `PUT
//! /rooms/{id}/members/{user_id}`, `POST /rooms/{id}/messages`, `POST /tokens`, `POST
//! /broadcasts`, `POST` and `PATCH /schedules`, and, for arbitrary bytes, those and
//! `POST /debug/clock`; one module each. Bots register their commands over the
//! WebSocket, not the admin API, so no body here names one.
//!
//! One server per property; each case is a handful of requests, so a property runs
//! 64–256 cases in a few seconds in a debug build (`PROPTEST_CASES=N` runs N instead).
//! A failing case is shrunk and its seed kept in
//! tests/proptest-regressions/admin_props/ (one file per module), whose cases are run
//! first on every later run: the seeds there are the bodies each bug fixed with these
//! tests was found with.
//!
//! The frame parser's properties are in src/websocket/reader.rs.

/// Fails the case with `msg` unless `cond` (defined before the submodules, which use it).
macro_rules! ensure {
    ($cond:expr, $($msg:tt)+) => {
        if !$cond {
            return Err(proptest::test_runner::TestCaseError::fail(format!($($msg)+)));
        }
    };
}

mod any_body;
mod broadcasts;
mod gen;
mod members;
mod messages;
mod rooms;
mod schedules;
mod tokens;

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, FileFailurePersistence, TestCaseError, TestRunner};
use reqwest::Method;
use serde_json::Value;

use crate::common::TestServer;

/// The error codes a body can be refused with, and their statuses (docs/ADMIN_API.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    BadRequest,
    NotFound,
    Conflict,
    TooLarge,
    Unprocessable,
}

impl Code {
    pub fn status(self) -> u16 {
        match self {
            Self::BadRequest => 400,
            Self::NotFound => 404,
            Self::Conflict => 409,
            Self::TooLarge => 413,
            Self::Unprocessable => 422,
        }
    }

    pub fn wire(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::NotFound => "not_found",
            Self::Conflict => "conflict",
            Self::TooLarge => "too_large",
            Self::Unprocessable => "unprocessable",
        }
    }
}

/// A real server and the runtime its HTTP client runs on (proptest's runner is
/// synchronous: each case blocks on its requests).
pub struct Api {
    pub srv: TestServer,
    rt: tokio::runtime::Runtime,
}

/// A request body: JSON, or raw bytes with an optional `Content-Type`.
pub enum Body<'a> {
    None,
    Json(&'a Value),
    Raw { bytes: &'a [u8], content_type: Option<&'a str> },
}

/// An answer: status and body text.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub text: String,
    pub what: String,
}

impl Reply {
    /// The body as JSON; fails the case when it is not.
    pub fn json(&self) -> Result<Value, TestCaseError> {
        serde_json::from_str(&self.text)
            .map_err(|e| TestCaseError::fail(format!("{}: body is not JSON ({e}): {}", self.what, self.text)))
    }

    /// The body as JSON when the status is `status`; else fails the case.
    pub fn expect(&self, status: u16) -> Result<Value, TestCaseError> {
        if self.status != status {
            return Err(TestCaseError::fail(format!(
                "{}: expected {status}, got {}: {}",
                self.what, self.status, self.text
            )));
        }
        self.json()
    }

    /// The documented error answer: a status of one of `codes` and exactly the body
    /// `{"error":{"code":<that code>,"message":<non-empty>}}`.
    pub fn expect_error(&self, codes: &[Code]) -> Result<Code, TestCaseError> {
        let fail = |why: String| TestCaseError::fail(format!("{}: {why}; body: {}", self.what, self.text));
        let Some(code) = codes.iter().copied().find(|c| c.status() == self.status) else {
            let want: Vec<String> = codes.iter().map(|c| format!("{} {}", c.status(), c.wire())).collect();
            return Err(fail(format!("status {}, expected one of {want:?}", self.status)));
        };
        let body = self.json()?;
        let top = body.as_object().ok_or_else(|| fail("the error body is not an object".into()))?;
        if top.keys().collect::<Vec<_>>() != ["error"] {
            return Err(fail("the error body must be exactly {\"error\":{…}}".into()));
        }
        let err = body["error"].as_object().ok_or_else(|| fail("error is not an object".into()))?;
        let mut keys: Vec<&String> = err.keys().collect();
        keys.sort();
        if keys != ["code", "message"] {
            return Err(fail("error must have exactly code and message".into()));
        }
        if body["error"]["code"] != code.wire() {
            return Err(fail(format!("error.code must be {:?} with status {}", code.wire(), self.status)));
        }
        if body["error"]["message"].as_str().is_none_or(str::is_empty) {
            return Err(fail("error.message must be a non-empty string".into()));
        }
        Ok(code)
    }
}

impl Api {
    /// Boots a server with `env` (see `TestServer::start_with`).
    pub fn start(env: &[(&str, &str)]) -> Self {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let srv = rt.block_on(TestServer::start_with(env));
        Self { srv, rt }
    }

    /// Runs `fut` on this server's runtime.
    pub fn block_on<F: std::future::Future>(&self, fut: F) -> F::Output {
        self.rt.block_on(fut)
    }

    /// One request with the admin token. Any 5xx fails the case (no input may make the
    /// server answer one; the store is up throughout), as does a lost connection.
    pub fn call(&self, method: Method, path: &str, body: Body) -> Result<Reply, TestCaseError> {
        let what = format!("{method} {path}");
        let mut req = self.srv.http().request(method, self.srv.url(path)).bearer_auth(&self.srv.admin_token);
        req = match body {
            Body::None => req,
            Body::Json(v) => req.json(v),
            Body::Raw { bytes, content_type } => {
                let req = req.body(bytes.to_vec());
                match content_type {
                    Some(ct) => req.header("Content-Type", ct),
                    None => req,
                }
            }
        };
        let (status, text) = self
            .block_on(async {
                let resp = req.send().await?;
                let status = resp.status().as_u16();
                Ok::<_, reqwest::Error>((status, resp.text().await?))
            })
            .map_err(|e| TestCaseError::fail(format!("{what}: no answer: {e}")))?;
        if status >= 500 {
            return Err(TestCaseError::fail(format!("{what}: answered {status}: {text}")));
        }
        Ok(Reply { status, text, what })
    }

    pub fn get(&self, path: &str) -> Result<Reply, TestCaseError> {
        self.call(Method::GET, path, Body::None)
    }

    /// `GET path`, which must answer 200, as JSON.
    pub fn read(&self, path: &str) -> Result<Value, TestCaseError> {
        self.get(path)?.expect(200)
    }

    pub fn send(&self, method: Method, path: &str, body: &Value) -> Result<Reply, TestCaseError> {
        self.call(method, path, Body::Json(body))
    }

    /// Fails unless the server still answers and never logged a panic.
    pub fn assert_healthy(&self) {
        let health = self.get("/healthz").unwrap_or_else(|e| panic!("after the properties: {e}"));
        assert_eq!(health.status, 200, "GET /healthz after the properties: {}", health.text);
        let logs = self.srv.stdout_text() + &self.srv.stderr_text();
        let panics: Vec<&str> = logs.lines().filter(|l| l.contains("\"msg\":\"panic\"")).collect();
        assert!(panics.is_empty(), "the server logged panics:\n{}", panics.join("\n"));
    }
}

/// Runs `test` on `cases` values of `strategy` (`PROPTEST_CASES` overrides the count).
/// A failure is shrunk (within a bounded number of steps: each step is a few requests)
/// and its seed is kept in `tests/proptest-regressions/` next to `source`'s path.
pub fn check<S: Strategy>(
    source: &'static str,
    cases: u32,
    strategy: S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let cases = match std::env::var("PROPTEST_CASES") {
        Ok(_) => Config::default().cases,
        Err(_) => cases,
    };
    let config = Config {
        cases,
        source_file: Some(source),
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel("proptest-regressions"))),
        max_shrink_iters: 256,
        ..Config::default()
    };
    if let Err(e) = TestRunner::new(config).run(&strategy, test) {
        panic!("{e}");
    }
}

/// Fails the case unless `got == expected` (JSON values), showing where they differ
/// (for two objects, only the keys that differ).
pub fn same(what: &str, got: &Value, expected: &Value) -> Result<(), TestCaseError> {
    if got == expected {
        return Ok(());
    }
    let diff = match (got, expected) {
        (Value::Object(g), Value::Object(e)) => {
            let mut keys: Vec<&String> = g.keys().chain(e.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .filter(|k| g.get(*k) != e.get(*k))
                .map(|k| format!("\n  [{k:?}] got {} expected {}", show(g.get(k)), show(e.get(k))))
                .collect()
        }
        _ => format!("\n  got:      {got}\n  expected: {expected}"),
    };
    Err(TestCaseError::fail(format!("{what}:{diff}")))
}

fn show(v: Option<&Value>) -> String {
    v.map_or("(absent)".to_string(), Value::to_string)
}

/// Only `keys` of the object `v` (missing ones as null).
pub fn pick(v: &Value, keys: &[&str]) -> Value {
    Value::Object(keys.iter().map(|k| (k.to_string(), v[*k].clone())).collect())
}

/// `s` percent-encoded as one path segment (every byte but unreserved ASCII).
pub fn segment(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Every item of a paged list (`{"items","next_cursor"}`) at `path` (which has no query).
pub fn all_items(api: &Api, path: &str) -> Result<Vec<Value>, TestCaseError> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}?limit=500&cursor={}", segment(c)),
            None => format!("{path}?limit=500"),
        };
        let page = api.read(&url)?;
        items.extend(page["items"].as_array().cloned().unwrap_or_default());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => return Ok(items),
        }
    }
}
