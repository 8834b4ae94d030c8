//! `!commands`: a `send` whose text is `!NAME ARGS` for a known command is also an
//! invocation. The invoking message is stored and delivered like any other; the
//! command runs once it is committed (so a duplicate resend never runs it twice), with
//! the invoker's role in force at that moment. Replies are system messages (stored and
//! delivered); refusals are `notice` frames to the invoking session only.
//!
//! Built-ins live one per file and are listed in [`BUILTINS`]: adding one is a new file
//! implementing [`BuiltIn`] and one line there. Commands registered by bots are in
//! [`bots`]. Messages from the system and bot answers (`reply_to`) never invoke.

mod announce;
mod ban;
mod bots;
mod help;
mod kick;
mod mute;
mod rules;
mod stats;
mod status;
mod unban;
mod unmute;

use std::time::Instant;

use actix::prelude::*;
use slog::{info, warn};
use tokio::sync::oneshot;

pub use bots::{CommandError, RegisterCommand};

use super::delivery::{reply_error, send_ack};
use super::messages::{ReplyTo, SendText, SendTicket};
use super::welcome::ROOM_SENDER;
use super::Room;
use crate::actors::exchange::Outbound;
use crate::actors::mailbox::TrackedRecipient;
use crate::actors::store_writer::AppendMessage;
use crate::error::ErrorCode;
use crate::model::{now_ms, Role, UserKind, UserRef};
use crate::protocol::outbound as out;
use crate::protocol::room_life::Notice;
use crate::store::messages::{MessageRow, NewMessage};

/// Longest command name.
pub const MAX_NAME: usize = 32;
/// Most bot commands registered in one room (and `*` commands on one session).
pub const MAX_BOT_COMMANDS: usize = 256;

/// A command built into roomd.
pub(super) trait BuiltIn: Sync {
    /// The name after `!`.
    fn name(&self) -> &'static str;
    /// One line for `!help`.
    fn description(&self) -> &'static str;
    /// The lowest role that may run it.
    fn min_role(&self) -> Role {
        Role::Member
    }
    /// `Some(usage)` when the command needs arguments (invoking it without them is a
    /// `bad_request`, nothing stored); `None` when it takes none (arguments given
    /// anyway get a `notice`).
    fn usage(&self) -> Option<&'static str> {
        None
    }
    /// Checks the arguments before the invoking message is stored: an error is a
    /// `bad_request` with the reason, and nothing is stored.
    fn check_args(&self, _args: &str) -> Result<(), String> {
        Ok(())
    }
    /// Runs the command; the invoking message is committed as `inv.seq`.
    fn run(&self, room: &mut Room, inv: Invocation, ctx: &mut Context<Room>);
}

/// Every built-in, in the order `!help` lists them.
static BUILTINS: &[&dyn BuiltIn] = &[
    &help::Help,
    &rules::Rules,
    &status::Status,
    &stats::Stats,
    &announce::Announce,
    &kick::Kick,
    &ban::Ban,
    &unban::Unban,
    &mute::Mute,
    &unmute::Unmute,
];

fn builtin(name: &str) -> Option<&'static dyn BuiltIn> {
    BUILTINS.iter().copied().find(|b| b.name() == name)
}

/// Whether `name` is a built-in command (bots cannot register it).
pub fn is_builtin(name: &str) -> bool {
    builtin(name).is_some()
}

