//! `GET /api/v1/broadcasts/{id}/events`: a job's progress as Server-Sent Events.
//!
//! The stream starts with a `progress` event (the counts now, from the store), then
//! carries a `room` event for each attempt's outcome and a `progress` event after it
//! (from the running job, through the `ProgressHub`), and ends with one `done` event
//! (the job as `GET /broadcasts/{id}` shows it, without the room list) when the job
//! has finished; then the server closes the stream. For a job already finished the
//! stream is just `progress` and `done`. The store is also checked every second, so
//! the stream ends even if this process is not the one running the job.

use std::collections::VecDeque;
use std::time::Duration;

use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};
use futures_util::stream;
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;

use super::broadcasts::load_view;
use crate::actors::broadcast::ProgressEvent;
use crate::error::ApiError;
use crate::http::auth::AdminAuth;
use crate::http::AppState;

/// How often an open stream re-reads the job from the store.
const STORE_CHECK: Duration = Duration::from_secs(1);

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/broadcasts/{id}/events", web::get().to(broadcast_events));
}

/// Progress of a job as `text/event-stream`; ends after the `done` event.
#[utoipa::path(
    get,
    path = "/api/v1/broadcasts/{id}/events",
    operation_id = "stream_broadcast_events",
    tag = "broadcasts",
    params(("id" = String, Path, description = "Job id", example = "bc_19ab3c4d5e6f123456")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Server-Sent Events: `progress` (`{id,status,counts}`), `room` (`{room,status,attempts,seq,last_error}`), and a final `done` (the job); the stream then ends",
         content_type = "text/event-stream", body = crate::http::openapi::BroadcastEvent),
        (status = 404, description = "No such job (`not_found`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn broadcast_events(
    _: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    load_view(&st, &id, false).await?; // 404 before subscribing to anything
    let rx = st.progress.subscribe(&id);
    let view = load_view(&st, &id, false).await?;
    let mut out = VecDeque::new();
    out.push_back(sse("progress", &json!({"id": view.id, "status": view.status, "counts": view.counts})));
    let over = view.report.is_some();
    if over {
        out.push_back(sse("done", &serde_json::to_value(&view).unwrap_or(Value::Null)));
    }
    let state = Stream { stopping: st.stopping.subscribe(), st, id, rx, out, over };
    let body = stream::unfold(state, |mut s| async move {
        let next = s.next().await?;
        Some((Ok::<_, actix_web::Error>(next), s))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

struct Stream {
    st: web::Data<AppState>,
    /// The server is shutting down: the stream ends.
    stopping: tokio::sync::watch::Receiver<bool>,
    id: String,
    rx: Receiver<ProgressEvent>,
    /// Encoded events ready to go out.
    out: VecDeque<Bytes>,
    /// The final event is queued: end after `out` drains.
    over: bool,
}

impl Stream {
    async fn next(&mut self) -> Option<Bytes> {
        loop {
            if let Some(b) = self.out.pop_front() {
                return Some(b);
            }
            if self.over {
                return None;
            }
            tokio::select! {
                ev = self.rx.recv() => match ev {
                    Ok(ev) if ev.is_final() => self.finish().await,
                    Ok(ev) => self.out.push_back(sse(ev.name, &ev.data)),
                    // Behind or cut off: the store has the truth.
                    Err(RecvError::Lagged(_)) => self.check_store(true).await,
                    Err(RecvError::Closed) => self.finish().await,
                },
                _ = tokio::time::sleep(STORE_CHECK) => self.check_store(false).await,
                _ = self.stopping.changed() => return None,
            }
        }
    }

    /// Reads the job; queues `done` if it has finished (and `progress` when asked).
    async fn check_store(&mut self, progress: bool) {
        match load_view(&self.st, &self.id, false).await {
            Ok(view) if view.report.is_some() => self.queue_done(view),
            Ok(view) if progress => {
                let data = json!({"id": view.id, "status": view.status, "counts": view.counts});
                self.out.push_back(sse("progress", &data));
            }
            Ok(_) => self.out.push_back(Bytes::from_static(b": waiting\n\n")),
            // Deleted meanwhile, or the store is down: end the stream.
            Err(_) => self.over = true,
        }
    }

    async fn finish(&mut self) {
        match load_view(&self.st, &self.id, false).await {
            Ok(view) => self.queue_done(view),
            Err(_) => self.over = true,
        }
    }

    fn queue_done(&mut self, view: super::broadcasts::BroadcastView) {
        let data = json!({"id": view.id, "status": view.status, "counts": view.counts});
        self.out.push_back(sse("progress", &data));
        self.out.push_back(sse("done", &serde_json::to_value(&view).unwrap_or(Value::Null)));
        self.over = true;
    }
}

/// One SSE event.
fn sse(name: &str, data: &Value) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}
