//! `Room`: one actor per room. Owns who is in the room right now, the highest seq
//! delivered to its members, and a bounded tail of recent message frames for fast
//! replay. Durable writes go through the `StoreWriter`; the room fans a message out
//! (one shared frame for all members) only after the writer reports it committed.
//!
//! Invariant: members receive every committed seq exactly once, in order. If a
//! commit report shows a gap (e.g. a report lost in a crash), the missing range is
//! read from the store and delivered first.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use actix::prelude::*;
use bytestring::ByteString;
use slog::{info, warn, Logger};

use super::rate_window::RateWindow;
use super::registry::RoomGone;
use super::store_writer::{AppendMessage, Committed, StoreWriter, TouchMember};
use super::ws_session::{Outbound, RoomFrame};
use crate::config::Settings;
use crate::error::{ErrorCode, HasCode};
use crate::model::{now_ms, Role, RoomId, UserKind, UserRef};
use crate::protocol::outbound::{self as out, MemberView};
use crate::protocol::FrameId;
use crate::store::members::{MemberRow, MemberTouch};
use crate::store::messages::{AppendOutcome, MessageRow, NewMessage};
use crate::store::rooms::RoomRow;
use crate::store::{Store, StoreError};

/// Identifies a WebSocket session.
pub type SessionId = u64;

/// Where a send came from, so its `ack` or `error` finds its way back.
pub struct SendTicket {
    pub session: Recipient<Outbound>,
    pub frame_id: Option<FrameId>,
    pub client_id: Option<String>,
}

/// Join a session to the room; replies with the room's last seq and members.
#[derive(Message)]
#[rtype(result = "Result<JoinReply, RoomError>")]
pub struct Join {
    pub session: SessionId,
    pub user: UserRef,
    pub out: Recipient<Outbound>,
    pub after_seq: Option<i64>,
}

/// Remove a session from the room (leave or disconnect).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Leave {
    pub session: SessionId,
}

/// Append a text message; the `ack` or `error` goes to `ticket.session`.
#[derive(Message)]
#[rtype(result = "()")]
pub struct SendText {
    pub session: SessionId,
    pub user: UserRef,
    pub text: String,
    pub reply_to: Option<String>,
    pub ticket: SendTicket,
}

/// Resolves once every message handled before it was passed to the writer (shutdown).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Sync;

/// Live figures of the room, for the admin API.
#[derive(Message)]
#[rtype(result = "RoomStats")]
pub struct GetStats;

/// A room's live figures.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RoomStats {
    pub status: &'static str,
    pub last_seq: i64,
    pub members_online: usize,
    pub messages_per_min: u64,
    pub restarts: u32,
}

/// What a joining session needs to send `joined` and replay.
pub struct JoinReply {
    pub last_seq: i64,
    pub last_read_seq: i64,
    pub members: Vec<MemberView>,
    pub replay: Replay,
}

/// How to replay `after_seq < seq <= last_seq` to a joining session.
pub enum Replay {
    Nothing,
    /// Frames from the room's tail, oldest first.
    Frames(Vec<ByteString>),
    /// Read this range from the store.
    FromStore {
        after: i64,
        upto: i64,
    },
    /// More than `rooms.max_replay` messages: the client pages with `history`.
    Truncated,
}

/// Why a room refused a request.
#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    #[error("room not found")]
    NotFound,
    #[error("room unavailable")]
    Unavailable,
    #[error("room unavailable: {0}")]
    Mailbox(#[from] MailboxError),
}

impl HasCode for RoomError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NotFound => ErrorCode::NotFound,
            Self::Unavailable | Self::Mailbox(_) => ErrorCode::RoomUnavailable,
        }
    }
}

/// Everything a room needs from the rest of the server.
#[derive(Clone)]
pub struct RoomDeps {
    pub store: Store,
    pub writer: Addr<StoreWriter>,
    pub registry: Recipient<RoomGone>,
    pub cfg: Arc<Settings>,
    pub log: Logger,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Loading,
    Running,
    NotFound,
    Unavailable,
}

