//! `!rules`: the room setting `rules`, read from the store when invoked (so an
//! operator's `PATCH /rooms/{id}` shows at once).

use actix::prelude::*;
use slog::warn;

use super::{BuiltIn, Invocation};
use crate::actors::room::Room;
use crate::store::rooms::RoomRow;

pub(super) struct Rules;

impl BuiltIn for Rules {
    fn name(&self) -> &'static str {
        "rules"
    }

    fn description(&self) -> &'static str {
        "show this room's rules"
    }

    fn run(&self, room: &mut Room, inv: Invocation, ctx: &mut Context<Room>) {
        let (store, id) = (room.deps.store.clone(), room.id.to_string());
        let fut = async move { store.run(move |c| RoomRow::find(c, &id)).await };
        ctx.spawn(fut.into_actor(room).map(move |res, room, ctx| {
            let rules = match res {
                Ok(row) => row.and_then(|r| r.settings().rules).filter(|r| !r.trim().is_empty()),
                Err(e) => {
                    warn!(room.log, "rules read failed"; "err" => %e);
                    return room
                        .notice(inv.invoker.as_ref(), "!rules: the store cannot answer now; try again");
                }
            };
            let text = match rules {
                Some(r) => format!("Rules of {}:\n{r}", room.id),
                None => format!("{} has no rules set.", room.id),
            };
            room.post_system(text, false, ctx);
        }));
    }
}
