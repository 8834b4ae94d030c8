//! The OpenAPI document of the HTTP API, served at `GET /api/v1/openapi.json`, and the
//! Swagger UI that renders it at `GET /docs` (both without auth, docs/ADMIN_API.md).
//!
//! Each handler carries its own `#[utoipa::path]` with the answers particular to it;
//! this file lists them and their schemas, and serves both routes. The answers many
//! operations share are added by rule (`openapi/shared_responses.rs`), the security
//! schemes and `X-Request-Id` by `openapi/modifiers.rs`; the types that only describe
//! answers are in `openapi/schemas.rs`, and the error body and the `ErrorCode` enum
//! come from the code table (`src/error/codes.rs`). The UI's files are compiled into
//! the binary (`utoipa-swagger-ui`'s `vendored` feature), so neither the build nor a
//! browser opening `/docs` reaches the network.

mod modifiers;
mod schemas;
mod shared_responses;

use std::sync::{Arc, OnceLock};

use actix_web::{web, HttpResponse};
use utoipa::OpenApi;
use utoipa_swagger_ui::{Config, SwaggerUi};

use modifiers::{EventStreams, OperationIds, RequestIds, SecuritySchemes};
pub use schemas::*;
use shared_responses::SharedResponses;

use super::api::{
    actors, audit, broadcast_events, broadcasts, cluster_view, debug_clock, members, message_deletion,
    messages, overview, restrictions, room_events, rooms, schedule_preview, schedules, sessions, tokens,
    webhooks,
};
use super::{console, health, metrics, ws};
use crate::error::ErrorCode;
pub use crate::error::{ErrorBody, ErrorDetail};
use crate::store::rooms::{RoomSettings, SpamSettings};

/// Where the document is served.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";
/// Where the UI is served.
pub const DOCS_PATH: &str = "/docs";

