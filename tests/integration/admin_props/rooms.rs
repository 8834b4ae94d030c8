//! `POST /api/v1/rooms` and `PATCH /api/v1/rooms/{id}` bodies: id, name, tags and the
//! room settings (docs/ADMIN_API.md, Identifiers and Settings).

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;
use reqwest::Method;
use serde_json::{json, Value};

use super::gen::{
    blank, chars, extra_field, field, json_leaf, name, required, room_id, too_long, with_nul, wrong_type,
    Body, Field, Kind,
};
use super::{check, pick, same, Api, Code};

/// The settings a room has when none are given.
pub fn default_settings() -> Value {
    json!({"welcome_template": null, "rules": null, "banned_words": [], "max_members": null, "spam": null,
        "retention_days": null, "publish_hook": null})
}

const SETTINGS: &[&str] =
    &["welcome_template", "rules", "banned_words", "max_members", "spam", "retention_days", "publish_hook"];
const CREATE_FIELDS: &[&str] = &["id", "name", "tags", "settings"];
const PATCH_FIELDS: &[&str] = &["name", "tags", "settings"];

/// `settings` after `changes` (a valid settings object) replaced the given fields of
/// `base`, `null` setting a field back to its default ("null clears it").
pub fn apply_settings(base: &Value, changes: &Value) -> Value {
    let mut out = base.clone();
    for (k, v) in changes.as_object().expect("settings object") {
        out[k] = if v.is_null() { default_settings()[k].clone() } else { v.clone() };
    }
    out
}

/// A number that is not a `u32`, or not an integer (422 for `max_members`, `max_repeats`,
/// `retention_days`).
fn not_u32() -> BoxedStrategy<Value> {
    prop_oneof![
        (u32::MAX as u64 + 1..=u64::MAX).prop_map(Value::from),
        (i64::MIN..0).prop_map(Value::from),
        Just(json!(1.5)),
        Just(json!(1e10)),
    ]
    .boxed()
}

/// A `u32`, often at a boundary.
fn any_u32(min: u32) -> BoxedStrategy<Value> {
    prop_oneof![Just(min), Just(u32::MAX), min..=u32::MAX, min..=min + 10].prop_map(Value::from).boxed()
}

/// A valid value of setting `key` (null included: it clears the setting).
fn good_setting(key: &'static str) -> BoxedStrategy<Value> {
    let v = match key {
        "welcome_template" | "rules" => chars(0, 300).prop_map(Value::from).boxed(),
        "banned_words" => vec(name(40), 0..4).prop_map(|w| json!(w)).boxed(),
        "max_members" => any_u32(1),
        "retention_days" => any_u32(0),
        "spam" => {
            let window = prop_oneof![Just(1u64), Just(u64::MAX), 1..=u64::MAX, 1u64..100];
            (any_u32(0), window).prop_map(|(r, w)| json!({"max_repeats": r, "window_secs": w})).boxed()
        }
        "publish_hook" => {
            let url =
                prop_oneof![Just(""), Just("http://127.0.0.1:9/hook"), Just("https://backend.example/h")];
            let timeout = prop_oneof![Just(Value::Null), (1u64..=u64::MAX).prop_map(Value::from)];
            let policy = prop_oneof![Just(Value::Null), Just(json!("fail_open")), Just(json!("fail_closed"))];
            (url, timeout, policy)
                .prop_map(|(u, t, p)| json!({"url": u, "timeout_ms": t, "policy": p}))
                .boxed()
        }
        _ => unreachable!("{key}"),
    };
    prop_oneof![1 => Just(Value::Null), 4 => v].boxed()
}

