//! `GET /api/v1/rooms` walked page by page: with many rooms (names that tie, ids and
//! names whose byte order differs from a locale's, rooms with and without members and
//! messages), every sort and status filter yields every room exactly once, in the
//! documented order (computed here from what the API shows of each room).

use std::cmp::Reverse;
use std::collections::HashMap;

use serde_json::{json, Value};

use crate::common::TestServer;

const ROOMS: usize = 300;
/// Ids that a locale collation would order differently from bytes (`-` < `_` < letters).
const PREFIXES: [&str; 4] = ["b-", "b_", "a", "b"];
/// Names that tie, differ in case or are not ASCII.
const NAMES: [&str; 6] = ["Zeta", "alpha", "_under", "Ärger", "alpha ", "zeta"];

struct Room {
    id: String,
    name: String,
    members: i64,
    /// RFC 3339 of the newest message ("" without messages; the format sorts as time).
    activity: String,
}

async fn ok(req: reqwest::RequestBuilder) -> Value {
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.expect("JSON");
    assert!((200..300).contains(&status), "{status}: {body}");
    body
}

/// Creates the rooms; some get members, some a message (which starts their actor).
async fn populate(srv: &TestServer) -> Vec<Room> {
    let mut rooms = Vec::new();
    for i in 0..ROOMS {
        let id = format!("{}{i:03}", PREFIXES[i % PREFIXES.len()]);
        let name = NAMES[i % NAMES.len()].to_string();
        ok(srv.post("/api/v1/rooms", &json!({"id": id, "name": name}))).await;
        let members = if i % 3 == 0 { (i % 4) as i64 } else { 0 };
        for u in 0..members {
            let path = format!("/api/v1/rooms/{id}/members/u{u}");
            ok(srv.http().put(srv.url(&path)).bearer_auth(&srv.admin_token).json(&json!({"role": "member"})))
                .await;
        }
        let activity = if i % 4 == 1 {
            let m = ok(srv.post(&format!("/api/v1/rooms/{id}/messages"), &json!({"text": "hi"}))).await;
            m["ts"].as_str().expect("ts").to_string()
        } else {
            String::new()
        };
        rooms.push(Room { id, name, members, activity });
    }
    rooms
}

/// Every room of `query`, walking pages of 7; each page's cursor from the one before.
async fn walk(srv: &TestServer, query: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let c = cursor.as_deref().map(|c| format!("&cursor={c}")).unwrap_or_default();
        let page = ok(srv.get(&format!("/api/v1/rooms?limit=7&{query}{c}"))).await;
        let items = page["items"].as_array().expect("items");
        assert!(items.len() <= 7, "{page}");
        ids.extend(items.iter().map(|r| r["id"].as_str().expect("id").to_string()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => return ids,
        }
        assert!(ids.len() <= ROOMS, "the walk does not end: {query}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sort_pages_through_every_room_once_in_order() {
    let srv = TestServer::start().await;
    let rooms = populate(&srv).await;

    let mut by_id: Vec<&Room> = rooms.iter().collect();
    by_id.sort_by(|a, b| a.id.cmp(&b.id));
    let mut by_name = by_id.clone();
    by_name.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
    let mut by_members = by_id.clone();
    by_members.sort_by_key(|r| (Reverse(r.members), r.id.clone()));
    let mut by_activity = by_id.clone();
    by_activity.sort_by_key(|r| (Reverse(r.activity.clone()), r.id.clone()));
    let ids = |rs: &[&Room]| rs.iter().map(|r| r.id.clone()).collect::<Vec<_>>();

    assert_eq!(walk(&srv, "").await, ids(&by_id), "default order");
    assert_eq!(walk(&srv, "sort=id").await, ids(&by_id), "sort=id");
    assert_eq!(walk(&srv, "sort=name").await, ids(&by_name), "sort=name");
    assert_eq!(walk(&srv, "sort=members").await, ids(&by_members), "sort=members");
    assert_eq!(walk(&srv, "sort=activity").await, ids(&by_activity), "sort=activity");

    // Status comes from the running actors: the rooms posted to run, the others do not.
    let running: HashMap<&str, bool> =
        rooms.iter().map(|r| (r.id.as_str(), !r.activity.is_empty())).collect();
    for sort in ["id", "name", "members", "activity"] {
        let all = match sort {
            "id" => &by_id,
            "name" => &by_name,
            "members" => &by_members,
            _ => &by_activity,
        };
        for (status, want) in [("running", true), ("stopped", false)] {
            let expected: Vec<String> =
                all.iter().filter(|r| running[r.id.as_str()] == want).map(|r| r.id.clone()).collect();
            assert_eq!(
                walk(&srv, &format!("sort={sort}&status={status}")).await,
                expected,
                "{sort} {status}"
            );
        }
    }

    // A search narrows the walk and keeps the order.
    let expected: Vec<String> = by_name
        .iter()
        .filter(|r| r.id.contains("b_") || r.name.contains("b_"))
        .map(|r| r.id.clone())
        .collect();
    assert_eq!(walk(&srv, "sort=name&q=b_").await, expected, "q=b_ (an underscore, not a wildcard)");
}
