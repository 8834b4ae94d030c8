//! Bans and mutes as the room enforces them. The store holds them
//! (`store::restrictions`); the room keeps those in force in memory, read when it
//! loads and again on every `ReloadRoles` (the admin API stores a change, then sends
//! it), and changed directly by the moderation commands once the store has taken
//! their change. Expiry is checked at the moment of use — each `join` against the
//! bans, each `send` against the mutes — so a restriction lapses at its expiry without
//! a restart.
//!
//! The moderation commands (`commands/{kick,ban,unban,mute,unmute}.rs`) share the
//! rest of this file: reading `@user [duration] [reason]`, checking that the invoker
//! may act on the target, storing the change with its audit entry (the invoker as
//! the actor), and applying it here.

use std::collections::HashMap;
use std::time::Duration;

use actix::prelude::*;
use slog::warn;

use super::commands::Invocation;
use super::messages::{Removal, ReplyTo, RoomError, SendTicket};
use super::Room;
use crate::actors::exchange::Outbound;
use crate::error::ErrorCode;
use crate::metrics::metrics;
use crate::model::{check_user_id, now_ms, rfc3339, Role, UserRef};
use crate::protocol::outbound as out;
use crate::store::audit::NewAudit;
use crate::store::restrictions::{RestrictionKind, RestrictionRow};

/// Longest `reason` of a ban or mute, in characters (API and commands).
pub const MAX_REASON: usize = 500;

/// The bans and mutes of a room that were in force when last read or set.
#[derive(Default)]
pub(super) struct Restrictions {
    bans: HashMap<String, RestrictionRow>,
    mutes: HashMap<String, RestrictionRow>,
}

impl Restrictions {
    /// The restrictions of `kind`, by user id.
    fn of(&mut self, kind: RestrictionKind) -> &mut HashMap<String, RestrictionRow> {
        match kind {
            RestrictionKind::Ban => &mut self.bans,
            RestrictionKind::Mute => &mut self.mutes,
        }
    }

    /// The expiry (`None`: until lifted) of `user`'s restriction of `kind` if it is in
    /// force at `now`. Looked up by `&str`: every `send` asks, so nothing is allocated.
    fn in_force(&self, kind: RestrictionKind, user: &str, now: i64) -> Option<Option<i64>> {
        let map = match kind {
            RestrictionKind::Ban => &self.bans,
            RestrictionKind::Mute => &self.mutes,
        };
        let row = map.get(user)?;
        row.in_force(now).then_some(row.expires_at)
    }
}

impl Room {
    /// Replaces the known restrictions with `rows` (a load or a reload).
    pub(super) fn set_restrictions(&mut self, rows: Vec<RestrictionRow>) {
        self.restrictions = Restrictions::default();
        for row in rows {
            if let Some(kind) = RestrictionKind::parse(&row.kind) {
                self.restrictions.of(kind).insert(row.user_id.clone(), row);
            }
        }
    }

    /// A `join` by a banned user is refused with `banned` and the ban's expiry.
    pub(super) fn check_not_banned(&self, user: &UserRef) -> Result<(), RoomError> {
        match self.restrictions.in_force(RestrictionKind::Ban, &user.id, now_ms()) {
            Some(expires_at) => Err(RoomError::Banned { expires_at }),
            None => Ok(()),
        }
    }

    /// The expiry (`None`: until lifted) of `user`'s mute, if one is in force now.
    pub(super) fn muted_until(&self, user: &UserRef) -> Option<Option<i64>> {
        self.restrictions.in_force(RestrictionKind::Mute, &user.id, now_ms())
    }

    /// Refuses a muted member's `send` with `muted` and the mute's expiry.
    pub(super) fn refuse_muted(&self, ticket: SendTicket, expires_at: Option<i64>) {
        let message = out::restriction_message("muted in", self.id.as_str(), expires_at);
        match ticket.reply {
            // A session on another node (cluster mode) gets the frame from here too: the
            // dropped `done` tells its node the owner answered the session itself.
            ReplyTo::Session(to) | ReplyTo::Forwarded { out: to, .. } => {
                metrics().reject(ErrorCode::Muted.as_str());
                let frame = out::restricted_error_frame(
                    ticket.frame_id.as_ref(),
                    ErrorCode::Muted,
                    &message,
                    expires_at,
                );
                to.do_send(Outbound::Direct(frame));
            }
            ReplyTo::Operator(tx) => {
                let _ = tx.send(Err((ErrorCode::Muted, message)));
            }
            ReplyTo::Room => {}
        }
    }
}

