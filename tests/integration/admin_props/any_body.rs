//! Any bytes as the body of every admin API endpoint that takes one: random bytes,
//! arbitrary JSON, valid bodies with bytes flipped, inserted, cut or repeated, values
//! swapped for arbitrary JSON, deep nesting, escaped lone surrogates, bodies around
//! `server.max_body_bytes`, and other `Content-Type`s. The answer is never 5xx and
//! always the documented one for what is wrong first (docs/ADMIN_API.md error table):
//! a body that is not `application/json` → 400, over `server.max_body_bytes` → 413,
//! not JSON → 400, JSON but not an object → 422, else success or 400/409/413/422; a
//! refused body changes nothing the endpoint could change.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use reqwest::Method;
use serde_json::{json, Value};

use super::gen::json_value;
use super::{all_items, check, pick, Api, Body, Code};

/// `server.max_body_bytes` of the server these run on (small, so the limit is cheap
/// to reach).
const MAX_BODY: usize = 4096;

/// An endpoint that takes a body, a valid body for it, and what it can change.
struct Endpoint {
    method: Method,
    path: &'static str,
    template: Value,
    /// The statuses of a success.
    ok: &'static [u16],
    /// Refusals a well-formed object can get besides 400/413/422.
    also: &'static [Code],
    /// What the endpoint can change, read back.
    state: fn(&Api, &str) -> Outcome,
}

type Outcome = Result<Value, proptest::test_runner::TestCaseError>;

fn rooms_state(api: &Api, _: &str) -> Outcome {
    Ok(json!(all_items(api, "/api/v1/rooms")?
        .iter()
        .map(|r| pick(r, &["id", "name", "tags", "settings"]))
        .collect::<Vec<_>>()))
}
fn room_state(api: &Api, _: &str) -> Outcome {
    Ok(pick(&api.read("/api/v1/rooms/fuzz")?, &["name", "tags", "settings"]))
}
fn members_state(api: &Api, _: &str) -> Outcome {
    Ok(json!(all_items(api, "/api/v1/rooms/fuzz/members")?))
}
fn posts_state(api: &Api, _: &str) -> Outcome {
    // Operator posts only (broadcasts started by other cases post with `bc:…` ids).
    let page = api.read("/api/v1/rooms/fuzz/messages?limit=500")?;
    let items = page["items"].as_array().cloned().unwrap_or_default();
    Ok(json!(items
        .into_iter()
        .filter(|m| !m["client_id"].as_str().is_some_and(|c| c.starts_with("bc:")))
        .collect::<Vec<_>>()))
}
fn tokens_state(api: &Api, _: &str) -> Outcome {
    Ok(json!(all_items(api, "/api/v1/tokens")?))
}
fn jobs_state(api: &Api, _: &str) -> Outcome {
    // Jobs started by requests (schedules start others when the clock moves).
    let jobs = all_items(api, "/api/v1/broadcasts")?;
    Ok(json!(jobs.iter().filter(|j| j["schedule_id"].is_null()).map(|j| j["id"].clone()).collect::<Vec<_>>()))
}
fn schedules_state(api: &Api, _: &str) -> Outcome {
    Ok(json!(all_items(api, "/api/v1/schedules")?.iter().map(|s| s["id"].clone()).collect::<Vec<_>>()))
}
fn schedule_state(api: &Api, path: &str) -> Outcome {
    Ok(pick(&api.read(path)?, &["id", "cron", "timezone", "rooms", "text", "priority", "enabled"]))
}
fn nothing(_: &Api, _: &str) -> Outcome {
    Ok(Value::Null)
}

