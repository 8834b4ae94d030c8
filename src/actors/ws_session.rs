//! `WsSession`: one actor per WebSocket connection. Parses client frames (whole
//! messages from `websocket::reader`), enforces the per-session limits, talks to
//! rooms, and writes the frames rooms deliver into its `websocket::outbox`, which the
//! session's own task writes to the socket after each turn. A room's frames are
//! shared buffers, encoded once for all its members.
//!
//! Ordering: `join` holds the session (`ctx.wait`) until `joined` and the replay are
//! written, so live messages queued meanwhile follow the replay with no gap or overlap.

mod commands;
mod deletion;
mod room_life;

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Instant;

use actix::prelude::*;
use actix_http::ws::{CloseCode as WireCloseCode, CloseReason};
use bytestring::ByteString;
use governor::clock::QuantaClock;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use slog::{debug, error, Logger};

use super::exchange::Outbound;
use super::mailbox::{ActorKind, MailboxStats, Metered, Registration, TrackedAddr, TrackedRecipient};
use super::registry::{GetRoom, RoomRegistry, RunningRooms};
use super::room::{
    Join, JoinReply, Leave, Replay, ReplyTo, Room, RoomError, SendText, SendTicket, PANIC_TEXT,
};
use super::session_facts::{Peer, SessionFacts};
use super::sessions::SessionDirectory;
use super::shell::Shell;
use super::violations::ViolationWindow;
use crate::auth::Identity;
use crate::config::Settings;
use crate::error::{ErrorCode, HasCode};
use crate::metrics::metrics;
use crate::model::RoomId;
use crate::protocol::close::CloseCode;
use crate::protocol::inbound::{self, ClientFrame};
use crate::protocol::outbound as out;
use crate::protocol::FrameId;
use crate::store::messages::MessageRow;
use crate::store::Store;
use crate::websocket::outbox::{Flush, Outbox, Push, Writer};
use crate::websocket::reader::{Frame, ReadError};

/// What every session shares (one instance, behind an `Arc`).
#[derive(Clone)]
pub struct SessionDeps {
    pub registry: TrackedAddr<RoomRegistry>,
    /// Where a join finds a running room without asking the registry.
    pub running_rooms: RunningRooms,
    pub store: Store,
    pub cfg: Arc<Settings>,
    pub directory: Arc<SessionDirectory>,
    pub log: Logger,
}

static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

/// One clock for every session's rate limiter. Making a `quanta` clock probes the CPU
/// (`cpuid`, which traps to the hypervisor in a VM): per session that was about a
/// tenth of the server's CPU when connections open quickly (docs/PERFORMANCE.md).
static LIMITER_CLOCK: LazyLock<QuantaClock> = LazyLock::new(QuantaClock::default);

struct JoinedRoom {
    addr: TrackedAddr<Room>,
    /// Sequenced frames below this were covered by `joined` + replay.
    min_seq: i64,
}

/// The session actor.
pub struct WsSession {
    id: u64,
    name: String,
    identity: Identity,
    deps: Arc<SessionDeps>,
    log: Logger,
    rooms: HashMap<RoomId, JoinedRoom>,
    limiter: DefaultDirectRateLimiter,
    last_heard: Instant,
    draining: bool,
    mailbox: Registration,
    /// Recent policy violations; too many in a minute close the session (4002).
    violations: ViolationWindow,
    /// Commands this bot registered with `room: "*"`: registered again in every room
    /// this session joins.
    wildcard_commands: Vec<commands::CommandSpec>,
    /// What the session directory shows of this session (rooms, counters).
    facts: Arc<SessionFacts>,
    /// The frames written and not yet taken by the socket.
    outbox: Outbox,
}

