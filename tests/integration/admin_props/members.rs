//! `PUT /api/v1/rooms/{id}/members/{user_id}` bodies: `role` and `expires_at` (RFC 3339,
//! in the future), with the user id of the path (1–64 characters, not only blanks, no
//! NUL, not reserved), as docs/ADMIN_API.md gives them.

use std::cell::RefCell;
use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, SecondsFormat, TimeZone, Utc};
use proptest::prelude::*;
use proptest::sample::select;
use reqwest::Method;
use serde_json::{json, Value};

use super::gen::{
    blank, extra_field, field, name, required, too_long, with_nul, wrong_type, Body, Field, Kind,
};
use super::{all_items, check, pick, same, segment, Api, Code};

const FIELDS: &[&str] = &["role", "expires_at"];

/// 9999-12-31T23:59:59.999Z, the last instant RFC 3339 can write.
const LAST_MS: i64 = 253_402_300_799_999;

fn role_field() -> BoxedStrategy<Field> {
    let bad = prop_oneof![
        select(vec!["Owner", "", "system", "mod", "members", "admin "])
            .prop_map(|s| (Value::from(s), Code::Unprocessable)),
        wrong_type(Kind::String),
    ];
    required(field(select(vec!["owner", "admin", "moderator", "member"]).prop_map(Value::from), bad)).boxed()
}

/// `ms` (Unix ms) written in RFC 3339 at `offset_min` minutes east of UTC with
/// `digits` fractional digits (the fraction beyond ms is made up, and must be dropped).
fn rfc3339_at(ms: i64, offset_min: i32, digits: u32, extra_ns: u32) -> String {
    let offset = FixedOffset::east_opt(offset_min * 60).expect("offset");
    let t =
        Utc.timestamp_millis_opt(ms).single().expect("ms") + chrono::Duration::nanoseconds(extra_ns as i64);
    let t: DateTime<FixedOffset> = t.with_timezone(&offset);
    let format = match digits {
        0 => SecondsFormat::Secs,
        3 => SecondsFormat::Millis,
        6 => SecondsFormat::Micros,
        _ => SecondsFormat::Nanos,
    };
    t.to_rfc3339_opts(format, offset_min == 0 && extra_ns % 2 == 0)
}

