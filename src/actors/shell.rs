//! The actor shell: the one place every actor's messages pass through.
//!
//! Every actor's address is a metered one ([`TrackedAddr`](super::mailbox::TrackedAddr)),
//! so what it receives is a `Tracked<M>`. [`actor_shell!`](crate::actor_shell) writes the
//! `Handler<Tracked<M>>` that handles it, the same way for every actor and message:
//!
//! 1. **meter**: count the message handled and time its wait and its handler
//!    (`mailbox.rs`);
//! 2. **route** (rooms only): on a cluster replica a room message is forwarded to the
//!    room's owner instead of being handled here ([`Route`]; the rooms' routing lives
//!    in `room/cluster/route.rs`, so the owner's handlers never mention replicas);
//! 3. **guard**: run the actor's own `Handler<M>` under `catch_unwind`; a panic fails
//!    only this message and the actor applies its restart policy ([`Shell::crashed`]:
//!    a room restarts in place or is quarantined, a session closes with 1011, the
//!    other actors restart in place under their actix `Supervisor`). The sender gets
//!    the message's [`CrashAnswer`] (a room answers `room_unavailable`), or sees its
//!    reply channel dropped.
//!
//! Work that does not arrive as a message (timers, streams, futures' continuations)
//! runs under the same guard through [`Shell::guarded`].

use std::panic::{catch_unwind, AssertUnwindSafe};

use actix::dev::{MessageResponse, OneshotSender};
use actix::prelude::*;
use slog::{error, Logger};

use super::mailbox::{Metered, Tracked};

/// What every actor has: a mailbox to meter, a log, and a restart policy.
pub trait Shell: Actor + Metered + Sized {
    /// What the actor is, in its crash log line ("room", "store writer", …).
    const NAME: &'static str;

    fn log(&self) -> &Logger;

    /// A handler panicked while doing `what`. The default restarts the actor in
    /// place: it stops, and its actix `Supervisor` starts it again with the same
    /// address, mailbox and state (`Supervised::restarting` resets what must be).
    fn crashed(&mut self, what: &'static str, why: String, ctx: &mut Self::Context)
    where
        Self::Context: ActorContext,
    {
        error!(self.log(), "{} crashed, restarting", Self::NAME; "in" => what, "err" => why);
        self.mailbox().on_restart();
        ctx.stop();
    }

    /// Runs `body`; a panic in it is logged and handed to [`Shell::crashed`], and the
    /// work it was doing fails (`None`).
    fn guarded<R>(
        &mut self,
        ctx: &mut Self::Context,
        what: &'static str,
        body: impl FnOnce(&mut Self, &mut Self::Context) -> R,
    ) -> Option<R>
    where
        Self::Context: ActorContext,
    {
        match catch_unwind(AssertUnwindSafe(|| body(self, ctx))) {
            Ok(r) => Some(r),
            Err(panic) => {
                self.crashed(what, panic_message(&panic), ctx);
                None
            }
        }
    }
}

/// Where a message is handled.
pub enum Routed<M, R> {
    /// Here: run the actor's own handler.
    Here(M),
    /// Handed on elsewhere (a room replica forwarding to the owner); this is the answer.
    Forwarded(R),
}

/// How an actor decides where a message is handled (rooms in cluster mode).
pub trait Route<M: Message>: Handler<M> {
    fn route(&mut self, m: M, ctx: &mut Self::Context) -> Routed<M, Self::Result>;
}

/// The answer a sender gets when the handler of its message panicked. `None` drops
/// the reply channel: the sender sees `MailboxError::Closed`, as when an actor stops.
pub trait CrashAnswer: Sized {
    fn crash_answer() -> Option<Self> {
        None
    }
}

/// A message without an answer is answered as handled: its sender (an operator's
/// `POST …/crash`, a `Flush`) waits for the handling, not for its success.
impl CrashAnswer for () {
    fn crash_answer() -> Option<Self> {
        Some(())
    }
}

/// A shelled handler's answer: the actor's own, or the crash answer.
pub enum Shelled<R> {
    Done(R),
    Crashed,
}

impl<A, M, R> MessageResponse<A, Tracked<M>> for Shelled<R>
where
    A: Actor,
    M: Message,
    M::Result: CrashAnswer,
    R: MessageResponse<A, M>,
{
    fn handle(self, ctx: &mut A::Context, tx: Option<OneshotSender<M::Result>>) {
        match self {
            Shelled::Done(r) => r.handle(ctx, tx),
            Shelled::Crashed => {
                if let (Some(tx), Some(answer)) = (tx, M::Result::crash_answer()) {
                    let _ = tx.send(answer);
                }
            }
        }
    }
}

/// The shell's handler body (see the module doc); `actor_shell!` calls it.
pub fn handle<A, M>(
    actor: &mut A,
    t: Tracked<M>,
    ctx: &mut A::Context,
    what: &'static str,
    route: impl FnOnce(&mut A, M, &mut A::Context) -> Routed<M, A::Result>,
) -> Shelled<A::Result>
where
    A: Shell + Handler<M>,
    A::Context: ActorContext,
    M: Message,
{
    let started = actor.mailbox().on_handle(t.enqueued_at);
    let result = match route(actor, t.msg, ctx) {
        Routed::Forwarded(r) => Shelled::Done(r),
        Routed::Here(m) => match actor.guarded(ctx, what, |a, ctx| <A as Handler<M>>::handle(a, m, ctx)) {
            Some(r) => Shelled::Done(r),
            None => Shelled::Crashed,
        },
    };
    actor.mailbox().on_handled(started);
    result
}

/// The text of a panic payload.
pub fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".into())
}

/// `impl Handler<Tracked<M>>` for an actor and each message `M` it handles, through
/// the shell (module doc). `actor_shell!(A: M1, M2)` handles every message here;
/// `actor_shell!(A, routed: M1, M2)` asks `A`'s [`Route<M>`] first. Listing the
/// messages (rather than one generic impl) keeps the trait solver from recursing into
/// `Tracked<Tracked<…>>`.
#[macro_export]
macro_rules! actor_shell {
    ($actor:ty: $($msg:ty),+ $(,)?) => {
        $(
            impl ::actix::Handler<$crate::actors::mailbox::Tracked<$msg>> for $actor {
                type Result = $crate::actors::shell::Shelled<<$actor as ::actix::Handler<$msg>>::Result>;

                fn handle(
                    &mut self,
                    t: $crate::actors::mailbox::Tracked<$msg>,
                    ctx: &mut <$actor as ::actix::Actor>::Context,
                ) -> Self::Result {
                    $crate::actors::shell::handle(self, t, ctx, stringify!($msg), |_, m, _| {
                        $crate::actors::shell::Routed::Here(m)
                    })
                }
            }
        )+
    };
    ($actor:ty, routed: $($msg:ty),+ $(,)?) => {
        $(
            impl ::actix::Handler<$crate::actors::mailbox::Tracked<$msg>> for $actor {
                type Result = $crate::actors::shell::Shelled<<$actor as ::actix::Handler<$msg>>::Result>;

                fn handle(
                    &mut self,
                    t: $crate::actors::mailbox::Tracked<$msg>,
                    ctx: &mut <$actor as ::actix::Actor>::Context,
                ) -> Self::Result {
                    $crate::actors::shell::handle(self, t, ctx, stringify!($msg), |a, m, ctx| {
                        <$actor as $crate::actors::shell::Route<$msg>>::route(a, m, ctx)
                    })
                }
            }
        )+
    };
}
