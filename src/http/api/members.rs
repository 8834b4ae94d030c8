//! `/api/v1/rooms/{id}/members`: list with presence and roles, grant a role (with an
//! optional expiry), kick. The store holds memberships; a running room is told so its
//! members see the change at once.

use std::collections::HashSet;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rooms::{existing_room, running_room};
use crate::actors::registry::GetRoom;
use crate::actors::room::{Kick, OnlineUsers, ReloadRoles, Removal, RoomError};
use crate::error::{ApiError, ErrorCode};
use crate::http::auth::AdminAuth;
use crate::http::json_body::JsonBody;
use crate::http::pagination::{Page, PageParams};
use crate::http::AppState;
use crate::model::{check_user_id, now_ms, rfc3339, Role};
use crate::store::members::MemberRow;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/rooms/{id}/members").get(list_members))
        .service(web::resource("/rooms/{id}/members/{user_id}").put(set_member).delete(kick_member));
}

/// 9999-12-31T23:59:59.999Z: the last instant RFC 3339 (four-digit years) can write.
const LAST_RFC3339_MS: i64 = 253_402_300_799_999;

/// An `expires_at` as Unix ms: RFC 3339, after `now` and before the year 10000
/// (grants, bans and mutes); else 422 naming the field.
pub(super) fn future_instant(s: &str, now: i64) -> Result<i64, ApiError> {
    let t = chrono::DateTime::parse_from_rfc3339(s)
        .map_err(|e| ApiError::new(ErrorCode::Unprocessable, format!("expires_at: {e}")))?
        .timestamp_millis();
    if t <= now {
        return Err(ApiError::new(ErrorCode::Unprocessable, "expires_at must be in the future"));
    }
    check_before_year_10000(t)
}

/// Shown in UTC: an instant after [`LAST_RFC3339_MS`] would read back as `+10000-…`,
/// not RFC 3339; 422 naming `expires_at`.
pub(super) fn check_before_year_10000(t: i64) -> Result<i64, ApiError> {
    if t > LAST_RFC3339_MS {
        return Err(ApiError::new(
            ErrorCode::Unprocessable,
            "expires_at must be before 10000-01-01T00:00:00Z",
        ));
    }
    Ok(t)
}

/// A member as the API shows it; `role` is the role in force now (an expired grant
/// shows the role underneath, and `expires_at` is then null).
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    pub id: String,
    pub name: String,
    #[schema(value_type = crate::model::UserKind)]
    pub kind: String,
    #[schema(value_type = crate::model::Role)]
    pub role: String,
    /// When the grant of `role` ends; null: it does not.
    #[schema(required = true, format = DateTime)]
    pub expires_at: Option<String>,
    pub online: bool,
    #[schema(required = true, format = DateTime)]
    pub last_seen: Option<String>,
    pub last_read_seq: i64,
}

impl MemberView {
    fn new(row: MemberRow, online: bool, now: i64) -> Self {
        let expired = row.role_expires_at.is_some_and(|t| t <= now);
        let (role, expires_at) =
            if expired { (row.base_role, None) } else { (row.role, row.role_expires_at.map(rfc3339)) };
        Self {
            id: row.user_id,
            name: row.name,
            kind: row.kind,
            role,
            expires_at,
            online,
            last_seen: row.last_seen.map(rfc3339),
            last_read_seq: row.last_read_seq,
        }
    }
}

/// `PUT …/members/{user_id}` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetMember {
    #[schema(value_type = crate::model::Role, example = "moderator")]
    pub role: String,
    /// RFC 3339, in the future; absent or null = the grant does not expire.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
}

