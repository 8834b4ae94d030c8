//! One delivery attempt of a broadcast to one room. The room's actor stores and
//! delivers the post like an operator's `POST /rooms/{id}/messages`, deduplicated by
//! `client_id`. The delay between attempts is the job's (`BroadcastConfig::retry_backoff`).

use std::time::Duration;

use actix::dev::SendError;

use crate::actors::mailbox::TrackedAddr;
use crate::actors::operator_post::OperatorPost;
use crate::actors::registry::{GetRoom, RoomRegistry};
use crate::error::ErrorCode;
use crate::model::RoomId;
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

/// One attempt: the room's actor stores and delivers the post, or says why not.
pub async fn deliver(
    registry: &TrackedAddr<RoomRegistry>,
    room: &str,
    text: String,
    operator: String,
    client_id: String,
) -> Result<i64, Failure> {
    let id = RoomId::parse(room).map_err(|_| Failure::Fatal(NO_SUCH_ROOM.into()))?;
    let addr = registry
        .send(GetRoom(id))
        .await
        .map_err(|e| Failure::Retry(format!("room_unavailable: registry did not answer: {e}")))?;
    let post = OperatorPost::new(operator, text, Some(client_id));
    if let Err(e) = addr.try_send(post.send) {
        return Err(Failure::Retry(match e {
            SendError::Full(_) => "room_unavailable: mailbox full".into(),
            SendError::Closed(_) => "room_unavailable: room stopped".into(),
        }));
    }
    match tokio::time::timeout(DELIVERY_TIMEOUT, post.outcome).await {
        Err(_) => Err(Failure::Retry("room_unavailable: no answer in time".into())),
        Ok(Err(_)) => Err(Failure::Retry("room_unavailable: the room crashed handling the message".into())),
        Ok(Ok(Ok((seq, _duplicate)))) => Ok(seq),
        Ok(Ok(Err((ErrorCode::NotFound, _)))) => Err(Failure::Fatal(NO_SUCH_ROOM.into())),
        Ok(Ok(Err((code, message)))) => Err(Failure::Retry(format!("{}: {message}", code.as_str()))),
    }
}
