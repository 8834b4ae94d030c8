//! `!announce TEXT` (admin and up): TEXT as a system message marked
//! `"announcement":true`.

use actix::prelude::*;

use super::{BuiltIn, Invocation};
use crate::actors::room::Room;
use crate::model::Role;

pub(super) struct Announce;

impl BuiltIn for Announce {
    fn name(&self) -> &'static str {
        "announce"
    }

    fn description(&self) -> &'static str {
        "post TEXT as an announcement"
    }

    fn min_role(&self) -> Role {
        Role::Admin
    }

    fn usage(&self) -> Option<&'static str> {
        Some("TEXT")
    }

    fn run(&self, room: &mut Room, inv: Invocation, ctx: &mut Context<Room>) {
        room.post_system(inv.args, true, ctx);
    }
}
