//! `/api/v1/rooms`: create and list rooms; live figures come from the registry.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::cluster_view;
use super::{check_label, check_name};
use crate::actors::mailbox::TrackedAddr;
use crate::actors::mailbox::{directory, ActorKind, ActorStatus};
use crate::actors::registry::{FindRoom, GetRoom};
use crate::actors::room::{CloseRoom, Crash, Restart, Room, RoomError, RoomStats, SettingsChanged};
use crate::actors::room_feed::FeedEvent;
use crate::actors::store_writer::ForgetRoom;
use crate::error::{ApiError, ErrorCode};
use crate::http::auth::AdminAuth;
use crate::http::json_body::JsonBody;
use crate::http::pagination::{Page, PageParams};
use crate::http::AppState;
use crate::model::{now_ms, rfc3339, RoomId};
use crate::store::messages::MessageRow;
use crate::store::room_list::{self, RoomFilter, RoomKey, RoomOrder};
use crate::store::rooms::{RoomRow, RoomSettings};
use crate::store::StoreError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/rooms").get(list_rooms).post(create_room))
        .service(web::resource("/rooms/{id}").get(get_room).patch(patch_room).delete(delete_room))
        .service(web::resource("/rooms/{id}/restart").post(restart_room))
        .service(web::resource("/rooms/{id}/crash").post(crash_room));
}

#[derive(ToSchema)]
/// `POST /rooms` body. An unknown field, or an unknown setting, is 422 (as in a patch).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRoom {
    /// Lower-case letters, digits, `_` and `-`, starting with a letter or digit; 422 otherwise.
    #[schema(pattern = "^[a-z0-9][a-z0-9_-]*$", min_length = 1, max_length = 64, example = "lobby")]
    pub id: String,
    /// 1 to 200 characters, not only blanks, no NUL; defaults to the id.
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    /// Each 1 to 64 characters, no NUL.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Any of the room settings (the others keep their defaults; `null` is the default).
    #[schema(value_type = Option<crate::http::openapi::RoomSettingsUpdate>)]
    pub settings: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(IntoParams)]
/// `GET /rooms` query. (`serde(flatten)` cannot be used here: it makes urlencoded
/// numbers arrive as strings.)
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListRooms {
    /// Substring of the room's id or name.
    pub q: Option<String>,
    /// Only rooms with this tag.
    pub tag: Option<String>,
    /// Only rooms in this status: running, restarting, quarantined or stopped.
    #[param(value_type = Option<crate::http::openapi::RoomStatus>)]
    pub status: Option<String>,
    /// Order: id (default), name, activity (newest message first), members (most first).
    pub sort: Option<RoomSort>,
    /// Page size, 1 to 500 (default 50); 400 otherwise.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Not documented: the admin API takes the token only in the header (a `?token=`
    /// is refused with 401 before the query is read).
    #[serde(rename = "token")]
    #[param(ignore)]
    pub _token: Option<String>,
}

#[derive(ToSchema)]
/// A room as the API shows it.
#[derive(Debug, Serialize)]
pub struct RoomView {
    pub id: String,
    pub name: String,
    pub tags: Vec<String>,
    pub settings: RoomSettings,
    #[schema(value_type = crate::http::openapi::RoomStatus)]
    pub status: &'static str,
    pub last_seq: i64,
    pub members_online: usize,
    pub messages_per_min: u64,
    pub restarts: u32,
    /// RFC 3339; null when the actor has not restarted since it started.
    #[schema(required = true, format = DateTime)]
    pub last_restart_at: Option<String>,
    pub mailbox: MailboxView,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Cluster mode: the node whose lease runs the room now; null when no node has
    /// claimed it yet (or cluster mode is off).
    #[schema(required = true)]
    pub owner_node: Option<String>,
}

#[derive(ToSchema)]
/// Mailbox figures of the room's actor.
#[derive(Debug, Serialize)]
pub struct MailboxView {
    pub depth: u64,
    pub capacity: usize,
}

