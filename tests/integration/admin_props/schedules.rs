//! `POST /api/v1/schedules` and `PATCH /api/v1/schedules/{id}` bodies: `cron`,
//! `timezone`, `rooms`, `text`, `priority`, `enabled`, as docs/ADMIN_API.md
//! (Schedules) gives them. The scheduler's clock is set to a fixed time first
//! (`POST /debug/clock`), so no schedule fires while the properties run.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use reqwest::Method;
use serde_json::{json, Value};

use super::broadcasts::{create_rooms, priority_field, rooms_field, text_field};
use super::gen::{chars, extra_field, field, too_long, with_nul, wrong_type, Body, Field, Kind};
use super::{all_items, check, pick, same, Api, Code};

const FIELDS: &[&str] = &["cron", "timezone", "rooms", "text", "priority", "enabled"];
const SHOWN: &[&str] = &["cron", "timezone", "rooms", "text", "priority", "enabled"];

/// Crons that fire (after 2030-01-01), in 5- and 6-field forms.
const CRONS: &[&str] = &[
    "* * * * *",
    "*/5 * * * *",
    "30 9 * * MON-FRI",
    "0 0 1 JAN *",
    "0 0 29 2 *",
    "0 0 L * *",
    "0 12 * * 5#3",
    "0 0 * * 5L",
    "59 23 31 12 *",
    "0 */15 * * * *",
    "59 59 23 * * SUN",
    "0,30 8-18/2 1-7 * 1",
];

/// Crons that are refused: wrong field counts, values out of range, never firing.
const BAD_CRONS: &[&str] = &[
    "",
    "* * * *",
    "* * * * * * *",
    "61 * * * *",
    "* 24 * * *",
    "0 0 30 2 *",
    "0 0 31 4 *",
    "*/0 * * * *",
    "x y z w v",
    "* * * * 8",
];

/// Cron-like strings made of the pieces croner reads; they may or may not be valid.
fn cron_like() -> BoxedStrategy<String> {
    let piece = select(vec![
        "*",
        "*/5",
        "0",
        "59",
        "60",
        "1-5",
        "5-1",
        "L",
        "5L",
        "5#3",
        "5#6",
        "?",
        "MON-FRI",
        "JAN",
        "W",
        "15W",
        "LW",
        ",",
        "-",
        "/",
        "#",
        "0/0",
        "99999999999",
        "*/0",
        "1,2,,3",
        "SUN-SAT",
        "7",
        "-1",
    ]);
    prop_oneof![vec(piece, 4..=7).prop_map(|p| p.join(" ")), chars(0, 30)].boxed()
}

/// The `cron` field, and whether the outcome cannot be told in advance (cron-like).
fn cron_field() -> BoxedStrategy<(Field, bool)> {
    prop_oneof![
        2 => Just((Field::Absent, false)),
        16 => select(CRONS.to_vec()).prop_map(|c| (Field::Good(json!(c)), false)),
        2 => select(BAD_CRONS.to_vec()).prop_map(|c| (Field::Bad(json!(c), Code::Unprocessable), false)),
        1 => with_nul(9, 20).prop_map(|c| (Field::Bad(json!(c), Code::Unprocessable), false)),
        1 => wrong_type(Kind::String).prop_map(|(v, c)| (Field::Bad(v, c), false)),
        2 => cron_like().prop_map(|c| (Field::Bad(json!(c), Code::Unprocessable), true)),
    ]
    .boxed()
}

fn timezone_field() -> BoxedStrategy<Field> {
    let good = select(vec![
        "UTC",
        "Europe/Berlin",
        "America/St_Johns",
        "Asia/Kathmandu",
        "Pacific/Chatham",
        "Etc/GMT+12",
        "Australia/Lord_Howe",
        "America/Sao_Paulo",
    ]);
    let bad = prop_oneof![
        select(vec!["Mars/Olympus", "", "Europe/", "UTC ", "+01:00"]).prop_map(Value::from),
        with_nul(1, 20).prop_map(Value::from),
        too_long(64).prop_map(Value::from),
    ]
    .prop_map(|v| (v, Code::Unprocessable));
    field(good.prop_map(Value::from), prop_oneof![bad, wrong_type(Kind::String)])
}

fn enabled_field() -> BoxedStrategy<Field> {
    let bad = prop_oneof![
        select(vec!["true", "yes", ""]).prop_map(|s| (Value::from(s), Code::Unprocessable)),
        wrong_type(Kind::Bool),
    ];
    field(any::<bool>().prop_map(Value::from), bad)
}

#[derive(Debug, Clone)]
struct Fields {
    cron: (Field, bool),
    timezone: Field,
    rooms: Field,
    text: Field,
    priority: Field,
    enabled: Field,
    extra: Option<(String, Value)>,
}

impl Fields {
    fn body(&self) -> Body {
        Body::new(
            &[
                ("cron", &self.cron.0),
                ("timezone", &self.timezone),
                ("rooms", &self.rooms),
                ("text", &self.text),
                ("priority", &self.priority),
                ("enabled", &self.enabled),
            ],
            &self.extra,
        )
    }

    /// `base` (a schedule as shown) with the valid fields given; `null` changes nothing.
    fn applied(&self, base: &Value) -> Value {
        let mut out = base.clone();
        let given = [
            ("cron", &self.cron.0),
            ("timezone", &self.timezone),
            ("rooms", &self.rooms),
            ("text", &self.text),
            ("priority", &self.priority),
            ("enabled", &self.enabled),
        ];
        for (k, f) in given {
            match f {
                Field::Good(v) if !v.is_null() => out[k] = v.clone(),
                Field::Bad(v, _) if k == "cron" && self.cron.1 => {
                    out[k] = json!(v.as_str().unwrap_or_default().trim())
                }
                _ => {}
            }
        }
        out
    }
}

