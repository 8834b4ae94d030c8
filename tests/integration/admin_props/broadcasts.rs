//! `POST /api/v1/broadcasts` bodies: `text`, `rooms` (a list of room ids, `"all"` or
//! `{"tag": T}`) and `priority`, as docs/ADMIN_API.md (Broadcasts) gives them.

use std::collections::BTreeSet;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use reqwest::Method;
use serde_json::{json, Value};

use super::gen::{
    bad_room_id, chars, extra_field, field, required, room_id, too_long, with_nul, wrong_type, Body, Field,
    Kind,
};
use super::{check, same, Api, Code};

const MAX_TEXT: usize = 4000;
const FIELDS: &[&str] = &["text", "rooms", "priority"];

/// The rooms of the test server and their tags.
const ROOMS: &[(&str, &[&str])] = &[("news", &["eu", "all-hands"]), ("ops", &["eu"]), ("quiet", &[])];

/// `text`: 1 to `limits.max_text` characters, no NUL (most cases short, some at the limit).
pub fn text_field() -> BoxedStrategy<Field> {
    let good = prop_oneof![3 => chars(1, 300), 1 => chars(MAX_TEXT - 2, MAX_TEXT)];
    let bad = prop_oneof![
        Just((Value::from(""), Code::BadRequest)),
        too_long(MAX_TEXT).prop_map(|s| (Value::from(s), Code::TooLarge)),
        with_nul(1, 300).prop_map(|s| (Value::from(s), Code::BadRequest)),
        wrong_type(Kind::String),
    ];
    required(field(good.prop_map(Value::from), bad)).boxed()
}

pub fn priority_field() -> BoxedStrategy<Field> {
    let bad = prop_oneof![
        select(vec!["HIGH", "", "urgent", "normal "]).prop_map(|s| (Value::from(s), Code::Unprocessable)),
        wrong_type(Kind::String),
    ];
    field(select(vec!["high", "normal", "low"]).prop_map(Value::from), bad)
}

/// A room id of the server, or a valid id of no room.
fn listed_id() -> BoxedStrategy<String> {
    prop_oneof![select(ROOMS.iter().map(|r| r.0).collect::<Vec<_>>()).prop_map(str::to_string), room_id()]
        .boxed()
}

/// A `rooms` target. `unknown_tag_ok`: a tag no room has is valid (schedules resolve
/// their target at each due time; a broadcast at once, where it is 422).
pub fn rooms_field(unknown_tag_ok: bool) -> BoxedStrategy<Field> {
    let known_tag = select(vec!["eu", "all-hands"]);
    let other_tag = prop_oneof![chars(1, 64), Just("nobody".to_string())]
        .prop_filter("no room has it", |t| !["eu", "all-hands"].contains(&t.as_str()));
    let tag_fault = if unknown_tag_ok { None } else { Some(Code::Unprocessable) };
    let tag = prop_oneof![
        known_tag.prop_map(|t| (json!({"tag": t}), None)),
        other_tag.prop_map(move |t| (json!({"tag": t}), tag_fault)),
    ];
    let good_or_not = prop_oneof![
        4 => vec(listed_id(), 1..6).prop_map(|ids| (json!(ids), None)),
        1 => Just((json!("all"), None)),
        2 => tag,
    ];
    let bad = prop_oneof![
        Just(json!([])),
        (vec(listed_id(), 0..3), bad_room_id()).prop_map(|(mut ids, bad)| {
            ids.push(bad);
            json!(ids)
        }),
        select(vec!["ALL", "everything", "", "none"]).prop_map(|s| json!(s)),
        Just(json!({"tag": ""})),
        Just(json!({"tag": "eu", "extra": 1})),
        Just(json!({"tags": "eu"})),
        with_nul(1, 64).prop_map(|t| json!({"tag": t})),
        too_long(64).prop_map(|t| json!({"tag": t})),
        Just(json!(["news", 5])),
        wrong_type(Kind::Array)
            .prop_filter("not a string or an object", |(v, _)| !v.is_string() && !v.is_object())
            .prop_map(|(v, _)| v),
    ]
    .prop_map(|v| (v, Some(Code::Unprocessable)));
    let target = prop_oneof![8 => good_or_not, 1 => bad].prop_map(|(v, fault)| match fault {
        None => Field::Good(v),
        Some(c) => Field::Bad(v, c),
    });
    required(prop_oneof![9 => target, 1 => Just(Field::Absent)]).boxed()
}

