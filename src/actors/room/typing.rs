//! Typing indicators: a member's `typing` frame goes to the other members' sessions
//! (not to the typer's own), is never stored, and is throttled: at most one
//! `active: true` per user per `typing.throttle_ms`; `active: false` always passes.

use std::time::{Duration, Instant};

use actix::prelude::*;

use super::life::prune_when_grown;
use super::messages::SessionId;
use super::Room;
use crate::model::UserRef;
use crate::protocol::outbound::encode;
use crate::protocol::room_life::Typing as TypingFrame;

/// A session's `typing` frame.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Typing {
    pub session: SessionId,
    pub user: UserRef,
    pub active: bool,
}

crate::actor_shell!(Room, routed: Typing);

impl Handler<Typing> for Room {
    type Result = ();

    fn handle(&mut self, m: Typing, _: &mut Context<Self>) {
        self.on_typing(m);
    }
}

impl Room {
    fn on_typing(&mut self, m: Typing) {
        // Ephemeral: a room that is not running, or a session it no longer has
        // (kicked meanwhile), drops it silently.
        if self.check_running().is_err() || !self.online.contains_key(&m.session) {
            return;
        }
        let throttle = Duration::from_millis(self.deps.cfg.typing.throttle_ms);
        let now = Instant::now();
        if m.active {
            if self.life.typing.get(&m.user.id).is_some_and(|at| now.duration_since(*at) < throttle) {
                return;
            }
            let live = |_: &String, at: &mut Instant| now.duration_since(*at) < throttle;
            prune_when_grown(&mut self.life.typing, &mut self.life.typing_prune_at, live);
            self.life.typing.insert(m.user.id.clone(), now);
        } else {
            self.life.typing.remove(&m.user.id);
        }
        let frame = encode(&TypingFrame { room: self.id.as_str(), user: &m.user, active: m.active });
        self.broadcast_event(frame, Some(&m.user.id));
    }
}
