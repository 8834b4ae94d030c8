//! Running a handler body so that a panic fails only that message: the actor decides
//! what to do with the panic (log it, count a restart, stop so its `Supervisor`
//! restarts it in place). Used by the actors that do not need the room's
//! quarantine policy (broadcast queue and jobs, scheduler).

use std::panic::{catch_unwind, AssertUnwindSafe};

use actix::Actor;

/// Runs `body`; a panic becomes `Err(its message)`.
pub fn run_guarded<A: Actor, R>(
    actor: &mut A,
    ctx: &mut A::Context,
    body: impl FnOnce(&mut A, &mut A::Context) -> R,
) -> Result<R, String> {
    catch_unwind(AssertUnwindSafe(|| body(actor, ctx))).map_err(|p| super::room::panic_message(&p))
}
