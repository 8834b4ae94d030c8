//! Message deletion in the `messages` table. A deleted message becomes a tombstone: it
//! keeps its seq (seqs stay gap-free), its text is emptied, and `deleted_at` /
//! `deleted_by` say when and by whom. Only the `StoreWriter` applies a [`Tombstone`],
//! inside its group-commit transaction, after the batch's appends, so a deletion always
//! follows the insert of every message queued before it.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::conn::with_inner;
use super::messages::MessageRow;
use super::{DbConn, StoreError};
use crate::schema::messages;

/// Seqs per `IN (…)` update.
const UPDATE_CHUNK: usize = 500;

/// What a deletion request names (a room's `DeleteMessages`; also on the cluster wire).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeleteTarget {
    /// The message with this seq.
    Seq { seq: i64 },
    /// Every message `user_id` sent at or after `since` (Unix ms): bulk deletion.
    SenderSince { user_id: String, since: i64 },
}

/// One tombstone, as a deletion request reports it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeletedMessage {
    pub seq: i64,
    /// Who sent the message (whom the deletion is about).
    pub sender_id: String,
    pub deleted_by: String,
    /// Unix ms.
    pub deleted_at: i64,
}

impl DeletedMessage {
    /// The tombstone `row` (`deleted_*` set).
    pub fn of(row: &MessageRow) -> Self {
        Self {
            seq: row.seq,
            sender_id: row.sender_id.clone(),
            deleted_by: row.deleted_by.clone().unwrap_or_default(),
            deleted_at: row.deleted_at.unwrap_or_default(),
        }
    }
}

/// What a deletion request did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deletion {
    /// [`DeleteTarget::Seq`]: its tombstone, made now or before. [`DeleteTarget::SenderSince`]:
    /// the messages this request deleted, oldest first (possibly none).
    pub messages: Vec<DeletedMessage>,
    /// This request deleted something (false when the message was a tombstone already).
    pub fresh: bool,
}

/// Which messages of a room to delete, as the store writer applies it.
#[derive(Debug, Clone)]
pub enum TombstoneTarget {
    /// One message; with `only_sender`, only if that user sent it (a member deleting
    /// their own message), else the outcome is [`TombstoneOutcome::NotSender`].
    Seq { seq: i64, only_sender: Option<String> },
    /// Every message `sender_id` sent at or after `since` (Unix ms) not deleted yet.
    SenderSince { sender_id: String, since: i64 },
}

/// A deletion for the store writer.
#[derive(Debug, Clone)]
pub struct Tombstone {
    pub room_id: String,
    pub target: TombstoneTarget,
    /// The deleter's user id (`system` for an operator).
    pub by: String,
    /// Unix ms.
    pub at: i64,
}

/// What a [`Tombstone`] did.
#[derive(Debug, Clone)]
pub enum TombstoneOutcome {
    /// These messages became tombstones now (the rows as stored after it).
    Deleted(Vec<MessageRow>),
    /// The message was a tombstone already: nothing changed.
    Already(MessageRow),
    /// No message with that seq in the room.
    NotFound,
    /// `only_sender` did not send it: nothing changed.
    NotSender,
}

impl Tombstone {
    /// Applies the deletion on `c` (inside the writer's transaction).
    pub fn apply(&self, c: &mut DbConn) -> Result<TombstoneOutcome, StoreError> {
        match &self.target {
            TombstoneTarget::Seq { seq, only_sender } => {
                let row = messages::table
                    .filter(messages::room_id.eq(&self.room_id))
                    .filter(messages::seq.eq(seq))
                    .select(MessageRow::as_select())
                    .first(c)
                    .optional()?;
                match row {
                    None => Ok(TombstoneOutcome::NotFound),
                    Some(row) if only_sender.as_ref().is_some_and(|s| *s != row.sender_id) => {
                        Ok(TombstoneOutcome::NotSender)
                    }
                    Some(row) if row.deleted_at.is_some() => Ok(TombstoneOutcome::Already(row)),
                    Some(row) => Ok(TombstoneOutcome::Deleted(self.bury(c, vec![row])?)),
                }
            }
            TombstoneTarget::SenderSince { sender_id, since } => {
                let rows = messages::table
                    .filter(messages::room_id.eq(&self.room_id))
                    .filter(messages::sender_id.eq(sender_id))
                    .filter(messages::ts.ge(since))
                    .filter(messages::deleted_at.is_null())
                    .order(messages::seq.asc())
                    .select(MessageRow::as_select())
                    .load(c)?;
                Ok(TombstoneOutcome::Deleted(self.bury(c, rows)?))
            }
        }
    }

