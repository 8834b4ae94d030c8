//! `!mute @user [duration] [reason]` (moderator and up): the user stays in the room and
//! reads, but their sends are refused with `muted` until it lapses or is lifted.

use actix::prelude::*;

use super::{BuiltIn, Invocation};
use crate::actors::room::moderation::{ModArgs, Takes};
use crate::actors::room::Room;
use crate::model::Role;
use crate::store::restrictions::RestrictionKind;

pub(super) struct Mute;

impl BuiltIn for Mute {
    fn name(&self) -> &'static str {
        "mute"
    }

    fn description(&self) -> &'static str {
        "stop @user from sending here, for a duration (10m, 2h, 7d) or until lifted"
    }

    fn min_role(&self) -> Role {
        Role::Moderator
    }

    fn usage(&self) -> Option<&'static str> {
        Some("@user [duration] [reason]")
    }

    fn check_args(&self, args: &str) -> Result<(), String> {
        ModArgs::parse(args, Takes::DurationAndReason).map(|_| ())
    }

    fn run(&self, room: &mut Room, inv: Invocation, ctx: &mut Context<Room>) {
        if let Some(args) = room.moderation_target(&inv, Takes::DurationAndReason) {
            room.restrict_by_command(inv, RestrictionKind::Mute, args, ctx);
        }
    }
}