impl WsSession {
    pub fn new(identity: Identity, peer: Peer, deps: Arc<SessionDeps>, mut outbox: Outbox) -> Self {
        let id = NEXT_SESSION.fetch_add(1, Ordering::Relaxed);
        let name = crate::ids::new_session_name(id);
        let log = deps.log.new(slog::o!("actor" => "session", "session" => name.clone()));
        let limits = &deps.cfg.limits;
        let rate = NonZeroU32::new(limits.msgs_per_sec.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(limits.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        let mailbox = MailboxStats::register(ActorKind::Session, name.clone(), &deps.cfg.metrics);
        let facts = Arc::new(SessionFacts::new(name.clone(), &identity, peer, mailbox.stats().clone()));
        outbox.publish_to(facts.outbox_gauge());
        Self {
            id,
            identity,
            log,
            rooms: HashMap::new(),
            limiter: RateLimiter::direct_with_clock(
                Quota::per_second(rate).allow_burst(burst),
                LIMITER_CLOCK.clone(),
            ),
            last_heard: Instant::now(),
            draining: false,
            violations: ViolationWindow::new(limits.max_violations),
            wildcard_commands: Vec::new(),
            mailbox,
            facts,
            name,
            deps,
            outbox,
        }
    }

    /// The session's id as clients and logs see it (`hello.session`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the session directory shows of this session.
    pub fn facts(&self) -> &Arc<SessionFacts> {
        &self.facts
    }
}

impl Actor for WsSession {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(self.deps.cfg.session.send_buffer);
        self.mailbox.set_capacity(self.deps.cfg.session.send_buffer);
        if !self.deps.directory.register(self.id, self.facts.clone(), self.me(ctx)) {
            return self.close(CloseCode::TokenRevoked, ctx);
        }
        let limits = &self.deps.cfg.limits;
        self.write(
            ctx,
            out::encode(&out::Hello {
                protocol: out::PROTOCOL_VERSION,
                session: &self.name,
                user: &self.identity.user,
                heartbeat_ms: self.deps.cfg.session.heartbeat_ms,
                limits: out::HelloLimits {
                    max_text: limits.max_text,
                    max_frame_bytes: limits.max_frame_bytes,
                    msgs_per_sec: limits.msgs_per_sec,
                    burst: limits.burst,
                },
            }),
        );
        let hb = self.deps.cfg.session.heartbeat();
        ctx.run_interval(hb, move |act, ctx| {
            if act.last_heard.elapsed() > hb * 2 {
                debug!(act.log, "heartbeat timeout");
                act.close(CloseCode::HeartbeatTimeout, ctx);
            } else {
                act.out(ctx, |o| o.ping(b""));
            }
        });
        debug!(self.log, "session started"; "user" => &self.identity.user.id);
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        for (_, room) in self.rooms.drain() {
            // do_send: a leave must reach the room even when its mailbox is full.
            room.addr.do_send(Leave { session: self.id });
        }
        self.deps.directory.unregister(self.id);
        actix_rt::spawn(self.outbox.finish());
        debug!(self.log, "session stopped");
    }
}

impl Metered for WsSession {
    fn mailbox(&self) -> &MailboxStats {
        &self.mailbox
    }
}

crate::actor_shell!(WsSession: Outbound);

impl Handler<Outbound> for WsSession {
    type Result = ();

    fn handle(&mut self, m: Outbound, ctx: &mut Self::Context) {
        match m {
            Outbound::Room(batch) => {
                let Some(joined) = self.rooms.get(&batch.room) else {
                    return;
                };
                let min_seq = joined.min_seq;
                let mut written = 0;
                for f in &batch.frames {
                    if f.seq == 0 || f.seq >= min_seq {
                        self.out(ctx, |o| o.text(f.text.as_bytes()));
                        written += 1;
                    }
                }
                self.facts.frames_out(written);
            }
            Outbound::Direct(frame) => self.write(ctx, frame),
            Outbound::RoomClosed { room, frame } => {
                self.rooms.remove(&room);
                self.facts.left(&room);
                self.write(ctx, frame);
            }
            Outbound::Drain => self.draining = true,
            Outbound::Violation(frame) => {
                self.write(ctx, frame);
                self.violation(ctx);
            }
            Outbound::Close { code, reason } => {
                self.end(ctx, code, reason.into_owned());
            }
        }
    }
}

impl StreamHandler<Result<Frame, ReadError>> for WsSession {
    fn handle(&mut self, item: Result<Frame, ReadError>, ctx: &mut Self::Context) {
        self.guarded(ctx, "frame", |s, ctx| s.on_frame(item, ctx));
    }
}

impl Shell for WsSession {
    const NAME: &'static str = "session";

    fn log(&self) -> &Logger {
        &self.log
    }

    /// A panic closes only this connection, with 1011.
    fn crashed(&mut self, what: &'static str, why: String, ctx: &mut Self::Context) {
        error!(self.log, "session crashed, closing it"; "in" => what, "err" => why);
        self.close(CloseCode::InternalError, ctx);
    }
}

impl WsSession {
    /// Sends the close frame for `code` (with its reason text) and stops the session.
    pub(super) fn close(&mut self, code: CloseCode, ctx: &mut Context<Self>) {
        self.end(ctx, code.code(), code.reason().into());
    }

    /// Sends a close frame and stops the session.
    fn end(&mut self, ctx: &mut Context<Self>, code: u16, reason: String) {
        let reason = CloseReason { code: WireCloseCode::from(code), description: Some(reason) };
        self.out(ctx, |o| o.close(Some(reason)));
        ctx.stop();
    }