async fn online_users(st: &AppState, room: &crate::model::RoomId) -> HashSet<String> {
    match running_room(st, room).await {
        Some(addr) => addr.send(OnlineUsers).await.unwrap_or_default().into_iter().collect(),
        None => HashSet::new(),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/rooms/{id}/members",
    tag = "members",
    params(("id" = String, Path, description = "Room id", example = "lobby"), PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Members by user id", body = crate::http::openapi::MemberPage),
        (status = 400, description = "A bad `limit` or path (`bad_request`)", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "No such room (`not_found`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn list_members(
    _: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let room = existing_room(&st, &id).await?;
    let limit = page.limit()?;
    let (key, after) = (room.to_string(), page.cursor.clone());
    let rows = st.store.run(move |c| MemberRow::page(c, &key, after.as_deref(), limit + 1)).await?;
    let online = online_users(&st, &room).await;
    let now = now_ms();
    let page = Page::from_rows(
        rows,
        limit,
        |r| r.user_id.clone(),
        |r| {
            let on = online.contains(&r.user_id);
            MemberView::new(r, on, now)
        },
    );
    Ok(HttpResponse::Ok().json(page))
}

/// Grants a role. A member that never joined is created (name = id, kind `user`);
/// their first join fills in name and kind.
#[utoipa::path(
    put,
    path = "/api/v1/rooms/{id}/members/{user_id}",
    operation_id = "set_member_role",
    tag = "members",
    params(("id" = String, Path, description = "Room id", example = "lobby"), ("user_id" = String, Path, description = "User id", example = "alice")),
    request_body(content = SetMember, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The member with the new grant", body = MemberView),
        (status = 404, description = "No such room (`not_found`)", body = crate::http::openapi::ErrorBody),
        (status = 422, description = "Unknown role, an `expires_at` that is not RFC 3339, not in the future or not before the year 10000, a user id that is not 1 to 64 characters or is reserved, or an unknown field (`unprocessable`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn set_member(
    admin: AdminAuth,
    st: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: JsonBody<SetMember>,
) -> Result<HttpResponse, ApiError> {
    let (room_id, user_id) = path.into_inner();
    let room = existing_room(&st, &room_id).await?;
    check_user_id(&user_id).map_err(|e| ApiError::new(ErrorCode::Unprocessable, format!("user_id {e}")))?;
    let role = Role::parse(&body.role).ok_or_else(|| {
        ApiError::new(ErrorCode::Unprocessable, "role must be owner, admin, moderator or member")
    })?;
    let now = now_ms();
    let expires_at = body.expires_at.as_deref().map(|s| future_instant(s, now)).transpose()?;
    let (key, user) = (room.to_string(), user_id.clone());
    let row = st
        .store
        .run(move |c| {
            MemberRow::set_role(c, &key, &user, role.as_str(), expires_at, now)?;
            MemberRow::find(c, &key, &user)
        })
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::Unavailable, "membership vanished; retry"))?;
    let online = match running_room(&st, &room).await {
        Some(addr) => {
            // `send`, not `do_send`: the room has the new role before we answer.
            let _ = addr.send(ReloadRoles).await;
            online_users(&st, &room).await.contains(&user_id)
        }
        None => false,
    };
    let target = format!("{room}/{user_id}");
    let detail = serde_json::json!({"role": role.as_str(), "expires_at": body.expires_at});
    crate::http::audit::record(&st, &admin, "member.role", &target, detail).await;
    Ok(HttpResponse::Ok().json(MemberView::new(row, online, now_ms())))
}

/// Kick: removes the membership; the member's sessions get `room_closed` (reason
/// `kicked`) and leave the room. They may join again (a ban, `restrictions.rs`, keeps
/// them out). The room
/// (started if it is not running) removes the row through the store writer, after
/// every membership write queued before, and the answer waits for that commit: a
/// member whose `joined` was sent can always be kicked, and nothing brings them back.
#[utoipa::path(
    delete,
    path = "/api/v1/rooms/{id}/members/{user_id}",
    tag = "members",
    params(("id" = String, Path, description = "Room id", example = "lobby"), ("user_id" = String, Path, description = "User id", example = "alice")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Removed; the user's sessions got `room_closed` (reason `kicked`)"),
        (status = 404, description = "No such room, or the user is not a member (`not_found`)", body = crate::http::openapi::ErrorBody),
        (status = 503, description = "The room's actor or the store cannot answer now, or the removal waited `store.commit_timeout_ms` for the store (it stays queued and applies when the store is back) (`room_unavailable`, `unavailable`); may carry `Retry-After`"),
    ),
)]
async fn kick_member(
    admin: AdminAuth,
    st: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (room_id, user_id) = path.into_inner();
    let room = existing_room(&st, &room_id).await?;
    let target = format!("{room}/{user_id}");
    // The room (started if need be) removes the member, and the row through the store
    // writer after any membership write queued before: answered once that committed.
    let addr = st.registry.send(GetRoom(room.clone())).await.map_err(RoomError::from)?;
    addr.send(Kick { user_id, reason: Removal::Kicked }).await.map_err(RoomError::from)??;
    crate::http::audit::record(&st, &admin, "member.kick", &target, serde_json::json!({})).await;
    Ok(HttpResponse::NoContent().finish())
}
