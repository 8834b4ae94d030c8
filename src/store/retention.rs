//! Retention deletes: the oldest messages of one room, older than a cutoff, a bounded
//! batch per transaction. Only a contiguous run from the room's oldest stored seq is
//! deleted (so the retained history has no holes and begins at `MIN(seq)`), and never
//! the room's newest message: the next seq is `MAX(seq) + 1`
//! (`messages::append_batch`, `actors/room/load.rs`), so keeping the newest row keeps
//! an idle room's seqs from being reused after a restart.

use diesel::prelude::*;

use super::conn::write_txn;
use super::messages::MessageRow;
use super::{DbConn, StoreError};
use crate::schema::messages;

/// Deletes up to `limit` of `room`'s oldest messages whose `ts` is before `cutoff_ms`,
/// stopping at the first one that is not (or at the newest message, which stays).
/// Returns how many were deleted; fewer than `limit` means the room is done for now.
pub fn delete_expired(c: &mut DbConn, room: &str, cutoff_ms: i64, limit: i64) -> Result<usize, StoreError> {
    write_txn(c, |c| {
        let last = MessageRow::last_seq(c, room)?;
        // The primary key (room_id, seq) makes this a range read of at most `limit` rows.
        let oldest: Vec<(i64, i64)> = messages::table
            .filter(messages::room_id.eq(room))
            .filter(messages::seq.lt(last))
            .order(messages::seq.asc())
            .limit(limit)
            .select((messages::seq, messages::ts))
            .load(c)?;
        let Some(upto) = oldest.iter().take_while(|(_, ts)| *ts < cutoff_ms).map(|(seq, _)| *seq).last()
        else {
            return Ok(0);
        };
        let n =
            diesel::delete(messages::table.filter(messages::room_id.eq(room)).filter(messages::seq.le(upto)))
                .execute(c)?;
        Ok(n)
    })
}
