//! `/api/v1/rooms/{id}/bans` and `/api/v1/rooms/{id}/mutes`: ban or mute a user in a
//! room (until an expiry or until lifted), list those in force, lift one. The store
//! holds them (`store::restrictions`), so they survive restarts and hold on every
//! node; the room (started if it is not running) re-reads them before the answer, and
//! a ban also removes the member as a kick does (`room_closed` with reason `banned`),
//! through the store writer after every membership write queued before it. The room
//! checks them at each `join` (bans) and `send` (mutes) against the time of use, so
//! they lapse at their expiry without a restart.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::members::{check_before_year_10000, future_instant};
use super::rooms::existing_room;
use crate::actors::registry::GetRoom;
use crate::actors::room::{Kick, ReloadRoles, Removal, RoomError, MAX_REASON};
use crate::error::{ApiError, ErrorCode};
use crate::http::auth::AdminAuth;
use crate::http::json_body::JsonBody;
use crate::http::pagination::{Page, PageParams};
use crate::http::AppState;
use crate::model::{check_user_id, now_ms, rfc3339, RoomId};
use crate::store::restrictions::{RestrictionKind, RestrictionRow};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/rooms/{id}/bans").get(list_bans))
        .service(web::resource("/rooms/{id}/bans/{user_id}").put(set_ban).delete(delete_ban))
        .service(web::resource("/rooms/{id}/mutes").get(list_mutes))
        .service(web::resource("/rooms/{id}/mutes/{user_id}").put(set_mute).delete(delete_mute));
}

/// A ban or mute as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RestrictionView {
    pub room: String,
    pub user_id: String,
    /// When it lapses; null: when it is lifted.
    #[schema(required = true, format = DateTime)]
    pub expires_at: Option<String>,
    #[schema(required = true)]
    pub reason: Option<String>,
    /// The admin token's id, or the user id of the moderator whose command made it.
    pub created_by: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<RestrictionRow> for RestrictionView {
    fn from(r: RestrictionRow) -> Self {
        Self {
            room: r.room_id,
            user_id: r.user_id,
            expires_at: r.expires_at.map(rfc3339),
            reason: r.reason,
            created_by: r.created_by,
            created_at: rfc3339(r.created_at),
        }
    }
}

