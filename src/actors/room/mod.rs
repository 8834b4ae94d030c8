//! `Room`: one actor per room. Owns who is in the room right now, the highest seq
//! delivered to its members, and a bounded tail of recent message frames for fast
//! replay. Durable writes go through the `StoreWriter`; the room fans a message out
//! (one shared frame for all members) only after the writer reports it committed.
//!
//! Supervision: every handler runs in the actor shell (`actors/shell.rs`), under
//! `catch_unwind`. A panic fails only the message being handled (its sender gets
//! `room_unavailable`);
//! the room stops and its actix `Supervisor` restarts it in place — same `Addr`, same
//! mailbox, so queued messages are handled after the reload, members stay joined, and
//! seqs continue (they are assigned by the store). Too many crashes in the window
//! quarantine the room until an operator restarts it.
//!
//! Invariant: members receive every committed seq exactly once, in order. If a commit
//! report shows a gap (e.g. a report lost in a crash), the missing range is read from
//! the store and delivered first.

mod cluster;
mod commands;
mod deletion;
mod delivery;
mod idle;
mod life;
mod load;
mod membership;
mod messages;
mod moderation;
mod publish_hook;
mod read;
mod spam;
#[cfg(test)]
mod tests;
mod typing;
mod welcome;

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use actix::prelude::*;
use slog::{error, info, Logger};

pub use cluster::{lease_name, NodesDown, RemoteCall, Resync};
pub use commands::{
    is_builtin, valid_name, CommandError, RegisterCommand, MAX_BOT_COMMANDS, MAX_NAME as MAX_COMMAND_NAME,
};
pub use deletion::{DeleteMessages, Deleter, OPERATOR_DELETER};
pub use life::SettingsChanged;
pub use messages::*;
pub use moderation::MAX_REASON;
pub use read::MarkRead;
pub use spam::Refusal;
pub use typing::Typing;

use self::delivery::{reply_error, send_error};
use super::exchange::Committed;
use super::exchange::{Outbound, RoomFrame};
use super::mailbox::{ActorStatus, MailboxStats, Metered, Registration, TrackedAddr};
use super::rate_window::RateWindow;
use super::shell::{CrashAnswer, Shell};
use super::store_writer::{AppendMessage, StoreWriter};
use super::supervisor::{Decision, RestartPolicy};
use crate::actors::mailbox::TrackedRecipient;
use crate::error::{ErrorCode, HasCode};
use crate::model::{now_ms, Role, RoomId, UserKind, UserRef};
use crate::protocol::outbound::{self as out, MemberView};
use crate::protocol::FrameId;
use crate::store::messages::NewMessage;

/// With `debug.fault_injection`, a `send` with exactly this text panics inside the
/// room's handler: a poison message for drills and tests.
pub const PANIC_TEXT: &str = "__roomd_fault_injection_panic__";

/// With `debug.fault_injection`, a `send` with exactly this text makes the room's
/// handler take [`SLOW_HANDLER`] (blocking its thread) before storing it as usual: a
/// slow room, to watch its mailbox fill in the metrics.
pub const SLOW_TEXT: &str = "__roomd_fault_injection_slow__";
pub const SLOW_HANDLER: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Loading,
    Running,
    NotFound,
    /// The store could not be read; retrying.
    Unavailable,
    Quarantined,
    /// Idle for `rooms.idle_stop_secs`: forgotten by the registry, stopping (`idle.rs`).
    Retired,
}

impl Status {
    /// The room's status as `/api/v1/actors` and the room views show it.
    fn as_actor_status(self) -> ActorStatus {
        match self {
            Status::Loading => ActorStatus::Restarting,
            Status::Running | Status::Unavailable => ActorStatus::Running,
            Status::NotFound | Status::Retired => ActorStatus::Stopped,
            Status::Quarantined => ActorStatus::Quarantined,
        }
    }
}