/// A value of setting `key` that breaks a documented rule (all are 422).
fn bad_setting(key: &'static str) -> BoxedStrategy<(Value, Code)> {
    let v: BoxedStrategy<Value> = match key {
        "welcome_template" | "rules" => prop_oneof![
            with_nul(1, 100).prop_map(Value::from),
            wrong_type(Kind::String).prop_map(|(v, _)| v),
        ]
        .boxed(),
        "banned_words" => {
            let bad_word = prop_oneof![Just(String::new()), blank(), with_nul(1, 20)].prop_map(Value::from);
            let bad_item = prop_oneof![bad_word, json_leaf().prop_filter("not a string", |v| !v.is_string())];
            prop_oneof![
                (vec(name(20), 0..3), bad_item, any::<Index>()).prop_map(|(words, bad, at)| {
                    let mut items: Vec<Value> = words.into_iter().map(Value::from).collect();
                    items.insert(at.index(items.len() + 1), bad);
                    Value::Array(items)
                }),
                wrong_type(Kind::Array).prop_map(|(v, _)| v),
            ]
            .boxed()
        }
        "max_members" => {
            prop_oneof![Just(json!(0)), not_u32(), wrong_type(Kind::Number).prop_map(|(v, _)| v),].boxed()
        }
        "retention_days" => prop_oneof![not_u32(), wrong_type(Kind::Number).prop_map(|(v, _)| v)].boxed(),
        "spam" => {
            let ok_repeats = any_u32(0);
            prop_oneof![
                any_u32(0).prop_map(|r| json!({"max_repeats": r, "window_secs": 0})),
                (not_u32(), 1u64..100).prop_map(|(r, w)| json!({"max_repeats": r, "window_secs": w})),
                (ok_repeats.clone(), prop_oneof![Just(json!(-1)), Just(json!(1.5)), Just(json!("60"))])
                    .prop_map(|(r, w)| json!({"max_repeats": r, "window_secs": w})),
                ok_repeats.prop_map(|r| json!({"max_repeats": r})),
                Just(json!({"window_secs": 10})),
                wrong_type(Kind::Object).prop_map(|(v, _)| v),
            ]
            .boxed()
        }
        "publish_hook" => prop_oneof![
            Just(json!({"url": "ftp://127.0.0.1/h", "timeout_ms": null, "policy": null})),
            Just(json!({"url": "not a url", "timeout_ms": null, "policy": null})),
            Just(json!({"url": "http://127.0.0.1:9/h", "timeout_ms": 0, "policy": null})),
            Just(json!({"url": "http://127.0.0.1:9/h", "timeout_ms": null, "policy": "fail_sideways"})),
            Just(json!({"timeout_ms": 5})),
            wrong_type(Kind::Object).prop_map(|(v, _)| v),
        ]
        .boxed(),
        _ => unreachable!("{key}"),
    };
    v.prop_map(|v| (v, Code::Unprocessable)).boxed()
}

/// The `settings` field: absent, a valid object of some settings, or one with a bad or
/// unknown setting, or not an object (422).
fn settings_field() -> BoxedStrategy<Field> {
    let one = |k: &'static str| {
        prop_oneof![
            6 => Just(Field::Absent),
            6 => good_setting(k).prop_map(Field::Good),
            1 => bad_setting(k).prop_map(|(v, c)| Field::Bad(v, c)),
        ]
    };
    let fields = (
        one(SETTINGS[0]),
        one(SETTINGS[1]),
        one(SETTINGS[2]),
        one(SETTINGS[3]),
        one(SETTINGS[4]),
        one(SETTINGS[5]),
        one(SETTINGS[6]),
    );
    let object = fields.prop_flat_map(|fields| (Just(fields), extra_field(SETTINGS))).prop_map(
        |((a, b, c, d, e, f, g), extra)| {
            let body = Body::new(
                &[
                    (SETTINGS[0], &a),
                    (SETTINGS[1], &b),
                    (SETTINGS[2], &c),
                    (SETTINGS[3], &d),
                    (SETTINGS[4], &e),
                    (SETTINGS[5], &f),
                    (SETTINGS[6], &g),
                ],
                &extra,
            );
            match body.faults.is_empty() {
                true => Field::Good(body.json),
                false => Field::Bad(body.json, Code::Unprocessable),
            }
        },
    );
    prop_oneof![
        1 => Just(Field::Absent),
        6 => object,
        1 => wrong_type(Kind::Object).prop_map(|(v, c)| Field::Bad(v, c)),
    ]
    .boxed()
}

/// A room name: 1–200 characters, not only blanks, no NUL.
fn name_field() -> BoxedStrategy<Field> {
    let bad = prop_oneof![
        Just(String::new()).prop_map(Value::from),
        blank().prop_map(Value::from),
        too_long(200).prop_map(Value::from),
        with_nul(1, 200).prop_map(Value::from),
    ]
    .prop_map(|v| (v, Code::Unprocessable));
    field(name(200).prop_map(Value::from), prop_oneof![bad, wrong_type(Kind::String)])
}

/// Tags: each 1–64 characters, no NUL.
fn tags_field() -> BoxedStrategy<Field> {
    let bad_tag = prop_oneof![
        Just(Value::from("")),
        too_long(64).prop_map(Value::from),
        with_nul(1, 64).prop_map(Value::from),
        json_leaf().prop_filter("not a string", |v| !v.is_string()),
    ];
    let bad = prop_oneof![
        (vec(chars(1, 64), 0..3), bad_tag, any::<Index>()).prop_map(|(tags, bad, at)| {
            let mut items: Vec<Value> = tags.into_iter().map(Value::from).collect();
            items.insert(at.index(items.len() + 1), bad);
            (Value::Array(items), Code::Unprocessable)
        }),
        wrong_type(Kind::Array),
    ];
    field(vec(chars(1, 64), 0..5).prop_map(|t| json!(t)), bad)
}

