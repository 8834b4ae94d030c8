//! `ProgressHub`: live progress of running broadcast jobs for `GET
//! /broadcasts/{id}/events`. A job publishes each room's outcome and its counts; every
//! SSE stream of that job subscribes. A plain shared map of `tokio` broadcast
//! channels, not an actor: publishing never waits, and a slow SSE client only lags
//! (it then reads the counts from the store instead).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;
use tokio::sync::broadcast;

/// Events buffered per job for a slow subscriber before it lags.
const CHANNEL: usize = 1024;

/// One SSE event: its name (`room`, `progress`, `done`) and JSON data.
#[derive(Debug, Clone)]
pub struct ProgressEvent {
    pub name: &'static str,
    pub data: Arc<Value>,
}

impl ProgressEvent {
    pub fn new(name: &'static str, data: Value) -> Self {
        Self { name, data: Arc::new(data) }
    }

    /// The last event of a job: after it the stream ends.
    pub fn is_final(&self) -> bool {
        self.name == "done"
    }
}

/// The channels of jobs that have subscribers or are running.
#[derive(Default)]
pub struct ProgressHub {
    channels: Mutex<HashMap<String, broadcast::Sender<ProgressEvent>>>,
}

impl ProgressHub {
    /// Subscribes to a job's events (the channel is made if needed).
    pub fn subscribe(&self, job: &str) -> broadcast::Receiver<ProgressEvent> {
        self.lock().entry(job.to_string()).or_insert_with(|| broadcast::channel(CHANNEL).0).subscribe()
    }

    /// Publishes to the job's subscribers, if any.
    pub fn publish(&self, job: &str, event: ProgressEvent) {
        let mut channels = self.lock();
        if let Some(tx) = channels.get(job) {
            if tx.send(event).is_err() {
                // Nobody listens any more.
                channels.remove(job);
            }
        }
    }

    /// The job is over: publish its final event and drop the channel.
    pub fn finish(&self, job: &str, event: ProgressEvent) {
        if let Some(tx) = self.lock().remove(job) {
            let _ = tx.send(event);
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, broadcast::Sender<ProgressEvent>>> {
        // Single map operations cannot leave it half-changed.
        self.channels.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribers_get_events_until_the_final_one() {
        let hub = ProgressHub::default();
        hub.publish("j", ProgressEvent::new("room", Value::Null)); // no subscriber: dropped
        let mut rx = hub.subscribe("j");
        hub.publish("j", ProgressEvent::new("progress", Value::Null));
        hub.finish("j", ProgressEvent::new("done", Value::Null));
        assert_eq!(rx.try_recv().map(|e| e.name).ok(), Some("progress"));
        assert!(rx.try_recv().is_ok_and(|e| e.is_final()));
        assert!(rx.try_recv().is_err());
    }
}