    /// Holds the session (`ctx.wait`: no message, no frame handled) until `fut` is
    /// done; what it wrote before goes out first.
    pub(super) fn hold(
        &mut self,
        ctx: &mut Context<Self>,
        fut: impl ActorFuture<Self, Output = ()> + 'static,
    ) {
        self.outbox.write_now();
        ctx.wait(fut);
    }

    /// Puts a frame in the outbox (`write`), then schedules the turn's flush, or stops
    /// the session of a client that does not read.
    fn out(&mut self, ctx: &mut Context<Self>, write: impl FnOnce(&mut Outbox) -> Push) {
        match write(&mut self.outbox) {
            Push::Queued => {}
            Push::Flush => {
                ctx.spawn(Flush);
            }
            Push::Overflow => ctx.stop(),
        }
    }

    fn on_frame(&mut self, item: Result<Frame, ReadError>, ctx: &mut Context<Self>) {
        self.last_heard = Instant::now();
        let frame = match item {
            Ok(Frame::Close(reason)) => {
                // The client's close, echoed (RFC 6455 §5.5.1).
                self.out(ctx, |o| o.close(reason));
                return ctx.stop();
            }
            Ok(frame) => frame,
            Err(e) => {
                debug!(self.log, "reading from the client failed"; "err" => %e);
                return match e.close_code() {
                    // The reader's own words say more than the table's reason.
                    Some(code) => self.end(ctx, code.code(), e.to_string()),
                    None => ctx.stop(),
                };
            }
        };
        // Every frame counts against the rate limit, whatever it holds: a flood of
        // malformed, binary or control frames is refused like one of sends.
        let limited = self
            .limiter
            .check()
            .err()
            .map(|not_until| not_until.wait_time_from(governor::clock::Clock::now(self.limiter.clock())));
        if matches!(frame, Frame::Text(_) | Frame::Binary(_)) {
            self.facts.frame_in();
        }
        match frame {
            Frame::Text(text) => self.on_text(&text, limited, ctx),
            _ if limited.is_some() => self.rate_limited(ctx, None, limited),
            Frame::Binary(_) => {
                self.error(ctx, None, ErrorCode::BadRequest, "frames must be JSON text", None)
            }
            Frame::Ping(p) => {
                self.out(ctx, |o| o.pong(&p));
            }
            Frame::Pong(_) | Frame::Close(_) => {}
        }
    }

    /// Answers a frame over the rate limit, and counts it as a violation.
    fn rate_limited(
        &mut self,
        ctx: &mut Context<Self>,
        id: Option<&FrameId>,
        wait: Option<std::time::Duration>,
    ) {
        let ms = wait.map_or(1, |w| w.as_millis().max(1) as u64);
        self.error(ctx, id, ErrorCode::RateLimited, "too many frames", Some(ms));
        self.violation(ctx);
    }
}

impl WsSession {
    /// A text frame; `limited`: it was over the rate limit (and waiting this long
    /// would have been enough).
    fn on_text(&mut self, text: &str, limited: Option<std::time::Duration>, ctx: &mut Context<Self>) {
        if self.deps.cfg.debug.fault_injection && text == PANIC_TEXT {
            panic!("fault injection: session crash requested");
        }
        let frame = inbound::parse(text);
        if limited.is_some() {
            let id = match &frame {
                Ok(f) => f.id(),
                Err(e) => e.id.as_ref(),
            };
            return self.rate_limited(ctx, id, limited);
        }
        let frame = match frame {
            Ok(f) => f,
            Err(e) => return self.error(ctx, e.id.as_ref(), e.code, &e.message, None),
        };
        if self.draining && !matches!(frame, ClientFrame::Ping { .. }) {
            let msg = "server shutting down; reconnect";
            return self.error(ctx, frame.id(), ErrorCode::RoomUnavailable, msg, None);
        }
        match frame {
            ClientFrame::Ping { id } => self.write(ctx, out::encode(&out::Pong { id: id.as_ref() })),
            ClientFrame::Join { id, room, after_seq } => self.on_join(id, &room, after_seq, ctx),
            ClientFrame::Leave { id, room } => self.on_leave(id, &room, ctx),
            ClientFrame::Send { id, room, text, client_id, reply_to } => {
                self.on_send(id, &room, text, client_id, reply_to, ctx)
            }
            ClientFrame::History { id, room, before_seq, limit } => {
                self.on_history(id, &room, before_seq, limit, ctx)
            }
            ClientFrame::Typing { id, room, active } => self.on_typing(id, &room, active, ctx),
            ClientFrame::Read { id, room, seq } => self.on_read(id, &room, seq, ctx),
            ClientFrame::RegisterCommand { id, room, name, description, min_role } => {
                self.on_register_command(id, &room, name, description, min_role, ctx)
            }
            ClientFrame::Delete { id, room, seq, reason } => self.on_delete(id, &room, seq, reason, ctx),
        }
    }

