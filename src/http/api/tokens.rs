//! `/api/v1/tokens`: create opaque tokens (the secret is returned once, stored hashed).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::check_name;
use crate::auth::issue_token;
use crate::error::{ApiError, ErrorCode};
use crate::http::auth::AdminAuth;
use crate::http::AppState;
use crate::model::{rfc3339, UserKind};
use crate::store::tokens::TokenRow;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/tokens").post(create_token));
}

#[derive(ToSchema)]
/// `POST /tokens` body.
#[derive(Debug, Deserialize)]
pub struct CreateToken {
    /// `admin`, `bot` or `user`; 422 otherwise.
    #[schema(pattern = "^(admin|bot|user)$", example = "bot")]
    pub kind: String,
    /// 1 to 64 characters, not only blanks, no NUL.
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
    pub kind: String,
    pub name: String,
    pub roles: Vec<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
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
        (status = 400, description = "Malformed JSON or not `Content-Type: application/json` (`bad_request`)", body = crate::http::openapi::ErrorBody),
        (status = 401, description = "Missing, unknown, revoked or expired token (`unauthorized`)", body = crate::http::openapi::ErrorBody),
        (status = 403, description = "The token is not an admin token (`forbidden`)", body = crate::http::openapi::ErrorBody),
        (status = 413, description = "Body larger than `server.max_body_bytes` (`too_large`)", body = crate::http::openapi::ErrorBody),
        (status = 422, description = "Well-formed JSON with a missing or invalid field (`unprocessable`)", body = crate::http::openapi::ErrorBody),
        (status = 503, description = "The store cannot serve the request now (`unavailable`); may carry `Retry-After`",
         body = crate::http::openapi::ErrorBody,
         headers(("Retry-After" = u32, description = "Seconds to wait before retrying"))),
    ),
)]
async fn create_token(
    _: AdminAuth,
    st: web::Data<AppState>,
    body: web::Json<CreateToken>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let kind = match UserKind::parse(&body.kind) {
        Some(k) if k != UserKind::System => k,
        _ => return Err(ApiError::new(ErrorCode::Unprocessable, "kind must be admin, bot or user")),
    };
    check_name("name", &body.name, 64)?;
    for r in &body.roles {
        check_name("role", r, 64)?;
    }
    let issued = issue_token(kind, &body.name, &body.roles);
    let row = issued.row.clone();
    st.store.run(move |c| row.insert(c)).await?;
    Ok(HttpResponse::Created().json(TokenView::new(&issued.row, Some(issued.secret))))
}
