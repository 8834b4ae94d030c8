//! `/api/v1/tokens`: create opaque tokens (the secret is returned once, stored hashed).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

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

/// `POST /tokens` body.
#[derive(Debug, Deserialize)]
pub struct CreateToken {
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub roles: Vec<String>,
}

/// A token as the API shows it; `token` (the secret) only in the creation answer.
#[derive(Debug, Serialize)]
pub struct TokenView {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub roles: Vec<String>,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
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