/// The rooms `target` resolves to now (existing ones) and the listed ids of no room.
pub fn resolve(target: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let with_tag = |t: &str| ROOMS.iter().filter(|r| r.1.contains(&t)).map(|r| r.0.to_string()).collect();
    match target {
        Value::String(_) => (ROOMS.iter().map(|r| r.0.to_string()).collect(), BTreeSet::new()),
        Value::Object(o) => (with_tag(o["tag"].as_str().unwrap_or_default()), BTreeSet::new()),
        Value::Array(ids) => ids
            .iter()
            .map(|id| id.as_str().unwrap_or_default().to_string())
            .partition(|id| ROOMS.iter().any(|r| r.0 == id)),
        _ => Default::default(),
    }
}

/// Creates the rooms of [`ROOMS`].
pub fn create_rooms(api: &Api) {
    for (id, tags) in ROOMS {
        api.send(Method::POST, "/api/v1/rooms", &json!({"id": id, "tags": tags}))
            .and_then(|r| r.expect(201))
            .unwrap_or_else(|e| panic!("create {id}: {e}"));
    }
}

#[derive(Debug, Clone)]
struct Case {
    text: Field,
    rooms: Field,
    priority: Field,
    extra: Option<(String, Value)>,
}

fn case() -> impl Strategy<Value = Case> {
    (text_field(), rooms_field(false), priority_field(), extra_field(FIELDS))
        .prop_map(|(text, rooms, priority, extra)| Case { text, rooms, priority, extra })
}

/// The id of the newest job (the list is newest first).
fn newest_job(api: &Api) -> Result<Value, proptest::test_runner::TestCaseError> {
    Ok(api.read("/api/v1/broadcasts?limit=1")?["items"][0]["id"].clone())
}

/// A valid body starts a job that shows exactly its text, target and priority, with
/// one entry per target room (a listed id of no room failed at once with
/// `not_found`); an invalid one is refused with its code and starts no job.
#[test]
fn a_broadcast_stores_exactly_a_valid_body_and_nothing_else() {
    let api = Api::start(&[]);
    create_rooms(&api);
    check(file!(), 64, case(), |case| {
        let body = Body::new(
            &[("text", &case.text), ("rooms", &case.rooms), ("priority", &case.priority)],
            &case.extra,
        );
        let before = newest_job(&api)?;
        let reply = api.send(Method::POST, "/api/v1/broadcasts", &body.json)?;
        if !body.faults.is_empty() {
            reply.expect_error(&body.faults)?;
            same("the newest job after a refused broadcast", &newest_job(&api)?, &before)?;
            return Ok(());
        }
        let answer = reply.expect(201)?;
        let target = case.rooms.good().expect("rooms");
        let expected = json!({
            "text": case.text.good().expect("text"),
            "target": target,
            "priority": case.priority.good().cloned().unwrap_or(json!("normal")),
            "created_by": "admin",
            "schedule_id": null,
        });
        let (rooms, unknown) = resolve(target);
        for (what, job) in [
            ("answer", answer.clone()),
            (
                "read back",
                api.read(&format!("/api/v1/broadcasts/{}", answer["id"].as_str().unwrap_or_default()))?,
            ),
        ] {
            same(
                &format!("the job ({what})"),
                &super::pick(&job, &["text", "target", "priority", "created_by", "schedule_id"]),
                &expected,
            )?;
            let entries = job["rooms"].as_array().cloned().unwrap_or_default();
            let listed: BTreeSet<String> =
                entries.iter().map(|r| r["room"].as_str().unwrap_or_default().to_string()).collect();
            let all: BTreeSet<String> = rooms.union(&unknown).cloned().collect();
            ensure!(
                listed == all && entries.len() == all.len(),
                "the job's rooms ({what}): {listed:?}, expected {all:?}"
            );
            for r in entries.iter().filter(|r| unknown.contains(r["room"].as_str().unwrap_or_default())) {
                same(
                    "a listed id of no room",
                    &super::pick(r, &["status", "attempts", "last_error"]),
                    &json!({"status": "failed", "attempts": 0, "last_error": "not_found: no such room"}),
                )?;
            }
        }
        ensure!(newest_job(&api)? == answer["id"], "the job is not the newest listed");
        Ok(())
    });
    api.assert_healthy();
}
