//! The store of the `scale` scenario, written as a `roomd export` file (JSON Lines,
//! docs/OPERATIONS.md) that the runner loads with `roomd import` before the server
//! starts, the way an operator would move a store of that size in. `--rooms` rooms
//! (`s000000`, …), each with one stored member; every third room has one message and
//! each *active* room (every `rooms / active`-th) `--history` messages, so the scenario
//! knows the seq each active room must continue from. Welcomes are off in every room
//! (`welcome_template: ""`): the seqs after the history are the load's own messages.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::json;

/// What the store holds.
#[derive(Clone, Copy, Debug)]
pub struct Fill {
    pub rooms: u32,
    pub active: u32,
    /// Messages stored in each active room.
    pub history: u32,
}

impl Fill {
    pub fn room_id(i: u32) -> String {
        format!("s{i:06}")
    }

    /// Every `step`-th room is active.
    fn step(&self) -> u32 {
        (self.rooms / self.active.max(1)).max(1)
    }

    /// The index of the `k`-th active room.
    pub fn active_room(&self, k: u32) -> u32 {
        k * self.step()
    }

    fn is_active(&self, i: u32) -> bool {
        i.is_multiple_of(self.step()) && i / self.step() < self.active
    }

    /// Stored messages of room `i`.
    pub fn messages_in(&self, i: u32) -> u32 {
        match (self.is_active(i), i % 3) {
            (true, _) => self.history,
            (false, 0) => 1,
            _ => 0,
        }
    }

    /// Writes the file; returns the number of data records.
    pub fn write(&self, path: &Path) -> Result<u64> {
        let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut out = BufWriter::new(file);
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as i64;
        let mut records = 0u64;
        let line = |out: &mut BufWriter<std::fs::File>, v: serde_json::Value| -> Result<()> {
            serde_json::to_writer(&mut *out, &v)?;
            out.write_all(b"\n")?;
            Ok(())
        };
        line(&mut out, json!({"type": "header", "format": 1, "roomd": "load scale"}))?;
        for i in 0..self.rooms {
            line(
                &mut out,
                json!({"type": "room", "id": Self::room_id(i), "name": format!("Room {:06}", (i as u64 * 7919) % self.rooms as u64),
                       "tags": ["scale"], "settings": {"welcome_template": ""}, "created_at": now, "updated_at": now}),
            )?;
        }
        records += self.rooms as u64;
        for i in 0..self.rooms {
            let user = format!("bulk{}", i % 1000);
            line(
                &mut out,
                json!({"type": "member", "room_id": Self::room_id(i), "user_id": user, "name": user, "kind": "user",
                       "role": "member", "role_expires_at": null, "base_role": "member", "last_read_seq": 0,
                       "last_seen": null, "joined_at": now}),
            )?;
        }
        records += self.rooms as u64;
        for i in 0..self.rooms {
            for seq in 1..=self.messages_in(i) {
                // Older rooms first: room i's messages are i ms apart from its neighbours'.
                let ts = now - 1_000_000 + i as i64 * 10 + seq as i64;
                line(
                    &mut out,
                    json!({"type": "message", "room_id": Self::room_id(i), "seq": seq, "sender_id": "bulk0",
                           "sender_name": "bulk0", "sender_kind": "user", "text": format!("history {seq}"),
                           "client_id": null, "reply_to": null, "ts": ts, "announcement": false,
                           "deleted_at": null, "deleted_by": null}),
                )?;
                records += 1;
            }
        }
        line(&mut out, json!({"type": "end", "records": records}))?;
        out.flush()?;
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::Fill;

    #[test]
    fn active_rooms_are_spread_and_hold_the_history() {
        let f = Fill { rooms: 100, active: 10, history: 5 };
        let active: Vec<u32> = (0..10).map(|k| f.active_room(k)).collect();
        assert_eq!(active, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
        assert!(active.iter().all(|&i| f.messages_in(i) == 5));
        assert_eq!((f.messages_in(3), f.messages_in(4)), (1, 0));
    }
}