struct Member {
    user: UserRef,
    role: Role,
    last_read_seq: i64,
    sessions: Vec<SessionId>,
}

/// The room actor.
pub struct Room {
    id: RoomId,
    deps: RoomDeps,
    log: Logger,
    status: Status,
    /// Highest seq delivered to members; survives restarts (same struct).
    delivered_seq: Option<i64>,
    tail: VecDeque<RoomFrame>,
    members: HashMap<String, Member>,
    online: HashMap<SessionId, (String, Recipient<Outbound>)>,
    rate: RateWindow,
}

impl Room {
    pub fn new(id: RoomId, deps: RoomDeps) -> Self {
        let log = deps.log.new(slog::o!("actor" => "room", "room" => id.to_string()));
        Self {
            id,
            deps,
            log,
            status: Status::Loading,
            delivered_seq: None,
            tail: VecDeque::new(),
            members: HashMap::new(),
            online: HashMap::new(),
            rate: RateWindow::default(),
        }
    }
}

/// The room's state as read from the store.
struct Loaded {
    exists: bool,
    members: Vec<MemberRow>,
    last_seq: i64,
    tail: Vec<MessageRow>,
}

impl Actor for Room {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(self.deps.cfg.rooms.mailbox_capacity);
        self.load(ctx);
    }
}

impl Supervised for Room {
    fn restarting(&mut self, _: &mut Context<Self>) {
        info!(self.log, "room restarting");
        self.status = Status::Loading;
    }
}

impl Handler<Join> for Room {
    type Result = Result<JoinReply, RoomError>;

    fn handle(&mut self, m: Join, _: &mut Context<Self>) -> Self::Result {
        self.check_running()?;
        let now = now_ms();
        let user_id = m.user.id.clone();
        let is_new_member = !self.members.contains_key(&user_id);
        let member = self.members.entry(user_id.clone()).or_insert_with(|| Member {
            user: m.user.clone(),
            role: Role::Member,
            last_read_seq: 0,
            sessions: Vec::new(),
        });
        member.user = m.user.clone();
        let first_session = member.sessions.is_empty();
        if !member.sessions.contains(&m.session) {
            member.sessions.push(m.session);
        }
        let last_read_seq = member.last_read_seq;
        self.online.insert(m.session, (user_id.clone(), m.out));
        if first_session {
            self.touch_member(&m.user, now);
            let frame = out::encode(&out::MemberEvent {
                kind: "member_joined",
                room: self.id.as_str(),
                user: &m.user,
            });
            self.broadcast_event(frame, Some(&user_id));
        }
        if is_new_member {
            info!(self.log, "member added"; "user" => &user_id);
        }
        let last_seq = self.delivered_seq.unwrap_or(0);
        Ok(JoinReply {
            last_seq,
            last_read_seq,
            members: self.member_views(),
            replay: self.replay_for(m.after_seq, last_seq),
        })
    }
}

impl Handler<Leave> for Room {
    type Result = ();

    fn handle(&mut self, m: Leave, _: &mut Context<Self>) {
        self.remove_session(m.session);
    }
}

impl Handler<SendText> for Room {
    type Result = ();

    fn handle(&mut self, m: SendText, ctx: &mut Context<Self>) {
        if let Err(e) = self.check_running() {
            return reply_error(&m.ticket, e.code(), &e.to_string());
        }
        if !self.online.contains_key(&m.session) {
            return reply_error(&m.ticket, ErrorCode::NotJoined, "join the room first");
        }
        let msg = NewMessage {
            room_id: self.id.to_string(),
            sender_id: m.user.id,
            sender_name: m.user.name,
            sender_kind: m.user.kind.as_str().to_string(),
            text: m.text,
            client_id: m.ticket.client_id.clone(),
            reply_to: m.reply_to,
            ts: now_ms(),
        };
        let append = AppendMessage { msg, ticket: m.ticket, notify: ctx.address().recipient() };
        if let Err(e) = self.deps.writer.try_send(append) {
            let (code, text) = match &e {
                SendError::Full(_) => (ErrorCode::RoomUnavailable, "store busy, retry"),
                SendError::Closed(_) => (ErrorCode::RoomUnavailable, "store writer stopped"),
            };
            reply_error(&e.into_inner().ticket, code, text);
        }
    }
}

