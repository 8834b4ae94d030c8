//! Webhooks: committed events POSTed to the application's own backend
//! (docs/INTEGRATIONS.md).
//!
//! * The events come from the store's outbox, `webhook_events`, which database
//!   triggers fill in the transaction that commits each change (migration
//!   `…000011_webhooks`); nothing in the send path knows about webhooks.
//! * [`hub::WebhookHub`] starts one [`endpoint::WebhookEndpoint`] actor per stored
//!   endpoint and deletes outbox rows every endpoint has passed.
//! * Each endpoint reads the outbox after its stored `position`, POSTs a signed batch
//!   ([`signature`]) and moves its position on after a 2xx answer: at-least-once, in
//!   commit order, with an idempotency key per event ([`batch`]).

pub mod batch;
pub mod endpoint;
pub mod hub;
pub mod signature;

use std::sync::LazyLock;

/// The event types an endpoint may ask for, as the outbox's triggers name them.
pub const EVENT_TYPES: [&str; 7] = [
    "message",
    "message_deleted",
    "member_joined",
    "member_left",
    "room_created",
    "room_deleted",
    "broadcast_finished",
];

/// The shortest secret an endpoint may have.
pub const MIN_SECRET_LEN: usize = 16;

/// The one HTTP client of the process, for webhook deliveries and the publish hook:
/// built once (loading the system's root certificates once), shared, so connections
/// to a receiver are reused; no redirects (a receiver answers itself). Every request
/// sets its own timeout for the whole exchange.
pub fn http_client() -> &'static reqwest::Client {
    static CLIENT: LazyLock<reqwest::Client> = LazyLock::new(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("roomd/", env!("CARGO_PKG_VERSION")))
            .build()
            // Fails only when the TLS backend cannot start: plain HTTP still works.
            .unwrap_or_else(|_| reqwest::Client::new())
    });
    &CLIENT
}