/// Whether `name` can name a command: `[a-z0-9][a-z0-9_-]{0,31}`.
pub fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    matches!(b.first(), Some(b'a'..=b'z' | b'0'..=b'9'))
        && b.len() <= MAX_NAME
        && b.iter().all(|c| matches!(c, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'))
}

/// Splits `!name args` into the (lower-cased) name and the trimmed arguments; `None`
/// when the text does not have that shape.
pub fn parse(text: &str) -> Option<(String, &str)> {
    let rest = text.strip_prefix('!')?;
    let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
    let (name, args) = rest.split_at(end);
    let name = name.to_ascii_lowercase();
    valid_name(&name).then(|| (name, args.trim()))
}

/// One run of a command.
pub(super) struct Invocation {
    pub name: String,
    pub args: String,
    /// Seq of the invoking message.
    pub seq: i64,
    pub from: UserRef,
    /// The invoking session, for notices (`None` only if the message had no session).
    pub invoker: Option<TrackedRecipient<Outbound>>,
}

/// The room's command state. It lives in the `Room` struct, so it survives a room
/// restart (registrations and pending invocations are kept); a process restart loses
/// it and bots register again when they reconnect.
pub(super) struct CommandState {
    /// When this room actor first started in this process (`!status` uptime).
    started: Instant,
    bots: bots::BotCommands,
}

impl Default for CommandState {
    fn default() -> Self {
        Self { started: Instant::now(), bots: bots::BotCommands::default() }
    }
}

impl Room {
    /// Checks a `send` before it is stored: a `reply_to` must answer a live invocation
    /// sent to this sender, and a built-in that needs arguments must have them.
    pub(super) fn check_command_send(&mut self, m: &SendText) -> Result<(), (ErrorCode, String)> {
        if let Some(id) = &m.reply_to {
            return self.check_reply(id, &m.user);
        }
        if m.user.kind == UserKind::System {
            return Ok(());
        }
        let Some((name, args)) = parse(&m.text) else { return Ok(()) };
        let Some(b) = builtin(&name) else { return Ok(()) };
        match b.usage() {
            Some(usage) if args.is_empty() => {
                Err((ErrorCode::BadRequest, format!("!{name} needs arguments: !{name} {usage}")))
            }
            Some(usage) => b
                .check_args(args)
                .map_err(|why| (ErrorCode::BadRequest, format!("!{name}: {why} (usage: !{name} {usage})"))),
            None => Ok(()),
        }
    }

    /// A refused `send` may be the retry of one already stored — typically a bot's
    /// answer resent after its invocation timed out or the bot reconnected. Like any
    /// resend with a known `client_id` within `rooms.dedupe_secs`, it then gets the
    /// original seq as a duplicate `ack` (looked up off the room's thread); otherwise
    /// the refusal.
    pub(super) fn refuse_unless_stored(&self, m: SendText, code: ErrorCode, msg: String) {
        let Some(client_id) = m.ticket.client_id.clone() else {
            return reply_error(m.ticket, code, &msg);
        };
        let (store, room, sender) = (self.deps.store.clone(), self.id.clone(), m.user.id);
        let window_ms =
            i64::try_from(self.deps.cfg.rooms.dedupe_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        let ticket = m.ticket;
        actix::spawn(async move {
            let key = room.to_string();
            let found = store.run(move |c| MessageRow::find_by_client_id(c, &key, &sender, &client_id)).await;
            match found {
                Ok(Some((seq, ts))) if now_ms().saturating_sub(ts) <= window_ms => {
                    send_ack(ticket, room.as_str(), seq, true)
                }
                _ => reply_error(ticket, code, &msg),
            }
        });
    }

    /// The invocation a committed message makes, if it names a known command.
    pub(super) fn invocation_of(&self, row: &MessageRow, ticket: &SendTicket) -> Option<Invocation> {
        if row.reply_to.is_some() || !row.text.starts_with('!') {
            return None;
        }
        let kind = UserKind::parse(&row.sender_kind).filter(|k| *k != UserKind::System)?;
        let (name, args) = parse(&row.text)?;
        if !is_builtin(&name) && !self.commands.bots.has(&name) {
            return None;
        }
        Some(Invocation {
            args: args.to_string(),
            name,
            seq: row.seq,
            from: UserRef { id: row.sender_id.clone(), name: row.sender_name.clone(), kind },
            invoker: match &ticket.reply {
                ReplyTo::Session(to) | ReplyTo::Forwarded { out: to, .. } => Some(to.clone()),
                ReplyTo::Operator(_) | ReplyTo::Room => None,
            },
        })
    }

    /// Runs committed invocations in order.
    pub(super) fn run_commands(&mut self, invocations: Vec<Invocation>, ctx: &mut Context<Self>) {
        for inv in invocations {
            let role = self.role_of(&inv.from);
            if let Some(b) = builtin(&inv.name) {
                if role < b.min_role() {
                    let text = format!(
                        "!{} needs role {} or higher; yours here is {}",
                        b.name(),
                        b.min_role().as_str(),
                        role.as_str()
                    );
                    self.notice(inv.invoker.as_ref(), &text);
                } else if b.usage().is_none() && !inv.args.is_empty() {
                    self.notice(inv.invoker.as_ref(), &format!("!{} takes no arguments", b.name()));
                } else {
                    b.run(self, inv, ctx);
                }
            } else {
                self.forward(inv, role, ctx);
            }
        }
    }

    /// The role `user` has here now: global admins act as owner; an expired grant
    /// falls back to the role underneath.
    pub(super) fn role_of(&self, user: &UserRef) -> Role {
        if user.kind == UserKind::Admin {
            return Role::Owner; // also when not (yet) a member
        }
        self.members.get(&user.id).map(|m| m.role()).unwrap_or(Role::Member)
    }

    /// Stores and delivers a system message (a command's reply), cut to `max_text`.
    pub(super) fn post_system(&mut self, text: String, announcement: bool, ctx: &mut Context<Self>) {
        let max = self.deps.cfg.limits.max_text;
        let text = match text.char_indices().nth(max) {
            Some((cut, _)) => text[..cut].to_string(),
            None => text,
        };
        let msg = NewMessage {
            room_id: self.id.to_string(),
            sender_id: ROOM_SENDER.into(),
            sender_name: ROOM_SENDER.into(),
            sender_kind: UserKind::System.as_str().into(),
            text,
            client_id: None,
            reply_to: None,
            ts: now_ms(),
            announcement,
        };
        // Nobody waits for the outcome: the receiver is dropped, the ack ignored.
        let (tx, _) = oneshot::channel();
        let ticket = SendTicket { reply: ReplyTo::Operator(tx), frame_id: None, client_id: None };
        let append = AppendMessage { msg, ticket, notify: self.tracked(ctx).recipient() };
        if let Err((_, why)) = self.append(append) {
            warn!(self.log, "command reply dropped"; "reason" => why);
        }
    }

    /// A `notice` to one session (not stored).
    pub(super) fn notice(&self, to: Option<&TrackedRecipient<Outbound>>, text: &str) {
        if let Some(to) = to {
            let frame = out::encode(&Notice { id: None, room: self.id.as_str(), text, reason: None });
            // do_send: one per invocation, like an ack; it must not be lost.
            to.do_send(Outbound::Direct(frame));
        }
    }

    /// Forgets the commands of a bot that has no session left in the room.
    pub(super) fn bot_gone(&mut self, user_id: &str) {
        let removed = self.commands.bots.remove_bot(user_id);
        if removed > 0 {
            info!(self.log, "bot commands unregistered"; "bot" => user_id, "commands" => removed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_into_name_and_arguments() {
        assert_eq!(parse("!help"), Some(("help".into(), "")));
        assert_eq!(parse("!Echo  hello  world "), Some(("echo".into(), "hello  world")));
        assert_eq!(parse("!announce\nline"), Some(("announce".into(), "line")));
        assert_eq!(parse("hello !help"), None);
        assert_eq!(parse("!"), None);
        assert_eq!(parse("! help"), None);
        assert_eq!(parse(&format!("!{}", "x".repeat(33))), None);
    }

    #[test]
    fn names_follow_the_documented_pattern() {
        for ok in ["echo", "a", "x-y_z9", &"x".repeat(32)] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in ["", "-a", "Echo", "a b", "é", "a!", &"x".repeat(33)] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn every_builtin_is_found_by_name() {
        for b in BUILTINS {
            assert!(is_builtin(b.name()) && valid_name(b.name()));
        }
        assert!(!is_builtin("echo"));
    }
}
