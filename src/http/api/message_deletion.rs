//! Deleting messages as the operator: `DELETE /api/v1/rooms/{id}/messages/{seq}` (one
//! message) and `DELETE /api/v1/rooms/{id}/messages?user_id=U&since=T` (a user's
//! messages since a time, in one call). The room actor does the deletion
//! (`actors/room/deletion.rs`): each message becomes a tombstone, members online get
//! `message_deleted`, and the request is answered once the tombstones committed. Each
//! request that deleted something is one audit entry (`message.delete`).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::rooms::existing_room;
use crate::actors::registry::GetRoom;
use crate::actors::room::{DeleteMessages, Deleter, RoomError};
use crate::error::{ApiError, ErrorCode};
use crate::http::auth::AdminAuth;
use crate::http::AppState;
use crate::model::RoomId;
use crate::protocol::inbound::check_reason;
use crate::protocol::outbound::MessageView;
use crate::store::messages::MessageRow;
use crate::store::tombstones::{DeleteTarget, Deletion};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/rooms/{id}/messages/{seq}").delete(delete_message));
}

/// `DELETE …/messages/{seq}` query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeleteQuery {
    /// Why, for the audit log: up to 200 characters, no NUL.
    #[param(max_length = 200)]
    pub reason: Option<String>,
}

/// `DELETE …/messages` query: a user's messages since a time.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BulkDeleteQuery {
    /// Whose messages (the sender's user id).
    #[param(min_length = 1, max_length = 64, example = "spammer")]
    pub user_id: String,
    /// Messages sent at or after this time (RFC 3339).
    #[param(value_type = String, format = DateTime, example = "2026-12-06T08:00:00Z")]
    pub since: String,
    /// Why, for the audit log: up to 200 characters, no NUL.
    #[param(max_length = 200)]
    pub reason: Option<String>,
}

/// What a bulk deletion deleted.
#[derive(Debug, Serialize, ToSchema)]
pub struct BulkDeletion {
    #[schema(example = "lobby")]
    pub room: String,
    #[schema(example = "spammer")]
    pub user_id: String,
    /// The seqs this request made tombstones, oldest first (messages deleted before
    /// are not listed).
    #[schema(example = json!([41, 42, 45]))]
    pub deleted: Vec<i64>,
}

/// Makes the message a tombstone: its text is removed, it keeps its seq and carries
/// `deleted`, `deleted_by` (`system`) and `deleted_at`; members online get
/// `message_deleted`. Deleting a tombstone again changes nothing and answers it.
#[utoipa::path(
    delete,
    path = "/api/v1/rooms/{id}/messages/{seq}",
    operation_id = "delete_message",
    tag = "messages",
    params(
        ("id" = String, Path, description = "Room id", example = "lobby"),
        ("seq" = i64, Path, description = "The message's seq", minimum = 1, example = 42),
        DeleteQuery,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The tombstone (deleted now or before)", body = crate::http::openapi::MessageItem),
        (status = 400, description = "A bad path (room id, seq), `reason` or query parameter (`bad_request`)", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "No such room, or no message with that seq in it (`not_found`)", body = crate::http::openapi::ErrorBody),
        (status = 503, description = "The room's actor or the store cannot answer now (`room_unavailable`, `unavailable`); nothing was deleted: retry"),
    ),
)]
async fn delete_message(
    admin: AdminAuth,
    st: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    q: web::Query<DeleteQuery>,
) -> Result<HttpResponse, ApiError> {
    let (room_id, seq) = path.into_inner();
    let room = existing_room(&st, &room_id).await?;
    let DeleteQuery { reason } = q.into_inner();
    check_reason(reason.as_deref()).map_err(|m| ApiError::new(ErrorCode::BadRequest, m))?;
    let deletion = delete(&st, &room, DeleteTarget::Seq { seq }).await?;
    if let Some(m) = deletion.messages.first().filter(|_| deletion.fresh) {
        let detail =
            serde_json::json!({"seq": m.seq, "user_id": m.sender_id, "reason": reason, "via": "admin_api"});
        crate::http::audit::record(&st, &admin, "message.delete", room.as_str(), detail).await;
    }
    let key = room.to_string();
    let rows = st.store.run(move |c| MessageRow::range(c, &key, seq - 1, seq)).await?;
    let row =
        rows.first().ok_or_else(|| ApiError::new(ErrorCode::Unavailable, "message not readable yet"))?;
    Ok(HttpResponse::Ok().json(MessageView::new(row)))
}

/// Makes every message `user_id` sent in the room at or after `since` a tombstone, in
/// one call: one `message_deleted` frame per message to members online, one audit
/// entry for the request (when it deleted something).
#[utoipa::path(
    delete,
    path = "/api/v1/rooms/{id}/messages",
    operation_id = "delete_user_messages",
    tag = "messages",
    params(("id" = String, Path, description = "Room id", example = "lobby"), BulkDeleteQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The seqs deleted (possibly none)", body = BulkDeletion),
        (status = 400, description = "A missing or bad `user_id`, `since` or `reason`, an unknown query parameter, or a bad path (`bad_request`)", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "No such room (`not_found`)", body = crate::http::openapi::ErrorBody),
        (status = 503, description = "The room's actor or the store cannot answer now (`room_unavailable`, `unavailable`); nothing was deleted: retry"),
    ),
)]
pub(super) async fn delete_user_messages(
    admin: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
    q: web::Query<BulkDeleteQuery>,
) -> Result<HttpResponse, ApiError> {
    let room = existing_room(&st, &id).await?;
    let BulkDeleteQuery { user_id, since, reason } = q.into_inner();
    let bad = |m: String| ApiError::new(ErrorCode::BadRequest, m);
    if user_id.is_empty() || user_id.chars().count() > 64 || user_id.contains('\0') {
        return Err(bad("user_id must be 1 to 64 characters, without NUL".into()));
    }
    let since_ms = chrono::DateTime::parse_from_rfc3339(&since)
        .map_err(|e| bad(format!("since must be an RFC 3339 time ({e})")))?
        .timestamp_millis();
    check_reason(reason.as_deref()).map_err(bad)?;
    let target = DeleteTarget::SenderSince { user_id: user_id.clone(), since: since_ms };
    let deletion = delete(&st, &room, target).await?;
    let deleted: Vec<i64> = deletion.messages.iter().map(|m| m.seq).collect();
    if deletion.fresh {
        let detail = serde_json::json!({
            "user_id": user_id, "since": since, "seqs": deleted, "reason": reason, "via": "admin_api",
        });
        crate::http::audit::record(&st, &admin, "message.delete", room.as_str(), detail).await;
    }
    Ok(HttpResponse::Ok().json(BulkDeletion { room: room.to_string(), user_id, deleted }))
}

/// Has the room (started if need be) delete `target` as the operator.
async fn delete(st: &AppState, room: &RoomId, target: DeleteTarget) -> Result<Deletion, ApiError> {
    let addr = st.registry.send(GetRoom(room.clone())).await.map_err(RoomError::from)?;
    Ok(addr.send(DeleteMessages { target, by: Deleter::Operator }).await.map_err(RoomError::from)??)
}
