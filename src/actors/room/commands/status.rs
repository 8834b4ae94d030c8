//! `!status`: who is online, the last seq, how long the room has been up in this
//! process and how often it restarted.

use actix::prelude::*;

use super::{BuiltIn, Invocation};
use crate::actors::room::Room;

/// Online members named in the reply; more are counted.
const NAMES_SHOWN: usize = 20;

pub(super) struct Status;

impl BuiltIn for Status {
    fn name(&self) -> &'static str {
        "status"
    }

    fn description(&self) -> &'static str {
        "online members, last seq, uptime and restarts"
    }

    fn run(&self, room: &mut Room, _: Invocation, ctx: &mut Context<Room>) {
        let mut names: Vec<&str> =
            room.members.values().filter(|m| !m.sessions.is_empty()).map(|m| m.user.name.as_str()).collect();
        names.sort_unstable();
        let online = names.len();
        let mut shown = names.iter().take(NAMES_SHOWN).copied().collect::<Vec<_>>().join(", ");
        if online > NAMES_SHOWN {
            shown.push_str(&format!(" and {} more", online - NAMES_SHOWN));
        }
        let text = format!(
            "Status of {}: {online} online ({shown}); last seq {}; up {}; {} restarts",
            room.id,
            room.delivered_seq.unwrap_or(0),
            uptime(room.commands.started.elapsed().as_secs()),
            room.policy.total,
        );
        room.post_system(text, false, ctx);
    }
}

/// `3d 4h 5m 6s`, leading zero units left out.
fn uptime(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m {s}s"),
        _ => format!("{d}d {h}h {m}m {s}s"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn uptime_reads_naturally() {
        assert_eq!(super::uptime(5), "5s");
        assert_eq!(super::uptime(65), "1m 5s");
        assert_eq!(super::uptime(3600), "1h 0m 0s");
        assert_eq!(super::uptime(90061), "1d 1h 1m 1s");
    }
}
