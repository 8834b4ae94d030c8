//! Cron schedules through the real server, with the scheduler's test clock
//! (`POST /api/v1/debug/clock`, fault injection only): fixed and hourly schedules
//! across both DST changes of Europe/Berlin, no second fire of a due time after a
//! process restart, missed due times beyond the grace skipped and recorded, and
//! invalid crons or time zones refused with 422.

use serde_json::{json, Value};

use crate::common::{assert_api_error, eventually, TestServer, LONG};

const TEST_CLOCK: &[(&str, &str)] = &[
    ("ROOMD__DEBUG__FAULT_INJECTION", "true"),
    // Ten days: a test's clock jumps are never "missed while down" unless it says so.
    ("ROOMD__SCHEDULER__MISFIRE_GRACE_SECS", "864000"),
];

async fn set_clock(srv: &TestServer, now: &str) {
    let resp = srv.post("/api/v1/debug/clock", &json!({"now": now})).send().await.expect("set clock");
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap_or_default();
    assert_eq!(status, 200, "{body}");
}

async fn create(srv: &TestServer, body: Value) -> Value {
    let resp = srv.post("/api/v1/schedules", &body).send().await.expect("POST /schedules");
    let status = resp.status().as_u16();
    let v: Value = resp.json().await.expect("schedule JSON");
    assert_eq!(status, 201, "{v}");
    v
}

async fn patch(srv: &TestServer, id: &str, body: Value) -> Value {
    let resp = srv
        .http()
        .patch(srv.url(&format!("/api/v1/schedules/{id}")))
        .bearer_auth(&srv.admin_token)
        .json(&body)
        .send()
        .await
        .expect("PATCH");
    assert_eq!(resp.status().as_u16(), 200);
    resp.json().await.expect("schedule JSON")
}

async fn get(srv: &TestServer, path: &str) -> Value {
    srv.get(path).send().await.expect("GET").json().await.expect("JSON")
}

/// Broadcast jobs a schedule started.
async fn jobs_of(srv: &TestServer, schedule: &str) -> Vec<Value> {
    let page = get(srv, "/api/v1/broadcasts?limit=500").await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|j| j["schedule_id"] == json!(schedule))
        .cloned()
        .collect()
}

#[tokio::test]
async fn dst_days_fire_fixed_times_once_and_hourly_23_and_25_times() {
    let srv = TestServer::start_with(TEST_CLOCK).await;
    srv.create_room("news").await;
    // Europe/Berlin, spring forward on 2026-03-29 (02:00 → 03:00).
    set_clock(&srv, "2026-03-28T22:59:00Z").await;
    let base = json!({"timezone": "Europe/Berlin", "rooms": ["news"], "text": "tick"});
    let fixed = create(&srv, json!({"cron": "30 2 * * *"}).merge(&base)).await;
    let hourly = create(&srv, json!({"cron": "0 * * * *"}).merge(&base)).await;
    let (fixed_id, hourly_id) = (fixed["id"].as_str().unwrap(), hourly["id"].as_str().unwrap());
    assert_eq!(
        fixed["next_run_at"], "2026-03-29T01:00:00.000Z",
        "02:30 does not exist: the first minute after the gap"
    );
    assert_eq!(hourly["next_run_at"], "2026-03-28T23:00:00.000Z");
    // The whole local day (00:00 CET to 23:59:59 CEST).
    set_clock(&srv, "2026-03-29T21:59:59Z").await;
    assert_eq!(jobs_of(&srv, fixed_id).await.len(), 1);
    assert_eq!(jobs_of(&srv, hourly_id).await.len(), 23);
    let f = get(&srv, &format!("/api/v1/schedules/{fixed_id}")).await;
    assert_eq!(f["next_run_at"], "2026-03-30T00:30:00.000Z");
    assert_eq!(f["last_run_at"], "2026-03-29T21:59:59.000Z");
    assert_eq!(f["last_broadcast_id"], jobs_of(&srv, fixed_id).await[0]["id"]);
    assert_eq!(f["recent"][0]["outcome"], "fired");
    assert_eq!(f["recent"][0]["due_at"], "2026-03-29T01:00:00.000Z");

    // Fall back on 2026-10-25 (03:00 → 02:00): paused meanwhile, re-enabled on the eve.
    for id in [fixed_id, hourly_id] {
        patch(&srv, id, json!({"enabled": false})).await;
    }
    set_clock(&srv, "2026-10-24T21:59:00Z").await;
    for id in [fixed_id, hourly_id] {
        let back = patch(&srv, id, json!({"enabled": true})).await;
        assert!(back["next_run_at"].as_str().unwrap() > "2026-10-24T21:59:00");
    }
    set_clock(&srv, "2026-10-25T22:59:59Z").await;
    assert_eq!(jobs_of(&srv, fixed_id).await.len(), 2, "02:30 happens twice but fires once");
    assert_eq!(jobs_of(&srv, hourly_id).await.len(), 23 + 25);
    let f = get(&srv, &format!("/api/v1/schedules/{fixed_id}")).await;
    assert_eq!(f["recent"][0]["due_at"], "2026-10-25T00:30:00.000Z", "the first 02:30 (CEST)");

    // Every fire reached the room once.
    eventually("50 announcements in the room", LONG, || async {
        let h = get(&srv, "/api/v1/rooms/news/messages?limit=500").await;
        h["items"].as_array().map(Vec::len) == Some(50)
    })
    .await;
    let h = get(&srv, "/api/v1/rooms/news/messages?limit=500").await;
    let mut ids: Vec<&str> =
        h["items"].as_array().unwrap().iter().map(|m| m["client_id"].as_str().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 50, "one message per fired job");
    let metrics = srv.http().get(srv.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("roomd_schedule_fires_total 50"), "{metrics}");
}

