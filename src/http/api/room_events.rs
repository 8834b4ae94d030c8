//! `GET /api/v1/rooms/{id}/events`: a room's messages as Server-Sent Events, for
//! operators (docs/ADMIN_API.md, "Watching a room").
//!
//! Watching is not joining: the stream never talks to the room actor, so the operator
//! is no member, no presence and no reader. It tails the store: it sends every message
//! with a seq above the last one it sent, read in pages of [`PAGE`], whenever the room
//! says a batch committed (`RoomFeedHub`) and every [`TICK`] regardless (a room another
//! cluster node runs, a lagged notification). Order and completeness therefore come
//! from the store: a replay from `after_seq` (or `Last-Event-ID`) and the live messages
//! join without gap or duplicate. Deletions come from the hub only (the room on this
//! node); the room's deletion from the hub or, at the latest, from the next tick's
//! look at the store.

use std::collections::VecDeque;
use std::time::Duration;

use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::stream;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;
use tokio::time::Instant;
use utoipa::IntoParams;

use super::rooms::existing_room;
use crate::actors::room_feed::FeedEvent;
use crate::error::{ApiError, ErrorCode};
use crate::http::auth::AdminAuth;
use crate::http::AppState;
use crate::protocol::outbound::MessageView;
use crate::store::messages::MessageRow;
use crate::store::rooms::RoomRow;

/// How often an open stream reads the store without being woken.
const TICK: Duration = Duration::from_secs(1);
/// A comment goes out after this long without an event, so proxies keep the stream open.
const KEEPALIVE: Duration = Duration::from_secs(15);
/// Messages per store read.
const PAGE: i64 = 500;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/rooms/{id}/events", web::get().to(room_events));
}

/// `GET …/events` query. Unknown parameters are a 400, like every query of the API.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Send every message after this seq first, then the new ones (without it: only
    /// messages stored after the stream opened). Wins over `Last-Event-ID`.
    #[param(minimum = 0)]
    pub after_seq: Option<i64>,
}