struct Member {
    user: UserRef,
    /// The grant and when it ends; `role()` is the role in force now.
    granted: Role,
    expires_at: Option<i64>,
    base: Role,
    last_read_seq: i64,
    sessions: Vec<SessionId>,
    /// Its row is stored (false while the join that creates it is being committed).
    durable: bool,
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
    online: HashMap<SessionId, (String, TrackedRecipient<Outbound>)>,
    rate: RateWindow,
    policy: RestartPolicy,
    /// Delay before the reload that follows a crash.
    restart_delay: Duration,
    mailbox: Registration,
    /// Settings, welcomes, spam and typing state (`life.rs`).
    life: life::RoomLife,
    /// Bans and mutes in force, as last read or set (`moderation.rs`).
    restrictions: moderation::Restrictions,
    /// `!commands`: bot registrations, pending invocations (survive restarts).
    commands: commands::CommandState,
    /// Cluster mode: owner or replica, and the aliases of other nodes' sessions.
    cluster: cluster::ClusterState,
    /// Appends (and deletions) sent to the writer whose report has not come back.
    pending_appends: usize,
    /// When the room last had sessions or work (`idle.rs`).
    idle: idle::IdleWatch,
    /// Told if the frame being handled crashes the room.
    crash_notice: Option<CrashNotice>,
    /// Publish-hook calls in flight, in send order (`publish_hook.rs`).
    hook_queue: publish_hook::HookQueue,
}

impl Room {
    pub fn new(id: RoomId, deps: RoomDeps, mailbox: Registration) -> Self {
        let log = deps.log.new(slog::o!("actor" => "room", "room" => id.to_string()));
        let policy = RestartPolicy::new(deps.cfg.supervisor.clone());
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
            policy,
            restart_delay: Duration::ZERO,
            mailbox,
            life: life::RoomLife::default(),
            restrictions: moderation::Restrictions::default(),
            commands: commands::CommandState::default(),
            cluster: cluster::ClusterState::default(),
            pending_appends: 0,
            idle: idle::IdleWatch::default(),
            crash_notice: None,
            hook_queue: Default::default(),
        }
    }

    /// This room's metered address.
    fn tracked(&self, ctx: &Context<Self>) -> TrackedAddr<Self> {
        TrackedAddr::new(ctx.address(), self.mailbox.stats().clone())
    }

    fn set_status(&mut self, status: Status) {
        self.status = status;
        self.mailbox.set_status(status.as_actor_status());
    }
}

impl Metered for Room {
    fn mailbox(&self) -> &MailboxStats {
        &self.mailbox
    }
}

crate::actor_shell!(Room: Committed, Sync);
crate::actor_shell!(Room, routed: Join, Leave, SendText, GetStats, Crash, Restart, CloseRoom, Kick, ReloadRoles, OnlineUsers);

impl Shell for Room {
    const NAME: &'static str = "room";

    fn log(&self) -> &Logger {
        &self.log
    }

    /// A panic fails only the message being handled: a session's `send` or `read` is
    /// answered `room_unavailable` ([`Room::crash_notice`]), a request's reply is
    /// [`RoomError::Unavailable`]. The room stops and its `Supervisor` restarts it in
    /// place after the policy's delay, or it is quarantined when it crashed too often.
    fn crashed(&mut self, what: &'static str, why: String, ctx: &mut Context<Self>) {
        if let Some(notice) = self.crash_notice.take() {
            send_error(&notice.to, notice.id.as_ref(), ErrorCode::RoomUnavailable, notice.text);
        }
        match self.policy.on_crash(Instant::now()) {
            Decision::Restart(delay) => {
                error!(self.log, "room crashed, restarting"; "in" => what, "err" => why,
                       "restarts" => self.policy.total, "delay_ms" => delay.as_millis() as u64);
                self.restart_delay = delay;
                self.mailbox.on_restart();
                self.set_status(Status::Loading);
                ctx.stop();
            }
            Decision::Quarantine => {
                error!(self.log, "room quarantined"; "in" => what, "err" => why,
                       "restarts" => self.policy.total, "window_secs" => self.deps.cfg.supervisor.window_secs);
                self.set_status(Status::Quarantined);
            }
        }
    }
}

/// Who is told `room_unavailable` if the frame being handled crashes the room: the
/// session whose `send` or `read` it is. Set by those handlers, cleared when they end.
struct CrashNotice {
    to: TrackedRecipient<Outbound>,
    id: Option<FrameId>,
    text: &'static str,
}

impl<T> CrashAnswer for Result<T, RoomError> {
    fn crash_answer() -> Option<Self> {
        Some(Err(RoomError::Unavailable))
    }
}

impl CrashAnswer for RoomStats {}
impl CrashAnswer for Vec<String> {}