    /// Turns `rows` into tombstones; returns them as stored now.
    fn bury(&self, c: &mut DbConn, mut rows: Vec<MessageRow>) -> Result<Vec<MessageRow>, StoreError> {
        let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
        for chunk in seqs.chunks(UPDATE_CHUNK) {
            with_inner!(c, |c| diesel::update(
                messages::table
                    .filter(messages::room_id.eq(&self.room_id))
                    .filter(messages::seq.eq_any(chunk))
            )
            .set((
                messages::text.eq(""),
                messages::deleted_at.eq(Some(self.at)),
                messages::deleted_by.eq(Some(&self.by)),
            ))
            .execute(c))?;
        }
        for r in &mut rows {
            r.text.clear();
            r.deleted_at = Some(self.at);
            r.deleted_by = Some(self.by.clone());
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use super::*;
    use crate::store::conn::write_txn;
    use crate::store::messages::{append_batch, NewMessage};
    use crate::store::Store;

    fn msg(sender: &str, ts: i64) -> NewMessage {
        NewMessage {
            room_id: "r".into(),
            sender_id: sender.into(),
            sender_name: sender.into(),
            sender_kind: "user".into(),
            text: format!("from {sender}"),
            client_id: None,
            reply_to: None,
            ts,
            announcement: false,
        }
    }

    fn tomb(target: TombstoneTarget) -> Tombstone {
        Tombstone { room_id: "r".into(), target, by: "mod".into(), at: 50 }
    }

    fn seq(seq: i64, only: Option<&str>) -> TombstoneTarget {
        TombstoneTarget::Seq { seq, only_sender: only.map(Into::into) }
    }

    #[test]
    fn tombstones_keep_their_seq_lose_their_text_and_are_made_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/t.db", dir.path().display());
        let store = Store::open(&url, 2, Duration::from_secs(1)).unwrap();
        let batch = [msg("a", 10), msg("b", 20), msg("a", 30), msg("a", 40)];
        store.run_blocking(|c| write_txn(c, |c| append_batch(c, &batch, &mut HashMap::new(), 0, 1))).unwrap();
        let apply = |t: Tombstone| store.run_blocking(|c| write_txn(c, |c| t.apply(c))).unwrap();

        // Not the sender's: refused, nothing changes; a missing seq is not found.
        assert!(matches!(apply(tomb(seq(2, Some("a")))), TombstoneOutcome::NotSender));
        assert!(matches!(apply(tomb(seq(9, None))), TombstoneOutcome::NotFound));
        let TombstoneOutcome::Deleted(rows) = apply(tomb(seq(2, Some("b")))) else { panic!("not deleted") };
        assert_eq!((rows[0].seq, rows[0].text.as_str(), rows[0].deleted_at), (2, "", Some(50)));
        assert!(
            matches!(apply(tomb(seq(2, None))), TombstoneOutcome::Already(r) if r.deleted_by.as_deref() == Some("mod"))
        );

        // Bulk: a's messages from ts 30 on; then nothing is left to delete.
        let since = TombstoneTarget::SenderSince { sender_id: "a".into(), since: 30 };
        let TombstoneOutcome::Deleted(rows) = apply(tomb(since.clone())) else { panic!("not deleted") };
        assert_eq!(rows.iter().map(|r| r.seq).collect::<Vec<_>>(), [3, 4]);
        assert!(matches!(apply(tomb(since)), TombstoneOutcome::Deleted(r) if r.is_empty()));

        let stored = store.run_blocking(|c| MessageRow::range(c, "r", 0, 4)).unwrap();
        let view: Vec<(i64, &str, Option<&str>)> =
            stored.iter().map(|r| (r.seq, r.text.as_str(), r.deleted_by.as_deref())).collect();
        assert_eq!(
            view,
            [(1, "from a", None), (2, "", Some("mod")), (3, "", Some("mod")), (4, "", Some("mod"))]
        );
    }
}
