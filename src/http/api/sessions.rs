//! `/api/v1/sessions` and `/api/v1/users/{user_id}/sessions`: the live WebSocket
//! sessions (of every node, in cluster mode) and the operator's disconnect, which
//! closes them with 4503 ("disconnected by an operator") and the operator's reason.
//!
//! A listing reads the session directory (`actors::sessions`), never a session's
//! mailbox; in cluster mode it asks every live node for its part (`NodeCall`) and
//! merges them by id. A disconnect closes this node's sessions at once and tells the
//! other nodes (`Control::DisconnectSessions`), as a token revoke does.

use actix_web::{web, HttpResponse};
use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::cluster::wire::{CallReply, Control, NodeCall};
use crate::error::{ApiError, ErrorCode};
use crate::http::audit;
use crate::http::auth::AdminAuth;
use crate::http::pagination::{Page, PageParams};
use crate::http::AppState;
use crate::ids::is_session_name;
use crate::live_sessions::{SessionFilter, SessionInfo};
use crate::model::{check_user_id, RoomId, UserKind, MAX_ID_CHARS};
use crate::store::cluster as leases;

/// Longest operator's reason, in characters.
pub const MAX_REASON_CHARS: usize = 200;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/sessions").get(list_sessions))
        .service(web::resource("/sessions/{id}").delete(disconnect_session))
        .service(web::resource("/users/{user_id}/sessions").delete(disconnect_user));
}

#[derive(IntoParams)]
/// `GET /sessions` query; every filter given must match.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListSessions {
    /// Only this user's sessions (a user id: 1 to 64 characters).
    #[param(min_length = 1, max_length = 64)]
    pub user_id: Option<String>,
    /// Only sessions joined to this room (a room id).
    pub room: Option<String>,
    /// Only sessions of tokens of this kind.
    #[param(value_type = Option<crate::http::openapi::TokenKind>)]
    pub kind: Option<String>,
    /// Only clients at this address, or in this CIDR block (`203.0.113.0/24`).
    pub remote_addr: Option<String>,
    /// Page size, 1 to 500 (default 50); 400 otherwise.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Not documented: the admin API takes the token only in the header.
    #[serde(rename = "token")]
    #[param(ignore)]
    pub _token: Option<String>,
}

impl ListSessions {
    /// The filter, or a 400 naming the parameter that is wrong.
    fn filter(&self) -> Result<SessionFilter, ApiError> {
        let bad = |msg: String| ApiError::new(ErrorCode::BadRequest, msg);
        if let Some(u) = &self.user_id {
            if u.is_empty() || u.chars().count() > MAX_ID_CHARS {
                return Err(bad(format!("user_id must be 1 to {MAX_ID_CHARS} characters")));
            }
        }
        let room = match &self.room {
            Some(r) => Some(RoomId::parse(r).map_err(|e| bad(format!("room: {e}")))?.to_string()),
            None => None,
        };
        let kind = match self.kind.as_deref() {
            None => None,
            Some(k) => match UserKind::parse(k) {
                Some(k) if k != UserKind::System => Some(k),
                _ => return Err(bad("kind must be user, bot or admin".into())),
            },
        };
        let remote_addr = match &self.remote_addr {
            Some(a) => Some(a.parse().map_err(|e| bad(format!("remote_addr: {e}")))?),
            None => None,
        };
        Ok(SessionFilter { id: None, user_id: self.user_id.clone(), room, kind, remote_addr })
    }
}

/// `?reason=` of a disconnect.
#[derive(IntoParams, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DisconnectParams {
    /// Why (1 to 200 characters): written to the audit entry, and sent to the client
    /// after the close code's own words (`disconnected by an operator: …`, cut to the
    /// 123 bytes a close frame holds).
    #[param(min_length = 1, max_length = 200)]
    pub reason: Option<String>,
    #[serde(rename = "token")]
    #[param(ignore)]
    pub _token: Option<String>,
}

impl DisconnectParams {
    fn reason(self) -> Result<Option<String>, ApiError> {
        match self.reason {
            Some(r) if r.trim().is_empty() || r.chars().count() > MAX_REASON_CHARS => Err(ApiError::new(
                ErrorCode::BadRequest,
                format!("reason must be 1 to {MAX_REASON_CHARS} characters, not only blanks"),
            )),
            r => Ok(r),
        }
    }
}

#[derive(ToSchema)]
/// One page of live sessions.
#[derive(Debug, Serialize)]
pub struct SessionPage {
    pub items: Vec<SessionInfo>,
    /// Pass as `cursor` for the next page; null on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
    /// Cluster mode: live nodes that did not answer in time (their sessions are
    /// missing from the page); empty otherwise.
    pub unreachable_nodes: Vec<String>,
}

#[derive(ToSchema)]
/// The sessions a disconnect closed, as they were just before.
#[derive(Debug, Serialize)]
pub struct DisconnectedSessions {
    pub items: Vec<SessionInfo>,
    /// Cluster mode: live nodes that did not answer in time; they were told to close
    /// the user's sessions too, but theirs are not listed.
    pub unreachable_nodes: Vec<String>,
}

