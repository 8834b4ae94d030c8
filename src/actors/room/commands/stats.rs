//! `!stats` (moderator and up): messages today (UTC), messages in the last minute,
//! and today's top senders. The day's figures are counted in the store.

use actix::prelude::*;
use slog::warn;

use super::{BuiltIn, Invocation};
use crate::actors::room::Room;
use crate::model::Role;
use crate::store::message_stats::DayStats;

/// Senders listed in the reply.
const TOP_SENDERS: i64 = 5;

pub(super) struct Stats;

impl BuiltIn for Stats {
    fn name(&self) -> &'static str {
        "stats"
    }

    fn description(&self) -> &'static str {
        "messages today, messages per minute and top senders"
    }

    fn min_role(&self) -> Role {
        Role::Moderator
    }

    fn run(&self, room: &mut Room, inv: Invocation, ctx: &mut Context<Room>) {
        let (store, id) = (room.deps.store.clone(), room.id.to_string());
        let midnight = start_of_utc_day(chrono::Utc::now());
        let fut = async move { store.run(move |c| DayStats::read(c, &id, midnight, TOP_SENDERS)).await };
        ctx.spawn(fut.into_actor(room).map(move |res, room, ctx| {
            let day = match res {
                Ok(d) => d,
                Err(e) => {
                    warn!(room.log, "stats read failed"; "err" => %e);
                    return room
                        .notice(inv.invoker.as_ref(), "!stats: the store cannot answer now; try again");
                }
            };
            let top = if day.top_senders.is_empty() {
                "none".to_string()
            } else {
                day.top_senders.iter().map(|(n, c)| format!("{n} ({c})")).collect::<Vec<_>>().join(", ")
            };
            let text = format!(
                "Stats of {}: {} messages today (UTC); {} in the last minute; top senders today: {top}",
                room.id,
                day.messages,
                room.rate.per_minute(),
            );
            room.post_system(text, false, ctx);
        }));
    }
}

/// Unix milliseconds of the start of `now`'s UTC day.
fn start_of_utc_day(now: chrono::DateTime<chrono::Utc>) -> i64 {
    let ms = now.timestamp_millis();
    ms - ms.rem_euclid(86_400_000)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_day_starts_at_utc_midnight() {
        let t = chrono::DateTime::parse_from_rfc3339("2026-11-23T15:04:05.123Z").unwrap().to_utc();
        let midnight = chrono::DateTime::parse_from_rfc3339("2026-11-23T00:00:00Z").unwrap();
        assert_eq!(super::start_of_utc_day(t), midnight.timestamp_millis());
    }
}
