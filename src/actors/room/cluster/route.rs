//! Where a room message is handled: here when this node owns the room (or the
//! cluster is off), forwarded to the owner when this room is a replica. The actor
//! shell (`actors/shell.rs`) asks this before it runs the room's own handler, so the
//! handlers in `room/` are the owner's logic alone and never mention replicas.

use actix::prelude::*;

use super::super::commands::RegisterCommand;
use super::super::deletion::DeleteMessages;
use super::super::life::SettingsChanged;
use super::super::messages::{
    CloseRoom, Crash, GetStats, Join, Kick, Leave, OnlineUsers, ReloadRoles, Restart, SendText,
};
use super::super::read::MarkRead;
use super::super::typing::Typing;
use super::super::{Room, Status};
use super::CallBody;
use crate::actors::shell::{Route, Routed};

/// `Route<M> for Room`: handled here unless this room is a replica, then `$forward`.
macro_rules! route_to_owner {
    ($($msg:ty => |$room:ident, $m:ident, $ctx:ident| $forward:expr;)+) => {
        $(
            impl Route<$msg> for Room {
                fn route(&mut self, $m: $msg, $ctx: &mut Context<Self>) -> Routed<$msg, Self::Result> {
                    if self.replica_of().is_none() {
                        return Routed::Here($m);
                    }
                    let $room = self;
                    Routed::Forwarded($forward)
                }
            }
        )+
    };
}

route_to_owner! {
    Join => |room, m, ctx| room.replica_join(m, ctx);
    Leave => |room, m, ctx| room.replica_leave(m, ctx);
    SendText => |room, m, ctx| room.replica_send(m, ctx);
    Typing => |room, m, ctx| room.replica_typing(m, ctx);
    MarkRead => |room, m, ctx| room.replica_read(m, ctx);
    DeleteMessages => |room, m, _ctx| room.replica_delete(m);
    RegisterCommand => |room, m, _ctx| room.replica_register(m);
    GetStats => |room, _m, _ctx| room.replica_stats();
    OnlineUsers => |room, _m, _ctx| room.replica_online();
    Kick => |room, m, _ctx| room.replica_kick(m.user_id, m.reason);
    CloseRoom => |room, _m, ctx| room.replica_admin(CallBody::Close, ctx);
    ReloadRoles => |room, _m, ctx| room.replica_admin(CallBody::ReloadRoles, ctx);
    SettingsChanged => |room, m, ctx| room.replica_admin(CallBody::Settings { name: m.name, settings: m.settings }, ctx);
}

// A retired room (`idle.rs`) handles a crash or restart itself, as a no-op: one that
// reached it through a stale address must not bring it back, here or at the owner.
impl Route<Crash> for Room {
    fn route(&mut self, m: Crash, ctx: &mut Context<Self>) -> Routed<Crash, ()> {
        match self.replica_of() {
            Some(_) if self.status != Status::Retired => {
                Routed::Forwarded(self.replica_admin(CallBody::Crash, ctx))
            }
            _ => Routed::Here(m),
        }
    }
}

impl Route<Restart> for Room {
    fn route(&mut self, m: Restart, ctx: &mut Context<Self>) -> Routed<Restart, ()> {
        match self.replica_of() {
            Some(_) if self.status != Status::Retired => {
                Routed::Forwarded(self.replica_admin(CallBody::Restart, ctx))
            }
            _ => Routed::Here(m),
        }
    }
}
