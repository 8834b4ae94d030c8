//! `!kick @user [reason]` (moderator and up): removes the member like the admin API's
//! kick (`room_closed` with reason `kicked`); they may join again.

use actix::prelude::*;

use super::{BuiltIn, Invocation};
use crate::actors::room::moderation::{ModArgs, Takes};
use crate::actors::room::Room;
use crate::model::Role;

pub(super) struct Kick;

impl BuiltIn for Kick {
    fn name(&self) -> &'static str {
        "kick"
    }

    fn description(&self) -> &'static str {
        "remove @user from the room (they may join again)"
    }

    fn min_role(&self) -> Role {
        Role::Moderator
    }

    fn usage(&self) -> Option<&'static str> {
        Some("@user [reason]")
    }

    fn check_args(&self, args: &str) -> Result<(), String> {
        ModArgs::parse(args, Takes::Reason).map(|_| ())
    }

    fn run(&self, room: &mut Room, inv: Invocation, ctx: &mut Context<Room>) {
        if let Some(args) = room.moderation_target(&inv, Takes::Reason) {
            room.kick_by_command(inv, args, ctx);
        }
    }
}