/// A room's messages, deletions and deletion as `text/event-stream`.
#[utoipa::path(
    get,
    path = "/api/v1/rooms/{id}/events",
    operation_id = "stream_room_events",
    tag = "messages",
    params(
        ("id" = String, Path, description = "Room id", example = "lobby"),
        EventsQuery,
        ("Last-Event-ID" = Option<i64>, Header, description = "The `id` of the last event received (a seq): what a reconnecting client sends instead of `after_seq`", minimum = 0),
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Server-Sent Events: `message` (a message as `GET /rooms/{id}/messages` shows it; `id:` is its seq), `message_deleted` (`{room,seq,deleted_by,deleted_at}`), and `room_deleted` (`{room}`), after which the stream ends; a `: keepalive` comment every 15 s without events",
         content_type = "text/event-stream", body = crate::http::openapi::RoomEvent),
        (status = 400, description = "A bad `after_seq`, `Last-Event-ID`, path or an unknown parameter (`bad_request`)", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "No such room (`not_found`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn room_events(
    _: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
    q: web::Query<EventsQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let after = match q.after_seq {
        Some(seq) => Some(seq),
        None => last_event_id(&req)?,
    };
    if after.is_some_and(|s| s < 0) {
        return Err(ApiError::new(ErrorCode::BadRequest, "after_seq must be >= 0"));
    }
    let room = existing_room(&st, &id).await?.to_string();
    // Subscribed before the first read: a commit between the two is not missed.
    let rx = st.feed.subscribe(&room);
    let last_sent = match after {
        Some(seq) => seq,
        None => {
            let key = room.clone();
            st.store.run(move |c| MessageRow::last_seq(c, &key)).await?
        }
    };
    let feed = Feed {
        stopping: st.stopping.subscribe(),
        st,
        room,
        rx,
        last_sent,
        out: VecDeque::from([Bytes::from_static(b": watching\n\n")]),
        behind: true,
        closing: false,
        over: false,
        quiet_since: Instant::now(),
    };
    let body = stream::unfold(feed, |mut f| async move {
        let next = f.next().await?;
        Some((Ok::<_, actix_web::Error>(next), f))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

/// The `Last-Event-ID` header as a seq; 400 when it is not one.
fn last_event_id(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    let Some(v) = req.headers().get("Last-Event-ID") else { return Ok(None) };
    v.to_str()
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .filter(|s| *s >= 0)
        .map(Some)
        .ok_or_else(|| ApiError::new(ErrorCode::BadRequest, "Last-Event-ID must be a seq (an integer >= 0)"))
}

struct Feed {
    st: web::Data<AppState>,
    /// The server is shutting down: the stream ends (the client reconnects elsewhere
    /// or later, with `Last-Event-ID`).
    stopping: tokio::sync::watch::Receiver<bool>,
    room: String,
    rx: Receiver<FeedEvent>,
    /// The seq of the last `message` sent (or the start point).
    last_sent: i64,
    /// Encoded events ready to go out (at most one store page).
    out: VecDeque<Bytes>,
    /// The store may hold messages not sent yet.
    behind: bool,
    /// The room was deleted: send what is stored, then `room_deleted`.
    closing: bool,
    /// `room_deleted` is queued: end after `out` drains.
    over: bool,
    /// When the last event went out (for the keepalive).
    quiet_since: Instant,
}

impl Feed {
    async fn next(&mut self) -> Option<Bytes> {
        loop {
            if let Some(b) = self.out.pop_front() {
                self.quiet_since = Instant::now();
                return Some(b);
            }
            if self.over {
                return None;
            }
            if self.behind {
                self.read_store().await;
                continue;
            }
            if self.closing {
                let data = serde_json::json!({ "room": self.room }).to_string();
                self.out.push_back(sse("room_deleted", None, &data));
                self.over = true;
                continue;
            }
            tokio::select! {
                ev = self.rx.recv() => match ev {
                    Ok(FeedEvent::Committed(seq)) => self.behind = seq > self.last_sent,
                    // A message not sent yet will be read from the store as the tombstone
                    // it now is; one sent already is followed by its deletion.
                    Ok(FeedEvent::Deleted(d)) if d.seq <= self.last_sent => {
                        self.out.push_back(sse("message_deleted", None, &serde_json::to_string(&*d).unwrap_or_default()));
                    }
                    Ok(FeedEvent::Deleted(_)) => {}
                    Ok(FeedEvent::Closed) => self.room_deleted(),
                    // Behind: the store has every message.
                    Err(RecvError::Lagged(_)) => self.behind = true,
                    Err(RecvError::Closed) => self.rx = self.st.feed.subscribe(&self.room),
                },
                _ = tokio::time::sleep(TICK) => self.tick().await,
                _ = self.stopping.changed() => return None,
            }
        }
    }

    /// Queues the next page of stored messages; `behind` stays set while pages are full.
    async fn read_store(&mut self) {
        let (key, after) = (self.room.clone(), self.last_sent);
        match self.st.store.run(move |c| MessageRow::after(c, &key, after, PAGE)).await {
            Ok(rows) => {
                self.behind = rows.len() as i64 == PAGE;
                for row in &rows {
                    let data = serde_json::to_string(&MessageView::new(row)).unwrap_or_default();
                    self.out.push_back(sse("message", Some(row.seq), &data));
                }
                self.last_sent = rows.last().map_or(self.last_sent, |r| r.seq);
            }
            // The store is down: try again at the next tick.
            Err(_) => self.behind = false,
        }
    }

    /// Reads the store: new messages, and whether the room still exists.
    async fn tick(&mut self) {
        let key = self.room.clone();
        if let Ok(None) = self.st.store.run(move |c| RoomRow::find(c, &key)).await {
            return self.room_deleted();
        }
        self.behind = true;
        if self.quiet_since.elapsed() >= KEEPALIVE {
            self.out.push_back(Bytes::from_static(b": keepalive\n\n"));
        }
    }

    /// The room is gone: the messages stored before the deletion go out a page at a
    /// time (never more than one page held), then `room_deleted`, and the stream ends.
    fn room_deleted(&mut self) {
        self.closing = true;
        self.behind = true;
    }
}

/// One SSE event; `id` sets the client's `Last-Event-ID`.
fn sse(name: &str, id: Option<i64>, data: &str) -> Bytes {
    match id {
        Some(id) => Bytes::from(format!("id: {id}\nevent: {name}\ndata: {data}\n\n")),
        None => Bytes::from(format!("event: {name}\ndata: {data}\n\n")),
    }
}