/// What a moderation command was given: `@user [duration] [reason]`.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct ModArgs {
    pub target: String,
    pub duration: Option<Duration>,
    pub reason: Option<String>,
}

/// Which parts after `@user` a moderation command takes.
#[derive(Debug, Clone, Copy)]
pub(super) enum Takes {
    /// Only `@user` (`!unban`, `!unmute`).
    UserOnly,
    /// `@user [reason]` (`!kick`).
    Reason,
    /// `@user [duration] [reason]` (`!ban`, `!mute`): a second word starting with a
    /// digit is the duration, anything else starts the reason.
    DurationAndReason,
}

impl ModArgs {
    /// Reads `args`; the error says what is wrong, for the invoker.
    pub fn parse(args: &str, takes: Takes) -> Result<Self, String> {
        let args = args.trim();
        let (first, rest) = split_word(args);
        let target = first.strip_prefix('@').unwrap_or(first);
        if target.is_empty() {
            return Err("name the user: @user".into());
        }
        check_user_id(target).map_err(|e| format!("user {e}"))?;
        let mut parsed = Self { target: target.to_string(), duration: None, reason: None };
        let mut rest = rest;
        match takes {
            Takes::UserOnly if !rest.is_empty() => return Err("takes only @user".into()),
            Takes::UserOnly | Takes::Reason => {}
            Takes::DurationAndReason => {
                let (word, after) = split_word(rest);
                if word.starts_with(|c: char| c.is_ascii_digit()) {
                    parsed.duration = Some(crate::duration::parse(word)?);
                    rest = after;
                }
            }
        }
        if !rest.is_empty() {
            if rest.chars().count() > MAX_REASON {
                return Err(format!("the reason is over {MAX_REASON} characters"));
            }
            parsed.reason = Some(rest.to_string());
        }
        Ok(parsed)
    }
}

/// The first whitespace-separated word of `s` and the trimmed rest.
fn split_word(s: &str) -> (&str, &str) {
    let end = s.find(char::is_whitespace).unwrap_or(s.len());
    let (word, rest) = s.split_at(end);
    (word, rest.trim())
}

/// An audit entry made by a moderation command: the invoker is the actor, and there
/// is no request id (docs/ADMIN_API.md, Audit log).
fn command_audit(
    by: &UserRef,
    action: &'static str,
    room: &str,
    user: &str,
    detail: serde_json::Value,
) -> NewAudit {
    debug_assert!(crate::http::audit::ACTIONS.contains(&action), "audit action {action:?} is not listed");
    NewAudit {
        at: now_ms(),
        actor_id: by.id.clone(),
        actor_name: by.name.clone(),
        action: action.to_string(),
        target: format!("{room}/{user}"),
        detail: detail.to_string(),
        request_id: None,
    }
}

impl Room {
    /// Parses a moderation command's arguments and checks that its invoker may act on
    /// the target: not on themselves, and not on anyone whose role here is above
    /// theirs (so moderators cannot act on admins or owners). Refusals go to the
    /// invoker as a `notice`.
    pub(super) fn moderation_target(&self, inv: &Invocation, takes: Takes) -> Option<ModArgs> {
        let args = match ModArgs::parse(&inv.args, takes) {
            Ok(a) => a,
            Err(why) => {
                self.notice(inv.invoker.as_ref(), &format!("!{}: {why}", inv.name));
                return None;
            }
        };
        if args.target == inv.from.id {
            self.notice(inv.invoker.as_ref(), &format!("!{}: you cannot act on yourself", inv.name));
            return None;
        }
        let mine = self.role_of(&inv.from);
        let theirs = self.members.get(&args.target).map(|m| m.role()).unwrap_or(Role::Member);
        if theirs > mine {
            let text = format!(
                "!{}: {} is {} here, above your role ({})",
                inv.name,
                args.target,
                theirs.as_str(),
                mine.as_str()
            );
            self.notice(inv.invoker.as_ref(), &text);
            return None;
        }
        Some(args)
    }

