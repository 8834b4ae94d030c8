//! The room's side of the publish hook (`src/hooks.rs`): a member's `send` that passed
//! the room's own checks is asked about before it is stored.
//!
//! The room waits for the answer with `ctx.wait`, so its sends reach the hook and the
//! store in the order they came, one at a time; other rooms (other actors) ask
//! concurrently. The wait is bounded by the hook's timeout. With no hook applying, the
//! send goes straight on: one settings lookup, nothing allocated, nothing awaited.
//! Operator posts (admin API, broadcasts; no session) are not asked.

use actix::prelude::*;

use super::delivery::reply_error;
use super::messages::SendText;
use super::Room;
use crate::error::ErrorCode;
use crate::hooks::{ask, HookRequest, HookUser, PublishHook, Verdict};
use crate::protocol::inbound::check_send;

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
        let fut = async move {
            let verdict = ask(&url, timeout, policy, &req, |t| check_send(t, None, max_text).is_ok()).await;
            (verdict, req.text)
        };
        ctx.wait(fut.into_actor(self).map(move |(verdict, sent), room, ctx| match verdict {
            Verdict::Accept(changed) => {
                m.text = changed.unwrap_or(sent);
                room.store_send(m, ctx);
            }
            Verdict::Reject(reason) => reply_error(m.ticket, ErrorCode::RejectedByHook, &reason),
        }));
    }
}