/// The whole document: every route `http::configure` mounts.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "roomd",
        description = "Admin HTTP API, health and metrics of roomd (docs/ADMIN_API.md). Every `/api/v1` \
                       operation needs `Authorization: Bearer <admin token>`. Errors are \
                       `{\"error\":{\"code\",\"message\"}}` with the status of the code.",
    ),
    paths(
        health::healthz,
        health::readyz,
        metrics::render,
        ws::upgrade,
        rooms::list_rooms,
        rooms::create_room,
        rooms::get_room,
        rooms::restart_room,
        rooms::crash_room,
        rooms::patch_room,
        rooms::delete_room,
        members::list_members,
        members::set_member,
        members::kick_member,
        restrictions::set_ban,
        restrictions::list_bans,
        restrictions::delete_ban,
        restrictions::set_mute,
        restrictions::list_mutes,
        restrictions::delete_mute,
        messages::history,
        messages::post_message,
        room_events::room_events,
        message_deletion::delete_message,
        message_deletion::delete_user_messages,
        tokens::create_token,
        tokens::list_tokens,
        tokens::revoke_token,
        audit::list_audit,
        actors::actors,
        broadcasts::create_broadcast,
        broadcasts::list_broadcasts,
        broadcasts::get_broadcast,
        broadcasts::cancel_broadcast,
        broadcast_events::broadcast_events,
        schedules::create_schedule,
        schedules::list_schedules,
        schedules::get_schedule,
        schedules::patch_schedule,
        schedules::delete_schedule,
        schedule_preview::preview,
        debug_clock::set_clock,
        cluster_view::list_nodes,
        overview::overview,
        sessions::list_sessions,
        sessions::disconnect_session,
        sessions::disconnect_user,
        webhooks::create_webhook,
        webhooks::list_webhooks,
        webhooks::get_webhook,
        webhooks::patch_webhook,
        webhooks::delete_webhook,
        webhooks::test_webhook,
        webhooks::resume_webhook,
        webhooks::list_deliveries,
        openapi_json,
        docs,
        console::to_console,
        console::console_page,
    ),
    components(schemas(
        ErrorBody,
        ErrorDetail,
        ErrorCode,
        Health,
        Readiness,
        RoomStatus,
        Crashed,
        rooms::CreateRoom,
        rooms::RoomView,
        rooms::MailboxView,
        RoomPage,
        RoomSettings,
        RoomSettingsUpdate,
        BroadcastEvent,
        BroadcastEventName,
        RoomEvent,
        RoomEventName,
        OpenApiDocument,
        SpamSettings,
        crate::store::broadcasts::Target,
        TargetAll,
        TargetTag,
        BroadcastStatus,
        BroadcastRoomStatus,
        FireOutcome,
        TokenKind,
        AuditAction,
        ActorKind,
        MessageType,
        HealthStatus,
        ReadyStatus,
        crate::model::UserKind,
        crate::model::Role,
        tokens::CreateToken,
        tokens::TokenView,
        rooms::PatchRoom,
        rooms::RoomSort,
        actors::SortKey,
        members::MemberView,
        members::SetMember,
        MemberPage,
        restrictions::RestrictionView,
        restrictions::RestrictionPage,
        restrictions::SetRestriction,
        messages::PostMessage,
        MessageItem,
        MessageFrom,
        HistoryPage,
        TokenPage,
        AuditPage,
        audit::AuditView,
        audit::ActorView,
        broadcasts::CreateBroadcast,
        broadcasts::BroadcastView,
        broadcasts::BroadcastPage,
        broadcasts::RoomProgressView,
        broadcasts::ReportView,
        crate::store::broadcasts::Counts,
        crate::store::broadcasts::Priority,
        schedules::CreateSchedule,
        schedules::PatchSchedule,
        schedules::ScheduleView,
        schedules::SchedulePage,
        schedules::FireView,
        webhooks::CreateWebhook,
        webhooks::PatchWebhook,
        webhooks::WebhookState,
        webhooks::WebhookView,
        webhooks::WebhookList,
        webhooks::DeliveryList,
        webhooks::TestOutcome,
        webhooks::DeliveryView,
        crate::hooks::PublishHookSettings,
        crate::hooks::HookPolicy,
        schedule_preview::SchedulePreview,
        debug_clock::SetClock,
        cluster_view::NodeView,
        cluster_view::NodeList,
        overview::Overview,
        overview::OverviewRooms,
        overview::CommitLatency,
        overview::OverviewSample,
        overview::BusiestActors,
        actors::Node,
        message_deletion::BulkDeletion,
        crate::live_sessions::SessionInfo,
        sessions::SessionPage,
        sessions::DisconnectedSessions,
    )),
    modifiers(&SecuritySchemes, &SharedResponses, &RequestIds, &OperationIds, &EventStreams),
    tags(
        (name = "health", description = "Liveness, readiness and metrics; no auth"),
        (name = "rooms", description = "Rooms and their actors"),
        (name = "members", description = "Room membership, presence and roles"),
        (name = "moderation", description = "Bans and mutes of users in rooms"),
        (name = "messages", description = "History, operator posts and message deletion"),
        (name = "tokens", description = "Opaque access tokens"),
        (name = "audit", description = "Every change made through the admin API"),
        (name = "actors", description = "The supervision tree and mailbox figures"),
        (name = "broadcasts", description = "Announcements to many rooms, their progress and history"),
        (name = "schedules", description = "Cron schedules that start broadcasts"),
        (name = "webhooks", description = "Webhook endpoints: committed events POSTed to the application's backend (docs/INTEGRATIONS.md)"),
        (name = "cluster", description = "Nodes of a cluster (cluster mode only)"),
        (name = "overview", description = "This node at a glance: totals, rates and the busiest actors"),
        (name = "sessions", description = "Live WebSocket sessions and operator disconnects"),
        (name = "docs", description = "This document and its UI"),
        (name = "console", description = "The operator console, a browser app on this API (docs/CONSOLE.md)"),
    ),
)]
pub struct ApiDoc;

/// Mounts the document and the UI. Must come before the `/api/v1` scope, whose default
/// service would otherwise answer 404 for the document.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(OPENAPI_PATH, web::get().to(openapi_json))
        .route(DOCS_PATH, web::get().to(docs))
        .service(SwaggerUi::new("/docs/{_:.*}").config(ui_config()));
}

/// The document as JSON, built once.
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| ApiDoc::openapi().to_json().unwrap_or_else(|_| "{}".to_string()))
}

/// The UI reads the document from [`OPENAPI_PATH`]; `validator_url("none")` stops it
/// from sending the document to the public validator.
fn ui_config() -> Config<'static> {
    Config::from(OPENAPI_PATH).validator_url("none").try_it_out_enabled(true).persist_authorization(false)
}

/// The OpenAPI document (this one).
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "get_openapi_document",
    tag = "docs",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json",
               body = OpenApiDocument)),
)]
async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(document())
}