/// `ms` as the API writes it: UTC, milliseconds, `Z`.
fn api_time(ms: i64) -> String {
    Utc.timestamp_millis_opt(ms).single().expect("ms").to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A future instant up to the last second RFC 3339 can write in any offset, written
/// in any offset and precision; with the instant the API must store (ms, truncated).
fn future_time() -> BoxedStrategy<(String, i64)> {
    let now = chrono::Utc::now().timestamp_millis();
    let far = LAST_MS - 86_400_000;
    let ms = prop_oneof![now + 3_600_000..now + 3_650 * 86_400_000, now + 3_600_000..far, Just(far)];
    let digits = select(vec![0u32, 3, 6, 9]);
    (ms, -1439i32..=1439, digits, 0u32..1_000_000)
        .prop_map(|(ms, off, digits, ns)| {
            let ms = if digits == 0 { ms - ms.rem_euclid(1000) } else { ms };
            let ns = if digits >= 6 { ns } else { 0 };
            (rfc3339_at(ms, off, digits, ns), ms)
        })
        .boxed()
}

fn expires_field() -> BoxedStrategy<(Field, Option<i64>)> {
    let now = chrono::Utc::now().timestamp_millis();
    let bad = prop_oneof![
        // In the past.
        (0i64..now - 60_000, -600i32..600).prop_map(|(ms, off)| Value::from(rfc3339_at(ms, off, 3, 0))),
        select(vec![
            "tomorrow",
            "",
            "2999-01-01",
            "2999-01-01T00:00:00",
            "2999-13-01T00:00:00Z",
            "+12999-01-01T00:00:00Z"
        ])
        .prop_map(Value::from),
        // Beyond the last instant RFC 3339 can write, in UTC.
        select(vec!["9999-12-31T23:59:59-00:01", "9999-12-31T12:00:00-23:59"]).prop_map(Value::from),
        with_nul(1, 30).prop_map(Value::from),
        too_long(40).prop_map(Value::from),
        blank().prop_map(Value::from),
    ]
    .prop_map(|v| (v, Code::Unprocessable));
    prop_oneof![
        1 => Just((Field::Absent, None)),
        1 => Just((Field::Good(Value::Null), None)),
        4 => future_time().prop_map(|(s, ms)| (Field::Good(Value::from(s)), Some(ms))),
        2 => prop_oneof![bad, wrong_type(Kind::String)].prop_map(|(v, c)| (Field::Bad(v, c), None)),
    ]
    .boxed()
}

/// A user id for the path, with the code it calls for if it breaks a rule.
fn user_id() -> BoxedStrategy<(String, Option<Code>)> {
    let good = name(64).prop_filter("not reserved, not a dot segment", |s| {
        let t = s.trim();
        !t.eq_ignore_ascii_case("system") && !t.eq_ignore_ascii_case("roomd") && s != "." && s != ".."
    });
    prop_oneof![
        6 => good.prop_map(|s| (s, None)),
        1 => select(vec!["system", " Roomd", "SYSTEM\t"])
            .prop_map(|s| (s.to_string(), Some(Code::Unprocessable))),
        1 => blank().prop_map(|s| (s, Some(Code::Unprocessable))),
        1 => too_long(64).prop_map(|s| (s, Some(Code::Unprocessable))),
        1 => with_nul(1, 64).prop_map(|s| (s, Some(Code::BadRequest))),
    ]
    .boxed()
}

#[derive(Debug, Clone)]
struct Case {
    user: (String, Option<Code>),
    role: Field,
    expires: (Field, Option<i64>),
    extra: Option<(String, Value)>,
}

fn case() -> impl Strategy<Value = Case> {
    (user_id(), role_field(), expires_field(), extra_field(FIELDS))
        .prop_map(|(user, role, expires, extra)| Case { user, role, expires, extra })
}

/// Members as `GET …/members` lists them, by id.
fn members(api: &Api, room: &str) -> Result<BTreeMap<String, Value>, proptest::test_runner::TestCaseError> {
    Ok(all_items(api, &format!("/api/v1/rooms/{room}/members"))?
        .into_iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap_or_default().to_string(),
                pick(&m, &["id", "name", "kind", "role", "expires_at"]),
            )
        })
        .collect())
}

/// A valid grant to a valid user id (any unicode, percent-encoded in the path) makes
/// exactly that membership: role, and `expires_at` as the same instant (to the ms,
/// written in UTC) or null; it replaces an earlier grant. Anything invalid is refused
/// with its code and changes no membership.
#[test]
fn a_role_grant_stores_exactly_a_valid_body_and_nothing_else() {
    let api = Api::start(&[]);
    let room = "team";
    api.send(Method::POST, "/api/v1/rooms", &json!({"id": room}))
        .and_then(|r| r.expect(201))
        .unwrap_or_else(|e| panic!("create {room}: {e}"));
    let model: RefCell<BTreeMap<String, Value>> = RefCell::default();
    check(file!(), 96, case(), |case| {
        let (user, user_fault) = &case.user;
        let body = Body::new(&[("role", &case.role), ("expires_at", &case.expires.0)], &case.extra);
        let mut faults = body.faults.clone();
        faults.extend(*user_fault);
        let path = format!("/api/v1/rooms/{room}/members/{}", segment(user));
        let reply = api.send(Method::PUT, &path, &body.json)?;
        if reply.status == 200 && !faults.is_empty() {
            // Known from now on, whatever the verdict below (shrinking replays cases).
            let shown = pick(&reply.json()?, &["id", "name", "kind", "role", "expires_at"]);
            model.borrow_mut().insert(user.clone(), shown);
        }
        if !faults.is_empty() {
            reply.expect_error(&faults)?;
            same("the members after a refused grant", &json!(members(&api, room)?), &json!(*model.borrow()))?;
            return Ok(());
        }
        let expected = json!({
            "id": user,
            "name": model.borrow().get(user).map_or(json!(user), |m| m["name"].clone()),
            "kind": "user",
            "role": case.role.good().expect("role"),
            "expires_at": case.expires.1.map(api_time),
        });
        let answer = reply.expect(200)?;
        same("PUT answer", &pick(&answer, &["id", "name", "kind", "role", "expires_at"]), &expected)?;
        model.borrow_mut().insert(user.clone(), expected);
        same("the members read back", &json!(members(&api, room)?), &json!(*model.borrow()))?;
        Ok(())
    });
    api.assert_healthy();
}
