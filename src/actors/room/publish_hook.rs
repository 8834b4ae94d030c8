//! The room's side of the publish hook (`src/hooks.rs`): a member's `send` that passed
//! the room's own checks is asked about before it is stored.
//!
//! The room's sends reach the hook one at a time and the store in the order they
//! came: each call waits for the one before it to be answered and handed on (a chain
//! of turns, [`HookQueue`]). The room itself does not wait: it goes on delivering
//! commits, taking joins and answering questions while a call is out, and other rooms
//! (other actors) ask concurrently. Each call is bounded by the hook's timeout. With
//! no hook applying, the send goes straight on: one settings lookup, nothing
//! allocated, nothing awaited. Operator posts (admin API, broadcasts; no session) are
//! not asked.

use actix::prelude::*;
use tokio::sync::oneshot;

use super::delivery::reply_error;
use super::messages::SendText;
use super::Room;
use crate::error::ErrorCode;
use crate::hooks::{ask, HookRequest, HookUser, PublishHook, Verdict};
use crate::protocol::inbound::check_send;

/// The turn of the newest call in flight: the next call starts once it is over.
#[derive(Default)]
pub(super) struct HookQueue {
    last: Option<oneshot::Receiver<()>>,
}

impl HookQueue {
    /// The turn to wait for before asking, and the one this call hands on when its
    /// send has gone to the store (or been refused).
    fn take_turn(&mut self) -> (Option<oneshot::Receiver<()>>, oneshot::Sender<()>) {
        let (done, next) = oneshot::channel();
        (self.last.replace(next), done)
    }
}

impl Room {
    /// Stores `m` (`Room::store_send`) unless the publish hook that applies refuses
    /// it; a changed text replaces the sent one.
    pub(super) fn send_through_publish_hook(&mut self, mut m: SendText, ctx: &mut Context<Self>) {
        let hook = match m.session {
            Some(_) => PublishHook::applying(&self.deps.cfg.hooks, &self.life.settings),
            None => None,
        };
        let Some(hook) = hook else { return self.store_send(m, ctx) };
        let (url, timeout, policy) = (hook.url.to_string(), hook.timeout, hook.policy);
        let req = HookRequest {
            room: self.id.to_string(),
            user: HookUser { id: m.user.id.clone(), name: m.user.name.clone(), kind: m.user.kind.as_str() },
            text: std::mem::take(&mut m.text),
            reply_to: m.reply_to.clone(),
            client_id: m.ticket.client_id.clone(),
        };
        let max_text = self.deps.cfg.limits.max_text;
        let (before, done) = self.hook_queue.take_turn();
        let fut = async move {
            if let Some(before) = before {
                let _ = before.await; // answered and handed on, or dropped with its room
            }
            let verdict = ask(&url, timeout, policy, &req, |t| check_send(t, None, max_text).is_ok()).await;
            (verdict, req.text)
        };
        ctx.spawn(fut.into_actor(self).map(move |(verdict, sent), room, ctx| {
            match verdict {
                Verdict::Accept(changed) => {
                    m.text = changed.unwrap_or(sent);
                    room.store_send(m, ctx);
                }
                Verdict::Reject(reason) => reply_error(m.ticket, ErrorCode::RejectedByHook, &reason),
            }
            drop(done); // the next call may go
        }));
    }
}