impl Handler<Committed> for Room {
    type Result = ();

    fn handle(&mut self, m: Committed, ctx: &mut Context<Self>) {
        let first_new = m.results.iter().find_map(|(_, r)| match r {
            Ok(AppendOutcome::Stored(row)) => Some(row.seq),
            _ => None,
        });
        let delivered = self.delivered_seq.unwrap_or(0);
        match first_new {
            Some(first) if first > delivered + 1 => self.repair_gap(delivered, first - 1, m, ctx),
            _ => self.apply_committed(m),
        }
    }
}

impl Handler<GetStats> for Room {
    type Result = MessageResult<GetStats>;

    fn handle(&mut self, _: GetStats, _: &mut Context<Self>) -> Self::Result {
        let status = match self.status {
            Status::Loading => "restarting",
            Status::Running | Status::Unavailable => "running",
            Status::NotFound => "stopped",
        };
        let users_online = self.members.values().filter(|m| !m.sessions.is_empty()).count();
        MessageResult(RoomStats {
            status,
            last_seq: self.delivered_seq.unwrap_or(0),
            members_online: users_online,
            messages_per_min: self.rate.per_minute(),
            restarts: 0,
        })
    }
}

impl Handler<Sync> for Room {
    type Result = ();

    fn handle(&mut self, _: Sync, _: &mut Context<Self>) {}
}

impl Room {
    /// Reads the room from the store; the mailbox waits meanwhile (`ctx.wait`).
    fn load(&mut self, ctx: &mut Context<Self>) {
        self.status = Status::Loading;
        let id = self.id.to_string();
        let auto_create = self.deps.cfg.rooms.auto_create;
        let tail_len = self.deps.cfg.rooms.tail_len as i64;
        let store = self.deps.store.clone();
        let fut = async move {
            store
                .run(move |c| {
                    let mut exists = RoomRow::find(c, &id)?.is_some();
                    if !exists && auto_create {
                        let now = now_ms();
                        RoomRow {
                            id: id.clone(),
                            name: id.clone(),
                            tags: "[]".into(),
                            settings: "{}".into(),
                            created_at: now,
                            updated_at: now,
                        }
                        .insert_if_missing(c)?;
                        exists = true;
                    }
                    if !exists {
                        return Ok(Loaded { exists, members: vec![], last_seq: 0, tail: vec![] });
                    }
                    Ok(Loaded {
                        exists,
                        members: MemberRow::for_room(c, &id)?,
                        last_seq: MessageRow::last_seq(c, &id)?,
                        tail: MessageRow::newest(c, &id, tail_len)?,
                    })
                })
                .await
        };
        ctx.wait(fut.into_actor(self).map(|res, act, ctx| act.loaded(res, ctx)));
    }

    fn loaded(&mut self, res: Result<Loaded, StoreError>, ctx: &mut Context<Self>) {
        let l = match res {
            Ok(l) => l,
            Err(e) => {
                warn!(self.log, "room load failed, retrying"; "err" => %e);
                self.status = Status::Unavailable;
                ctx.run_later(std::time::Duration::from_millis(500), |act, ctx| act.load(ctx));
                return;
            }
        };
        if !l.exists {
            self.status = Status::NotFound;
            self.deps.registry.do_send(RoomGone { id: self.id.clone(), addr: ctx.address() });
            return;
        }
        for row in l.members {
            let Some(kind) = UserKind::parse(&row.kind) else {
                continue;
            };
            let entry = self.members.entry(row.user_id.clone()).or_insert_with(|| Member {
                user: UserRef { id: row.user_id.clone(), name: row.name.clone(), kind },
                role: Role::Member,
                last_read_seq: 0,
                sessions: Vec::new(),
            });
            entry.role = effective_role(&row, now_ms());
            entry.last_read_seq = row.last_read_seq;
        }
        if self.delivered_seq.is_none() {
            self.delivered_seq = Some(l.last_seq);
            self.tail =
                l.tail.iter().map(|r| RoomFrame { seq: r.seq, text: out::message_frame(r) }).collect();
        }
        self.status = Status::Running;
    }

