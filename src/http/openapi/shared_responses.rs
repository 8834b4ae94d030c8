//! `SharedResponses`: the error answers many operations share, added to each operation
//! by rule (from what the operation's annotation already says: its security, its path
//! parameters, its request body, its method and path), so no `#[utoipa::path]` writes
//! them out.

use utoipa::openapi::header::{Header, HeaderBuilder};
use utoipa::openapi::path::{HttpMethod, Operation, ParameterIn};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, PartialSchema};

use super::modifiers::operations_mut;

/// Adds the shared error answers, each with the `ErrorBody` schema, by these rules:
///
/// - **Admin operations** (security exactly the `bearer` scheme: the handlers taking
///   `AdminAuth`, which checks the token in the store, then the token's rate limit):
///   401 `unauthorized`, 403 `forbidden`, 429 `rate_limited` with `Retry-After`, and
///   503 with `Retry-After`: `unavailable` (the store), and also `room_unavailable` for
///   a POST or DELETE on `/api/v1/rooms/{id}` or below — restart, crash, post, delete
///   and kick wait for the room's actor, while GET, PUT and PATCH there read or write
///   the store and do not wait for the actor — and for the PUT of a ban or mute, which
///   waits for the room to apply it (see [`waits_for_room_actor`]).
/// - **A JSON request body**: 413 `too_large` (`server.max_body_bytes`), and 400
///   `bad_request` for malformed JSON or another `Content-Type`.
/// - **Path parameters**: 400 `bad_request` for a path that is not valid UTF-8 or holds
///   a NUL (`%00`); with a JSON body too, one 400 names both.
///
/// An operation that documents one of these statuses itself keeps its description (it
/// is the more specific one and must name the shared causes as well); the rule then
/// adds only what the response lacks: the `ErrorBody` content and the `Retry-After`
/// header.
pub(super) struct SharedResponses;

/// The `Retry-After` answer header.
fn retry_after() -> Header {
    HeaderBuilder::new().schema(u32::schema()).description(Some("Seconds to wait before retrying")).build()
}

/// An error answer with the `ErrorBody` schema, and `Retry-After` when `retry`.
fn error_response(description: &str, retry: bool) -> Response {
    let body = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
    let mut response = ResponseBuilder::new().description(description).content("application/json", body);
    if retry {
        response = response.header("Retry-After", retry_after());
    }
    response.build()
}

/// Whether the handler of `method path` waits for a room's actor (and so may answer
/// `room_unavailable`): POST and DELETE on one room or below it, and the PUT of a ban
/// or mute.
fn waits_for_room_actor(method: &HttpMethod, path: &str) -> bool {
    let restriction = path.ends_with("/bans/{user_id}") || path.ends_with("/mutes/{user_id}");
    path.starts_with("/api/v1/rooms/{id}")
        && (matches!(method, HttpMethod::Post | HttpMethod::Delete)
            || (matches!(method, HttpMethod::Put) && restriction))
}

/// The shared answers of one operation, by the rules of [`SharedResponses`].
fn shared_for(method: &HttpMethod, path: &str, op: &Operation) -> Vec<(&'static str, Response)> {
    let mut shared = Vec::new();
    let admin = op
        .security
        .as_ref()
        .is_some_and(|s| s.len() == 1 && s[0] == SecurityRequirement::new("bearer", Vec::<String>::new()));
    if admin {
        shared.push((
            "401",
            error_response("Missing, unknown, revoked or expired token (`unauthorized`)", false),
        ));
        shared.push(("403", error_response("The token is not an admin token (`forbidden`)", false)));
        shared.push((
            "429",
            error_response(
                "This admin token is over its rate limit (`rate_limited`); retry after `Retry-After` seconds",
                true,
            ),
        ));
        let unavailable = if waits_for_room_actor(method, path) {
            "The room's actor or the store cannot answer now (`room_unavailable`, `unavailable`); may carry \
             `Retry-After`"
        } else {
            "The store cannot serve the request now (`unavailable`); may carry `Retry-After`"
        };
        shared.push(("503", error_response(unavailable, true)));
    }
    let json_body = op.request_body.as_ref().is_some_and(|b| b.content.contains_key("application/json"));
    let path_params = op.parameters.iter().flatten().any(|p| matches!(p.parameter_in, ParameterIn::Path));
    if json_body {
        shared.push(("413", error_response("Body larger than `server.max_body_bytes` (`too_large`)", false)));
    }
    let bad_request = match (json_body, path_params) {
        (true, true) => Some(
            "Malformed JSON, not `Content-Type: application/json`, or a path that is not valid UTF-8 or \
             holds a NUL, `%00` (`bad_request`)",
        ),
        (true, false) => Some("Malformed JSON or not `Content-Type: application/json` (`bad_request`)"),
        (false, true) => Some("A path that is not valid UTF-8 or holds a NUL, `%00` (`bad_request`)"),
        (false, false) => None,
    };
    if let Some(description) = bad_request {
        shared.push(("400", error_response(description, false)));
    }
    shared
}

/// Adds `shared` to `op`, or completes the operation's own response of that status.
fn add(op: &mut Operation, status: &str, shared: Response) {
    let own = match op.responses.responses.get_mut(status) {
        None => {
            op.responses.responses.insert(status.to_string(), RefOr::T(shared));
            return;
        }
        Some(RefOr::Ref(_)) => return,
        Some(RefOr::T(own)) => own,
    };
    if own.content.is_empty() {
        own.content = shared.content;
    }
    for (name, header) in shared.headers {
        own.headers.entry(name).or_insert(header);
    }
}

impl Modify for SharedResponses {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        for (method, path, op) in operations_mut(doc) {
            for (status, response) in shared_for(&method, path, op) {
                add(op, status, response);
            }
        }
    }
}
