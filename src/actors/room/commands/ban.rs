//! `!ban @user [duration] [reason]` (moderator and up): stores a ban (for `30s`, `10m`,
//! `2h`, `7d`… or until lifted), removes the member (`room_closed` with reason
//! `banned`), and refuses their joins with `banned` until it lapses.

use actix::prelude::*;

use super::{BuiltIn, Invocation};
use crate::actors::room::moderation::{ModArgs, Takes};
use crate::actors::room::Room;
use crate::model::Role;
use crate::store::restrictions::RestrictionKind;

pub(super) struct Ban;

impl BuiltIn for Ban {
    fn name(&self) -> &'static str {
        "ban"
    }

    fn description(&self) -> &'static str {
        "ban @user from the room, for a duration (10m, 2h, 7d) or until lifted"
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
            room.restrict_by_command(inv, RestrictionKind::Ban, args, ctx);
        }
    }
}