    fn check_running(&self) -> Result<(), RoomError> {
        match self.status {
            Status::Running => Ok(()),
            Status::NotFound => Err(RoomError::NotFound),
            Status::Loading | Status::Unavailable => Err(RoomError::Unavailable),
        }
    }

    /// Reads `after < seq <= upto` from the store, delivers it, then applies `m`. The
    /// mailbox waits meanwhile so order is kept.
    fn repair_gap(&mut self, after: i64, upto: i64, m: Committed, ctx: &mut Context<Self>) {
        warn!(self.log, "delivery gap, reading it from the store"; "after" => after, "upto" => upto);
        let (store, id) = (self.deps.store.clone(), self.id.to_string());
        let fut = async move { store.run(move |c| MessageRow::range(c, &id, after, upto)).await };
        ctx.wait(fut.into_actor(self).map(move |rows, act, _| {
            match rows {
                Ok(rows) => {
                    let frames =
                        rows.iter().map(|r| RoomFrame { seq: r.seq, text: out::message_frame(r) }).collect();
                    act.fan_out(frames);
                }
                Err(e) => warn!(act.log, "gap repair failed"; "err" => %e),
            }
            act.apply_committed(m);
        }));
    }

    /// Acks each sender, then sends all new frames to every member session at once.
    fn apply_committed(&mut self, m: Committed) {
        let mut frames = Vec::new();
        for (ticket, result) in m.results {
            match result {
                Ok(AppendOutcome::Stored(row)) => {
                    send_ack(&ticket, self.id.as_str(), row.seq, false);
                    if row.seq > self.delivered_seq.unwrap_or(0) {
                        frames.push(RoomFrame { seq: row.seq, text: out::message_frame(&row) });
                    }
                }
                Ok(AppendOutcome::Duplicate { seq }) => send_ack(&ticket, self.id.as_str(), seq, true),
                Err(code) => reply_error(&ticket, code, "message not stored, retry with the same client_id"),
            }
        }
        if !frames.is_empty() {
            self.fan_out(frames);
        }
    }

    fn fan_out(&mut self, frames: Vec<RoomFrame>) {
        let Some(last) = frames.last().map(|f| f.seq) else {
            return;
        };
        self.delivered_seq = Some(last);
        let cap = self.deps.cfg.rooms.tail_len;
        for f in &frames {
            if cap > 0 {
                if self.tail.len() == cap {
                    self.tail.pop_front();
                }
                self.tail.push_back(f.clone());
            }
        }
        let frames: Arc<[RoomFrame]> = frames.into();
        self.deliver_all(&frames, None);
    }

    /// Sends an unsequenced event to every session except those of `skip_user`.
    fn broadcast_event(&mut self, text: ByteString, skip_user: Option<&str>) {
        let frames: Arc<[RoomFrame]> = Arc::from(vec![RoomFrame { seq: 0, text }]);
        self.deliver_all(&frames, skip_user);
    }