    /// `!ban` / `!mute`: stores the restriction and its audit entry, then applies it
    /// here (a ban also removes the member, `room_closed` with reason `banned`) and
    /// posts what happened as a system message.
    pub(super) fn restrict_by_command(
        &mut self,
        inv: Invocation,
        kind: RestrictionKind,
        args: ModArgs,
        ctx: &mut Context<Self>,
    ) {
        let now = now_ms();
        let expires_at = args.duration.map(|d| now.saturating_add(d.as_millis() as i64));
        let row = RestrictionRow {
            room_id: self.id.to_string(),
            kind: kind.as_str().to_string(),
            user_id: args.target.clone(),
            expires_at,
            reason: args.reason.clone(),
            created_by: inv.from.id.clone(),
            created_at: now,
        };
        let action = match kind {
            RestrictionKind::Ban => "member.ban",
            RestrictionKind::Mute => "member.mute",
        };
        let detail = serde_json::json!({"expires_at": expires_at.map(rfc3339), "reason": args.reason});
        let audit = command_audit(&inv.from, action, self.id.as_str(), &args.target, detail);
        let (store, stored) = (self.deps.store.clone(), row.clone());
        let fut = async move {
            store.run(move |c| stored.put(c)).await?;
            // Written after the change, like the admin API's entries; a failed write
            // is logged below and does not undo the change.
            let entry = audit.clone();
            Ok::<_, crate::store::StoreError>(
                store.run(move |c| entry.insert(c)).await.err().map(|e| (e, audit)),
            )
        };
        ctx.spawn(fut.into_actor(self).map(move |res, room, ctx| match res {
            Ok(audit_failed) => {
                if let Some((e, a)) = audit_failed {
                    warn!(room.log, "audit write failed"; "action" => a.action, "target" => a.target,
                          "by" => a.actor_id, "at" => a.at, "detail" => a.detail, "err" => %e);
                }
                room.restrictions.of(kind).insert(row.user_id.clone(), row);
                if kind == RestrictionKind::Ban {
                    room.remove_member_quietly(&args.target, Removal::Banned, ctx);
                }
                let verb = if kind == RestrictionKind::Ban { "banned" } else { "muted" };
                let until = match expires_at {
                    Some(t) => format!("until {}", rfc3339(t)),
                    None => "until lifted".to_string(),
                };
                let reason = args.reason.map(|r| format!(": {r}")).unwrap_or_default();
                let text = format!("{} was {verb} by {} ({until}){reason}", args.target, inv.from.name);
                room.post_system(text, false, ctx);
            }
            Err(e) => {
                warn!(room.log, "moderation write failed"; "command" => &inv.name, "err" => %e);
                room.notice(
                    inv.invoker.as_ref(),
                    &format!("!{}: the store cannot take it now; try again", inv.name),
                );
            }
        }));
    }

    /// `!unban` / `!unmute`: lifts the restriction in the store (with its audit entry)
    /// and here, and posts it; a `notice` if there was none in force.
    pub(super) fn lift_by_command(
        &mut self,
        inv: Invocation,
        kind: RestrictionKind,
        args: ModArgs,
        ctx: &mut Context<Self>,
    ) {
        let action = match kind {
            RestrictionKind::Ban => "member.unban",
            RestrictionKind::Mute => "member.unmute",
        };
        let audit = command_audit(&inv.from, action, self.id.as_str(), &args.target, serde_json::json!({}));
        let (store, room_id, user) = (self.deps.store.clone(), self.id.to_string(), args.target.clone());
        let fut = async move {
            store
                .run(move |c| {
                    let lifted = RestrictionRow::lift(c, &room_id, kind, &user, now_ms())?;
                    if lifted {
                        audit.insert(c)?;
                    }
                    Ok(lifted)
                })
                .await
        };
        ctx.spawn(fut.into_actor(self).map(move |res, room, ctx| {
            let (was, done) = match kind {
                RestrictionKind::Ban => ("banned", "unbanned"),
                RestrictionKind::Mute => ("muted", "unmuted"),
            };
            match res {
                Ok(lifted) => {
                    room.restrictions.of(kind).remove(&args.target);
                    if lifted {
                        room.post_system(
                            format!("{} was {done} by {}", args.target, inv.from.name),
                            false,
                            ctx,
                        );
                    } else {
                        let text = format!("!{}: {} is not {was} here", inv.name, args.target);
                        room.notice(inv.invoker.as_ref(), &text);
                    }
                }
                Err(e) => {
                    warn!(room.log, "moderation write failed"; "command" => &inv.name, "err" => %e);
                    room.notice(
                        inv.invoker.as_ref(),
                        &format!("!{}: the store cannot take it now; try again", inv.name),
                    );
                }
            }
        }));
    }

