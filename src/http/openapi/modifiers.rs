//! The document-wide additions made after the `#[utoipa::path]` annotations are read:
//! the security schemes and the `X-Request-Id` header of every operation and answer.
//! (The answers many operations share are added by `src/http/openapi/shared_responses.rs`.)

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{HttpMethod, Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{RefOr, Required};
use utoipa::{Modify, PartialSchema};

/// Every operation of the document with its method and path.
pub(super) fn operations_mut(
    doc: &mut utoipa::openapi::OpenApi,
) -> impl Iterator<Item = (HttpMethod, &str, &mut Operation)> {
    doc.paths.paths.iter_mut().flat_map(|(path, item)| {
        [
            (HttpMethod::Get, &mut item.get),
            (HttpMethod::Post, &mut item.post),
            (HttpMethod::Put, &mut item.put),
            (HttpMethod::Patch, &mut item.patch),
            (HttpMethod::Delete, &mut item.delete),
        ]
        .into_iter()
        .filter_map(move |(method, op)| op.as_mut().map(|op| (method, path.as_str(), op)))
    })
}

/// Adds the `bearer` scheme (the admin token, used by every `/api/v1` operation) and
/// `metrics_bearer` (`metrics.token`, only when it is set).
pub(super) struct SecuritySchemes;

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

/// The `operationId` of the operations whose `#[utoipa::path]` sits in a file kept by
/// another part of the server (`src/http/ws.rs`): by default utoipa names an operation
/// after its handler function, and `upgrade` does not say what the operation does.
const OPERATION_IDS: &[(HttpMethod, &str, &str)] = &[(HttpMethod::Get, "/ws", "open_websocket")];

/// Sets the `operationId`s of [`OPERATION_IDS`].
pub(super) struct OperationIds;

impl Modify for OperationIds {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        for (method, path, op) in operations_mut(doc) {
            if let Some((.., id)) = OPERATION_IDS.iter().find(|(m, p, _)| *m == method && *p == path) {
                op.operation_id = Some(id.to_string());
            }
        }
    }
}

/// Server-Sent Events (`text/event-stream`, `GET /api/v1/broadcasts/{id}/events`): the
/// schema a `#[utoipa::path]` gives such an answer is that of one event; it is moved to
/// the extension `x-item-schema` of the media type (what OpenAPI 3.2 calls `itemSchema`;
/// a 3.1 document may not have that field, and validators such as
/// openapi-spec-validator refuse it), and the answer has no `schema` of the whole
/// stream. With a `schema` of one event, OpenAPI 3.1 tools would read it either as the
/// event's (schemathesis) or as the whole body's (client generators, which would parse
/// the stream as one JSON object). The event's schema stays a named component
/// (`BroadcastEvent`), so generated clients have its model.
pub(super) struct EventStreams;

impl Modify for EventStreams {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        for (_, _, op) in operations_mut(doc) {
            for response in op.responses.responses.values_mut() {
                let RefOr::T(response) = response else { continue };
                let Some(content) = response.content.get_mut("text/event-stream") else { continue };
                let Some(event) = content.schema.take() else { continue };
                let event = serde_json::to_value(event).unwrap_or_default();
                content
                    .extensions
                    .get_or_insert_with(Default::default)
                    .insert("x-item-schema".to_string(), event);
            }
        }
    }
}

/// Adds `X-Request-Id` to every operation (an optional request header) and to every
/// answer (the id used: the client's when usable, else a new one; `http::request_id`).
/// Runs after `SharedResponses`, so the shared answers carry it too.
pub(super) struct RequestIds;

impl Modify for RequestIds {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let max = crate::http::request_id::MAX_LEN;
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
        for (_, _, op) in operations_mut(doc) {
            op.parameters.get_or_insert_with(Vec::new).push(param.clone());
            for response in op.responses.responses.values_mut() {
                if let RefOr::T(r) = response {
                    r.headers.insert("X-Request-Id".to_string(), header.clone());
                }
            }
        }
    }
}