fn endpoints(schedule: &str) -> Vec<Endpoint> {
    let schedule_path: &'static str = format!("/api/v1/schedules/{schedule}").leak();
    vec![
        Endpoint {
            method: Method::POST,
            path: "/api/v1/rooms",
            template: json!({"id": "fz", "name": "Fuzz ✓", "tags": ["a"], "settings": {"rules": "be kind",
                "max_members": 10, "spam": {"max_repeats": 2, "window_secs": 5}, "banned_words": ["x"],
                "welcome_template": "hi {{name}}"}}),
            ok: &[201],
            also: &[Code::Conflict],
            state: rooms_state,
        },
        Endpoint {
            method: Method::PATCH,
            path: "/api/v1/rooms/fuzz",
            template: json!({"name": "Fuzz", "tags": ["a", "b"], "settings": {"rules": "r", "max_members": 5,
                "banned_words": ["bad"], "spam": null}}),
            ok: &[200],
            also: &[],
            state: room_state,
        },
        Endpoint {
            method: Method::PUT,
            path: "/api/v1/rooms/fuzz/members/alice",
            template: json!({"role": "moderator", "expires_at": "2099-01-01T00:00:00+02:00"}),
            ok: &[200],
            also: &[],
            state: members_state,
        },
        Endpoint {
            method: Method::POST,
            path: "/api/v1/rooms/fuzz/messages",
            template: json!({"text": "hello ✓", "client_id": "c-1"}),
            // 200: the original, when the client_id was posted before.
            ok: &[201, 200],
            also: &[],
            state: posts_state,
        },
        Endpoint {
            method: Method::POST,
            path: "/api/v1/tokens",
            template: json!({"kind": "user", "name": "bob", "roles": ["r"]}),
            ok: &[201],
            also: &[],
            state: tokens_state,
        },
        Endpoint {
            method: Method::POST,
            path: "/api/v1/broadcasts",
            template: json!({"text": "hi", "rooms": ["fuzz-b"], "priority": "low"}),
            ok: &[201],
            also: &[],
            state: jobs_state,
        },
        Endpoint {
            method: Method::POST,
            path: "/api/v1/schedules",
            template: json!({"cron": "0 9 * * MON-FRI", "timezone": "Europe/Berlin", "rooms": ["fuzz-b"],
                "text": "t", "priority": "high", "enabled": true}),
            ok: &[201],
            also: &[],
            state: schedules_state,
        },
        Endpoint {
            method: Method::PATCH,
            path: schedule_path,
            template: json!({"cron": "*/5 * * * *", "timezone": "UTC", "rooms": {"tag": "x"},
                "priority": "low",
                "enabled": false}),
            ok: &[200],
            also: &[],
            state: schedule_state,
        },
        Endpoint {
            method: Method::POST,
            path: "/api/v1/debug/clock",
            template: json!({"now": "2031-05-05T10:00:00+01:00"}),
            ok: &[200],
            also: &[],
            state: nothing,
        },
    ]
}

/// One change to a body's bytes.
#[derive(Debug, Clone)]
enum Edit {
    Flip(Index, u8),
    Insert(Index, u8),
    Delete(Index, usize),
    Truncate(Index),
    Repeat(Index, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let byte = prop_oneof![select(b"\"\\{}[],:0-.e \x00\x01\x7f\x80\xc3\xff\xed".to_vec()), any::<u8>(),];
    prop_oneof![
        (any::<Index>(), byte.clone()).prop_map(|(i, b)| Edit::Flip(i, b)),
        (any::<Index>(), byte).prop_map(|(i, b)| Edit::Insert(i, b)),
        (any::<Index>(), 1usize..8).prop_map(|(i, n)| Edit::Delete(i, n)),
        any::<Index>().prop_map(Edit::Truncate),
        (any::<Index>(), 1usize..40).prop_map(|(i, n)| Edit::Repeat(i, n)),
    ]
}

fn apply(bytes: &mut Vec<u8>, e: &Edit) {
    let len = bytes.len();
    if len == 0 {
        return;
    }
    match e {
        Edit::Flip(i, b) => bytes[i.index(len)] = *b,
        Edit::Insert(i, b) => bytes.insert(i.index(len + 1), *b),
        Edit::Delete(i, n) => {
            let at = i.index(len);
            bytes.drain(at..(at + n).min(len));
        }
        Edit::Truncate(i) => bytes.truncate(i.index(len)),
        Edit::Repeat(i, n) => {
            let at = i.index(len);
            let piece = bytes[at..(at + n).min(len)].to_vec();
            for (k, b) in piece.into_iter().enumerate() {
                bytes.insert(at + k, b);
            }
        }
    }
}

/// How a case's body is made from the endpoint's valid one.
#[derive(Debug, Clone)]
enum Make {
    /// Random bytes.
    Bytes(Vec<u8>),
    /// Any JSON value (objects often with the endpoint's field names).
    Json(Value),
    /// The valid body with some bytes edited.
    Edited(Vec<Edit>),
    /// The valid body with one value (at any depth) replaced.
    Swapped(Index, Value),
    /// The valid body, its values as an array in field order (JSON, not an object).
    AsArray,
    /// The valid body padded with blanks to about this size.
    Padded(usize),
    /// The valid body with one string value replaced by `"\ud800"` (escaped lone surrogate).
    Surrogate(Index),
    /// Nesting this deep, at the top or as a field's value.
    Deep(usize, bool),
}

fn make(keys: &'static [&'static str]) -> impl Strategy<Value = Make> {
    prop_oneof![
        2 => vec(any::<u8>(), 0..300).prop_map(Make::Bytes),
        3 => json_value(keys).prop_map(Make::Json),
        4 => vec(edit(), 1..4).prop_map(Make::Edited),
        3 => (any::<Index>(), json_value(keys)).prop_map(|(i, v)| Make::Swapped(i, v)),
        1 => Just(Make::AsArray),
        1 => (MAX_BODY - 8..MAX_BODY + 8).prop_map(Make::Padded),
        1 => any::<Index>().prop_map(Make::Surrogate),
        1 => (100usize..400, any::<bool>()).prop_map(|(n, inside)| Make::Deep(n, inside)),
    ]
}