/// The Swagger UI page. Its script, styles and config are served under `/docs/`;
/// `<base href>` makes the page's relative links resolve there without a redirect.
#[utoipa::path(
    get,
    path = "/docs",
    operation_id = "get_docs_page",
    tag = "docs",
    responses((status = 200, description = "Swagger UI (HTML, no external resources)",
               content_type = "text/html", body = String)),
)]
async fn docs() -> HttpResponse {
    let page = match utoipa_swagger_ui::serve("index.html", Arc::new(ui_config())) {
        Ok(Some(file)) => String::from_utf8_lossy(&file.bytes).into_owned(),
        _ => return HttpResponse::ServiceUnavailable().body("the UI is missing from this build"),
    };
    let page = page.replacen("<head>", "<head>\n    <base href=\"/docs/\" />", 1);
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_is_openapi_3_with_the_error_codes() {
        let doc: serde_json::Value = serde_json::from_str(document()).expect("JSON");
        assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{}", doc["openapi"]);
        let codes = &doc["components"]["schemas"]["ErrorCode"]["enum"];
        assert_eq!(codes.as_array().map(Vec::len), Some(ErrorCode::ALL.len()), "{codes}");
        assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    }

    /// The enums the document lists for sets the code keeps as strings or constants
    /// name exactly the values the code uses.
    #[test]
    fn enums_match_the_code() {
        let doc: serde_json::Value = serde_json::from_str(document()).expect("JSON");
        let values = |name: &str| -> Vec<String> {
            let values = doc["components"]["schemas"][name]["enum"].as_array().cloned().unwrap_or_default();
            values.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()
        };
        use crate::actors::mailbox::{ActorKind, ActorStatus};
        use crate::model::{Role, UserKind};
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(values("RoomStatus"), strings(&ActorStatus::ALL.map(ActorStatus::as_str)));
        assert_eq!(values("ActorKind"), strings(&ActorKind::ALL.map(ActorKind::as_str)));
        assert_eq!(values("AuditAction"), strings(crate::http::audit::ACTIONS));
        assert_eq!(
            values("Priority"),
            strings(&crate::store::broadcasts::Priority::ALL.map(crate::store::broadcasts::Priority::as_str))
        );
        for kind in values("TokenKind") {
            assert!(UserKind::parse(&kind).is_some_and(|k| k != UserKind::System), "{kind}");
        }
        assert_eq!(values("TokenKind").len(), 3);
        for role in values("Role") {
            assert!(Role::parse(&role).is_some(), "{role}");
        }
        for kind in values("UserKind") {
            assert!(UserKind::parse(&kind).is_some(), "{kind}");
        }
    }

    /// Every operation has an `operationId`, and no two share one.
    #[test]
    fn operation_ids_are_present_and_unique() {
        let doc: serde_json::Value = serde_json::from_str(document()).expect("JSON");
        let mut seen = std::collections::BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("path item") {
                let id =
                    op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path}: no operationId"));
                assert!(seen.insert(id.to_string()), "{method} {path}: operationId {id} twice");
            }
        }
    }

    /// The rules of `SharedResponses`, read back from the published document.
    #[test]
    fn shared_responses_follow_their_rules() {
        let doc: serde_json::Value = serde_json::from_str(document()).expect("JSON");
        let error_body = serde_json::json!({"$ref": "#/components/schemas/ErrorBody"});
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, op) in item.as_object().expect("path item") {
                let at = format!("{method} {path}");
                let responses = &op["responses"];
                let admin = op["security"] == serde_json::json!([{"bearer": []}]);
                assert_eq!(admin, path.starts_with("/api/v1/") && path != OPENAPI_PATH, "{at}");
                if admin {
                    for status in ["401", "403", "429", "503"] {
                        let body = &responses[status]["content"]["application/json"]["schema"];
                        assert_eq!(body, &error_body, "{at} {status}");
                    }
                    for status in ["429", "503"] {
                        assert!(responses[status]["headers"]["Retry-After"].is_object(), "{at} {status}");
                    }
                    let room_actor =
                        responses["503"]["description"].as_str().unwrap_or("").contains("room_unavailable");
                    let restriction = path.ends_with("/bans/{user_id}") || path.ends_with("/mutes/{user_id}");
                    let waits = (["post", "delete"].contains(&method.as_str())
                        || (method == "put" && restriction))
                        && path.starts_with("/api/v1/rooms/{id}");
                    assert_eq!(room_actor, waits, "{at}: {}", responses["503"]);
                }
                if op["requestBody"]["content"]["application/json"].is_object() {
                    for status in ["400", "413"] {
                        assert!(
                            responses[status]["content"]["application/json"].is_object(),
                            "{at} {status}"
                        );
                    }
                }
                let path_params =
                    op["parameters"].as_array().is_some_and(|ps| ps.iter().any(|p| p["in"] == "path"));
                if path_params {
                    assert!(
                        responses["400"]["description"].as_str().is_some_and(|d| d.contains("path")),
                        "{at}"
                    );
                }
            }
        }
    }
}