impl Handler<OnlineUsers> for Room {
    type Result = ResponseActFuture<Self, Vec<String>>;

    fn handle(&mut self, _: OnlineUsers, _: &mut Context<Self>) -> Self::Result {
        self.idle.queries += 1;
        Box::pin(fut::ready(self.online_users()))
    }
}

impl Room {
    /// The store writer this room's writes go to (always the same one).
    fn writer(&self) -> &TrackedAddr<StoreWriter> {
        self.deps.writers.for_room(self.id.as_str())
    }
}

impl Room {
    fn online_users(&self) -> Vec<String> {
        self.members.iter().filter(|(_, m)| !m.sessions.is_empty()).map(|(id, _)| id.clone()).collect()
    }
}

impl Member {
    fn new(user: UserRef) -> Self {
        Self {
            user,
            granted: Role::Member,
            expires_at: None,
            base: Role::Member,
            last_read_seq: 0,
            sessions: Vec::new(),
            durable: true,
        }
    }

    /// The role in force now: an expired grant falls back to the role underneath. A
    /// global admin identity is `owner` in every room, whatever is stored.
    fn role(&self) -> Role {
        if self.user.kind == UserKind::Admin {
            return Role::Owner;
        }
        match self.expires_at {
            Some(exp) if exp <= now_ms() => self.base,
            _ => self.granted,
        }
    }
}

impl Actor for Room {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Context<Self>) {
        ctx.set_mailbox_capacity(self.deps.cfg.rooms.mailbox_capacity);
        self.mailbox.set_capacity(self.deps.cfg.rooms.mailbox_capacity);
        let delay = std::mem::take(&mut self.restart_delay);
        self.start_up(delay, ctx);
        self.rearm_command_timeouts(ctx);
        self.arm_idle(ctx);
    }
}

impl Supervised for Room {
    fn restarting(&mut self, _: &mut Context<Self>) {
        self.set_status(Status::Loading);
    }
}

impl Handler<Join> for Room {
    type Result = ResponseActFuture<Self, Result<JoinReply, RoomError>>;

    fn handle(&mut self, m: Join, ctx: &mut Context<Self>) -> Self::Result {
        let (session, user_id) = (m.session, m.user.id.clone());
        match self.on_join(m, ctx) {
            Ok((reply, Some(stored))) => self.when_durable(stored, session, user_id, reply),
            Ok((reply, None)) => Box::pin(fut::ready(Ok(reply))),
            Err(e) => Box::pin(fut::ready(Err(e))),
        }
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
        // An operator's request learns of a crash from its dropped reply channel.
        self.crash_notice = match &m.ticket.reply {
            ReplyTo::Session(to) | ReplyTo::Forwarded { out: to, .. } => Some(CrashNotice {
                to: to.clone(),
                id: m.ticket.frame_id.clone(),
                text: "room crashed handling this message; resend it",
            }),
            ReplyTo::Operator(_) | ReplyTo::Room => None,
        };
        self.on_send(m, ctx);
        self.crash_notice = None;
    }
}

impl Handler<Committed> for Room {
    type Result = ();

    fn handle(&mut self, m: Committed, ctx: &mut Context<Self>) {
        self.pending_appends = self.pending_appends.saturating_sub(m.results.len());
        self.on_committed(m, ctx);
    }
}

impl Handler<GetStats> for Room {
    type Result = ResponseActFuture<Self, RoomStats>;

    fn handle(&mut self, _: GetStats, _: &mut Context<Self>) -> Self::Result {
        self.idle.queries += 1;
        Box::pin(fut::ready(self.local_stats()))
    }
}

impl Room {
    fn local_stats(&self) -> RoomStats {
        let status = self.status.as_actor_status();
        let users_online = self.members.values().filter(|m| !m.sessions.is_empty()).count();
        RoomStats {
            status,
            last_seq: self.delivered_seq.unwrap_or(0),
            members_online: users_online,
            messages_per_min: self.rate.per_minute(),
            restarts: self.policy.total,
            last_restart_at: self
                .policy
                .last_restart_at
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            mailbox_depth: self.mailbox.depth(),
        }
    }
}

impl Handler<Sync> for Room {
    type Result = ();

    fn handle(&mut self, _: Sync, _: &mut Context<Self>) {}
}