impl RoomView {
    fn new(
        row: RoomRow,
        stored_last_seq: i64,
        live: Option<&RoomStats>,
        capacity: usize,
        owner_node: Option<String>,
    ) -> Self {
        Self {
            owner_node,
            tags: row.tag_list(),
            settings: row.settings(),
            status: live.map_or("stopped", |s| s.status.as_str()),
            last_seq: live.map_or(stored_last_seq, |s| s.last_seq.max(stored_last_seq)),
            members_online: live.map_or(0, |s| s.members_online),
            messages_per_min: live.map_or(0, |s| s.messages_per_min),
            restarts: live.map_or(0, |s| s.restarts),
            last_restart_at: live.and_then(|s| s.last_restart_at.clone()),
            mailbox: MailboxView { depth: live.map_or(0, |s| s.mailbox_depth), capacity },
            created_at: rfc3339(row.created_at),
            id: row.id,
            name: row.name,
        }
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/rooms",
    tag = "rooms",
    request_body(content = CreateRoom, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created", body = RoomView),
        (status = 409, description = "A room with this id exists (`conflict`)", body = crate::http::openapi::ErrorBody),
        (status = 422, description = "Well-formed JSON with a missing or invalid field (`unprocessable`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn create_room(
    admin: AdminAuth,
    st: web::Data<AppState>,
    body: JsonBody<CreateRoom>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let id = RoomId::parse(&body.id).map_err(|e| ApiError::new(ErrorCode::Unprocessable, e.to_string()))?;
    let name = body.name.unwrap_or_else(|| id.to_string());
    check_name("name", &name, 200)?;
    for t in &body.tags {
        check_label("tag", t, 64)?;
    }
    let settings = merged_settings(&RoomSettings::default(), body.settings.unwrap_or_default())?;
    let now = now_ms();
    let row = RoomRow {
        id: id.to_string(),
        name,
        tags: serde_json::to_string(&body.tags).unwrap_or_else(|_| "[]".into()),
        settings: serde_json::to_string(&settings).unwrap_or_else(|_| "{}".into()),
        created_at: now,
        updated_at: now,
    };
    let stored = row.clone();
    st.store.run(move |c| stored.insert(c)).await.map_err(|e| match e {
        StoreError::Conflict => ApiError::new(ErrorCode::Conflict, format!("room {id} already exists")),
        other => other.into(),
    })?;
    crate::http::audit::record(&st, &admin, "room.create", &row.id, serde_json::json!({"name": row.name}))
        .await;
    Ok(HttpResponse::Created().json(RoomView::new(row, 0, None, st.cfg.rooms.mailbox_capacity, None)))
}

#[utoipa::path(
    get,
    path = "/api/v1/rooms/{id}",
    tag = "rooms",
    params(("id" = String, Path, description = "Room id", example = "lobby")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The room with its live figures", body = RoomView),
        (status = 404, description = "No such room (`not_found`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn get_room(
    _: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = RoomId::parse(&id).map_err(|_| ApiError::new(ErrorCode::NotFound, "room not found"))?;
    Ok(HttpResponse::Ok().json(room_view(&st, id).await?))
}

/// `PATCH /rooms/{id}` body: every field optional; `settings` fields given replace
/// the stored ones one by one (JSON merge: `null` clears a field).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchRoom {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    pub tags: Option<Vec<String>>,
    /// Any of the room settings; each one given replaces the stored one.
    #[schema(value_type = Option<crate::http::openapi::RoomSettingsUpdate>)]
    pub settings: Option<serde_json::Map<String, serde_json::Value>>,
}

#[utoipa::path(
    patch,
    path = "/api/v1/rooms/{id}",
    operation_id = "update_room",
    tag = "rooms",
    params(("id" = String, Path, description = "Room id", example = "lobby")),
    request_body(content = PatchRoom, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The room as it is now", body = RoomView),
        (status = 404, description = "No such room (`not_found`)", body = crate::http::openapi::ErrorBody),
        (status = 422, description = "An invalid name, tag or setting, or an unknown field (`unprocessable`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn patch_room(
    admin: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody<PatchRoom>,
) -> Result<HttpResponse, ApiError> {
    let (id, mut row) = stored_room(&st, &id).await?;
    let patch = body.into_inner();
    if let Some(name) = &patch.name {
        check_name("name", name, 200)?;
    }
    for t in patch.tags.iter().flatten() {
        check_label("tag", t, 64)?;
    }
    if let Some(name) = patch.name {
        row.name = name;
    }
    if let Some(tags) = patch.tags {
        row.tags = serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into());
    }
    if let Some(changes) = patch.settings {
        let settings = merged_settings(&row.settings(), changes)?;
        row.settings = serde_json::to_string(&settings).unwrap_or_else(|_| "{}".into());
    }
    row.updated_at = now_ms();
    let detail = serde_json::json!({"name": row.name, "tags": row.tag_list(), "settings": row.settings()});
    let changed = SettingsChanged { name: row.name.clone(), settings: row.settings() };
    st.store.run(move |c| row.update(c)).await?;
    if let Some(addr) = running_room(&st, &id).await {
        // Awaited: a join or send right after the PATCH sees the new settings.
        let _ = addr.send(changed).await;
    }
    crate::http::audit::record(&st, &admin, "room.update", id.as_str(), detail).await;
    Ok(HttpResponse::Ok().json(room_view(&st, id).await?))
}

/// `base` with each setting given in `changes` replaced; `null` sets one back to its
/// default (clears it). An unknown setting, or a value the setting cannot take, is 422.
fn merged_settings(
    base: &RoomSettings,
    changes: serde_json::Map<String, serde_json::Value>,
) -> Result<RoomSettings, ApiError> {
    let mut merged = match serde_json::to_value(base) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    for (k, v) in changes {
        if !merged.contains_key(&k) {
            return Err(ApiError::new(ErrorCode::Unprocessable, format!("unknown setting {k:?}")));
        }
        match v {
            // Absent fields take their defaults (`RoomSettings` is `serde(default)`).
            serde_json::Value::Null => merged.remove(&k),
            v => merged.insert(k, v),
        };
    }
    let settings: RoomSettings = serde_json::from_value(serde_json::Value::Object(merged))
        .map_err(|e| ApiError::new(ErrorCode::Unprocessable, format!("invalid settings: {e}")))?;
    settings
        .check()
        .map_err(|e| ApiError::new(ErrorCode::Unprocessable, format!("invalid settings: {e}")))?;
    Ok(settings)
}

/// `DELETE /rooms/{id}` query: `purge=true` also deletes the history.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeleteRoom {
    /// Also delete the room's messages (else they stay and a re-created room continues its seqs).
    #[serde(default)]
    pub purge: bool,
    /// Not documented: the admin API takes the token only in the header.
    #[serde(rename = "token")]
    #[param(ignore)]
    pub _token: Option<String>,
}

/// Deletes the room and its memberships; connected members get `room_closed`
/// (reason `deleted`). History stays unless `purge=true`; a room created again with
/// the same id continues its seqs. Answers 204.
#[utoipa::path(
    delete,
    path = "/api/v1/rooms/{id}",
    tag = "rooms",
    params(("id" = String, Path, description = "Room id", example = "lobby"), DeleteRoom),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted; connected members got `room_closed`"),
        (status = 400, description = "A bad query parameter or a path that is not valid UTF-8 or holds a NUL, `%00` (`bad_request`)", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "No such room (`not_found`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn delete_room(
    admin: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<DeleteRoom>,
) -> Result<HttpResponse, ApiError> {
    let id = existing_room(&st, &id).await?;
    let (key, purge) = (id.to_string(), query.purge);
    if !st.store.run(move |c| RoomRow::delete(c, &key, purge)).await? {
        return Err(ApiError::new(ErrorCode::NotFound, format!("room {id} not found")));
    }
    if purge {
        // `send`: the writer has forgotten the old seqs before anyone can recreate the room.
        st.writers.for_room(id.as_str()).send(ForgetRoom(id.to_string())).await.map_err(RoomError::from)?;
    }
    if let Some(addr) = running_room(&st, &id).await {
        // Awaited: the registry forgets the room before a re-create can reach it.
        let _ = addr.send(CloseRoom).await;
    }
    st.feed.publish(id.as_str(), FeedEvent::Closed);
    crate::http::audit::record(&st, &admin, "room.delete", id.as_str(), serde_json::json!({"purge": purge}))
        .await;
    Ok(HttpResponse::NoContent().finish())
}

/// The running actor of `id`, if any (rooms start on demand; one that is not running
/// has nobody connected to tell).
pub(super) async fn running_room(st: &AppState, id: &RoomId) -> Option<TrackedAddr<Room>> {
    st.registry.send(FindRoom(id.clone())).await.ok().flatten()
}

/// `POST /rooms/{id}/restart`: restart the room's actor (starting it if it is not
/// running), reloading its state and lifting a quarantine.
#[utoipa::path(
    post,
    path = "/api/v1/rooms/{id}/restart",
    tag = "rooms",
    params(("id" = String, Path, description = "Room id", example = "lobby")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Restarted; the room as it is now", body = RoomView),
        (status = 404, description = "No such room (`not_found`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn restart_room(
    admin: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = existing_room(&st, &id).await?;
    let addr = st.registry.send(GetRoom(id.clone())).await.map_err(RoomError::from)?;
    addr.send(Restart).await.map_err(RoomError::from)?;
    crate::http::audit::record(&st, &admin, "room.restart", id.as_str(), serde_json::json!({})).await;
    Ok(HttpResponse::Ok().json(room_view(&st, id).await?))
}

/// `POST /rooms/{id}/crash`: fault injection; the room panics inside a handler. 404
/// unless `debug.fault_injection = true`.
#[utoipa::path(
    post,
    path = "/api/v1/rooms/{id}/crash",
    tag = "rooms",
    params(("id" = String, Path, description = "Room id", example = "lobby")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "The room's actor was told to panic; its supervisor restarts it", body = crate::http::openapi::Crashed),
        (status = 404, description = "No such room, or `debug.fault_injection` is off (`not_found`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn crash_room(
    admin: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    if !st.cfg.debug.fault_injection {
        return Err(ApiError::new(
            ErrorCode::NotFound,
            "fault injection is disabled (debug.fault_injection)",
        ));
    }
    let id = existing_room(&st, &id).await?;
    let addr = st.registry.send(GetRoom(id.clone())).await.map_err(RoomError::from)?;
    addr.send(Crash).await.map_err(RoomError::from)?;
    crate::http::audit::record(&st, &admin, "room.crash", id.as_str(), serde_json::json!({})).await;
    Ok(HttpResponse::Accepted().json(serde_json::json!({"id": id, "crashed": true})))
}

/// The id of a stored room, or 404.
pub(super) async fn existing_room(st: &AppState, id: &str) -> Result<RoomId, ApiError> {
    Ok(stored_room(st, id).await?.0)
}

/// The id and row of a stored room, or 404.
async fn stored_room(st: &AppState, id: &str) -> Result<(RoomId, RoomRow), ApiError> {
    let not_found = || ApiError::new(ErrorCode::NotFound, format!("room {id} not found"));
    let id = RoomId::parse(id).map_err(|_| not_found())?;
    let key = id.to_string();
    let row = st.store.run(move |c| RoomRow::find(c, &key)).await?.ok_or_else(not_found)?;
    Ok((id, row))
}

/// A stored room with its live figures, or 404.
async fn room_view(st: &AppState, id: RoomId) -> Result<RoomView, ApiError> {
    let key = id.to_string();
    let (row, last) =
        st.store.run(move |c| Ok((RoomRow::find(c, &key)?, MessageRow::last_seq(c, &key)?))).await?;
    let row = row.ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("room {id} not found")))?;
    let mut owners = cluster_view::owners(st, &[id.to_string()]).await?;
    let live = cluster_view::live_stats(st, vec![id.clone()], &owners).await;
    let owner = owners.remove(id.as_str());
    Ok(RoomView::new(row, last, live.get(&id), st.cfg.rooms.mailbox_capacity, owner))
}

#[utoipa::path(
    get,
    path = "/api/v1/rooms",
    tag = "rooms",
    params(ListRooms),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of rooms, ordered by id", body = crate::http::openapi::RoomPage),
        (status = 400, description = "A query parameter is malformed or out of range (`bad_request`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn list_rooms(
    _: AdminAuth,
    st: web::Data<AppState>,
    query: web::Query<ListRooms>,
) -> Result<HttpResponse, ApiError> {
    let ListRooms { q, tag, status, sort, limit, cursor, .. } = query.into_inner();
    if let Some(s) = status.as_deref() {
        if !ActorStatus::ALL.iter().any(|a| a.as_str() == s) {
            let msg = "status must be running, restarting, quarantined or stopped";
            return Err(ApiError::new(ErrorCode::BadRequest, msg));
        }
    }
    let limit = PageParams { limit, cursor: None }.limit()? as usize;
    let order = sort.unwrap_or_default().order();
    let after = cursor.as_deref().map(decode_cursor).transpose()?;
    let filter = status_filter(RoomFilter { q, tag, ..RoomFilter::default() }, status.as_deref());
    let mut page =
        st.store.run(move |c| room_list::page(c, order, &filter, after.as_ref(), limit + 1)).await?;
    let next_cursor = (page.len() > limit).then(|| encode_cursor(&page[limit - 1].0));
    page.truncate(limit);

    let ids: Vec<String> = page.iter().map(|(_, r)| r.id.clone()).collect();
    let owners = cluster_view::owners(&st, &ids).await?;
    let lasts: HashMap<String, i64> = st
        .store
        .run(move |c| ids.into_iter().map(|id| MessageRow::last_seq(c, &id).map(|l| (id, l))).collect())
        .await?;
    let live_ids = page.iter().filter_map(|(_, r)| RoomId::parse(&r.id).ok()).collect();
    let live = cluster_view::live_stats(&st, live_ids, &owners).await;
    let cap = st.cfg.rooms.mailbox_capacity;
    let items: Vec<RoomView> = page
        .into_iter()
        .map(|(_, r)| {
            let last = lasts.get(&r.id).copied().unwrap_or(0);
            let live = RoomId::parse(&r.id).ok().and_then(|id| live.get(&id).cloned());
            let owner = owners.get(&r.id).cloned();
            RoomView::new(r, last, live.as_ref(), cap, owner)
        })
        .collect();
    Ok(HttpResponse::Ok().json(Page { items, next_cursor }))
}

/// `filter` narrowed to the rooms in `status`, read from the actor directory (no room
/// is asked, so a list never waits on a busy room): the running actors in that status,
/// or for `stopped` every room but the running actors.
fn status_filter(mut filter: RoomFilter, status: Option<&str>) -> RoomFilter {
    let Some(status) = status else { return filter };
    let actors = directory().all();
    let rooms = actors.iter().filter(|a| a.kind == ActorKind::Room);
    if status == ActorStatus::Stopped.as_str() {
        filter.skip = rooms.filter(|a| a.status().as_str() != status).map(|a| a.id.clone()).collect();
    } else {
        filter.only = Some(rooms.filter(|a| a.status().as_str() == status).map(|a| a.id.clone()).collect());
    }
    filter
}

/// `sort` of `GET /rooms`.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoomSort {
    /// By id (the default).
    #[default]
    Id,
    /// By name, then id.
    Name,
    /// Most recent message first, then id.
    Activity,
    /// Most members first, then id.
    Members,
}

impl RoomSort {
    fn order(self) -> RoomOrder {
        match self {
            Self::Id => RoomOrder::Id,
            Self::Name => RoomOrder::Name,
            Self::Activity => RoomOrder::Activity,
            Self::Members => RoomOrder::Members,
        }
    }
}

/// The opaque cursor: the last room's key as JSON, hex-encoded.
fn encode_cursor(key: &RoomKey) -> String {
    hex::encode(serde_json::to_vec(key).unwrap_or_default())
}

fn decode_cursor(s: &str) -> Result<RoomKey, ApiError> {
    hex::decode(s)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or_else(|| ApiError::new(ErrorCode::BadRequest, "invalid cursor"))
}
