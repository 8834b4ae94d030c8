//! `register_command` on a session. Only bots may register. The frame is checked here
//! (name, description, role); the room then checks membership and conflicts. With
//! `room: "*"` the command is registered in every room this session is in now and,
//! when it joins more rooms later, in those too; the reply lists where it applied.

use actix::prelude::*;
use futures_util::future::join_all;

use super::WsSession;
use crate::actors::room::{
    is_builtin, valid_name, CommandError, RegisterCommand, RoomError, MAX_BOT_COMMANDS, MAX_COMMAND_NAME,
};
use crate::error::{ErrorCode, HasCode};
use crate::model::{Role, RoomId, UserKind};
use crate::protocol::commands::Registered;
use crate::protocol::outbound as out;
use crate::protocol::room_life::Notice;
use crate::protocol::FrameId;

/// Longest command description, in characters.
pub const MAX_DESCRIPTION: usize = 200;

/// A checked registration.
#[derive(Debug, Clone)]
pub(super) struct CommandSpec {
    name: String,
    description: String,
    min_role: Role,
}

impl WsSession {
    pub(super) fn on_register_command(
        &mut self,
        id: Option<FrameId>,
        room: &str,
        name: String,
        description: Option<String>,
        min_role: Option<String>,
        ctx: &mut Context<Self>,
    ) {
        let spec = match self.check_register(name, description, min_role) {
            Ok(s) => s,
            Err((code, msg)) => return self.error(ctx, id.as_ref(), code, &msg, None),
        };
        if room == "*" {
            return self.register_everywhere(id, spec, ctx);
        }
        let (room_id, addr) = match self.joined_room(room) {
            Ok((r, j)) => (r, j.addr.clone()),
            Err((code, msg)) => return self.error(ctx, id.as_ref(), code, &msg, None),
        };
        let register = self.register_message(&spec);
        ctx.spawn(addr.send(register).into_actor(self).map(move |res, act, ctx| {
            match res.map_err(|e| CommandError::Room(RoomError::from(e))).and_then(|r| r) {
                Ok(()) => act.write(
                    ctx,
                    out::encode(&Registered {
                        id: id.as_ref(),
                        room: room_id.as_str(),
                        name: &spec.name,
                        description: &spec.description,
                        min_role: spec.min_role.as_str(),
                        rooms: None,
                        conflicts: None,
                    }),
                ),
                Err(e) => act.error(ctx, id.as_ref(), e.code(), &e.to_string(), None),
            }
        }));
    }

    fn check_register(
        &self,
        name: String,
        description: Option<String>,
        min_role: Option<String>,
    ) -> Result<CommandSpec, (ErrorCode, String)> {
        let bad = |m: String| Err((ErrorCode::BadRequest, m));
        if self.identity.user.kind != UserKind::Bot {
            return Err((ErrorCode::Forbidden, "only bot tokens can register commands".into()));
        }
        if !valid_name(&name) {
            return bad(format!("command name must match [a-z0-9][a-z0-9_-]{{0,{}}}", MAX_COMMAND_NAME - 1));
        }
        if is_builtin(&name) {
            return bad(format!("!{name} is a built-in command and cannot be registered"));
        }
        let description = description.unwrap_or_default();
        if description.chars().count() > MAX_DESCRIPTION || description.contains('\0') {
            return bad(format!("description must be at most {MAX_DESCRIPTION} characters, without NUL"));
        }
        let min_role = match min_role.as_deref() {
            None => Role::Member,
            Some(r) => match Role::parse(r) {
                Some(role) => role,
                None => return bad("min_role must be owner, admin, moderator or member".into()),
            },
        };
        Ok(CommandSpec { name, description, min_role })
    }

    fn register_message(&self, spec: &CommandSpec) -> RegisterCommand {
        RegisterCommand {
            session: self.id,
            bot: self.identity.user.clone(),
            name: spec.name.clone(),
            description: spec.description.clone(),
            min_role: spec.min_role,
        }
    }

    /// `room: "*"`: remember the command for rooms joined later and register it in
    /// every room joined now; `registered` lists where it applies and where another
    /// bot holds the name (or the room could not answer).
    fn register_everywhere(&mut self, id: Option<FrameId>, spec: CommandSpec, ctx: &mut Context<Self>) {
        self.wildcard_commands.retain(|s| s.name != spec.name);
        if self.wildcard_commands.len() >= MAX_BOT_COMMANDS {
            let msg = format!("at most {MAX_BOT_COMMANDS} \"*\" commands per connection");
            return self.error(ctx, id.as_ref(), ErrorCode::BadRequest, &msg, None);
        }
        self.wildcard_commands.push(spec.clone());
        let requests: Vec<_> = self
            .rooms
            .iter()
            .map(|(room, j)| {
                let (room, req) = (room.clone(), j.addr.send(self.register_message(&spec)));
                async move { (room, matches!(req.await, Ok(Ok(())))) }
            })
            .collect();
        ctx.spawn(join_all(requests).into_actor(self).map(move |results, act, ctx| {
            let (mut rooms, mut conflicts) = (Vec::new(), Vec::new());
            for (room, ok) in results {
                let list = if ok { &mut rooms } else { &mut conflicts };
                list.push(room.to_string());
            }
            rooms.sort();
            conflicts.sort();
            act.write(
                ctx,
                out::encode(&Registered {
                    id: id.as_ref(),
                    room: "*",
                    name: &spec.name,
                    description: &spec.description,
                    min_role: spec.min_role.as_str(),
                    rooms: Some(&rooms),
                    conflicts: Some(&conflicts),
                }),
            );
        }));
    }

    /// After a join: registers this session's `*` commands in `room`; a refusal
    /// (another bot holds the name) comes as a `notice`.
    pub(super) fn register_wildcards_in(&mut self, room: &RoomId, ctx: &mut Context<Self>) {
        let Some(joined) = self.rooms.get(room) else { return };
        for spec in &self.wildcard_commands {
            let (room, name) = (room.clone(), spec.name.clone());
            let req = joined.addr.send(self.register_message(spec));
            ctx.spawn(req.into_actor(self).map(move |res, act, ctx| {
                let why = match res {
                    Ok(Ok(())) => return,
                    Ok(Err(e)) => e.to_string(),
                    Err(e) => RoomError::from(e).to_string(),
                };
                let text = format!("!{name} (registered for \"*\") is not registered here: {why}");
                act.write(
                    ctx,
                    out::encode(&Notice { id: None, room: room.as_str(), text: &text, reason: None }),
                );
            }));
        }
    }
}