/// `null` means "no change" for any field of a patch.
fn or_null(f: BoxedStrategy<Field>) -> BoxedStrategy<Field> {
    prop_oneof![5 => f, 1 => Just(Field::Good(Value::Null))].boxed()
}

fn create_fields() -> impl Strategy<Value = Fields> {
    let cron = cron_field().prop_map(|(f, maybe)| match f {
        // Left out of a create only now and then (it is required).
        Field::Absent => (Field::Missing, false),
        other => (other, maybe),
    });
    (
        cron,
        timezone_field(),
        rooms_field(true),
        text_field(),
        priority_field(),
        enabled_field(),
        extra_field(FIELDS),
    )
        .prop_map(|(cron, timezone, rooms, text, priority, enabled, extra)| Fields {
            cron,
            timezone,
            rooms,
            text,
            priority,
            enabled,
            extra,
        })
}

fn patch_fields() -> impl Strategy<Value = Fields> {
    let optional = |f: BoxedStrategy<Field>| {
        or_null(
            f.prop_map(|f| match f {
                Field::Missing => Field::Absent,
                other => other,
            })
            .boxed(),
        )
    };
    let cron = prop_oneof![5 => cron_field(), 1 => Just((Field::Good(Value::Null), false))];
    (
        cron,
        optional(timezone_field()),
        optional(rooms_field(true)),
        optional(text_field()),
        optional(priority_field()),
        optional(enabled_field()),
        extra_field(FIELDS),
    )
        .prop_map(|(cron, timezone, rooms, text, priority, enabled, extra)| Fields {
            cron,
            timezone,
            rooms,
            text,
            priority,
            enabled,
            extra,
        })
}

/// The schedule as `GET /schedules/{id}` shows it: its fields, times and `enabled`.
fn shown(api: &Api, id: &str) -> Result<Value, proptest::test_runner::TestCaseError> {
    let s = api.read(&format!("/api/v1/schedules/{id}"))?;
    Ok(pick(&s, &[SHOWN, &["id", "next_run_at", "updated_at"]].concat()))
}

/// Checks a schedule's answer and its read-back against `expected` (its fields):
/// `next_run_at` is set exactly while it is enabled.
fn check_shown(
    what: &str,
    answer: &Value,
    read: &Value,
    expected: &Value,
) -> Result<(), proptest::test_runner::TestCaseError> {
    same(&format!("{what} answer"), &pick(answer, SHOWN), expected)?;
    same(&format!("{what} read back"), &pick(read, SHOWN), expected)?;
    let enabled = expected["enabled"] == true;
    ensure!(
        read["next_run_at"].is_string() == enabled,
        "{what}: next_run_at {} with enabled {enabled}",
        read["next_run_at"]
    );
    Ok(())
}

/// A valid body makes (or changes) a schedule that shows exactly its fields, cron
/// trimmed, with the documented defaults (`UTC`, `normal`, enabled); a refused one
/// adds no schedule, or leaves the patched one exactly as it was. Cron-like strings
/// that may or may not be valid are 201/200 or 422, never anything else.
#[test]
fn schedules_store_exactly_a_valid_body_and_nothing_else() {
    let api = Api::start(&[("ROOMD__DEBUG__FAULT_INJECTION", "true")]);
    create_rooms(&api);
    api.send(Method::POST, "/api/v1/debug/clock", &json!({"now": "2030-01-01T00:00:00Z"}))
        .and_then(|r| r.expect(200))
        .unwrap_or_else(|e| panic!("set the clock: {e}"));
    check(file!(), 64, (create_fields(), patch_fields()), |(create, patch)| {
        let before = all_items(&api, "/api/v1/schedules")?;
        let body = create.body();
        let reply = api.send(Method::POST, "/api/v1/schedules", &body.json)?;
        let defaults = json!({"timezone": "UTC", "priority": "normal", "enabled": true});
        let sure = body.faults.len() > usize::from(create.cron.1) || !create.cron.1;
        if !body.faults.is_empty() && (sure || reply.status != 201) {
            reply.expect_error(&body.faults)?;
            same(
                "the schedules after a refused create",
                &json!(all_items(&api, "/api/v1/schedules")?),
                &json!(before),
            )?;
            return Ok(());
        }
        let answer = reply.expect(201)?;
        let id = answer["id"].as_str().unwrap_or_default().to_string();
        let expected = create.applied(&defaults);
        check_shown("POST /schedules", &answer, &shown(&api, &id)?, &expected)?;

        let before = shown(&api, &id)?;
        let body = patch.body();
        let reply = api.send(Method::PATCH, &format!("/api/v1/schedules/{id}"), &body.json)?;
        let sure = body.faults.len() > usize::from(patch.cron.1) || !patch.cron.1;
        if !body.faults.is_empty() && (sure || reply.status != 200) {
            reply.expect_error(&body.faults)?;
            same("the schedule after a refused patch", &shown(&api, &id)?, &before)?;
            return Ok(());
        }
        let answer = reply.expect(200)?;
        check_shown("PATCH /schedules", &answer, &shown(&api, &id)?, &patch.applied(&pick(&before, SHOWN)))?;
        Ok(())
    });
    api.assert_healthy();
}