    fn deliver_all(&mut self, frames: &Arc<[RoomFrame]>, skip_user: Option<&str>) {
        let mut slow = Vec::new();
        for (sid, (uid, addr)) in &self.online {
            if skip_user == Some(uid.as_str()) {
                continue;
            }
            let msg = Outbound::Room { room: self.id.clone(), frames: frames.clone() };
            match addr.try_send(msg) {
                Ok(()) => {}
                Err(SendError::Full(_)) => {
                    // do_send: the close must get through the full queue.
                    addr.do_send(Outbound::Close { code: 1008, reason: "slow consumer" });
                    slow.push(*sid);
                }
                Err(SendError::Closed(_)) => slow.push(*sid),
            }
        }
        for sid in slow {
            warn!(self.log, "session dropped"; "session" => sid, "reason" => "slow consumer or gone");
            self.remove_session(sid);
        }
    }

    /// Drops a session; the user's last session going tells the others `member_left`.
    fn remove_session(&mut self, session: SessionId) {
        let Some((user_id, _)) = self.online.remove(&session) else {
            return;
        };
        let Some(member) = self.members.get_mut(&user_id) else {
            return;
        };
        member.sessions.retain(|s| *s != session);
        if member.sessions.is_empty() {
            let user = member.user.clone();
            self.touch_member(&user, now_ms());
            let frame =
                out::encode(&out::MemberEvent { kind: "member_left", room: self.id.as_str(), user: &user });
            self.broadcast_event(frame, Some(&user_id));
        }
    }

    fn touch_member(&self, user: &UserRef, at: i64) {
        let touch = MemberTouch {
            room_id: self.id.to_string(),
            user_id: user.id.clone(),
            name: user.name.clone(),
            kind: user.kind.as_str().to_string(),
            at,
        };
        // Presence is best effort: a full writer queue drops it rather than blocking.
        if self.deps.writer.try_send(TouchMember(touch)).is_err() {
            warn!(self.log, "presence update dropped"; "user" => &user.id);
        }
    }

    fn member_views(&self) -> Vec<MemberView> {
        let mut v: Vec<MemberView> = self
            .members
            .values()
            .map(|m| MemberView {
                id: m.user.id.clone(),
                name: m.user.name.clone(),
                kind: m.user.kind,
                role: m.role.as_str(),
                online: !m.sessions.is_empty(),
            })
            .collect();
        v.sort_by(|a, b| b.online.cmp(&a.online).then_with(|| a.id.cmp(&b.id)));
        v
    }

    fn replay_for(&self, after_seq: Option<i64>, last_seq: i64) -> Replay {
        let Some(after) = after_seq else {
            return Replay::Nothing;
        };
        if after >= last_seq {
            return Replay::Nothing;
        }
        if last_seq - after > self.deps.cfg.rooms.max_replay {
            return Replay::Truncated;
        }
        match self.tail.front() {
            Some(first) if first.seq <= after + 1 => {
                Replay::Frames(self.tail.iter().filter(|f| f.seq > after).map(|f| f.text.clone()).collect())
            }
            _ => Replay::FromStore { after, upto: last_seq },
        }
    }
}

/// The role in force at `now`: an expired grant falls back to the role underneath.
fn effective_role(row: &MemberRow, now: i64) -> Role {
    let granted = Role::parse(&row.role).unwrap_or(Role::Member);
    match row.role_expires_at {
        Some(exp) if exp <= now => Role::parse(&row.base_role).unwrap_or(Role::Member),
        _ => granted,
    }
}

fn send_ack(ticket: &SendTicket, room: &str, seq: i64, duplicate: bool) {
    let frame = out::encode(&out::Ack {
        id: ticket.frame_id.as_ref(),
        room,
        seq,
        client_id: ticket.client_id.as_deref(),
        duplicate,
    });
    // do_send: acks are few (one per send) and must not be lost; the delivery
    // queue's bound is enforced on fan-out.
    ticket.session.do_send(Outbound::Direct(frame));
}

fn reply_error(ticket: &SendTicket, code: ErrorCode, message: &str) {
    let frame = out::error_frame(ticket.frame_id.as_ref(), code, message, None);
    ticket.session.do_send(Outbound::Direct(frame));
}
