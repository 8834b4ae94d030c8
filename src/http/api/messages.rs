//! `/api/v1/rooms/{id}/messages`: history for operators, and posting as the operator.
//! A post goes through the room actor like any `send` (stored, then delivered to every
//! member session), from a system sender named after the admin token
//! (`actors::operator_post`).

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::rooms::existing_room;
use crate::actors::operator_post::OperatorPost;
use crate::actors::registry::GetRoom;
use crate::actors::room::RoomError;
use crate::error::{ApiError, ErrorCode};
use crate::http::auth::AdminAuth;
use crate::http::json_body::JsonBody;
use crate::http::pagination::{DEFAULT_LIMIT, MAX_LIMIT};
use crate::http::AppState;
use crate::protocol::inbound::check_send;
use crate::protocol::outbound::MessageView;
use crate::store::messages::MessageRow;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/rooms/{id}/messages")
            .get(history)
            .post(post_message)
            .delete(super::message_deletion::delete_user_messages),
    );
}

/// `GET …/messages` query.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Messages before this seq (the newest page without it).
    #[param(minimum = 0)]
    pub before_seq: Option<i64>,
    /// Messages after this seq.
    #[param(minimum = 0)]
    pub after_seq: Option<i64>,
    /// 1 to 500, default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// `POST …/messages` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostMessage {
    /// 1 to `limits.max_text` characters, no NUL.
    #[schema(min_length = 1, example = "maintenance at noon")]
    pub text: String,
    /// Resending with the same id is answered with the original message (200).
    #[schema(min_length = 1, max_length = 128)]
    pub client_id: Option<String>,
}

/// Oldest first. `before_seq`: the page just before it (newest first when absent);
/// `after_seq`: the page just after it; both: the messages strictly between them,
/// from `after_seq` on. `has_more` says whether more exist in the paging direction.
#[utoipa::path(
    get,
    path = "/api/v1/rooms/{id}/messages",
    operation_id = "list_messages",
    tag = "messages",
    params(("id" = String, Path, description = "Room id", example = "lobby"), HistoryQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Messages, oldest first", body = crate::http::openapi::HistoryPage),
        (status = 400, description = "A bad `limit`, seq or path (`bad_request`)", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "No such room (`not_found`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn history(
    _: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
    q: web::Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let room = existing_room(&st, &id).await?;
    let limit = q.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::new(ErrorCode::BadRequest, "limit must be between 1 and 500"));
    }
    if q.before_seq.is_some_and(|s| s < 0) || q.after_seq.is_some_and(|s| s < 0) {
        return Err(ApiError::new(ErrorCode::BadRequest, "seqs are >= 0"));
    }
    let (key, before, after) = (room.to_string(), q.before_seq, q.after_seq);
    let ((rows, has_more), retained_from_seq) = st
        .store
        .run(move |c| {
            let page = match after {
                None => MessageRow::page_before(c, &key, before, limit)?,
                Some(after) => {
                    let last = MessageRow::last_seq(c, &key)?;
                    let end = before.map_or(last, |b| (b - 1).min(last));
                    let upto = end.min(after.saturating_add(limit));
                    (MessageRow::range(c, &key, after, upto)?, upto < end)
                }
            };
            Ok((page, MessageRow::first_seq(c, &key)?))
        })
        .await?;
    let items: Vec<MessageView> = rows.iter().map(MessageView::new).collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "items": items,
        "has_more": has_more,
        "retained_from_seq": retained_from_seq,
    })))
}

/// Stores and delivers a system message; 201 with the message, or 200 with the
/// original when `client_id` repeats one already posted.
#[utoipa::path(
    post,
    path = "/api/v1/rooms/{id}/messages",
    tag = "messages",
    params(("id" = String, Path, description = "Room id", example = "lobby")),
    request_body(content = PostMessage, content_type = "application/json"),
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Stored and delivered", body = crate::http::openapi::MessageItem),
        (status = 200, description = "The `client_id` was used before: the original message", body = crate::http::openapi::MessageItem),
        (status = 400, description = "Malformed JSON, empty text, NUL, a bad `client_id` or path (`bad_request`)", body = crate::http::openapi::ErrorBody),
        (status = 404, description = "No such room (`not_found`)", body = crate::http::openapi::ErrorBody),
        (status = 413, description = "Body or text too large (`too_large`)", body = crate::http::openapi::ErrorBody),
        (status = 422, description = "A missing or unknown field (`unprocessable`)", body = crate::http::openapi::ErrorBody),
    ),
)]
async fn post_message(
    admin: AdminAuth,
    st: web::Data<AppState>,
    id: web::Path<String>,
    body: JsonBody<PostMessage>,
) -> Result<HttpResponse, ApiError> {
    let room = existing_room(&st, &id).await?;
    let PostMessage { text, client_id } = body.into_inner();
    check_send(&text, client_id.as_deref(), st.cfg.limits.max_text)
        .map_err(|(code, m)| ApiError::new(code, m))?;
    let post = OperatorPost::new(admin.0.user.name.clone(), text, client_id);
    let addr = st.registry.send(GetRoom(room.clone())).await.map_err(RoomError::from)?;
    addr.send(post.send).await.map_err(RoomError::from)?;
    let (seq, duplicate) = match post.outcome.await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err((code, message))) => return Err(ApiError::new(code, message)),
        Err(_) => {
            return Err(ApiError::new(ErrorCode::RoomUnavailable, "the room failed handling the post; retry"))
        }
    };
    let key = room.to_string();
    let row = st.store.run(move |c| MessageRow::range(c, &key, seq - 1, seq)).await?;
    let row = row.first().ok_or_else(|| ApiError::new(ErrorCode::Unavailable, "message not readable yet"))?;
    if !duplicate {
        let detail = serde_json::json!({"seq": seq, "client_id": row.client_id});
        crate::http::audit::record(&st, &admin, "message.post", room.as_str(), detail).await;
    }
    let view = MessageView::new(row);
    Ok(if duplicate { HttpResponse::Ok().json(view) } else { HttpResponse::Created().json(view) })
}
