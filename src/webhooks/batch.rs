//! What one delivery carries and how it is sent: the endpoint's filter over outbox
//! events, the JSON body, the signed POST and its outcome.
//!
//! Body: `{"webhook": id, "events": [{"key", "type", "id", "room", "seq", "at", "data"}]}`
//! in commit order. `key` is the idempotency key: `message:<room>:<seq>` and
//! `message_deleted:<room>:<seq>` (a message's identity), else `<type>:<id>` (the
//! outbox row). A receiver that remembers the keys it has handled drops repeats.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::value::RawValue;

use super::signature::{sign, SIGNATURE_HEADER, TIMESTAMP_HEADER, WEBHOOK_HEADER};
use crate::store::webhooks::{EventRow, WebhookRow};

/// Which events an endpoint receives, parsed from its row.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    types: HashSet<String>,
    rooms: HashSet<String>,
    tags: HashSet<String>,
}

impl Filter {
    pub fn of(row: &WebhookRow) -> Self {
        let set = |json: &str| -> HashSet<String> {
            serde_json::from_str::<Vec<String>>(json).unwrap_or_default().into_iter().collect()
        };
        Self { types: set(&row.events), rooms: set(&row.rooms), tags: set(&row.tags) }
    }

    /// True when the filter names tags (the caller must look up the rooms' tags).
    pub fn needs_tags(&self) -> bool {
        !self.tags.is_empty()
    }

    /// Whether `event` goes to the endpoint; `tags` are the current tags of rooms.
    pub fn wants(&self, event: &EventRow, tags: &HashMap<String, Vec<String>>) -> bool {
        if !self.types.contains(&event.kind) {
            return false;
        }
        let Some(room) = event.room_id.as_deref() else {
            // Events of no room (a broadcast finished) pass only an unfiltered endpoint.
            return self.rooms.is_empty() && self.tags.is_empty();
        };
        if !self.rooms.is_empty() && !self.rooms.contains(room) {
            return false;
        }
        if self.tags.is_empty() {
            return true;
        }
        // A deleted room's tags are in the event itself.
        let from_event = || -> Vec<String> {
            serde_json::from_str::<serde_json::Value>(&event.payload)
                .ok()
                .and_then(|v| serde_json::from_value(v["tags"].clone()).ok())
                .unwrap_or_default()
        };
        let room_tags = tags.get(room).cloned().unwrap_or_else(from_event);
        room_tags.iter().any(|t| self.tags.contains(t))
    }
}

/// One event of a delivery body.
#[derive(Serialize)]
pub struct WireEvent<'a> {
    pub key: String,
    #[serde(rename = "type")]
    pub kind: &'a str,
    /// The outbox id: grows with commit order.
    pub id: i64,
    pub room: Option<&'a str>,
    pub seq: Option<i64>,
    /// Unix ms.
    pub at: i64,
    pub data: &'a RawValue,
}

/// The idempotency key of `event` (see the module doc).
pub fn key_of(event: &EventRow) -> String {
    match (event.room_id.as_deref(), event.seq) {
        (Some(room), Some(seq)) => format!("{}:{room}:{seq}", event.kind),
        _ => format!("{}:{}", event.kind, event.id),
    }
}

/// The JSON body of a delivery of `events`.
pub fn body(webhook: &str, events: &[EventRow]) -> Vec<u8> {
    let empty = RawValue::from_string("{}".into()).expect("valid JSON");
    let wire: Vec<WireEvent> = events
        .iter()
        .map(|e| WireEvent {
            key: key_of(e),
            kind: &e.kind,
            id: e.id,
            room: e.room_id.as_deref(),
            seq: e.seq,
            at: e.at,
            data: serde_json::from_str(&e.payload).unwrap_or(&empty),
        })
        .collect();
    #[derive(Serialize)]
    struct Body<'a> {
        webhook: &'a str,
        events: Vec<WireEvent<'a>>,
    }
    serde_json::to_vec(&Body { webhook, events: wire }).unwrap_or_default()
}

/// How a POST ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The receiver's status, if it answered.
    pub status: Option<u16>,
    /// Why it failed; `None` for a 2xx answer.
    pub error: Option<String>,
    pub latency: Duration,
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.error.is_none()
    }
}

/// POSTs `body` to the endpoint, signed with its secret at the current time.
pub async fn post(row: &WebhookRow, body: Vec<u8>, timeout: Duration) -> Outcome {
    let timestamp = chrono::Utc::now().timestamp();
    let signature = sign(&row.secret, timestamp, &body);
    let started = Instant::now();
    let sent = super::http_client()
        .post(&row.url)
        .timeout(timeout)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(SIGNATURE_HEADER, signature)
        .header(WEBHOOK_HEADER, &row.id)
        .body(body)
        .send()
        .await;
    let (status, error) = match sent {
        Ok(resp) => {
            let status = resp.status();
            // Read the answer to its end, so the connection can be reused.
            let _ = resp.bytes().await;
            let error = (!status.is_success()).then(|| format!("the receiver answered {status}"));
            (Some(status.as_u16()), error)
        }
        Err(e) if e.is_timeout() => (None, Some("no answer within webhooks.timeout_ms".to_string())),
        Err(e) if e.is_connect() => (None, Some(format!("cannot connect: {}", root_cause(&e)))),
        Err(e) => (None, Some(root_cause(&e))),
    };
    Outcome { status, error, latency: started.elapsed() }
}

/// The innermost error's text (reqwest's own says only "error sending request").
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
