//! `/api/v1/tokens`: create opaque tokens (the secret is returned once, stored hashed),
//! list them (never with secrets), and revoke them. A revoked token keeps its row (so
//! the list and the audit log can still name it) but no longer authenticates, and its
//! live WebSocket sessions are closed with 4502 at once.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::check_label;
use crate::auth::issue_token;
use crate::error::{ApiError, ErrorCode};
use crate::http::audit;
use crate::http::auth::AdminAuth;
use crate::http::json_body::JsonBody;
use crate::http::pagination::{Page, PageParams};
use crate::http::AppState;
use crate::ids::is_token_id;
use crate::model::{check_user_id, now_ms, rfc3339, UserKind, MAX_ID_CHARS};
use crate::store::tokens::TokenRow;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/tokens").get(list_tokens).post(create_token))
        .service(web::resource("/tokens/{id}").delete(revoke_token));
}

#[derive(ToSchema)]
/// `POST /tokens` body; an unknown field is 422.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// `admin`, `bot` or `user`; 422 otherwise.
    #[schema(value_type = crate::http::openapi::TokenKind, example = "bot")]
    pub kind: String,
    /// The user id of the token's sessions: 1 to 64 characters, not only blanks, no
    /// NUL, and not a reserved id (`system`, `roomd`, in any case, `.`, `..`); 422 otherwise.
    #[schema(min_length = 1, max_length = 64)]
    pub name: String,
    /// Each 1 to 64 characters, no NUL.
    #[serde(default)]
    pub roles: Vec<String>,
}

#[derive(ToSchema)]
/// A token as the API shows it; `token` (the secret) only in the creation answer.
#[derive(Debug, Serialize)]
pub struct TokenView {
    pub id: String,
    #[schema(value_type = crate::http::openapi::TokenKind)]
    pub kind: String,
    pub name: String,
    pub roles: Vec<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Null while the token is live.
    #[schema(required = true, format = DateTime)]
    pub revoked_at: Option<String>,
    /// The secret (`rmd_…`): in the creation answer only, never again.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub token: Option<String>,
}

impl TokenView {
    pub fn new(row: &TokenRow, secret: Option<String>) -> Self {
        Self {
            id: row.id.clone(),
            kind: row.kind.clone(),
            name: row.name.clone(),
            roles: row.role_list(),
            created_at: rfc3339(row.created_at),
            revoked_at: row.revoked_at.map(rfc3339),
            token: secret,
        }
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/tokens",
    tag = "tokens",
    request_body(content = CreateToken, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Created; `token` is the secret, shown this once", body = TokenView),
        (status = 422, description = "Well-formed JSON with a missing or invalid field, or a reserved name (`unprocessable`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn create_token(
    admin: AdminAuth,
    st: web::Data<AppState>,
    body: JsonBody<CreateToken>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let kind = match UserKind::parse(&body.kind) {
        Some(k) if k != UserKind::System => k,
        _ => return Err(ApiError::new(ErrorCode::Unprocessable, "kind must be admin, bot or user")),
    };
    // The name is the user id of the token's sessions (`from.id` of its messages).
    check_user_id(&body.name).map_err(|e| ApiError::new(ErrorCode::Unprocessable, format!("name {e}")))?;
    for r in &body.roles {
        check_label("role", r, MAX_ID_CHARS)?;
    }
    let issued = issue_token(kind, &body.name, &body.roles);
    let row = issued.row.clone();
    st.store.run(move |c| row.insert(c)).await?;
    let detail = json!({"kind": kind.as_str(), "name": body.name, "roles": body.roles});
    audit::record(&st, &admin, "token.create", &issued.row.id, detail).await;
    Ok(HttpResponse::Created().json(TokenView::new(&issued.row, Some(issued.secret))))
}

/// `GET /tokens`: every token, live and revoked, ordered by id (ids are random, so
/// this order is stable under inserts but not chronological); the cursor is the last
/// id of the previous page.
#[utoipa::path(
    get,
    path = "/api/v1/tokens",
    tag = "tokens",
    params(PageParams),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Tokens by id, never a secret", body = crate::http::openapi::TokenPage),
        (status = 400, description = "A bad `limit` or `cursor` (`bad_request`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn list_tokens(
    _: AdminAuth,
    st: web::Data<AppState>,
    query: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let (limit, cursor) = query.into_inner().checked(is_token_id)?;
    let rows = st.store.run(move |c| TokenRow::page(c, cursor.as_deref(), limit + 1)).await?;
    let page = Page::from_rows(rows, limit, |r| r.id.clone(), |r| TokenView::new(&r, None));
    Ok(HttpResponse::Ok().json(page))
}

/// `DELETE /tokens/{id}`: revoke. Idempotent: revoking again answers 200 with the
/// first `revoked_at` (and writes no second audit entry). Live sessions of the token
/// are closed every time, which also catches one that authenticated while the first
/// revoke was under way.
#[utoipa::path(
    delete,
    path = "/api/v1/tokens/{id}",
    tag = "tokens",
    params(("id" = String, Path, description = "Token id", example = "tok_3kq9x0c2m7ab1def")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Revoked (now or before); its sessions were closed with 4502", body = TokenView),
        (status = 404, description = "No such token (`not_found`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn revoke_token(
    admin: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let not_found = || ApiError::new(ErrorCode::NotFound, format!("token {id} not found"));
    if !is_token_id(&id) {
        return Err(not_found());
    }
    let key = id.clone();
    let (row, revoked_now) =
        st.store.run(move |c| TokenRow::revoke(c, &key, now_ms())).await?.ok_or_else(not_found)?;
    st.auth.forget_verified();
    let closed = st.sessions.close_token(&row.id);
    if let Some(cluster) = &st.cluster {
        // The other nodes forget the token and close its sessions too.
        let revoked = crate::cluster::wire::Control::TokenRevoked { token_id: row.id.clone() };
        cluster.publish_json(cluster.control_subject(), &revoked);
    }
    if revoked_now {
        let detail = json!({"kind": row.kind, "name": row.name, "sessions_closed": closed});
        audit::record(&st, &admin, "token.revoke", &row.id, detail).await;
    }
    Ok(HttpResponse::Ok().json(TokenView::new(&row, None)))
}
