//! `!help`: the commands the caller may use here, built-ins first, then the bots'.

use actix::prelude::*;

use super::{BuiltIn, Invocation, BUILTINS};
use crate::actors::room::Room;

pub(super) struct Help;

impl BuiltIn for Help {
    fn name(&self) -> &'static str {
        "help"
    }

    fn description(&self) -> &'static str {
        "list the commands you can use here"
    }

    fn run(&self, room: &mut Room, inv: Invocation, ctx: &mut Context<Room>) {
        let role = room.role_of(&inv.from);
        let mut lines = vec![format!("Commands you can use in {}:", room.id)];
        for b in BUILTINS.iter().filter(|b| role >= b.min_role()) {
            let usage = b.usage().map(|u| format!(" {u}")).unwrap_or_default();
            lines.push(format!("!{}{usage} — {}", b.name(), b.description()));
        }
        for (name, cmd) in room.commands.bots.sorted() {
            if role >= cmd.min_role {
                let about = if cmd.description.is_empty() { "(no description)" } else { &cmd.description };
                lines.push(format!("!{name} — {about} (bot {})", cmd.bot_name()));
            }
        }
        room.post_system(lines.join("\n"), false, ctx);
    }
}