    /// The joined room named `room`, or the error to answer.
    fn joined_room(&self, room: &str) -> Result<(RoomId, &JoinedRoom), (ErrorCode, String)> {
        let id = RoomId::parse(room).map_err(|e| (ErrorCode::BadRequest, e.to_string()))?;
        match self.rooms.get(&id) {
            Some(j) => Ok((id, j)),
            None => Err((ErrorCode::NotJoined, format!("not joined to room {room:?}"))),
        }
    }

    fn on_join(&mut self, id: Option<FrameId>, room: &str, after_seq: Option<i64>, ctx: &mut Context<Self>) {
        let room_id = match RoomId::parse(room) {
            Ok(r) => r,
            Err(e) => return self.error(ctx, id.as_ref(), ErrorCode::BadRequest, &e.to_string(), None),
        };
        if after_seq.is_some_and(|s| s < 0) {
            return self.error(ctx, id.as_ref(), ErrorCode::BadRequest, "after_seq must be >= 0", None);
        }
        let running = self.deps.running_rooms.get(&room_id);
        let registry = self.deps.registry.clone();
        let store = self.deps.store.clone();
        let join = Join { session: self.id, user: self.identity.user.clone(), out: self.me(ctx), after_seq };
        let rid = room_id.clone();
        let fut = async move {
            let addr = match running {
                Some(addr) => addr,
                None => registry.send(GetRoom(rid.clone())).await.map_err(RoomError::from)?,
            };
            let reply = addr.send(join).await.map_err(RoomError::from)??;
            let replay_rows = match reply.replay {
                Replay::FromStore { after, upto } => {
                    let room = rid.to_string();
                    Some(store.run(move |c| MessageRow::range(c, &room, after, upto)).await)
                }
                _ => None,
            };
            Ok::<_, RoomError>((addr, reply, replay_rows))
        };
        self.hold(
            ctx,
            fut.into_actor(self).map(move |res, act, ctx| match res {
                Ok((addr, reply, rows)) => act.joined(id, room_id, addr, reply, rows, ctx),
                Err(RoomError::Banned { expires_at }) => {
                    let message = out::restriction_message("banned from", room_id.as_str(), expires_at);
                    metrics().reject(ErrorCode::Banned.as_str());
                    act.write(
                        ctx,
                        out::restricted_error_frame(id.as_ref(), ErrorCode::Banned, &message, expires_at),
                    );
                }
                Err(e) => act.error(ctx, id.as_ref(), e.code(), &e.to_string(), None),
            }),
        );
    }

    fn joined(
        &mut self,
        id: Option<FrameId>,
        room: RoomId,
        addr: TrackedAddr<Room>,
        reply: JoinReply,
        rows: Option<Result<Vec<MessageRow>, crate::store::StoreError>>,
        ctx: &mut Context<Self>,
    ) {
        let (frames, truncated): (Vec<ByteString>, bool) = match (reply.replay, rows) {
            (Replay::Frames(f), _) => (f, false),
            (Replay::FromStore { .. }, Some(Ok(rows))) => {
                (rows.iter().map(out::message_frame).collect(), false)
            }
            (Replay::Truncated, _) | (Replay::FromStore { .. }, _) => (Vec::new(), true),
            (Replay::Nothing, _) => (Vec::new(), false),
        };
        // Listed in the room before the client can see `joined`.
        self.facts.joined(&room);
        self.write(
            ctx,
            out::encode(&out::Joined {
                id: id.as_ref(),
                room: room.as_str(),
                seq: reply.last_seq,
                last_read_seq: reply.last_read_seq,
                unread: (reply.last_seq - reply.last_read_seq).max(0),
                truncated,
                members: &reply.members,
            }),
        );
        self.facts.frames_out(frames.len() as u64);
        for f in frames {
            self.out(ctx, |o| o.text(f.as_bytes()));
        }
        self.rooms.insert(room.clone(), JoinedRoom { addr, min_seq: reply.last_seq + 1 });
        self.register_wildcards_in(&room, ctx);
    }