/// Every value in `v` (depth first), as JSON pointers.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, c)| pointers(c, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out)),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, c)| pointers(c, format!("{at}/{i}"), out)),
        _ => {}
    }
    out.push(at);
}

fn body_bytes(template: &Value, how: &Make) -> Vec<u8> {
    let valid = serde_json::to_vec(template).expect("JSON");
    match how {
        Make::Bytes(b) => b.clone(),
        Make::Json(v) => serde_json::to_vec(v).expect("JSON"),
        Make::Edited(edits) => {
            let mut b = valid;
            edits.iter().for_each(|e| apply(&mut b, e));
            b
        }
        Make::Swapped(i, v) => {
            let mut all = Vec::new();
            pointers(template, String::new(), &mut all);
            let ptr = &all[i.index(all.len())];
            let mut t = template.clone();
            match t.pointer_mut(ptr) {
                Some(slot) => *slot = v.clone(),
                None => t = v.clone(),
            }
            serde_json::to_vec(&t).expect("JSON")
        }
        Make::AsArray => {
            let values: Vec<Value> = template.as_object().expect("object").values().cloned().collect();
            serde_json::to_vec(&values).expect("JSON")
        }
        Make::Padded(n) => {
            let mut b = valid;
            let pad = n.saturating_sub(b.len());
            b.splice(1..1, std::iter::repeat_n(b' ', pad));
            b
        }
        Make::Surrogate(i) => {
            let text = String::from_utf8(valid).expect("utf-8");
            let quoted: Vec<(usize, &str)> = text.match_indices("\":\"").collect();
            match quoted.is_empty() {
                true => text.into_bytes(),
                false => {
                    let at = quoted[i.index(quoted.len())].0 + 3;
                    format!("{}\\ud800{}", &text[..at], &text[at..]).into_bytes()
                }
            }
        }
        Make::Deep(n, inside) => {
            let nest = format!("{}{}", "[".repeat(*n), "]".repeat(*n));
            match inside {
                false => nest.into_bytes(),
                true => {
                    let key = template.as_object().and_then(|m| m.keys().next().cloned()).unwrap_or_default();
                    format!("{{{}:{nest}}}", json!(key)).into_bytes()
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Case {
    endpoint: Index,
    make: Make,
    content_type: Option<&'static str>,
}

fn case() -> impl Strategy<Value = Case> {
    let content_type = prop_oneof![
        12 => Just(Some("application/json")),
        1 => Just(Some("application/json; charset=utf-8")),
        1 => Just(Some("application/merge-patch+json")),
        1 => Just(None),
        1 => select(vec![
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some(""),
        ]),
    ];
    // Field names of every endpoint, for JSON objects that get past the first checks.
    const KEYS: &[&str] = &[
        "id",
        "name",
        "tags",
        "settings",
        "rules",
        "max_members",
        "retention_days",
        "publish_hook",
        "spam",
        "max_repeats",
        "window_secs",
        "banned_words",
        "welcome_template",
        "role",
        "expires_at",
        "text",
        "client_id",
        "kind",
        "roles",
        "rooms",
        "priority",
        "tag",
        "cron",
        "timezone",
        "enabled",
        "now",
    ];
    (any::<Index>(), make(KEYS), content_type).prop_map(|(endpoint, make, content_type)| Case {
        endpoint,
        make,
        content_type,
    })
}

fn is_json(content_type: Option<&str>) -> bool {
    content_type.is_some_and(|ct| {
        let essence = ct.split(';').next().unwrap_or_default().trim();
        essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
    })
}

/// What the answer to `bytes` must be: the one code a body with this first problem
/// gets, or `None` for a well-formed object (success or a refusal of its values).
fn first_problem(bytes: &[u8], content_type: Option<&str>) -> Option<Code> {
    if !is_json(content_type) {
        return Some(Code::BadRequest);
    }
    if bytes.len() > MAX_BODY {
        return Some(Code::TooLarge);
    }
    match serde_json::from_slice::<Value>(bytes) {
        Err(_) => Some(Code::BadRequest),
        Ok(Value::Object(_)) => None,
        Ok(_) => Some(Code::Unprocessable),
    }
}

/// No body makes the server answer 5xx, and each answer is the documented one: see the
/// module docs. A refused body leaves what the endpoint changes as it was.
#[test]
fn any_body_gets_the_documented_answer_and_a_refusal_changes_nothing() {
    let max_body = MAX_BODY.to_string();
    let api = Api::start(&[
        ("ROOMD__SERVER__MAX_BODY_BYTES", &max_body),
        ("ROOMD__DEBUG__FAULT_INJECTION", "true"),
    ]);
    for id in ["fuzz", "fuzz-b"] {
        api.send(Method::POST, "/api/v1/rooms", &json!({"id": id}))
            .and_then(|r| r.expect(201))
            .expect("room");
    }
    let schedule = json!({"cron": "0 0 * * *", "rooms": ["fuzz-b"], "text": "the fuzzed one"});
    let schedule =
        api.send(Method::POST, "/api/v1/schedules", &schedule).and_then(|r| r.expect(201)).expect("schedule");
    let endpoints = endpoints(schedule["id"].as_str().expect("schedule id"));
    check(file!(), 256, case(), |case| {
        let ep = &endpoints[case.endpoint.index(endpoints.len())];
        let bytes = body_bytes(&ep.template, &case.make);
        let before = (ep.state)(&api, ep.path)?;
        let reply = api.call(
            ep.method.clone(),
            ep.path,
            Body::Raw { bytes: &bytes, content_type: case.content_type },
        )?;
        let body = String::from_utf8_lossy(&bytes);
        let ct = case.content_type;
        match first_problem(&bytes, ct) {
            Some(code) => {
                reply.expect_error(&[code]).map_err(|e| {
                    proptest::test_runner::TestCaseError::fail(format!("{e}\n  sent ({ct:?}): {body}"))
                })?;
            }
            None if ep.ok.contains(&reply.status) => return Ok(()),
            None => {
                let codes = [&[Code::BadRequest, Code::TooLarge, Code::Unprocessable], ep.also].concat();
                reply.expect_error(&codes).map_err(|e| {
                    proptest::test_runner::TestCaseError::fail(format!("{e}\n  sent: {body}"))
                })?;
            }
        }
        let after = (ep.state)(&api, ep.path)?;
        ensure!(
            after == before,
            "{} {} was refused ({}) but changed what it reads back:\n  before: {before}\n  after:  {after}\n  sent: {body}",
            ep.method,
            ep.path,
            reply.status
        );
        Ok(())
    });
    api.assert_healthy();
}
