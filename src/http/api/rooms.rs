//! `/api/v1/rooms`: create and list rooms; live figures come from the registry.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::check_name;
use crate::actors::registry::{GetRoom, StatsFor};
use crate::actors::room::{Crash, Restart, RoomError, RoomStats};
use crate::error::{ApiError, ErrorCode};
use crate::http::auth::AdminAuth;
use crate::http::pagination::{Page, PageParams};
use crate::http::AppState;
use crate::model::{now_ms, rfc3339, RoomId};
use crate::store::messages::MessageRow;
use crate::store::rooms::{RoomRow, RoomSettings};
use crate::store::StoreError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/rooms").get(list_rooms).post(create_room))
        .service(web::resource("/rooms/{id}").get(get_room))
        .service(web::resource("/rooms/{id}/restart").post(restart_room))
        .service(web::resource("/rooms/{id}/crash").post(crash_room));
}

/// `POST /rooms` body.
#[derive(Debug, Deserialize)]
pub struct CreateRoom {
    pub id: String,
    pub name: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub settings: RoomSettings,
}

/// `GET /rooms` query. (`serde(flatten)` cannot be used here: it makes urlencoded
/// numbers arrive as strings.)
#[derive(Debug, Deserialize)]
pub struct ListRooms {
    pub q: Option<String>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A room as the API shows it.
#[derive(Debug, Serialize)]
pub struct RoomView {
    pub id: String,
    pub name: String,
    pub tags: Vec<String>,
    pub settings: RoomSettings,
    pub status: &'static str,
    pub last_seq: i64,
    pub members_online: usize,
    pub messages_per_min: u64,
    pub restarts: u32,
    pub last_restart_at: Option<String>,
    pub mailbox: MailboxView,
    pub created_at: String,
}

/// Mailbox figures of the room's actor.
#[derive(Debug, Serialize)]
pub struct MailboxView {
    pub depth: u64,
    pub capacity: usize,
}

impl RoomView {
    fn new(row: RoomRow, stored_last_seq: i64, live: Option<&RoomStats>, capacity: usize) -> Self {
        Self {
            tags: row.tag_list(),
            settings: row.settings(),
            status: live.map_or("stopped", |s| s.status),
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

async fn create_room(
    admin: AdminAuth,
    st: web::Data<AppState>,
    body: web::Json<CreateRoom>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let id = RoomId::parse(&body.id).map_err(|e| ApiError::new(ErrorCode::Unprocessable, e.to_string()))?;
    let name = body.name.unwrap_or_else(|| id.to_string());
    check_name("name", &name, 200)?;
    for t in &body.tags {
        check_name("tag", t, 64)?;
    }
    let now = now_ms();
    let row = RoomRow {
        id: id.to_string(),
        name,
        tags: serde_json::to_string(&body.tags).unwrap_or_else(|_| "[]".into()),
        settings: serde_json::to_string(&body.settings).unwrap_or_else(|_| "{}".into()),
        created_at: now,
        updated_at: now,
    };
    let stored = row.clone();
    st.store.run(move |c| stored.insert(c)).await.map_err(|e| match e {
        StoreError::Conflict => ApiError::new(ErrorCode::Conflict, format!("room {id} already exists")),
        other => other.into(),
    })?;
    crate::http::audit::record(&st, &admin.0, "room.create", &row.id, serde_json::json!({"name": row.name}))
        .await;
    Ok(HttpResponse::Created().json(RoomView::new(row, 0, None, st.cfg.rooms.mailbox_capacity)))
}

async fn get_room(
    _: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = RoomId::parse(&id).map_err(|_| ApiError::new(ErrorCode::NotFound, "room not found"))?;
    Ok(HttpResponse::Ok().json(room_view(&st, id).await?))
}

/// `POST /rooms/{id}/restart`: restart the room's actor (starting it if it is not
/// running), reloading its state and lifting a quarantine.
async fn restart_room(
    admin: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = existing_room(&st, &id).await?;
    let addr = st.registry.send(GetRoom(id.clone())).await.map_err(RoomError::from)?;
    addr.send(Restart).await.map_err(RoomError::from)?;
    crate::http::audit::record(&st, &admin.0, "room.restart", id.as_str(), serde_json::json!({})).await;
    Ok(HttpResponse::Ok().json(room_view(&st, id).await?))
}

/// `POST /rooms/{id}/crash`: fault injection; the room panics inside a handler. 404
/// unless `debug.fault_injection = true`.
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
    crate::http::audit::record(&st, &admin.0, "room.crash", id.as_str(), serde_json::json!({})).await;
    Ok(HttpResponse::Accepted().json(serde_json::json!({"id": id, "crashed": true})))
}

/// The id of a stored room, or 404.
async fn existing_room(st: &AppState, id: &str) -> Result<RoomId, ApiError> {
    let not_found = || ApiError::new(ErrorCode::NotFound, format!("room {id} not found"));
    let id = RoomId::parse(id).map_err(|_| not_found())?;
    let key = id.to_string();
    st.store.run(move |c| RoomRow::find(c, &key)).await?.ok_or_else(not_found)?;
    Ok(id)
}

/// A stored room with its live figures, or 404.
async fn room_view(st: &AppState, id: RoomId) -> Result<RoomView, ApiError> {
    let key = id.to_string();
    let (row, last) =
        st.store.run(move |c| Ok((RoomRow::find(c, &key)?, MessageRow::last_seq(c, &key)?))).await?;
    let row = row.ok_or_else(|| ApiError::new(ErrorCode::NotFound, format!("room {id} not found")))?;
    let live = st.registry.send(StatsFor(vec![id.clone()])).await.unwrap_or_default();
    Ok(RoomView::new(row, last, live.get(&id), st.cfg.rooms.mailbox_capacity))
}

async fn list_rooms(
    _: AdminAuth,
    st: web::Data<AppState>,
    query: web::Query<ListRooms>,
) -> Result<HttpResponse, ApiError> {
    let ListRooms { q, limit, cursor } = query.into_inner();
    let limit = PageParams { limit, cursor: None }.limit()?;
    let (rows, lasts) = st
        .store
        .run(move |c| {
            let rows = RoomRow::list(c, q.as_deref(), cursor.as_deref(), limit + 1)?;
            let mut lasts = HashMap::new();
            for r in rows.iter().take(limit as usize) {
                lasts.insert(r.id.clone(), MessageRow::last_seq(c, &r.id)?);
            }
            Ok((rows, lasts))
        })
        .await?;
    let ids = rows.iter().filter_map(|r| RoomId::parse(&r.id).ok()).collect();
    let live = st.registry.send(StatsFor(ids)).await.unwrap_or_default();
    let cap = st.cfg.rooms.mailbox_capacity;
    let page = Page::from_rows(
        rows,
        limit,
        |r| r.id.clone(),
        |r| {
            let last = lasts.get(&r.id).copied().unwrap_or(0);
            let live = RoomId::parse(&r.id).ok().and_then(|id| live.get(&id).cloned());
            RoomView::new(r, last, live.as_ref(), cap)
        },
    );
    Ok(HttpResponse::Ok().json(page))
}
