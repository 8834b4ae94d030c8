//! An operator's post to a room, built once for every path: `POST
//! /api/v1/rooms/{id}/messages` (src/http/api/messages.rs), each delivery of a
//! broadcast (src/actors/broadcast/delivery.rs), and in cluster mode the post as the
//! room's owner receives it from another node (src/actors/room/cluster/owner.rs).
//! The room stores and delivers it like a member's `send` (deduplicated by
//! `client_id`), from the sender `{"id":"system","name":<operator>,"kind":"system"}`,
//! without a session (the operator posts without joining), and answers on a channel
//! instead of with frames.

use tokio::sync::oneshot;

use crate::actors::room::{PostOutcome, ReplyTo, SendText, SendTicket};
use crate::model::{UserKind, UserRef};

/// The room's message and the channel its outcome comes back on.
pub struct OperatorPost {
    pub send: SendText,
    /// `(seq, duplicate)` or why not; closed without an answer if the room crashed
    /// handling the post.
    pub outcome: oneshot::Receiver<PostOutcome>,
}

impl OperatorPost {
    /// `text` posted by `operator` (the admin token's name, or the broadcast's
    /// creator).
    pub fn new(operator: String, text: String, client_id: Option<String>) -> Self {
        Self::sent_by(
            UserRef { id: "system".into(), name: operator, kind: UserKind::System },
            text,
            client_id,
        )
    }

    /// The post of `sender` (made by [`OperatorPost::new`]) as it arrives from another
    /// node, in cluster mode.
    pub fn sent_by(sender: UserRef, text: String, client_id: Option<String>) -> Self {
        let (tx, outcome) = oneshot::channel();
        let send = SendText {
            session: None,
            user: sender,
            text,
            reply_to: None,
            ticket: SendTicket { reply: ReplyTo::Operator(tx), frame_id: None, client_id },
        };
        Self { send, outcome }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_post_comes_from_system_named_after_the_operator_and_answers_on_its_channel() {
        let post = OperatorPost::new("ops".into(), "maintenance at noon".into(), Some("c1".into()));
        let SendText { session, user, text, reply_to, ticket } = post.send;
        assert_eq!((session, reply_to, text.as_str()), (None, None, "maintenance at noon"));
        assert_eq!((user.id.as_str(), user.name.as_str(), user.kind), ("system", "ops", UserKind::System));
        assert_eq!((ticket.frame_id.is_none(), ticket.client_id.as_deref()), (true, Some("c1")));
        let ReplyTo::Operator(tx) = ticket.reply else { panic!("the operator's post answers on a channel") };
        tx.send(Ok((7, false))).expect("receiver alive");
        assert_eq!(post.outcome.blocking_recv().expect("answered"), Ok((7, false)));
    }
}