#[tokio::test]
async fn a_due_time_fires_once_also_across_a_restart() {
    let mut srv = TestServer::start_with(TEST_CLOCK).await;
    srv.create_room("a").await;
    // In the future, so the real clock after the restart finds nothing due.
    let day = (chrono::Utc::now() + chrono::Duration::days(3)).format("%Y-%m-%d").to_string();
    set_clock(&srv, &format!("{day}T10:00:30Z")).await;
    let s = create(&srv, json!({"cron": "* * * * *", "rooms": ["a"], "text": "minute"})).await;
    let id = s["id"].as_str().unwrap().to_string();
    set_clock(&srv, &format!("{day}T10:01:30Z")).await;
    assert_eq!(jobs_of(&srv, &id).await.len(), 1);
    srv.kill_9().await;
    srv.restart().await;
    set_clock(&srv, &format!("{day}T10:01:30Z")).await;
    set_clock(&srv, &format!("{day}T10:01:59Z")).await;
    assert_eq!(jobs_of(&srv, &id).await.len(), 1, "the 10:01 due time fired once");
    set_clock(&srv, &format!("{day}T10:02:00Z")).await;
    assert_eq!(jobs_of(&srv, &id).await.len(), 2);
    let s = get(&srv, &format!("/api/v1/schedules/{id}")).await;
    assert_eq!(s["next_run_at"], json!(format!("{day}T10:03:00.000Z")));
    let fires: Vec<&str> =
        s["recent"].as_array().unwrap().iter().map(|f| f["outcome"].as_str().unwrap()).collect();
    assert_eq!(fires, ["fired", "fired"]);
}

#[tokio::test]
async fn due_times_missed_beyond_the_grace_are_skipped_and_recorded() {
    let srv = TestServer::start_with(&[
        ("ROOMD__DEBUG__FAULT_INJECTION", "true"),
        ("ROOMD__SCHEDULER__MISFIRE_GRACE_SECS", "60"),
    ])
    .await;
    srv.create_room("b").await;
    set_clock(&srv, "2030-01-01T09:00:30Z").await;
    let s = create(&srv, json!({"cron": "*/5 * * * *", "rooms": ["b"], "text": "five"})).await;
    let id = s["id"].as_str().unwrap().to_string();
    // An hour "down": 09:05 … 09:55 are older than the grace; 10:00 is 30 s old.
    set_clock(&srv, "2030-01-01T10:00:30Z").await;
    let jobs = jobs_of(&srv, &id).await;
    assert_eq!(jobs.len(), 1, "only the due time within the grace fires");
    let s = get(&srv, &format!("/api/v1/schedules/{id}")).await;
    let recent = s["recent"].as_array().unwrap();
    assert_eq!(recent.len(), 2, "{recent:?}");
    assert_eq!(
        (&recent[0]["due_at"], &recent[0]["outcome"]),
        (&json!("2030-01-01T10:00:00.000Z"), &json!("fired"))
    );
    assert_eq!(
        (&recent[1]["due_at"], &recent[1]["outcome"]),
        (&json!("2030-01-01T09:05:00.000Z"), &json!("skipped"))
    );
    assert!(recent[1]["reason"].as_str().unwrap().contains("misfire_grace_secs"), "{}", recent[1]);
    assert_eq!(recent[0]["broadcast_id"], jobs[0]["id"]);
    assert_eq!(s["next_run_at"], "2030-01-01T10:05:00.000Z");
}

