//! Writing the audit log: [`record`] is what an admin handler calls after a change has
//! been made. The change is already durable (or already happened, for a restart) when
//! the entry is written, so a failed write does not turn the operator's successful
//! request into an error — retrying would repeat the change (or hit a 409). Instead the
//! failure is logged at error level with the whole entry, so the log carries what the
//! table missed.

use serde_json::Value;

use super::auth::AdminAuth;
use super::AppState;
use crate::model::now_ms;
use crate::store::audit::{append_logged, NewAudit};

/// Every `action` an entry can have: the closed set the OpenAPI document lists as the
/// `AuditAction` enum (the `action` of an entry and of the `GET /audit` filter).
pub const ACTIONS: &[&str] = &[
    "room.create",
    "room.update",
    "room.delete",
    "room.restart",
    "room.crash",
    "member.role",
    "member.kick",
    "message.post",
    "token.create",
    "token.revoke",
    "broadcast.create",
    "broadcast.cancel",
    "schedule.create",
    "schedule.update",
    "schedule.delete",
    "message.delete",
    "session.disconnect",
    "user.disconnect",
    "member.ban",
    "member.unban",
    "member.mute",
    "member.unmute",
    "webhook.create",
    "webhook.update",
    "webhook.delete",
    "webhook.resume",
];

/// Appends "`admin` did `action` to `target`" with a small JSON `detail` and the
/// request's id. Never fails the caller; see the module docs.
pub async fn record(st: &AppState, auth: &AdminAuth, action: &'static str, target: &str, detail: Value) {
    debug_assert!(ACTIONS.contains(&action), "audit action {action:?} is not in audit::ACTIONS");
    let AdminAuth(admin, request_id) = auth;
    let entry = NewAudit {
        at: now_ms(),
        // Admin identities come from opaque tokens, which always have an id; the user
        // id is a fallback that keeps the entry attributable anyway.
        actor_id: admin.token_id.clone().unwrap_or_else(|| admin.user.id.clone()),
        actor_name: admin.user.name.clone(),
        action: action.to_string(),
        target: target.to_string(),
        detail: detail.to_string(),
        request_id: Some(request_id.as_str().to_string()),
    };
    append_logged(&st.store, &st.log, entry).await;
}
