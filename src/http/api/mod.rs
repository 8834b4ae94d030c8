//! The admin API under `/api/v1` (docs/ADMIN_API.md). Every handler takes `AdminAuth`.
//! Each handler's `#[utoipa::path]` lists the answers particular to it; the ones many
//! operations share (401, 403, 429, 503, and the 400 and 413 of bodies and paths) are
//! added by rule in `src/http/openapi/shared_responses.rs`.

pub mod actors;
pub mod audit;
pub mod broadcast_events;
pub mod broadcasts;
pub mod cluster_view;
pub mod debug_clock;
pub mod members;
pub mod message_deletion;
pub mod messages;
pub mod overview;
pub mod restrictions;
pub mod room_events;
pub mod rooms;
pub mod schedule_preview;
pub mod schedules;
pub mod sessions;
pub mod tokens;
pub mod webhooks;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(rooms::configure)
        .configure(members::configure)
        .configure(messages::configure)
        .configure(room_events::configure)
        .configure(message_deletion::configure)
        .configure(tokens::configure)
        .configure(actors::configure)
        .configure(audit::configure)
        .configure(broadcasts::configure)
        .configure(broadcast_events::configure)
        // Before `schedules`, whose `/schedules/{id}` would take `preview` for an id.
        .configure(schedule_preview::configure)
        .configure(schedules::configure)
        .configure(debug_clock::configure)
        .configure(cluster_view::configure)
        .configure(overview::configure)
        .configure(sessions::configure)
        .configure(restrictions::configure)
        .configure(webhooks::configure);
}

/// Rejects strings the store cannot hold or that make no sense as names (room names:
/// docs/ADMIN_API.md, Identifiers).
pub(crate) fn check_name(field: &str, value: &str, max: usize) -> Result<(), crate::error::ApiError> {
    use crate::error::{ApiError, ErrorCode};
    if value.trim().is_empty() || value.chars().count() > max || value.contains('\0') {
        return Err(ApiError::new(
            ErrorCode::Unprocessable,
            format!("{field} must be 1 to {max} characters, not only blanks, without NUL"),
        ));
    }
    Ok(())
}

/// Rejects tags and roles the store cannot hold: 1 to `max` characters, no NUL (blanks
/// allowed, as in `config/rooms.toml`, JWT `roles` and `roomd token create --role`).
pub(crate) fn check_label(field: &str, value: &str, max: usize) -> Result<(), crate::error::ApiError> {
    use crate::error::{ApiError, ErrorCode};
    if value.is_empty() || value.chars().count() > max || value.contains('\0') {
        return Err(ApiError::new(
            ErrorCode::Unprocessable,
            format!("{field} must be 1 to {max} characters, without NUL"),
        ));
    }
    Ok(())
}