fn id_field() -> BoxedStrategy<Field> {
    let bad = prop_oneof![
        super::gen::bad_room_id().prop_map(|s| (Value::from(s), Code::Unprocessable)),
        wrong_type(Kind::String),
    ];
    required(field(room_id().prop_map(Value::from), bad)).boxed()
}

/// The room as `GET /rooms/{id}` shows what a body set.
fn stored(api: &Api, id: &str) -> Result<Option<Value>, proptest::test_runner::TestCaseError> {
    let reply = api.get(&format!("/api/v1/rooms/{id}"))?;
    match reply.status {
        404 => {
            reply.expect_error(&[Code::NotFound])?;
            Ok(None)
        }
        _ => Ok(Some(pick(&reply.expect(200)?, &["id", "name", "tags", "settings"]))),
    }
}

#[derive(Debug, Clone)]
struct CreateCase {
    id: Field,
    name: Field,
    tags: Field,
    settings: Field,
    extra: Option<(String, Value)>,
}

fn create_case() -> impl Strategy<Value = CreateCase> {
    (id_field(), name_field(), tags_field(), settings_field(), extra_field(CREATE_FIELDS))
        .prop_map(|(id, name, tags, settings, extra)| CreateCase { id, name, tags, settings, extra })
}

/// A valid body is stored exactly as given (name defaulting to the id, settings to
/// their defaults) and answered 201; a second one with the same id is 409; anything
/// else is refused with the code its fault calls for and stores nothing.
#[test]
fn create_room_stores_exactly_a_valid_body_and_nothing_else() {
    let api = Api::start(&[]);
    let rooms: RefCell<HashMap<String, Value>> = RefCell::default();
    check(file!(), 96, create_case(), |case| {
        let body = Body::new(
            &[("id", &case.id), ("name", &case.name), ("tags", &case.tags), ("settings", &case.settings)],
            &case.extra,
        );
        let id = case.id.good().and_then(Value::as_str).map(str::to_string);
        let existing = id.as_ref().and_then(|id| rooms.borrow().get(id).cloned());
        let mut faults = body.faults.clone();
        if existing.is_some() {
            faults.push(Code::Conflict);
        }
        let reply = api.send(Method::POST, "/api/v1/rooms", &body.json)?;
        if let (201, Some(id)) = (reply.status, &id) {
            // Known from now on, whatever the verdict below (shrinking replays cases).
            rooms.borrow_mut().insert(id.clone(), stored(&api, id)?.unwrap_or_default());
        }
        if faults.is_empty() {
            let id = id.expect("a valid body has an id");
            let name = case.name.good().filter(|n| !n.is_null()).cloned().unwrap_or(json!(id));
            let expected = json!({
                "id": id,
                "name": name,
                "tags": case.tags.good().cloned().unwrap_or(json!([])),
                "settings": apply_settings(&default_settings(), case.settings.good().unwrap_or(&json!({}))),
            });
            let answer = reply.expect(201)?;
            same("POST /rooms answer", &pick(&answer, &["id", "name", "tags", "settings"]), &expected)?;
            same("the room read back", &stored(&api, &id)?.unwrap_or_default(), &expected)?;
            rooms.borrow_mut().insert(id, expected);
        } else {
            reply.expect_error(&faults)?;
            if let Some(id) = &id {
                same(
                    "the room after a refused create",
                    &stored(&api, id)?.unwrap_or_default(),
                    &existing.unwrap_or_default(),
                )?;
            }
        }
        Ok(())
    });
    api.assert_healthy();
}

#[derive(Debug, Clone)]
struct PatchCase {
    initial: Value,
    name: Field,
    tags: Field,
    settings: Field,
    extra: Option<(String, Value)>,
}

/// A valid starting point for a patch: name, tags and settings.
fn initial_room() -> impl Strategy<Value = Value> {
    (name(200), vec(chars(1, 64), 0..4), settings_field().prop_filter("valid", |f| f.fault().is_none()))
        .prop_map(|(name, tags, settings)| {
            json!({"name": name, "tags": tags, "settings": settings.good().cloned().unwrap_or(json!({}))})
        })
}

/// `null` means "no change" for name, tags and settings in a patch.
fn or_null(f: BoxedStrategy<Field>) -> BoxedStrategy<Field> {
    prop_oneof![5 => f, 1 => Just(Field::Good(Value::Null))].boxed()
}

fn patch_case() -> impl Strategy<Value = PatchCase> {
    (
        initial_room(),
        or_null(name_field()),
        or_null(tags_field()),
        or_null(settings_field()),
        extra_field(PATCH_FIELDS),
    )
        .prop_map(|(initial, name, tags, settings, extra)| PatchCase {
            initial,
            name,
            tags,
            settings,
            extra,
        })
}

