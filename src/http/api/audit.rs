//! `GET /api/v1/audit`: the audit log of admin-API changes, newest first, optionally
//! filtered by `action`, `target` and `actor`. Entries are written by `http::audit::record`.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ApiError, ErrorCode};
use crate::http::auth::AdminAuth;
use crate::http::pagination::{Page, PageParams};
use crate::http::AppState;
use crate::model::rfc3339;
use crate::store::audit::{AuditFilter, AuditRow};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/audit").get(list_audit));
}

/// `GET /audit` query. Unknown parameters are a 400, so a misspelt filter does not
/// silently list everything.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListAudit {
    /// Page size, 1 to 500 (default 50); 400 otherwise.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Only entries with exactly this action (`token.revoke`).
    #[param(value_type = Option<crate::http::openapi::AuditAction>)]
    pub action: Option<String>,
    /// Only entries about exactly this target id.
    pub target: Option<String>,
    /// Only entries made by exactly this actor: an admin token's id (`actor.id`), or the
    /// user id of a moderation command's or a WebSocket deletion's user.
    #[param(example = "tok_3kq9x0c2m7ab1def")]
    pub actor: Option<String>,
    /// Not documented: the admin API takes the token only in the header.
    #[serde(rename = "token")]
    #[param(ignore)]
    pub _token: Option<String>,
}

/// An audit entry as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditView {
    pub id: i64,
    #[schema(format = DateTime)]
    pub at: String,
    pub actor: ActorView,
    #[schema(value_type = crate::http::openapi::AuditAction)]
    pub action: String,
    pub target: String,
    #[schema(value_type = Object)]
    pub detail: Value,
    /// `X-Request-Id` of the request that made the change (the client's, or one the
    /// server made); null for entries written before request ids were kept.
    #[schema(example = "abc-123")]
    pub request_id: Option<String>,
}

/// Who made the change: the admin token's id and name.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = AuditActor)]
pub struct ActorView {
    pub id: String,
    pub name: String,
}

impl AuditView {
    fn new(row: AuditRow) -> Self {
        Self {
            id: row.id,
            at: rfc3339(row.at),
            actor: ActorView { id: row.actor_id, name: row.actor_name },
            action: row.action,
            target: row.target,
            // Written by `record` from a JSON value; a corrupt one reads as null
            // rather than failing the whole page.
            detail: serde_json::from_str(&row.detail).unwrap_or(Value::Null),
            request_id: row.request_id,
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/audit",
    operation_id = "list_audit_entries",
    tag = "audit",
    params(ListAudit),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Entries, newest first", body = crate::http::openapi::AuditPage),
        (status = 400, description = "A bad `limit`, `cursor`, `action` or an unknown parameter (`bad_request`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn list_audit(
    _: AdminAuth,
    st: web::Data<AppState>,
    query: web::Query<ListAudit>,
) -> Result<HttpResponse, ApiError> {
    let ListAudit { limit, cursor, action, target, actor, .. } = query.into_inner();
    let limit = PageParams { limit, cursor: None }.limit()?;
    // The cursor is the id of the previous page's last (oldest) entry.
    let before = match cursor {
        None => None,
        Some(c) => match c.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => return Err(ApiError::new(ErrorCode::BadRequest, "cursor is not valid")),
        },
    };
    if let Some(a) = action.as_deref().filter(|a| !crate::http::audit::ACTIONS.contains(a)) {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            format!("action {a:?} is not an audit action (see the AuditAction enum)"),
        ));
    }
    let filter = AuditFilter { action, target, actor };
    let rows = st.store.run(move |c| AuditRow::page(c, &filter, before, limit + 1)).await?;
    let page = Page::from_rows(rows, limit, |r| r.id.to_string(), AuditView::new);
    Ok(HttpResponse::Ok().json(page))
}