/// The sessions of every node matching `filter` with an id after `after`, by id, at
/// most `limit`; and the live nodes that did not answer.
async fn gather(
    st: &AppState,
    filter: &SessionFilter,
    after: Option<&str>,
    limit: usize,
) -> Result<(Vec<SessionInfo>, Vec<String>), ApiError> {
    let Some(cluster) = &st.cluster else {
        return Ok((st.sessions.list(filter, after, limit, None), Vec::new()));
    };
    let me = cluster.me.node.as_str();
    let mut items = st.sessions.list(filter, after, limit, Some(me));
    let lease_ms = cluster.cfg.lease_ms as i64;
    let nodes = st.store.run(move |c| leases::nodes(c, lease_ms)).await?;
    let asks = nodes.into_iter().filter(|n| n.alive && n.node_id != me).map(|n| {
        let call = NodeCall::ListSessions { filter: filter.clone(), after: after.map(str::to_owned), limit };
        async move { (cluster.call_node(&n.node_id, call).await, n.node_id) }
    });
    let mut unreachable = Vec::new();
    for (answer, node) in join_all(asks).await {
        match answer {
            Ok(CallReply::Sessions { items: theirs }) => {
                items.extend(theirs.into_iter().map(|s| SessionInfo { node: Some(node.clone()), ..s }))
            }
            _ => unreachable.push(node),
        }
    }
    items.sort_by(|a, b| a.id.cmp(&b.id));
    items.truncate(limit);
    unreachable.sort();
    Ok((items, unreachable))
}

/// Closes the sessions matching `filter` on this node, and (cluster mode) has every
/// other node close its own.
fn disconnect(st: &AppState, filter: SessionFilter, reason: Option<String>) {
    st.sessions.disconnect(&filter, reason.as_deref());
    if let Some(cluster) = &st.cluster {
        let from = cluster.me.node.clone();
        cluster
            .publish_json(cluster.control_subject(), &Control::DisconnectSessions { from, filter, reason });
    }
}

/// `GET /sessions`: live sessions by id.
#[utoipa::path(
    get,
    path = "/api/v1/sessions",
    tag = "sessions",
    params(ListSessions),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One page of live sessions (of every node in cluster mode), ordered by id", body = SessionPage),
        (status = 400, description = "A bad filter (the message names it), `limit` or `cursor` (`bad_request`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn list_sessions(
    _: AdminAuth,
    st: web::Data<AppState>,
    query: web::Query<ListSessions>,
) -> Result<HttpResponse, ApiError> {
    let query = query.into_inner();
    let filter = query.filter()?;
    let (limit, cursor) = PageParams { limit: query.limit, cursor: query.cursor }.checked(is_session_name)?;
    let (rows, unreachable_nodes) = gather(&st, &filter, cursor.as_deref(), limit as usize + 1).await?;
    let Page { items, next_cursor } = Page::from_rows(rows, limit, |s| s.id.clone(), |s| s);
    Ok(HttpResponse::Ok().json(SessionPage { items, next_cursor, unreachable_nodes }))
}

/// `DELETE /sessions/{id}`: closes one session with 4503.
#[utoipa::path(
    delete,
    path = "/api/v1/sessions/{id}",
    operation_id = "disconnect_session",
    tag = "sessions",
    params(
        ("id" = String, Path, description = "Session id (`hello.session`)", example = "s2a-9f3c01de"),
        DisconnectParams,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Closed with 4503; the session as it was just before", body = SessionInfo),
        (status = 400, description = "A bad `reason`, an unknown query parameter, or a path that is not valid UTF-8 or holds a NUL, `%00` (`bad_request`)", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "No such live session (`not_found`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn disconnect_session(
    admin: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<DisconnectParams>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let reason = query.into_inner().reason()?;
    let not_found = || ApiError::new(ErrorCode::NotFound, format!("session {id} not found"));
    if !is_session_name(&id) {
        return Err(not_found());
    }
    let filter = SessionFilter { id: Some(id.clone()), ..SessionFilter::default() };
    let (found, unreachable) = gather(&st, &filter, None, 1).await?;
    let Some(session) = found.into_iter().next() else {
        if !unreachable.is_empty() {
            let msg =
                format!("session {id} not found; nodes {} did not answer, retry", unreachable.join(", "));
            return Err(ApiError::new(ErrorCode::Unavailable, msg));
        }
        return Err(not_found());
    };
    disconnect(&st, filter, reason.clone());
    let detail = json!({"user_id": session.user_id, "node": session.node, "reason": reason});
    audit::record(&st, &admin, "session.disconnect", &session.id, detail).await;
    Ok(HttpResponse::Ok().json(session))
}

/// `DELETE /users/{user_id}/sessions`: closes every session of a user with 4503.
#[utoipa::path(
    delete,
    path = "/api/v1/users/{user_id}/sessions",
    operation_id = "disconnect_user_sessions",
    tag = "sessions",
    params(
        ("user_id" = String, Path, description = "User id", example = "alice"),
        DisconnectParams,
    ),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every live session of the user closed with 4503, as they were just before (none: an empty list)", body = DisconnectedSessions),
        (status = 400, description = "A bad `reason`, an unknown query parameter, or a path that is not valid UTF-8 or holds a NUL, `%00` (`bad_request`)", body = crate::http::openapi::ErrorBody),
        (status = 422, description = "Not a valid user id (`unprocessable`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn disconnect_user(
    admin: AdminAuth,
    st: web::Data<AppState>,
    user_id: web::Path<String>,
    query: web::Query<DisconnectParams>,
) -> Result<HttpResponse, ApiError> {
    let user_id = user_id.into_inner();
    check_user_id(&user_id).map_err(|e| ApiError::new(ErrorCode::Unprocessable, format!("user_id {e}")))?;
    let reason = query.into_inner().reason()?;
    let filter = SessionFilter { user_id: Some(user_id.clone()), ..SessionFilter::default() };
    let (items, unreachable_nodes) = gather(&st, &filter, None, usize::MAX).await?;
    disconnect(&st, filter, reason.clone());
    if !items.is_empty() {
        let sessions: Vec<&str> = items.iter().map(|s| s.id.as_str()).collect();
        let detail = json!({"sessions": sessions, "reason": reason});
        audit::record(&st, &admin, "user.disconnect", &user_id, detail).await;
    }
    Ok(HttpResponse::Ok().json(DisconnectedSessions { items, unreachable_nodes }))
}
