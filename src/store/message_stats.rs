//! Counts over a room's stored messages for `!stats`: messages since a time and the
//! most active senders. Reads the room's rows by `(room_id, seq)` and filters on `ts`
//! (there is no index on `ts`; fine for a moderator's occasional command).

use diesel::dsl::count_star;
use diesel::prelude::*;

use super::{DbConn, StoreError};
use crate::schema::messages;

/// A room's messages since a point in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayStats {
    /// Every message since then, system messages included.
    pub messages: i64,
    /// `(sender id, messages)`, most first, system messages left out.
    pub top_senders: Vec<(String, i64)>,
}

impl DayStats {
    /// Messages of `room` with `ts >= since_ms`, and the `top` busiest senders.
    pub fn read(c: &mut DbConn, room: &str, since_ms: i64, top: i64) -> Result<Self, StoreError> {
        let messages = messages::table
            .filter(messages::room_id.eq(room))
            .filter(messages::ts.ge(since_ms))
            .select(count_star())
            .first::<i64>(c)?;
        let top_senders = messages::table
            .filter(messages::room_id.eq(room))
            .filter(messages::ts.ge(since_ms))
            .filter(messages::sender_kind.ne("system"))
            .group_by(messages::sender_id)
            .select((messages::sender_id, count_star()))
            .order_by((count_star().desc(), messages::sender_id.asc()))
            .limit(top)
            .load::<(String, i64)>(c)?;
        Ok(Self { messages, top_senders })
    }
}
