//! One delivery attempt of a broadcast to one room, and the retry delay between
//! attempts. The room's actor stores and delivers the post like an operator's
//! `POST /rooms/{id}/messages`, deduplicated by `client_id`.

use std::time::Duration;

use actix::dev::SendError;

use crate::actors::mailbox::TrackedAddr;
use crate::actors::registry::{GetRoom, RoomRegistry};
use crate::actors::room::{ReplyTo, SendText, SendTicket};
use crate::config::BroadcastConfig;
use crate::error::ErrorCode;
use crate::model::{RoomId, UserRef};
use crate::store::broadcasts::NO_SUCH_ROOM;

/// How long one delivery waits for the room's answer before it counts as unavailable.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// Why one delivery did not happen.
#[derive(Debug, Clone)]
pub enum Failure {
    /// Worth another attempt (the room may come back).
    Retry(String),
    /// Final (the room does not exist).
    Fatal(String),
}

/// The delay before attempt `attempt + 1`: `retry_min_ms · 2^(attempt-1)` capped at
/// `retry_max_ms`, then jittered to between half and all of it.
pub fn backoff(cfg: &BroadcastConfig, attempt: i64) -> Duration {
    let shift = u32::try_from(attempt.saturating_sub(1).clamp(0, 32)).unwrap_or(32);
    let base = cfg.retry_min_ms.saturating_mul(1u64 << shift).min(cfg.retry_max_ms.max(cfg.retry_min_ms));
    let half = base / 2;
    Duration::from_millis(half + rand::random_range(0..=base - half))
}

/// One attempt: the room's actor stores and delivers the post, or says why not.
pub async fn deliver(
    registry: &TrackedAddr<RoomRegistry>,
    room: &str,
    text: String,
    user: UserRef,
    client_id: String,
) -> Result<i64, Failure> {
    let id = RoomId::parse(room).map_err(|_| Failure::Fatal(NO_SUCH_ROOM.into()))?;
    let addr = registry
        .send(GetRoom(id))
        .await
        .map_err(|e| Failure::Retry(format!("room_unavailable: registry did not answer: {e}")))?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let send = SendText {
        session: None,
        user,
        text,
        reply_to: None,
        ticket: SendTicket { reply: ReplyTo::Operator(tx), frame_id: None, client_id: Some(client_id) },
    };
    if let Err(e) = addr.try_send(send) {
        return Err(Failure::Retry(match e {
            SendError::Full(_) => "room_unavailable: mailbox full".into(),
            SendError::Closed(_) => "room_unavailable: room stopped".into(),
        }));
    }
    match tokio::time::timeout(DELIVERY_TIMEOUT, rx).await {
        Err(_) => Err(Failure::Retry("room_unavailable: no answer in time".into())),
        Ok(Err(_)) => Err(Failure::Retry("room_unavailable: the room crashed handling the message".into())),
        Ok(Ok(Ok((seq, _duplicate)))) => Ok(seq),
        Ok(Ok(Err((ErrorCode::NotFound, _)))) => Err(Failure::Fatal(NO_SUCH_ROOM.into())),
        Ok(Ok(Err((code, message)))) => Err(Failure::Retry(format!("{}: {message}", code.as_str()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let cfg =
            BroadcastConfig { rooms_per_sec: 1, retry_min_ms: 100, retry_max_ms: 1000, max_attempts: 5 };
        for _ in 0..50 {
            let d1 = backoff(&cfg, 1).as_millis();
            let d3 = backoff(&cfg, 3).as_millis();
            let d9 = backoff(&cfg, 9).as_millis();
            assert!((50..=100).contains(&d1), "{d1}");
            assert!((200..=400).contains(&d3), "{d3}");
            assert!((500..=1000).contains(&d9), "{d9}");
        }
    }
}
