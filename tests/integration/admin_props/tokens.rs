//! `POST /api/v1/tokens` bodies: `kind`, `name` (a user id: 1–64 characters, not only
//! blanks, no NUL, not reserved, not `.` or `..`) and `roles` (each 1–64 characters, no NUL), as
//! docs/ADMIN_API.md (Identifiers, Tokens) gives them.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use reqwest::Method;
use serde_json::{json, Value};

use super::gen::{
    blank, chars, extra_field, field, json_leaf, name, required, too_long, with_nul, wrong_type, Body, Field,
    Kind,
};
use super::{all_items, check, pick, same, Api, Code};

const FIELDS: &[&str] = &["kind", "name", "roles"];

/// A reserved user id as someone might try it: any case, blanks around.
fn reserved() -> BoxedStrategy<String> {
    (select(vec!["system", "roomd"]), vec(any::<bool>(), 6), blank(), blank(), any::<bool>())
        .prop_map(|(id, upper, before, after, pad)| {
            let id: String = id
                .chars()
                .zip(upper.iter().cycle())
                .map(|(c, up)| if *up { c.to_ascii_uppercase() } else { c })
                .collect();
            if pad {
                format!("{before}{id}{after}")
            } else {
                id
            }
        })
        .boxed()
}

fn kind_field() -> BoxedStrategy<Field> {
    let bad = prop_oneof![
        select(vec!["system", "Admin", "USER", "", "bots", "admin "])
            .prop_map(|s| (Value::from(s), Code::Unprocessable)),
        wrong_type(Kind::String),
    ];
    required(field(select(vec!["admin", "bot", "user"]).prop_map(Value::from), bad)).boxed()
}

fn name_field() -> BoxedStrategy<Field> {
    let good = name(64).prop_filter("not reserved, not a dot segment", |s| {
        let t = s.trim();
        !t.eq_ignore_ascii_case("system") && !t.eq_ignore_ascii_case("roomd") && s != "." && s != ".."
    });
    let bad = prop_oneof![
        reserved().prop_map(Value::from),
        select(vec![".", ".."]).prop_map(Value::from),
        Just(Value::from("")),
        blank().prop_map(Value::from),
        too_long(64).prop_map(Value::from),
        with_nul(1, 64).prop_map(Value::from),
    ]
    .prop_map(|v| (v, Code::Unprocessable));
    required(field(good.prop_map(Value::from), prop_oneof![bad, wrong_type(Kind::String)])).boxed()
}

fn roles_field() -> BoxedStrategy<Field> {
    let bad_role = prop_oneof![
        Just(Value::from("")),
        too_long(64).prop_map(Value::from),
        with_nul(1, 64).prop_map(Value::from),
        json_leaf().prop_filter("not a string", |v| !v.is_string()),
    ];
    let bad = prop_oneof![
        (vec(chars(1, 64), 0..3), bad_role, any::<Index>()).prop_map(|(roles, bad, at)| {
            let mut items: Vec<Value> = roles.into_iter().map(Value::from).collect();
            items.insert(at.index(items.len() + 1), bad);
            (Value::Array(items), Code::Unprocessable)
        }),
        wrong_type(Kind::Array),
    ];
    field(vec(chars(1, 64), 0..4).prop_map(|r| json!(r)), bad)
}

#[derive(Debug, Clone)]
struct Case {
    kind: Field,
    name: Field,
    roles: Field,
    extra: Option<(String, Value)>,
}

fn case() -> impl Strategy<Value = Case> {
    (kind_field(), name_field(), roles_field(), extra_field(FIELDS))
        .prop_map(|(kind, name, roles, extra)| Case { kind, name, roles, extra })
}

/// A valid body makes a live token with exactly that kind, name and roles, listed with
/// them (never with its secret), whose secret works as its kind allows (an admin
/// token reads the admin API, others get 403); an invalid body is refused with its
/// code and adds no token.
#[test]
fn create_token_stores_exactly_a_valid_body_and_nothing_else() {
    let api = Api::start(&[]);
    check(file!(), 96, case(), |case| {
        let body =
            Body::new(&[("kind", &case.kind), ("name", &case.name), ("roles", &case.roles)], &case.extra);
        let before = all_items(&api, "/api/v1/tokens")?;
        let reply = api.send(Method::POST, "/api/v1/tokens", &body.json)?;
        if !body.faults.is_empty() {
            reply.expect_error(&body.faults)?;
            same(
                "the tokens after a refused create",
                &json!(all_items(&api, "/api/v1/tokens")?),
                &json!(before),
            )?;
            return Ok(());
        }
        let answer = reply.expect(201)?;
        let expected = json!({
            "kind": case.kind.good().expect("kind"),
            "name": case.name.good().expect("name"),
            "roles": case.roles.good().cloned().unwrap_or(json!([])),
            "revoked_at": null,
        });
        same("POST /tokens answer", &pick(&answer, &["kind", "name", "roles", "revoked_at"]), &expected)?;
        let secret = answer["token"].as_str().unwrap_or_default().to_string();
        ensure!(secret.starts_with("rmd_"), "no secret in {answer}");
        let id = answer["id"].clone();
        let after = all_items(&api, "/api/v1/tokens")?;
        ensure!(after.len() == before.len() + 1, "{} tokens before, {} after", before.len(), after.len());
        let listed = after.iter().find(|t| t["id"] == id).cloned().unwrap_or_default();
        ensure!(listed.get("token").is_none(), "the list shows a secret: {listed}");
        same("the token as listed", &pick(&listed, &["kind", "name", "roles", "revoked_at"]), &expected)?;
        let with_it = api.block_on(async {
            let url = api.srv.url("/api/v1/rooms");
            let resp = api.srv.http().get(url).bearer_auth(&secret).send().await?;
            Ok::<_, reqwest::Error>(resp.status().as_u16())
        });
        let want = if expected["kind"] == "admin" { 200 } else { 403 };
        ensure!(
            with_it.as_ref().ok() == Some(&want),
            "GET /rooms with the new token: {with_it:?}, expected {want}"
        );
        Ok(())
    });
    api.assert_healthy();
}
