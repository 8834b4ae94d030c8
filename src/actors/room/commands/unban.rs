//! `!unban @user` (moderator and up): lifts the user's ban; they may join again.

use actix::prelude::*;

use super::{BuiltIn, Invocation};
use crate::actors::room::moderation::{ModArgs, Takes};
use crate::actors::room::Room;
use crate::model::Role;
use crate::store::restrictions::RestrictionKind;

pub(super) struct Unban;

impl BuiltIn for Unban {
    fn name(&self) -> &'static str {
        "unban"
    }

    fn description(&self) -> &'static str {
        "lift the ban of @user"
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
            room.lift_by_command(inv, RestrictionKind::Ban, args, ctx);
        }
    }
}
