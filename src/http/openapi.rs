//! The OpenAPI document of the HTTP API, served at `GET /api/v1/openapi.json`, and the
//! Swagger UI that renders it at `GET /docs` (both without auth, docs/ADMIN_API.md).
//!
//! Each handler carries its own `#[utoipa::path]`; this file lists them, owns the
//! bearer security scheme, and serves both routes (the types that only describe
//! answers are in `openapi/schemas.rs`). The error body and the `ErrorCode`
//! enum come from the code table (`src/error/codes.rs`). The UI's
//! files are compiled into the binary (`utoipa-swagger-ui`'s `vendored` feature), so
//! neither the build nor a browser opening `/docs` reaches the network.

mod schemas;

use std::sync::{Arc, OnceLock};

use actix_web::{web, HttpResponse};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::RefOr;
use utoipa::{Modify, OpenApi, PartialSchema};
use utoipa_swagger_ui::{Config, SwaggerUi};

use super::api::{
    actors, audit, broadcast_events, broadcasts, cluster_view, debug_clock, members, messages, rooms,
    schedules, tokens,
};
use super::{health, metrics, ws};
use crate::error::ErrorCode;
pub use crate::error::{ErrorBody, ErrorDetail};
use crate::store::rooms::{RoomSettings, SpamSettings};
pub use schemas::*;

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
        messages::history,
        messages::post_message,
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
        debug_clock::set_clock,
        cluster_view::list_nodes,
        openapi_json,
        docs,
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
        SpamSettings,
        tokens::CreateToken,
        tokens::TokenView,
        rooms::PatchRoom,
        rooms::RoomSort,
        members::MemberView,
        members::SetMember,
        MemberPage,
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
        debug_clock::SetClock,
        cluster_view::NodeView,
        cluster_view::NodeList,
    )),
    modifiers(&SecuritySchemes, &AdminResponses, &RequestIds),
    tags(
        (name = "health", description = "Liveness, readiness and metrics; no auth"),
        (name = "rooms", description = "Rooms and their actors"),
        (name = "members", description = "Room membership, presence and roles"),
        (name = "messages", description = "History and operator posts"),
        (name = "tokens", description = "Opaque access tokens"),
        (name = "audit", description = "Every change made through the admin API"),
        (name = "actors", description = "The supervision tree and mailbox figures"),
        (name = "broadcasts", description = "Announcements to many rooms, their progress and history"),
        (name = "schedules", description = "Cron schedules that start broadcasts"),
        (name = "cluster", description = "Nodes of a cluster (cluster mode only)"),
        (name = "docs", description = "This document and its UI"),
    ),
)]
pub struct ApiDoc;

/// Adds the `bearer` scheme (the admin token, used by every `/api/v1` operation) and
/// `metrics_bearer` (`metrics.token`, only when it is set).
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        let bearer = |what: &str| {
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some(what)).build(),
            )
        };
        components.add_security_scheme(
            "bearer",
            bearer("`Authorization: Bearer <admin token>`; the first boot prints one (`rmd_…`) to stderr"),
        );
        components.add_security_scheme(
            "metrics_bearer",
            bearer("`Authorization: Bearer <metrics.token>`; needed only when `metrics.token` is set"),
        );
    }
}

/// Adds the answers every `/api/v1` operation shares, from `AdminAuth`: 401 (no valid
/// token), 403 (not an admin token) and 429 (each admin token has its own rate limit,
/// `limits.admin_per_sec`, `limits.admin_burst`, checked on every call).
struct AdminResponses;

impl Modify for AdminResponses {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{header::HeaderBuilder, ContentBuilder, Ref, Response, ResponseBuilder};
        let body = || ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
        let error = |description: &str| {
            ResponseBuilder::new().description(description).content("application/json", body())
        };
        let shared: [(&str, Response); 3] = [
            ("401", error("Missing, unknown, revoked or expired token (`unauthorized`)").build()),
            ("403", error("The token is not an admin token (`forbidden`)").build()),
            (
                "429",
                error("This admin token is over its rate limit (`rate_limited`); retry after `Retry-After` seconds")
                    .header("Retry-After", HeaderBuilder::new().schema(u32::schema()).build())
                    .build(),
            ),
        ];
        for (path, item) in doc.paths.paths.iter_mut() {
            if !path.starts_with("/api/v1/") || path == OPENAPI_PATH {
                continue;
            }
            let ops = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for op in ops.into_iter().flatten() {
                for (status, response) in &shared {
                    op.responses.responses.insert(status.to_string(), RefOr::T(response.clone()));
                }
            }
        }
    }
}

/// Adds `X-Request-Id` to every operation (an optional request header) and to every
/// answer (the id used: the client's when usable, else a new one; `http::request_id`).
/// Runs after `AdminResponses`, so the shared answers carry it too.
struct RequestIds;

impl Modify for RequestIds {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::header::HeaderBuilder;
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::Required;
        let max = super::request_id::MAX_LEN;
        let param = ParameterBuilder::new()
            .name("X-Request-Id")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(format!(
                "The client's id for this request, echoed in the answer and kept in the audit entry it \
                 makes: 1 to {max} visible ASCII characters (no spaces); anything else is replaced by a new id"
            )))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).max_length(Some(max))))
            .build();
        let header = HeaderBuilder::new()
            .schema(String::schema())
            .description(Some(
                "The request's id: the client's `X-Request-Id` if usable, else one the server made",
            ))
            .build();
        for item in doc.paths.paths.values_mut() {
            let ops = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
            for op in ops.into_iter().flatten() {
                op.parameters.get_or_insert_with(Vec::new).push(param.clone());
                for response in op.responses.responses.values_mut() {
                    if let RefOr::T(r) = response {
                        r.headers.insert("X-Request-Id".to_string(), header.clone());
                    }
                }
            }
        }
    }
}

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
    tag = "docs",
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json",
               body = Object)),
)]
async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(document())
}

/// The Swagger UI page. Its script, styles and config are served under `/docs/`;
/// `<base href>` makes the page's relative links resolve there without a redirect.
#[utoipa::path(
    get,
    path = "/docs",
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
}