impl Handler<Crash> for Room {
    type Result = ();

    fn handle(&mut self, _: Crash, _: &mut Context<Self>) {
        // A retired room (`idle.rs`) must not be brought back by its supervisor.
        if self.status == Status::Retired {
            return;
        }
        panic!("fault injection: crash requested");
    }
}

impl Handler<Restart> for Room {
    type Result = ();

    fn handle(&mut self, _: Restart, ctx: &mut Context<Self>) {
        // A retired room (`idle.rs`) must not be brought back by its supervisor; the
        // operator's restart reached it through a stale address and is a no-op.
        if self.status == Status::Retired {
            return;
        }
        info!(self.log, "room restart requested"; "was" => ?self.status);
        self.policy.reset();
        self.policy.total += 1;
        self.policy.last_restart_at = Some(chrono::Utc::now());
        self.mailbox.on_restart();
        self.restart_delay = Duration::ZERO;
        ctx.stop();
    }
}

impl Handler<CloseRoom> for Room {
    type Result = ();

    fn handle(&mut self, _: CloseRoom, ctx: &mut Context<Self>) {
        info!(self.log, "room deleted; closing it for its members");
        let frame = out::encode(&out::RoomClosed { room: self.id.as_str(), reason: "deleted" });
        for (_, (_, to)) in self.online.drain() {
            to.do_send(Outbound::RoomClosed { room: self.id.clone(), frame: frame.clone() });
        }
        self.members.clear();
        self.set_status(Status::NotFound);
        self.deps.registry.do_send(RoomGone { id: self.id.clone(), addr: self.tracked(ctx) });
    }
}

impl Handler<Kick> for Room {
    type Result = ResponseActFuture<Self, Result<(), RoomError>>;

    fn handle(&mut self, m: Kick, _: &mut Context<Self>) -> Self::Result {
        match self.on_kick(&m.user_id, m.reason) {
            Ok(pending) => Box::pin(pending.outcome().into_actor(self)),
            Err(e) => Box::pin(fut::ready(Err(e))),
        }
    }
}

impl Handler<ReloadRoles> for Room {
    type Result = ();

    fn handle(&mut self, _: ReloadRoles, ctx: &mut Context<Self>) {
        self.reload_roles(ctx);
    }
}

impl Room {
    fn check_running(&self) -> Result<(), RoomError> {
        match self.status {
            Status::Running => Ok(()),
            Status::NotFound => Err(RoomError::NotFound),
            Status::Quarantined => Err(RoomError::Quarantined),
            Status::Loading | Status::Unavailable | Status::Retired => Err(RoomError::Unavailable),
        }
    }

    /// Joins the session. With a receiver, the membership is being created: the join
    /// is answered once it committed (`membership.rs`). The writes a first session
    /// makes (presence, a welcome) are admitted up front: none, and no join, when the
    /// writer is over `store.max_pending`.
    fn on_join(
        &mut self,
        m: Join,
        ctx: &mut Context<Self>,
    ) -> Result<(JoinReply, Option<membership::MemberOutcome>), RoomError> {
        self.check_running()?;
        self.check_not_banned(&m.user)?;
        self.check_capacity(&m.user)?;
        let user_id = m.user.id.clone();
        let known = self.members.get(&user_id);
        let first_session = known.is_none_or(|k| k.sessions.is_empty());
        let durable = known.is_some_and(|k| k.durable);
        let welcome = if first_session { self.welcome_due(&m.user, known.is_none()) } else { None };
        let writes = match (first_session, durable) {
            (true, _) | (false, false) => 1 + if welcome.is_some() { 2 } else { 0 },
            (false, true) => 0,
        };
        if writes > 0 && !self.deps.writes.try_admit(writes) {
            return Err(RoomError::StoreBusy);
        }
        let member = self
            .members
            .entry(user_id.clone())
            .or_insert_with(|| Member { durable: false, ..Member::new(m.user.clone()) });
        member.user = m.user.clone();
        if !member.sessions.contains(&m.session) {
            member.sessions.push(m.session);
        }
        let last_read_seq = member.last_read_seq;
        self.online.insert(m.session, (user_id.clone(), m.out));
        // A member whose row is not stored yet waits for it (also a second session
        // joining while the first one's row is being committed).
        let stored = match writes {
            0 => None,
            _ if durable => {
                self.write_member(self.touch_of(&m.user, now_ms()), None);
                None
            }
            _ => {
                let (tx, rx) = tokio::sync::oneshot::channel();
                self.write_member(self.touch_of(&m.user, now_ms()), Some(tx));
                Some(rx)
            }
        };
        if first_session {
            let frame = out::encode(&out::MemberEvent {
                kind: "member_joined",
                room: self.id.as_str(),
                user: &m.user,
            });
            self.broadcast_event(frame, Some(&user_id));
        }
        if let Some(text) = welcome {
            self.post_welcome(&m.user, text, ctx);
        }
        let last_seq = self.delivered_seq.unwrap_or(0);
        let reply = JoinReply {
            last_seq,
            last_read_seq,
            members: self.member_views(),
            replay: self.replay_for(m.after_seq, last_seq),
        };
        Ok((reply, stored))
    }