#[tokio::test]
async fn invalid_schedules_are_refused_with_the_reason() {
    let srv = TestServer::start().await;
    let ok = json!({"cron": "0 9 * * *", "timezone": "UTC", "rooms": "all", "text": "x"});
    let cases = [
        (json!({"cron": "0 9 * *"}), 422, "unprocessable", "5 fields"),
        (json!({"cron": "0 0 9 * * * 2030"}), 422, "unprocessable", "5 fields"),
        (json!({"cron": "0 25 * * *"}), 422, "unprocessable", "cron is not valid"),
        (json!({"cron": "0 0 30 2 *"}), 422, "unprocessable", "never fires"),
        (json!({"timezone": "Europe/Atlantis"}), 422, "unprocessable", "IANA"),
        (json!({"rooms": []}), 422, "unprocessable", "matches no room"),
        (json!({"rooms": ["Not A Room"]}), 422, "unprocessable", "room id"),
        // A target of none of the three forms names them (not the Rust type).
        (
            json!({"rooms": 7}),
            422,
            "unprocessable",
            r#"rooms must be a list of room ids, "all", or {"tag": T}"#,
        ),
        (json!({"rooms": {"tags": "eu"}}), 422, "unprocessable", r#"or {"tag": T}; got an object"#),
        (json!({"rooms": "some"}), 422, "unprocessable", r#"or {"tag": T}; got "some""#),
        (json!({"text": ""}), 400, "bad_request", "empty"),
        (json!({"text": "z".repeat(4001)}), 413, "too_large", "limit"),
        (json!({"priority": "asap"}), 422, "unprocessable", ""),
        (json!({"every": "day"}), 422, "unprocessable", ""),
    ];
    for (change, status, code, words) in cases {
        let body = change.merge(&ok);
        let resp = srv.post("/api/v1/schedules", &body).send().await.unwrap();
        let text = resp.text().await.unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!((v["error"]["code"].as_str(), status), (Some(code), status), "{body} → {text}");
        assert!(v["error"]["message"].as_str().unwrap().contains(words), "{body} → {text}");
    }
    let list = get(&srv, "/api/v1/schedules").await;
    assert_eq!(list["items"], json!([]), "nothing stored");
    // Six fields (seconds first) and the defaults.
    let s = create(&srv, json!({"cron": "30 0 9 * * MON", "rooms": "all", "text": "x"})).await;
    assert_eq!(
        (&s["timezone"], &s["priority"], &s["enabled"]),
        (&json!("UTC"), &json!("normal"), &json!(true))
    );
    let id = s["id"].as_str().unwrap();
    let bad = srv
        .http()
        .patch(srv.url(&format!("/api/v1/schedules/{id}")))
        .bearer_auth(&srv.admin_token)
        .json(&json!({"timezone": "Nowhere/Else"}))
        .send()
        .await
        .unwrap();
    assert_api_error(bad, 422, "unprocessable").await;
    let off = patch(&srv, id, json!({"enabled": false})).await;
    assert!(off["next_run_at"].is_null());
    assert_api_error(srv.get("/api/v1/schedules/sch_nothing").send().await.unwrap(), 404, "not_found").await;
    let del = srv
        .http()
        .delete(srv.url(&format!("/api/v1/schedules/{id}")))
        .bearer_auth(&srv.admin_token)
        .send()
        .await
        .unwrap();
    assert_eq!(del.status().as_u16(), 200);
    assert_api_error(srv.get(&format!("/api/v1/schedules/{id}")).send().await.unwrap(), 404, "not_found")
        .await;
    // The test clock exists only with fault injection.
    let clock =
        srv.post("/api/v1/debug/clock", &json!({"now": "2030-01-01T00:00:00Z"})).send().await.unwrap();
    assert_api_error(clock, 404, "not_found").await;
}

/// `a.merge(b)`: `b` with `a`'s keys on top.
trait Merge {
    fn merge(self, base: &Value) -> Value;
}

impl Merge for Value {
    fn merge(self, base: &Value) -> Value {
        let mut out = base.clone();
        if let (Some(o), Some(top)) = (out.as_object_mut(), self.as_object()) {
            for (k, v) in top {
                o.insert(k.clone(), v.clone());
            }
        }
        out
    }
}

#[tokio::test]
async fn a_schedule_fires_on_the_real_clock_until_disabled() {
    let srv = TestServer::start_with(&[("ROOMD__SCHEDULER__TICK_MS", "100")]).await;
    srv.create_room("now").await;
    let s = create(&srv, json!({"cron": "* * * * * *", "rooms": ["now"], "text": "every second"})).await;
    let id = s["id"].as_str().unwrap().to_string();
    eventually("two fires", LONG, || {
        let fut = jobs_of(&srv, &id);
        async move { fut.await.len() >= 2 }
    })
    .await;
    let off = patch(&srv, &id, json!({"enabled": false})).await;
    assert!(off["next_run_at"].is_null());
    let fired = jobs_of(&srv, &id).await.len();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(jobs_of(&srv, &id).await.len(), fired, "no fire while disabled");
    let s = get(&srv, &format!("/api/v1/schedules/{id}")).await;
    assert!(s["last_run_at"].is_string() && s["last_broadcast_id"].is_string(), "{s}");
    eventually("the announcements arrive", LONG, || async {
        let h = get(&srv, "/api/v1/rooms/now/messages?limit=500").await;
        h["items"].as_array().map(Vec::len) == Some(fired)
    })
    .await;
}

/// `GET /api/v1/schedules/preview` with `query`: (status, body).
async fn preview(srv: &TestServer, query: &[(&str, &str)]) -> (u16, Value) {
    let resp = srv.get("/api/v1/schedules/preview").query(query).send().await.expect("GET preview");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("preview JSON"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preview_lists_the_next_due_times_in_the_zone_by_the_schedulers_clock() {
    let srv = TestServer::start_with(TEST_CLOCK).await;
    // The Friday before Europe/Berlin moves to summer time (Sunday 2026-03-29).
    set_clock(&srv, "2026-03-27T12:00:00Z").await;
    let (status, p) = preview(&srv, &[("cron", "0 9 * * *"), ("timezone", "Europe/Berlin")]).await;
    assert_eq!(status, 200, "{p}");
    let next = [
        "2026-03-28T09:00:00+01:00",
        "2026-03-29T09:00:00+02:00",
        "2026-03-30T09:00:00+02:00",
        "2026-03-31T09:00:00+02:00",
        "2026-04-01T09:00:00+02:00",
    ];
    assert_eq!(p, json!({"cron": "0 9 * * *", "timezone": "Europe/Berlin", "next": next}));

    // Strictly after now; the zone defaults to UTC; `count` takes 1 to 20.
    set_clock(&srv, "2026-03-28T08:00:00Z").await;
    let (_, p) = preview(&srv, &[("cron", "0 8 * * *"), ("count", "2")]).await;
    assert_eq!(p["timezone"], "UTC");
    assert_eq!(p["next"], json!(["2026-03-29T08:00:00+00:00", "2026-03-30T08:00:00+00:00"]));
    let (_, p) = preview(&srv, &[("cron", "*/5 * * * *"), ("count", "20")]).await;
    assert_eq!(p["next"].as_array().map(Vec::len), Some(20), "{p}");
    for count in ["0", "21", "x"] {
        let resp = srv.get("/api/v1/schedules/preview").query(&[("cron", "* * * * *"), ("count", count)]);
        assert_api_error(resp.send().await.unwrap(), 400, "bad_request").await;
    }
    let (status, p) = preview(&srv, &[("timezone", "UTC")]).await;
    assert_eq!(status, 400, "no cron: {p}");
    assert!(p["error"]["message"].as_str().unwrap().contains("cron"), "{p}");
    // Nothing was stored.
    assert_eq!(get(&srv, "/api/v1/schedules").await["items"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_preview_refuses_what_a_schedule_refuses_with_the_same_message() {
    let srv = TestServer::start().await;
    srv.create_room("r").await;
    for (cron, timezone, names) in [
        ("0 9 * *", "UTC", "cron"),
        ("0 25 * * *", "UTC", "cron"),
        ("0 0 30 2 *", "UTC", "cron"),
        ("0 9 * * *", "Europe/Atlantis", "timezone"),
    ] {
        let (status, p) = preview(&srv, &[("cron", cron), ("timezone", timezone)]).await;
        assert_eq!((status, &p["error"]["code"]), (422, &json!("unprocessable")), "{cron} {timezone}: {p}");
        let message = p["error"]["message"].as_str().unwrap();
        assert!(message.contains(names), "{cron} {timezone}: the message names {names}: {p}");
        let body = json!({"cron": cron, "timezone": timezone, "rooms": ["r"], "text": "t"});
        let resp = srv.post("/api/v1/schedules", &body).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 422);
        let created: Value = resp.json().await.unwrap();
        assert_eq!(created["error"]["message"], message, "the same message as POST /schedules");
    }
}