/// Schema only: `GET …/bans` and `GET …/mutes` answers.
#[derive(Serialize, ToSchema)]
pub struct RestrictionPage {
    pub items: Vec<RestrictionView>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

/// `PUT …/bans/{user_id}` and `PUT …/mutes/{user_id}` body: `{}` for one until lifted.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRestriction {
    /// RFC 3339, in the future and before the year 10000; absent or null (and no
    /// `duration`): until lifted.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// Instead of `expires_at`: how long from now, `30s`, `10m`, `2h` or `7d` (1 s to 36500 d).
    #[schema(example = "2h", pattern = "^[0-9]+[smhd]?$")]
    pub duration: Option<String>,
    /// Why, for the audit log and the list; at most 500 characters, no NUL.
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

impl SetRestriction {
    /// The expiry (Unix ms) and the reason, or a 422 naming the field.
    fn checked(&self, now: i64) -> Result<(Option<i64>, Option<String>), ApiError> {
        let unprocessable = |m: String| ApiError::new(ErrorCode::Unprocessable, m);
        let expires_at = match (&self.expires_at, &self.duration) {
            (Some(_), Some(_)) => return Err(unprocessable("give expires_at or duration, not both".into())),
            (Some(s), None) => Some(future_instant(s, now)?),
            (None, Some(d)) => {
                let d = crate::duration::parse(d).map_err(|e| unprocessable(format!("duration: {e}")))?;
                Some(check_before_year_10000(now.saturating_add(d.as_millis() as i64))?)
            }
            (None, None) => None,
        };
        if let Some(r) = &self.reason {
            if r.chars().count() > MAX_REASON {
                return Err(unprocessable(format!("reason: at most {MAX_REASON} characters")));
            }
            if r.contains('\0') {
                return Err(unprocessable("reason: must not contain NUL".into()));
            }
        }
        Ok((expires_at, self.reason.clone()))
    }
}

fn actions(kind: RestrictionKind) -> (&'static str, &'static str) {
    match kind {
        RestrictionKind::Ban => ("member.ban", "member.unban"),
        RestrictionKind::Mute => ("member.mute", "member.unmute"),
    }
}

/// Stores the ban or mute, has the room re-read them, and (a ban) removes the member.
async fn put_restriction(
    kind: RestrictionKind,
    admin: AdminAuth,
    st: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: JsonBody<SetRestriction>,
) -> Result<HttpResponse, ApiError> {
    let (room_id, user_id) = path.into_inner();
    let room = existing_room(&st, &room_id).await?;
    check_user_id(&user_id).map_err(|e| ApiError::new(ErrorCode::Unprocessable, format!("user_id {e}")))?;
    let now = now_ms();
    let (expires_at, reason) = body.checked(now)?;
    let row = RestrictionRow {
        room_id: room.to_string(),
        kind: kind.as_str().to_string(),
        user_id: user_id.clone(),
        expires_at,
        reason,
        created_by: admin.0.token_id.clone().unwrap_or_else(|| admin.0.user.id.clone()),
        created_at: now,
    };
    let stored = row.clone();
    st.store.run(move |c| stored.put(c)).await?;
    let target = format!("{room}/{user_id}");
    let detail = serde_json::json!({"expires_at": expires_at.map(rfc3339), "reason": row.reason});
    crate::http::audit::record(&st, &admin, actions(kind).0, &target, detail).await;
    let addr = reload(&st, &room).await?;
    if kind == RestrictionKind::Ban {
        // Like a kick: answered once the removal committed; a user who is not a
        // member (yet) has nothing to remove.
        match addr.send(Kick { user_id, reason: Removal::Banned }).await.map_err(RoomError::from)? {
            Ok(()) | Err(RoomError::NotMember { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(HttpResponse::Ok().json(RestrictionView::from(row)))
}

/// The room (started if it is not running) re-reads roles, bans and mutes; joins and
/// sends it handles after this see the change.
async fn reload(
    st: &AppState,
    room: &RoomId,
) -> Result<crate::actors::mailbox::TrackedAddr<crate::actors::room::Room>, ApiError> {
    let addr = st.registry.send(GetRoom(room.clone())).await.map_err(RoomError::from)?;
    addr.send(ReloadRoles).await.map_err(RoomError::from)?;
    Ok(addr)
}

async fn list_restrictions(
    kind: RestrictionKind,
    st: web::Data<AppState>,
    id: web::Path<String>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let room = existing_room(&st, &id).await?;
    let limit = page.limit()?;
    let (key, after, now) = (room.to_string(), page.cursor.clone(), now_ms());
    let rows =
        st.store.run(move |c| RestrictionRow::page(c, &key, kind, after.as_deref(), limit + 1, now)).await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |r| r.user_id.clone(), RestrictionView::from)))
}

async fn lift_restriction(
    kind: RestrictionKind,
    admin: AdminAuth,
    st: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (room_id, user_id) = path.into_inner();
    let room = existing_room(&st, &room_id).await?;
    let (key, user) = (room.to_string(), user_id.clone());
    let lifted = st.store.run(move |c| RestrictionRow::lift(c, &key, kind, &user, now_ms())).await?;
    if !lifted {
        let what = if kind == RestrictionKind::Ban { "banned from" } else { "muted in" };
        return Err(ApiError::new(ErrorCode::NotFound, format!("{user_id} is not {what} {room}")));
    }
    let target = format!("{room}/{user_id}");
    crate::http::audit::record(&st, &admin, actions(kind).1, &target, serde_json::json!({})).await;
    reload(&st, &room).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Bans the user from the room: their sessions leave it at once (`room_closed`,
/// reason `banned`), the membership goes, and their joins are refused with `banned`
/// until the ban lapses or is lifted. A user who never joined may be banned.
#[utoipa::path(
    put,
    path = "/api/v1/rooms/{id}/bans/{user_id}",
    tag = "moderation",
    params(("id" = String, Path, description = "Room id", example = "lobby"), ("user_id" = String, Path, description = "User id", example = "alice")),
    request_body(content = SetRestriction, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The ban in force (replacing an earlier one of the user)", body = RestrictionView),
        (status = 404, description = "No such room (`not_found`)", body = crate::http::openapi::ErrorBody),
        (status = 422, description = "An `expires_at` that is not RFC 3339, not in the future or not before the year 10000; a `duration` that is not `N[smhd]` from 1 s to 36500 d; both; a `reason` over 500 characters or with NUL; a user id that is not 1 to 64 characters or is reserved; an unknown field (`unprocessable`)", body = crate::http::openapi::ErrorBody),
        (status = 503, description = "The room's actor or the store cannot answer now, or the member's removal waited `store.commit_timeout_ms` for the store (the ban is stored; the removal stays queued) (`room_unavailable`, `unavailable`); may carry `Retry-After`"),
    ),
)]
async fn set_ban(
    admin: AdminAuth,
    st: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: JsonBody<SetRestriction>,
) -> Result<HttpResponse, ApiError> {
    put_restriction(RestrictionKind::Ban, admin, st, path, body).await
}

/// The bans in force in the room, by user id.
#[utoipa::path(
    get,
    path = "/api/v1/rooms/{id}/bans",
    tag = "moderation",
    params(("id" = String, Path, description = "Room id", example = "lobby"), PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Bans in force by user id (the cursor is a user id)", body = RestrictionPage),
        (status = 400, description = "A bad `limit` or path (`bad_request`)", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "No such room (`not_found`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn list_bans(
    _: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    list_restrictions(RestrictionKind::Ban, st, id, page).await
}

/// Lifts the user's ban: they may join again.
#[utoipa::path(
    delete,
    path = "/api/v1/rooms/{id}/bans/{user_id}",
    tag = "moderation",
    params(("id" = String, Path, description = "Room id", example = "lobby"), ("user_id" = String, Path, description = "User id", example = "alice")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Lifted"),
        (status = 404, description = "No such room, or no ban of the user in force (`not_found`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn delete_ban(
    admin: AdminAuth,
    st: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    lift_restriction(RestrictionKind::Ban, admin, st, path).await
}

/// Mutes the user in the room: they stay in it and read, but their sends are refused
/// with `muted` until the mute lapses or is lifted. A user who never joined may be muted.
#[utoipa::path(
    put,
    path = "/api/v1/rooms/{id}/mutes/{user_id}",
    tag = "moderation",
    params(("id" = String, Path, description = "Room id", example = "lobby"), ("user_id" = String, Path, description = "User id", example = "alice")),
    request_body(content = SetRestriction, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The mute in force (replacing an earlier one of the user)", body = RestrictionView),
        (status = 404, description = "No such room (`not_found`)", body = crate::http::openapi::ErrorBody),
        (status = 422, description = "An `expires_at` that is not RFC 3339, not in the future or not before the year 10000; a `duration` that is not `N[smhd]` from 1 s to 36500 d; both; a `reason` over 500 characters or with NUL; a user id that is not 1 to 64 characters or is reserved; an unknown field (`unprocessable`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn set_mute(
    admin: AdminAuth,
    st: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: JsonBody<SetRestriction>,
) -> Result<HttpResponse, ApiError> {
    put_restriction(RestrictionKind::Mute, admin, st, path, body).await
}

/// The mutes in force in the room, by user id.
#[utoipa::path(
    get,
    path = "/api/v1/rooms/{id}/mutes",
    tag = "moderation",
    params(("id" = String, Path, description = "Room id", example = "lobby"), PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Mutes in force by user id (the cursor is a user id)", body = RestrictionPage),
        (status = 400, description = "A bad `limit` or path (`bad_request`)", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "No such room (`not_found`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn list_mutes(
    _: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    list_restrictions(RestrictionKind::Mute, st, id, page).await
}

/// Lifts the user's mute: they may send again.
#[utoipa::path(
    delete,
    path = "/api/v1/rooms/{id}/mutes/{user_id}",
    tag = "moderation",
    params(("id" = String, Path, description = "Room id", example = "lobby"), ("user_id" = String, Path, description = "User id", example = "alice")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Lifted"),
        (status = 404, description = "No such room, or no mute of the user in force (`not_found`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn delete_mute(
    admin: AdminAuth,
    st: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    lift_restriction(RestrictionKind::Mute, admin, st, path).await
}