    fn on_leave(&mut self, id: Option<FrameId>, room: &str, ctx: &mut Context<Self>) {
        let room_id = match self.joined_room(room) {
            Ok((r, _)) => r,
            Err((code, msg)) => return self.error(ctx, id.as_ref(), code, &msg, None),
        };
        if let Some(j) = self.rooms.remove(&room_id) {
            // do_send: a leave must reach the room even when its mailbox is full.
            j.addr.do_send(Leave { session: self.id });
        }
        self.facts.left(&room_id);
        self.write(ctx, out::encode(&out::Left { id: id.as_ref(), room: room_id.as_str() }));
    }

    fn on_send(
        &mut self,
        id: Option<FrameId>,
        room: &str,
        text: String,
        client_id: Option<String>,
        reply_to: Option<FrameId>,
        ctx: &mut Context<Self>,
    ) {
        let addr = match self.joined_room(room) {
            Ok((_, j)) => j.addr.clone(),
            Err((code, msg)) => return self.error(ctx, id.as_ref(), code, &msg, None),
        };
        if let Err((code, msg)) =
            inbound::check_send(&text, client_id.as_deref(), self.deps.cfg.limits.max_text)
        {
            return self.error(ctx, id.as_ref(), code, &msg, None);
        }
        let msg = SendText {
            session: Some(self.id),
            user: self.identity.user.clone(),
            text,
            reply_to: reply_to.map(|r| r.to_text()),
            ticket: SendTicket { reply: ReplyTo::Session(self.me(ctx)), frame_id: id, client_id },
        };
        match addr.try_send(msg) {
            Ok(()) => {}
            Err(SendError::Full(msg)) => {
                // Back-pressure: stop reading this client until the room has room.
                self.hold(
                    ctx,
                    addr.send(msg).into_actor(self).map(|res, act, ctx| {
                        if res.is_err() {
                            act.error(ctx, None, ErrorCode::RoomUnavailable, "room unavailable", None);
                        }
                    }),
                );
            }
            Err(SendError::Closed(msg)) => self.error(
                ctx,
                msg.ticket.frame_id.as_ref(),
                ErrorCode::RoomUnavailable,
                "room unavailable",
                None,
            ),
        }
    }

    fn on_history(
        &mut self,
        id: Option<FrameId>,
        room: &str,
        before_seq: Option<i64>,
        limit: Option<i64>,
        ctx: &mut Context<Self>,
    ) {
        let room_id = match self.joined_room(room) {
            Ok((r, _)) => r,
            Err((code, msg)) => return self.error(ctx, id.as_ref(), code, &msg, None),
        };
        if before_seq.is_some_and(|s| s < 0) {
            return self.error(ctx, id.as_ref(), ErrorCode::BadRequest, "before_seq must be >= 0", None);
        }
        let limit = limit.unwrap_or(50);
        if limit < 1 {
            return self.error(
                ctx,
                id.as_ref(),
                ErrorCode::BadRequest,
                "limit must be between 1 and 500",
                None,
            );
        }
        let limit = limit.min(500);
        let store = self.deps.store.clone();
        let r = room_id.to_string();
        let fut = async move {
            store
                .run(move |c| {
                    Ok((MessageRow::page_before(c, &r, before_seq, limit)?, MessageRow::first_seq(c, &r)?))
                })
                .await
        };
        ctx.spawn(fut.into_actor(self).map(move |res, act, ctx| match res {
            Ok(((rows, has_more), retained_from_seq)) => act.write(
                ctx,
                out::encode(&out::History {
                    id: id.as_ref(),
                    room: room_id.as_str(),
                    messages: rows.iter().map(out::MessageView::new).collect(),
                    has_more,
                    retained_from_seq,
                }),
            ),
            Err(e) => act.error(ctx, id.as_ref(), e.code(), &e.public_message(), None),
        }));
    }

    fn error(
        &mut self,
        ctx: &mut Context<Self>,
        id: Option<&FrameId>,
        code: ErrorCode,
        message: &str,
        retry_after_ms: Option<u64>,
    ) {
        metrics().reject(code.as_str());
        self.write(ctx, out::error_frame(id, code, message, retry_after_ms));
    }

    /// Writes one text frame to the client, and counts it.
    fn write(&mut self, ctx: &mut Context<Self>, frame: impl Into<ByteString>) {
        self.facts.frames_out(1);
        let frame = frame.into();
        self.out(ctx, |o| o.text(frame.as_bytes()));
    }

    /// This session's metered address, for rooms to deliver to.
    fn me(&self, ctx: &Context<Self>) -> TrackedRecipient<Outbound> {
        TrackedAddr::new(ctx.address(), self.mailbox.stats().clone()).recipient()
    }
}

impl Writer for WsSession {
    fn outbox(&mut self) -> &mut Outbox {
        &mut self.outbox
    }
}