    /// `!kick`: removes the member like the admin API's kick (through the store
    /// writer, after every membership write queued before it); once that committed,
    /// writes the audit entry and posts it. A `notice` if they are not a member.
    pub(super) fn kick_by_command(&mut self, inv: Invocation, args: ModArgs, ctx: &mut Context<Self>) {
        if !self.members.contains_key(&args.target) {
            let text = format!("!{}: {} is not a member of {}", inv.name, args.target, self.id);
            return self.notice(inv.invoker.as_ref(), &text);
        }
        let pending = match self.on_kick(&args.target, Removal::Kicked) {
            Ok(p) => p,
            Err(e) => return self.notice(inv.invoker.as_ref(), &format!("!{}: {e}", inv.name)),
        };
        let detail = serde_json::json!({"reason": args.reason});
        let audit = command_audit(&inv.from, "member.kick", self.id.as_str(), &args.target, detail);
        let store = self.deps.store.clone();
        let fut = async move {
            pending.outcome().await?;
            let entry = audit.clone();
            Ok::<_, RoomError>(store.run(move |c| entry.insert(c)).await.err().map(|e| (e, audit)))
        };
        // The reply is posted once the removal committed and its audit entry was written.
        ctx.spawn(fut.into_actor(self).map(move |res, room, ctx| match res {
            Ok(audit_failed) => {
                if let Some((e, a)) = audit_failed {
                    warn!(room.log, "audit write failed"; "action" => a.action, "target" => a.target,
                          "by" => a.actor_id, "at" => a.at, "detail" => a.detail, "err" => %e);
                }
                let reason = args.reason.map(|r| format!(": {r}")).unwrap_or_default();
                room.post_system(
                    format!("{} was kicked by {}{reason}", args.target, inv.from.name),
                    false,
                    ctx,
                );
            }
            Err(e) => room.notice(inv.invoker.as_ref(), &format!("!{}: {e}", inv.name)),
        }));
    }

    /// Removes `user` (a ban's removal) without waiting for the outcome: the ban is
    /// stored, so a member the room did not know of can never join anyway.
    fn remove_member_quietly(&mut self, user: &str, why: Removal, ctx: &mut Context<Self>) {
        match self.on_kick(user, why) {
            Ok(pending) => {
                ctx.spawn(pending.outcome().into_actor(self).map(|res, room, _| {
                    if let Err(e @ (RoomError::Unavailable | RoomError::KickQueued)) = res {
                        warn!(room.log, "removal of a banned member not confirmed"; "err" => %e);
                    }
                }));
            }
            Err(e) => warn!(self.log, "banned member not removed"; "err" => %e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(target: &str, duration: Option<u64>, reason: Option<&str>) -> ModArgs {
        ModArgs {
            target: target.into(),
            duration: duration.map(Duration::from_secs),
            reason: reason.map(str::to_string),
        }
    }

    #[test]
    fn moderation_arguments_read_user_duration_and_reason() {
        let full = Takes::DurationAndReason;
        assert_eq!(ModArgs::parse("@bob", full), Ok(args("bob", None, None)));
        assert_eq!(ModArgs::parse("bob 10m", full), Ok(args("bob", Some(600), None)));
        assert_eq!(ModArgs::parse("@bob 2h  too loud ", full), Ok(args("bob", Some(7200), Some("too loud"))));
        assert_eq!(ModArgs::parse("@bob spam again", full), Ok(args("bob", None, Some("spam again"))));
        assert_eq!(ModArgs::parse("@bob 7d", full), Ok(args("bob", Some(7 * 86_400), None)));
        assert_eq!(ModArgs::parse("@bob flood", Takes::Reason), Ok(args("bob", None, Some("flood"))));
        assert_eq!(ModArgs::parse("@bob", Takes::UserOnly), Ok(args("bob", None, None)));
    }

    #[test]
    fn malformed_moderation_arguments_are_refused_with_the_reason() {
        let full = Takes::DurationAndReason;
        assert!(ModArgs::parse("@bob 10x", full).unwrap_err().contains("unit"));
        assert!(ModArgs::parse("@bob 0m", full).is_err());
        assert!(ModArgs::parse("@", full).unwrap_err().contains("@user"));
        assert!(ModArgs::parse("", full).is_err());
        assert!(ModArgs::parse("@system", full).is_err());
        assert!(ModArgs::parse(&format!("@{}", "x".repeat(65)), full).is_err());
        assert!(ModArgs::parse("@bob now", Takes::UserOnly).is_err());
        assert!(ModArgs::parse(&format!("@bob {}", "r".repeat(MAX_REASON + 1)), full).is_err());
    }
}
