//! `POST /api/v1/rooms/{id}/messages` bodies (an operator's post): `text` (1 to
//! `limits.max_text` characters, no NUL) and `client_id` (1–128 bytes, no NUL; a repeat
//! answers the original), as docs/ADMIN_API.md and docs/PROTOCOL.md give them.

use std::cell::RefCell;
use std::collections::HashMap;

use proptest::prelude::*;
use proptest::sample::select;
use reqwest::Method;
use serde_json::{json, Value};

use super::gen::{chars, extra_field, field, required, too_long, with_nul, wrong_type, Body, Field, Kind};
use super::{check, same, Api, Code};

/// `limits.max_text` (config/default.toml).
const MAX_TEXT: usize = 4000;
const FIELDS: &[&str] = &["text", "client_id"];

fn text_field() -> BoxedStrategy<Field> {
    let bad = prop_oneof![
        Just((Value::from(""), Code::BadRequest)),
        too_long(MAX_TEXT).prop_map(|s| (Value::from(s), Code::TooLarge)),
        with_nul(1, MAX_TEXT).prop_map(|s| (Value::from(s), Code::BadRequest)),
        wrong_type(Kind::String),
    ];
    required(field(chars(1, MAX_TEXT).prop_map(Value::from), bad)).boxed()
}

/// The longest prefix of `s` of at most `max` bytes (whole characters).
fn at_most_bytes(s: &str, max: usize) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if out.len() + c.len_utf8() > max {
            break;
        }
        out.push(c);
    }
    out
}

fn client_id_field() -> BoxedStrategy<Field> {
    let good = prop_oneof![
        3 => chars(1, 128).prop_map(|s| at_most_bytes(&s, 128)).prop_filter("not empty", |s| !s.is_empty()),
        // Repeats: the second post with one of these answers the first.
        1 => select(vec!["repeat-1", "repeat-2", "é".repeat(64).leak()]).prop_map(str::to_string),
    ];
    let bad = prop_oneof![
        Just((Value::from(""), Code::BadRequest)),
        // 129 to 140 bytes.
        (43usize..47).prop_map(|n| (Value::from("中".repeat(n)), Code::BadRequest)),
        Just((Value::from("x".repeat(129)), Code::BadRequest)),
        with_nul(1, 100).prop_map(|s| (Value::from(at_most_bytes(&s, 128)), Code::BadRequest)),
        wrong_type(Kind::String),
    ]
    .prop_filter("the NUL survived the cut", |(v, c)| {
        *c != Code::BadRequest || v.as_str().is_none_or(|s| s.is_empty() || s.len() > 128 || s.contains('\0'))
    });
    prop_oneof![
        5 => field(good.prop_map(Value::from), bad),
        1 => Just(Field::Good(Value::Null)),
    ]
    .boxed()
}

#[derive(Debug, Clone)]
struct Case {
    text: Field,
    client_id: Field,
    extra: Option<(String, Value)>,
}

fn case() -> impl Strategy<Value = Case> {
    (text_field(), client_id_field(), extra_field(FIELDS)).prop_map(|(text, client_id, extra)| Case {
        text,
        client_id,
        extra,
    })
}

/// The room's newest message, if any.
fn newest(api: &Api, room: &str) -> Result<Option<Value>, proptest::test_runner::TestCaseError> {
    let page = api.read(&format!("/api/v1/rooms/{room}/messages?limit=1"))?;
    Ok(page["items"].as_array().and_then(|items| items.last().cloned()))
}

/// A valid post is stored with exactly its text and `client_id` (whatever unicode
/// they hold), from the system sender named after the admin token, at the next seq,
/// and reads back identical; a repeated `client_id` answers 200 with the original and
/// stores nothing; an invalid body is refused with its code and stores nothing.
#[test]
fn an_operator_post_stores_exactly_its_text_or_nothing() {
    let api = Api::start(&[]);
    let room = "posts";
    api.send(Method::POST, "/api/v1/rooms", &json!({"id": room}))
        .and_then(|r| r.expect(201))
        .unwrap_or_else(|e| panic!("create {room}: {e}"));
    let originals: RefCell<HashMap<String, Value>> = RefCell::default();
    check(file!(), 96, case(), |case| {
        let body = Body::new(&[("text", &case.text), ("client_id", &case.client_id)], &case.extra);
        let before = newest(&api, room)?;
        let last_seq = before.as_ref().map_or(0, |m| m["seq"].as_i64().unwrap_or(0));
        let reply = api.send(Method::POST, &format!("/api/v1/rooms/{room}/messages"), &body.json)?;
        if reply.status == 201 && !body.faults.is_empty() {
            // Known from now on, whatever the verdict below (shrinking replays cases).
            let answer = reply.json()?;
            if let Some(c) = answer["client_id"].as_str() {
                originals.borrow_mut().insert(c.to_string(), answer.clone());
            }
        }
        if !body.faults.is_empty() {
            reply.expect_error(&body.faults)?;
            same(
                "the newest message after a refused post",
                &newest(&api, room)?.unwrap_or_default(),
                &before.unwrap_or_default(),
            )?;
            return Ok(());
        }
        let client_id = case.client_id.good().and_then(Value::as_str).map(str::to_string);
        if let Some(original) = client_id.as_ref().and_then(|c| originals.borrow().get(c).cloned()) {
            same("the answer to a repeated client_id", &reply.expect(200)?, &original)?;
            ensure!(newest(&api, room)?.as_ref() == before.as_ref(), "a repeated client_id stored a message");
            return Ok(());
        }
        let answer = reply.expect(201)?;
        let text = case.text.good().expect("a valid body has a text");
        same("text", &answer["text"], text)?;
        same("client_id", &answer["client_id"], &json!(client_id))?;
        same("from", &answer["from"], &json!({"id": "system", "name": "admin", "kind": "system"}))?;
        same("room", &answer["room"], &json!(room))?;
        same("seq", &answer["seq"], &json!(last_seq + 1))?;
        let read = api.read(&format!("/api/v1/rooms/{room}/messages?after_seq={last_seq}&limit=5"))?;
        same("the history after the post", &read["items"], &json!([answer]))?;
        if let Some(c) = client_id {
            originals.borrow_mut().insert(c, answer);
        }
        Ok(())
    });
    api.assert_healthy();
}
