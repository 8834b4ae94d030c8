//! `RoomFeedHub`: wakes the operators' room event streams (`GET
//! /api/v1/rooms/{id}/events`, `http::api::room_events`). A room publishes that a batch
//! of its messages committed, that messages were deleted, or that it was deleted; every
//! stream of that room subscribes. The messages themselves are not carried: a stream
//! reads them from the store, so order and completeness come from the store, and a
//! stream that lags (or watches a room another node runs) just re-reads it.
//!
//! A plain shared map of small `tokio` broadcast channels, created when a stream
//! subscribes and dropped when the last one is gone: publishing never waits, a room
//! nobody watches costs one map lookup, and a slow stream holds at most [`CHANNEL`]
//! events before it lags.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::broadcast;

/// Events buffered per room for a slow stream before it lags.
const CHANNEL: usize = 64;

/// What a room tells its watchers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedEvent {
    /// Messages up to this seq are stored: read them.
    Committed(i64),
    /// A message became a tombstone.
    Deleted(Arc<DeletedInRoom>),
    /// The room was deleted.
    Closed,
}

/// A deletion as the `message_deleted` event shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DeletedInRoom {
    pub room: String,
    pub seq: i64,
    pub deleted_by: String,
    /// RFC 3339.
    pub deleted_at: String,
}

/// The channels of rooms somebody watches.
#[derive(Default)]
pub struct RoomFeedHub {
    channels: Mutex<HashMap<String, broadcast::Sender<FeedEvent>>>,
    /// `channels.len()`, read without the lock: with nobody watching any room (the
    /// usual case), a commit's publish is one atomic load, not a shared lock.
    watched: AtomicUsize,
}

impl RoomFeedHub {
    /// Subscribes to a room's events (the channel is made if needed).
    pub fn subscribe(&self, room: &str) -> broadcast::Receiver<FeedEvent> {
        let mut channels = self.lock();
        let rx =
            channels.entry(room.to_string()).or_insert_with(|| broadcast::channel(CHANNEL).0).subscribe();
        self.watched.store(channels.len(), Relaxed);
        rx
    }

    /// Tells the room's watchers, if any; drops the channel once nobody listens.
    pub fn publish(&self, room: &str, event: FeedEvent) {
        if self.watched.load(Relaxed) == 0 {
            return;
        }
        let mut channels = self.lock();
        if let Some(tx) = channels.get(room) {
            if tx.send(event).is_err() {
                channels.remove(room);
                self.watched.store(channels.len(), Relaxed);
            }
        }
    }

    /// Rooms with a channel now (for tests of the bound).
    pub fn watched(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, broadcast::Sender<FeedEvent>>> {
        // Single map operations cannot leave it half-changed.
        self.channels.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watchers_get_events_and_an_unwatched_room_has_no_channel() {
        let hub = RoomFeedHub::default();
        hub.publish("a", FeedEvent::Committed(1)); // nobody watches: nothing kept
        assert_eq!(hub.watched(), 0);
        let mut rx = hub.subscribe("a");
        hub.publish("a", FeedEvent::Committed(2));
        assert_eq!(rx.try_recv().ok(), Some(FeedEvent::Committed(2)));
        drop(rx);
        hub.publish("a", FeedEvent::Closed);
        assert_eq!(hub.watched(), 0);
    }

    #[test]
    fn a_slow_watcher_lags_instead_of_buffering_without_bound() {
        let hub = RoomFeedHub::default();
        let mut rx = hub.subscribe("a");
        for seq in 0..(CHANNEL as i64 * 4) {
            hub.publish("a", FeedEvent::Committed(seq));
        }
        assert!(matches!(rx.try_recv(), Err(broadcast::error::TryRecvError::Lagged(_))));
    }
}