    fn on_send(&mut self, m: SendText, ctx: &mut Context<Self>) {
        if let Err(e) = self.check_running().and_then(|_| self.check_fenced()) {
            return reply_error(m.ticket, e.code(), &e.to_string());
        }
        if m.session.is_some_and(|s| !self.online.contains_key(&s)) {
            return reply_error(m.ticket, ErrorCode::NotJoined, "join the room first");
        }
        if m.session.is_some() {
            if let Some(expires_at) = self.muted_until(&m.user) {
                return self.refuse_muted(m.ticket, expires_at);
            }
        }
        if let Err((code, msg)) = self.check_command_send(&m) {
            return self.refuse_unless_stored(m, code, msg);
        }
        if self.deps.cfg.debug.fault_injection && m.text == PANIC_TEXT {
            panic!("fault injection: poison message");
        }
        if self.deps.cfg.debug.fault_injection && m.text == SLOW_TEXT {
            std::thread::sleep(SLOW_HANDLER);
        }
        let Some(m) = self.screen_send(m) else { return };
        self.send_through_publish_hook(m, ctx);
    }

    /// Builds the message of an admitted `send` and hands it to the store writer.
    fn store_send(&mut self, m: SendText, ctx: &mut Context<Self>) {
        let msg = NewMessage {
            room_id: self.id.to_string(),
            sender_id: m.user.id,
            sender_name: m.user.name,
            sender_kind: m.user.kind.as_str().to_string(),
            text: m.text,
            client_id: m.ticket.client_id.clone(),
            reply_to: m.reply_to,
            ts: now_ms(),
            announcement: false,
        };
        let append = AppendMessage { msg, ticket: m.ticket, notify: self.tracked(ctx).recipient() };
        if let Err((append, why)) = self.append(append) {
            reply_error(append.ticket, ErrorCode::RoomUnavailable, why);
        }
    }

    /// Admits an append through the gate and sends it to the writer; gives it back
    /// with the reason if the writer cannot take it.
    fn append(&mut self, append: AppendMessage) -> Result<(), (AppendMessage, &'static str)> {
        if !self.deps.writes.try_admit(1) {
            return Err((append, "store busy, retry"));
        }
        self.pending_appends += 1;
        self.writer().try_send(append).map_err(|e| {
            self.pending_appends -= 1;
            self.deps.writes.release(1);
            let why = match &e {
                SendError::Full(_) => "store busy, retry",
                SendError::Closed(_) => "store writer stopped",
            };
            (e.into_inner(), why)
        })
    }

    /// A user who is not a member yet may join only while the room has fewer members
    /// than its `max_members` setting; global admins always may.
    fn check_capacity(&self, user: &UserRef) -> Result<(), RoomError> {
        match self.life.settings.max_members {
            Some(max)
                if user.kind != UserKind::Admin
                    && !self.members.contains_key(&user.id)
                    && self.members.len() >= max as usize =>
            {
                Err(RoomError::Full(max))
            }
            _ => Ok(()),
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
                role: m.role().as_str(),
                online: !m.sessions.is_empty(),
            })
            .collect();
        v.sort_by(|a, b| b.online.cmp(&a.online).then_with(|| a.id.cmp(&b.id)));
        v
    }

    fn replay_for(&self, after_seq: Option<i64>, last_seq: i64) -> Replay {
        let Some(after) = after_seq else { return Replay::Nothing };
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
