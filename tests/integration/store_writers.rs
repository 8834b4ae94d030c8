//! Several store writers (`store.writers`): rooms spread over them keep everything one
//! writer guaranteed — each room's acks in send order with gap-free seqs, a resent
//! `client_id` answered with the original seq (before and after a restart), and seqs
//! that continue after `kill -9`.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::common::{seq, TestServer, FAST, TIMEOUT};

const ROOMS: usize = 12;
const PER_ROOM: usize = 25;

fn room(r: usize) -> String {
    format!("w{r}")
}

/// Sends `PER_ROOM` messages to every room, interleaved over the rooms and all in flight
/// at once, each with `client_id` = `id` = `<room>:<n>`; returns every ack by id.
async fn send_all(ws: &mut crate::common::WsClient, first: usize) -> HashMap<String, Value> {
    for n in first..first + PER_ROOM {
        for r in 0..ROOMS {
            let id = format!("{}:{n}", room(r));
            ws.send(json!({"type": "send", "room": room(r), "text": id, "client_id": id, "id": id})).await;
        }
    }
    let mut acks = HashMap::new();
    while acks.len() < ROOMS * PER_ROOM {
        let frame = ws.try_next(TIMEOUT).await.expect("every send answered");
        match frame["type"].as_str() {
            Some("ack") => {
                acks.insert(frame["id"].as_str().expect("ack id").to_string(), frame);
            }
            Some("error") => panic!("a send failed: {frame}"),
            _ => {} // the rooms' message frames
        }
    }
    acks
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_on_several_writers_ack_in_order_dedupe_and_continue_after_kill_9() {
    let env: Vec<(&str, &str)> = FAST.iter().copied().chain([("ROOMD__STORE__WRITERS", "3")]).collect();
    let mut srv = TestServer::start_with(&env).await;
    for r in 0..ROOMS {
        srv.create_room(&room(r)).await;
    }
    let actors: Value = srv.get("/api/v1/actors").send().await.expect("actors").json().await.expect("json");
    let writers = actors.to_string().matches("\"store_writer\"").count();
    assert_eq!(writers, 3, "three store writers listed: {actors}");

    let mut ws = srv.ws_user("sender").await;
    for r in 0..ROOMS {
        ws.join(&room(r)).await;
    }
    let acks = send_all(&mut ws, 0).await;
    for r in 0..ROOMS {
        let seqs: Vec<i64> = (0..PER_ROOM).map(|n| seq(&acks[&format!("{}:{n}", room(r))])).collect();
        assert_eq!(seqs, (1..=PER_ROOM as i64).collect::<Vec<_>>(), "room {} acked in send order", room(r));
    }

    // A resend of the same client id gets the original ack, on every writer.
    for r in 0..ROOMS {
        let id = format!("{}:3", room(r));
        let ack = ws
            .request(json!({"type": "send", "room": room(r), "text": id, "client_id": id, "id": "again"}))
            .await;
        assert_eq!((&ack["type"], &ack["duplicate"], seq(&ack)), (&json!("ack"), &json!(true), 4), "{ack}");
    }

    srv.kill_9().await;
    srv.restart().await;
    let mut ws = srv.ws_user("sender").await;
    for r in 0..ROOMS {
        assert_eq!(seq(&ws.join(&room(r)).await), PER_ROOM as i64, "room {} kept every acked seq", room(r));
    }
    let id = format!("{}:7", room(5));
    let ack = ws
        .request(json!({"type": "send", "room": room(5), "text": id, "client_id": id, "id": "again"}))
        .await;
    assert_eq!((&ack["duplicate"], seq(&ack)), (&json!(true), 8), "dedupe after a restart: {ack}");
    let acks = send_all(&mut ws, PER_ROOM).await;
    for r in 0..ROOMS {
        let first = seq(&acks[&format!("{}:{PER_ROOM}", room(r))]);
        assert_eq!(first, PER_ROOM as i64 + 1, "room {} continues after its last seq", room(r));
    }
}
