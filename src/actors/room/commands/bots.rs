//! Commands registered by bots (`register_command`). A registration belongs to the
//! bot user in one room and names the session that registered it; it ends when the
//! bot's last session in the room goes (leave, disconnect, kick). An invocation is
//! forwarded to the bot as a `command` frame with a fresh invocation id; the bot
//! answers with `send` + `reply_to` (any number of times) until `commands.timeout_ms`
//! after the forward. No answer by then: the invoker gets a `notice`.

use std::collections::HashMap;
use std::time::Instant;

use actix::prelude::*;
use slog::{debug, info};

use super::{is_builtin, Invocation, MAX_BOT_COMMANDS};
use crate::actors::exchange::Outbound;
use crate::actors::mailbox::TrackedRecipient;
use crate::actors::room::{Room, RoomError, SessionId};
use crate::error::{ErrorCode, HasCode};
use crate::model::{Role, UserRef};
use crate::protocol::commands::CommandFrame;
use crate::protocol::outbound as out;

/// Register `!name` in this room for the bot of `session`.
#[derive(Message)]
#[rtype(result = "Result<(), CommandError>")]
pub struct RegisterCommand {
    pub session: SessionId,
    pub bot: UserRef,
    pub name: String,
    pub description: String,
    pub min_role: Role,
}

/// Why a registration was refused.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("join the room before registering commands in it")]
    NotJoined,
    #[error("!{0} is a built-in command and cannot be registered")]
    BuiltIn(String),
    #[error("!{name} is already registered in this room by bot {holder}")]
    Taken { name: String, holder: String },
    #[error("this room already has {MAX_BOT_COMMANDS} bot commands")]
    TooMany,
    #[error(transparent)]
    Room(#[from] RoomError),
}

impl HasCode for CommandError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NotJoined => ErrorCode::NotJoined,
            Self::BuiltIn(_) | Self::Taken { .. } | Self::TooMany => ErrorCode::BadRequest,
            Self::Room(e) => e.code(),
        }
    }
}

/// A bot's command in one room.
pub(super) struct BotCommand {
    bot: UserRef,
    /// The session that registered it; another session of the same bot in the room
    /// takes over when this one leaves.
    session: SessionId,
    pub description: String,
    pub min_role: Role,
}

impl BotCommand {
    pub fn bot_name(&self) -> &str {
        &self.bot.name
    }
}

/// A forwarded invocation waiting for (or receiving) the bot's answers.
struct Pending {
    bot_id: String,
    bot_name: String,
    name: String,
    invoker: Option<TrackedRecipient<Outbound>>,
    deadline: Instant,
    answered: bool,
}

/// Registrations and pending invocations of one room.
#[derive(Default)]
pub(super) struct BotCommands {
    by_name: HashMap<String, BotCommand>,
    pending: HashMap<String, Pending>,
}

impl BotCommands {
    pub fn has(&self, name: &str) -> bool {
        self.by_name.contains_key(name)
    }

    /// Registered commands, by name.
    pub fn sorted(&self) -> Vec<(&str, &BotCommand)> {
        let mut v: Vec<_> = self.by_name.iter().map(|(n, c)| (n.as_str(), c)).collect();
        v.sort_by_key(|(n, _)| *n);
        v
    }

    /// Drops `user_id`'s commands; how many there were.
    pub fn remove_bot(&mut self, user_id: &str) -> usize {
        let before = self.by_name.len();
        self.by_name.retain(|_, c| c.bot.id != user_id);
        before - self.by_name.len()
    }
}

crate::actor_shell!(Room, routed: RegisterCommand);

impl crate::actors::shell::CrashAnswer for Result<(), CommandError> {
    fn crash_answer() -> Option<Self> {
        Some(Err(CommandError::Room(RoomError::Unavailable)))
    }
}

impl Handler<RegisterCommand> for Room {
    type Result = ResponseActFuture<Self, Result<(), CommandError>>;

    fn handle(&mut self, m: RegisterCommand, _: &mut Context<Self>) -> Self::Result {
        Box::pin(actix::fut::ready(self.on_register(m)))
    }
}

impl Room {
    /// Registers a bot's command now (the owner, for a bot on another node).
    pub(in crate::actors::room) fn register_now(&mut self, m: RegisterCommand) -> Result<(), CommandError> {
        self.on_register(m)
    }