/// A valid patch changes exactly the fields it gives (settings one by one, `null`
/// clearing one) and the answer and a read show the merged room; a refused patch
/// leaves the room exactly as it was.
#[test]
fn patch_room_changes_exactly_what_a_valid_body_gives() {
    let api = Api::start(&[]);
    let n = Cell::new(0u32);
    check(file!(), 96, patch_case(), |case| {
        n.set(n.get() + 1);
        let id = format!("patch-{}", n.get());
        let mut create = case.initial.clone();
        create["id"] = json!(id);
        api.send(Method::POST, "/api/v1/rooms", &create)?.expect(201)?;
        let before = stored(&api, &id)?.unwrap_or_default();
        let body = Body::new(
            &[("name", &case.name), ("tags", &case.tags), ("settings", &case.settings)],
            &case.extra,
        );
        let reply = api.send(Method::PATCH, &format!("/api/v1/rooms/{id}"), &body.json)?;
        if body.faults.is_empty() {
            let mut expected = before.clone();
            if let Some(name) = case.name.good().filter(|v| !v.is_null()) {
                expected["name"] = name.clone();
            }
            if let Some(tags) = case.tags.good().filter(|v| !v.is_null()) {
                expected["tags"] = tags.clone();
            }
            if let Some(changes) = case.settings.good().filter(|v| !v.is_null()) {
                expected["settings"] = apply_settings(&before["settings"], changes);
            }
            let answer = reply.expect(200)?;
            same("PATCH answer", &pick(&answer, &["id", "name", "tags", "settings"]), &expected)?;
            same("the room read back", &stored(&api, &id)?.unwrap_or_default(), &expected)?;
        } else {
            reply.expect_error(&body.faults)?;
            same("the room after a refused patch", &stored(&api, &id)?.unwrap_or_default(), &before)?;
        }
        Ok(())
    });
    api.assert_healthy();
}

#[derive(Debug, Clone)]
struct SettingsCase {
    /// Valid values of some settings.
    valid: Vec<(&'static str, Value)>,
    /// At most one setting that breaks a rule (it replaces a valid one of that name).
    broken: Option<(String, Value)>,
}

fn settings_case() -> impl Strategy<Value = SettingsCase> {
    let valid = proptest::sample::subsequence(SETTINGS.to_vec(), 0..=SETTINGS.len())
        .prop_flat_map(|keys| keys.into_iter().map(|k| (Just(k), good_setting(k))).collect::<Vec<_>>());
    let broken = prop_oneof![
        1 => Just(None),
        2 => proptest::sample::select(SETTINGS.to_vec())
            .prop_flat_map(|k| bad_setting(k).prop_map(move |(v, _)| Some((k.to_string(), v)))),
        1 => extra_field(SETTINGS).prop_filter("some", Option::is_some),
    ];
    (valid, broken).prop_map(|(valid, broken)| SettingsCase { valid, broken })
}

/// Settings alone, each rule on its own: a settings object that breaks exactly one
/// rule (`max_members` 0 or not a u32, a blank or NUL banned word, a NUL in a text,
/// `spam.window_secs` 0, a missing spam field, a wrong type, an unknown setting) is
/// 422 and changes no setting; a valid one (boundary numbers, any unicode) changes
/// exactly the settings it gives, on a room that already has settings.
#[test]
fn each_settings_rule_is_enforced_and_valid_settings_read_back_exactly() {
    let api = Api::start(&[]);
    let room = "settings";
    api.send(Method::POST, "/api/v1/rooms", &json!({"id": room}))
        .and_then(|r| r.expect(201))
        .unwrap_or_else(|e| panic!("create {room}: {e}"));
    check(file!(), 128, settings_case(), |case| {
        let mut changes: serde_json::Map<String, Value> =
            case.valid.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        if let Some((k, v)) = &case.broken {
            changes.insert(k.clone(), v.clone());
        }
        let before = stored(&api, room)?.unwrap_or_default();
        let body = json!({ "settings": changes });
        let reply = api.send(Method::PATCH, &format!("/api/v1/rooms/{room}"), &body)?;
        match &case.broken {
            Some(_) => {
                reply.expect_error(&[Code::Unprocessable])?;
                same("the room after refused settings", &stored(&api, room)?.unwrap_or_default(), &before)?;
            }
            None => {
                let mut expected = before.clone();
                expected["settings"] = apply_settings(&before["settings"], &body["settings"]);
                same(
                    "PATCH answer",
                    &pick(&reply.expect(200)?, &["id", "name", "tags", "settings"]),
                    &expected,
                )?;
                same("the room read back", &stored(&api, room)?.unwrap_or_default(), &expected)?;
            }
        }
        Ok(())
    });
    api.assert_healthy();
}
