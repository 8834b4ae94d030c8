//! `!unmute @user` (moderator and up): lifts the user's mute.

use actix::prelude::*;

use super::{BuiltIn, Invocation};
use crate::actors::room::moderation::{ModArgs, Takes};
use crate::actors::room::Room;
use crate::model::Role;
use crate::store::restrictions::RestrictionKind;

pub(super) struct Unmute;

impl BuiltIn for Unmute {
    fn name(&self) -> &'static str {
        "unmute"
    }

    fn description(&self) -> &'static str {
        "lift the mute of @user"
    }

    fn min_role(&self) -> Role {
        Role::Moderator
    }

    fn usage(&self) -> Option<&'static str> {
        Some("@user")
    }

    fn check_args(&self, args: &str) -> Result<(), String> {
        ModArgs::parse(args, Takes::UserOnly).map(|_| ())
    }

    fn run(&self, room: &mut Room, inv: Invocation, ctx: &mut Context<Room>) {
        if let Some(args) = room.moderation_target(&inv, Takes::UserOnly) {
            room.lift_by_command(inv, RestrictionKind::Mute, args, ctx);
        }
    }
}