    fn on_register(&mut self, m: RegisterCommand) -> Result<(), CommandError> {
        self.check_running()?;
        if self.online.get(&m.session).is_none_or(|(uid, _)| *uid != m.bot.id) {
            return Err(CommandError::NotJoined);
        }
        if is_builtin(&m.name) {
            return Err(CommandError::BuiltIn(m.name));
        }
        match self.commands.bots.by_name.get(&m.name) {
            Some(held) if held.bot.id != m.bot.id => {
                return Err(CommandError::Taken { name: m.name, holder: held.bot.name.clone() });
            }
            None if self.commands.bots.by_name.len() >= MAX_BOT_COMMANDS => {
                return Err(CommandError::TooMany)
            }
            _ => {}
        }
        info!(self.log, "bot command registered"; "command" => &m.name, "bot" => &m.bot.id,
              "session" => m.session, "min_role" => m.min_role.as_str());
        let cmd =
            BotCommand { bot: m.bot, session: m.session, description: m.description, min_role: m.min_role };
        self.commands.bots.by_name.insert(m.name, cmd);
        Ok(())
    }

    /// Forwards an invocation of a bot's command to the bot, or refuses it.
    pub(super) fn forward(&mut self, inv: Invocation, role: Role, ctx: &mut Context<Self>) {
        let Some(cmd) = self.commands.bots.by_name.get(&inv.name) else { return };
        if role < cmd.min_role {
            let text = format!(
                "!{} needs role {} or higher; yours here is {}",
                inv.name,
                cmd.min_role.as_str(),
                role.as_str()
            );
            return self.notice(inv.invoker.as_ref(), &text);
        }
        let session = match self.online.get(&cmd.session) {
            Some(_) => Some(cmd.session),
            None => self.members.get(&cmd.bot.id).and_then(|m| m.sessions.first().copied()),
        };
        let Some((_, to)) = session.and_then(|s| self.online.get(&s)) else {
            return self.notice(inv.invoker.as_ref(), &format!("!{}: its bot is not connected", inv.name));
        };
        let id = crate::ids::new_invocation_id();
        let frame = out::encode(&CommandFrame {
            room: self.id.as_str(),
            invocation: &id,
            name: &inv.name,
            args: &inv.args,
            from: &inv.from,
            seq: inv.seq,
        });
        // do_send: one per invocation, and the bot must get it even when busy.
        to.do_send(Outbound::Direct(frame));
        let timeout = self.deps.cfg.commands.timeout();
        let pending = Pending {
            bot_id: cmd.bot.id.clone(),
            bot_name: cmd.bot.name.clone(),
            name: inv.name,
            invoker: inv.invoker,
            deadline: Instant::now() + timeout,
            answered: false,
        };
        self.commands.bots.pending.insert(id.clone(), pending);
        ctx.run_later(timeout, move |room, _| room.invocation_expired(&id));
    }

    /// A bot's `send` with `reply_to = id`: allowed while the invocation is live and
    /// was sent to this bot. Marks it answered.
    pub(super) fn check_reply(&mut self, id: &str, from: &UserRef) -> Result<(), (ErrorCode, String)> {
        let live = self.commands.bots.pending.get_mut(id).filter(|p| p.deadline > Instant::now());
        match live {
            None => Err((
                ErrorCode::BadRequest,
                "reply_to names no live command invocation in this room (unknown or expired)".into(),
            )),
            Some(p) if p.bot_id != from.id => {
                Err((ErrorCode::Forbidden, "reply_to names an invocation sent to another bot".into()))
            }
            Some(p) => {
                p.answered = true;
                Ok(())
            }
        }
    }

    fn invocation_expired(&mut self, id: &str) {
        let Some(p) = self.commands.bots.pending.remove(id) else { return };
        if !p.answered {
            let ms = self.deps.cfg.commands.timeout_ms;
            debug!(self.log, "bot command timed out"; "command" => &p.name, "bot" => &p.bot_id);
            let text = format!("!{}: bot {} did not answer within {ms} ms", p.name, p.bot_name);
            self.notice(p.invoker.as_ref(), &text);
        }
    }

    /// Re-arms the timeouts of pending invocations (a restart cancels the old timers).
    pub(in crate::actors::room) fn rearm_command_timeouts(&mut self, ctx: &mut Context<Self>) {
        let now = Instant::now();
        for (id, p) in &self.commands.bots.pending {
            let id = id.clone();
            ctx.run_later(p.deadline.saturating_duration_since(now), move |room, _| {
                room.invocation_expired(&id)
            });
        }
    }
}
