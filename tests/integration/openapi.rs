//! The OpenAPI document (`GET /api/v1/openapi.json`) and its UI (`GET /docs`): both
//! answer without auth, the document is OpenAPI 3.x and lists exactly the routes the
//! server mounts, and the UI loads nothing from outside the server.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::common::{TestServer, LONG};

/// Every route `http::configure` mounts, as `METHOD path` in OpenAPI's template form.
/// A route added to the server belongs here and in the document.
const MOUNTED: &[&str] = &[
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
    "GET /ws",
    "GET /docs",
    "GET /",
    "GET /console/",
    "GET /api/v1/openapi.json",
    "GET /api/v1/rooms",
    "POST /api/v1/rooms",
    "GET /api/v1/rooms/{id}",
    "POST /api/v1/rooms/{id}/restart",
    "POST /api/v1/rooms/{id}/crash",
    "PATCH /api/v1/rooms/{id}",
    "DELETE /api/v1/rooms/{id}",
    "GET /api/v1/rooms/{id}/members",
    "PUT /api/v1/rooms/{id}/members/{user_id}",
    "DELETE /api/v1/rooms/{id}/members/{user_id}",
    "GET /api/v1/rooms/{id}/messages",
    "POST /api/v1/rooms/{id}/messages",
    "POST /api/v1/tokens",
    "GET /api/v1/tokens",
    "DELETE /api/v1/tokens/{id}",
    "GET /api/v1/audit",
    "GET /api/v1/actors",
    "GET /api/v1/broadcasts",
    "POST /api/v1/broadcasts",
    "GET /api/v1/broadcasts/{id}",
    "DELETE /api/v1/broadcasts/{id}",
    "GET /api/v1/broadcasts/{id}/events",
    "GET /api/v1/rooms/{id}/events",
    "GET /api/v1/schedules",
    "POST /api/v1/schedules",
    "GET /api/v1/schedules/preview",
    "GET /api/v1/schedules/{id}",
    "PATCH /api/v1/schedules/{id}",
    "DELETE /api/v1/schedules/{id}",
    "POST /api/v1/debug/clock",
    "GET /api/v1/nodes",
    "GET /api/v1/overview",
    "DELETE /api/v1/rooms/{id}/messages",
    "DELETE /api/v1/rooms/{id}/messages/{seq}",
    "GET /api/v1/sessions",
    "DELETE /api/v1/sessions/{id}",
    "DELETE /api/v1/users/{user_id}/sessions",
    "GET /api/v1/rooms/{id}/bans",
    "PUT /api/v1/rooms/{id}/bans/{user_id}",
    "DELETE /api/v1/rooms/{id}/bans/{user_id}",
    "GET /api/v1/rooms/{id}/mutes",
    "PUT /api/v1/rooms/{id}/mutes/{user_id}",
    "DELETE /api/v1/rooms/{id}/mutes/{user_id}",
    "POST /api/v1/webhooks",
    "GET /api/v1/webhooks",
    "GET /api/v1/webhooks/{id}",
    "PATCH /api/v1/webhooks/{id}",
    "DELETE /api/v1/webhooks/{id}",
    "POST /api/v1/webhooks/{id}/test",
    "POST /api/v1/webhooks/{id}/resume",
    "GET /api/v1/webhooks/{id}/deliveries",
];

async fn document(srv: &TestServer) -> Value {
    let resp = srv.http().get(srv.url("/api/v1/openapi.json")).send().await.expect("GET openapi.json");
    assert_eq!(resp.status().as_u16(), 200, "the document needs no auth");
    let ctype = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(ctype.starts_with("application/json"), "content-type {ctype}");
    let text = resp.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("the document is not JSON ({e}): {text}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_is_openapi_3_and_lists_every_mounted_route() {
    let srv = TestServer::start().await;
    let doc = document(&srv).await;
    let version = doc["openapi"].as_str().unwrap_or_default();
    assert!(version.starts_with("3."), "openapi version {version:?}");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string(), "info: {}", doc["info"]);

    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                documented.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    let mounted: BTreeSet<String> = MOUNTED.iter().map(|s| s.to_string()).collect();
    assert_eq!(documented, mounted, "documented routes vs mounted routes");

    // The list is the server's: none of its routes falls through to "no route".
    srv.create_room("probe").await;
    for route in MOUNTED {
        let (method, path) = route.split_once(' ').expect("METHOD path");
        let url = srv.url(&path.replace("{id}", "probe").replace("{user_id}", "someone"));
        let req = match method {
            "GET" => srv.http().get(&url),
            "PATCH" => srv.http().patch(&url).json(&json!({})),
            "PUT" => srv.http().put(&url).json(&json!({})),
            "DELETE" => srv.http().delete(&url),
            _ => srv.http().post(&url).json(&json!({})),
        };
        let resp = req.bearer_auth(&srv.admin_token).send().await.expect(route);
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        assert!(!text.contains("no route for"), "{route} is not mounted: {status} {text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_describes_errors_and_bearer_auth() {
    let srv = TestServer::start().await;
    let doc = document(&srv).await;
    let schemas = &doc["components"]["schemas"];
    let codes: BTreeSet<&str> = schemas["ErrorCode"]["enum"]
        .as_array()
        .expect("ErrorCode enum")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for code in
        ["bad_request", "unauthorized", "forbidden", "not_found", "conflict", "unprocessable", "too_large"]
    {
        assert!(codes.contains(code), "{code} missing from {codes:?}");
    }
    assert_eq!(schemas["ErrorBody"]["required"], json!(["error"]));
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");

    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let secured = op["security"].as_array().is_some_and(|s| s.contains(&json!({"bearer": []})));
            if path.starts_with("/api/v1/") && path != "/api/v1/openapi.json" {
                assert!(secured, "{method} {path} must require the bearer token");
                for status in ["401", "403"] {
                    assert!(op["responses"][status].is_object(), "{method} {path} documents no {status}");
                }
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docs_is_html_without_external_urls() {
    let srv = TestServer::start().await;
    let resp = srv.http().get(srv.url("/docs")).send().await.expect("GET /docs");
    assert_eq!(resp.status().as_u16(), 200, "/docs needs no auth and does not redirect");
    let ctype = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    assert!(ctype.starts_with("text/html"), "content-type {ctype}");
    let html = resp.text().await.expect("body");
    assert!(html.contains("<html"), "not HTML: {html}");
    for scheme in ["http://", "https://", "//cdn", "src=\"//", "href=\"//"] {
        assert!(!html.to_lowercase().contains(scheme), "/docs references {scheme}: {html}");
    }

    // What the page loads is served by roomd itself, under /docs/.
    let initializer =
        srv.http().get(srv.url("/docs/swagger-initializer.js")).send().await.expect("initializer");
    assert_eq!(initializer.status().as_u16(), 200);
    let js = initializer.text().await.expect("initializer body");
    assert!(js.contains("/api/v1/openapi.json"), "the UI must read roomd's document: {js}");
    assert!(!js.contains("http://") && !js.contains("https://"), "external URL in the initializer: {js}");
    for asset in ["swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"] {
        let url = srv.url(&format!("/docs/{asset}"));
        let resp = tokio::time::timeout(LONG, srv.http().get(&url).send()).await.expect(asset).expect(asset);
        assert_eq!(resp.status().as_u16(), 200, "{asset}");
    }
}

/// Every schema object under `v` with the JSON path to it.
fn walk<'a>(at: String, v: &'a Value, out: &mut Vec<(String, &'a Value)>) {
    match v {
        Value::Object(m) => {
            out.push((at.clone(), v));
            for (k, child) in m {
                walk(format!("{at}/{k}"), child, out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                walk(format!("{at}/{i}"), child, out);
            }
        }
        _ => {}
    }
}

/// The schema a property or parameter schema names: its `$ref`, or the `$ref` of its
/// non-null `oneOf` variant (utoipa writes an optional reference as `oneOf [null, $ref]`).
fn named(schema: &Value) -> Option<&str> {
    if let Some(r) = schema["$ref"].as_str() {
        return r.strip_prefix("#/components/schemas/");
    }
    let variants = schema["oneOf"].as_array()?;
    let refs: Vec<&str> = variants.iter().filter_map(|v| v["$ref"].as_str()).collect();
    let nulls = variants.iter().filter(|v| v["type"] == "null").count();
    (refs.len() == 1 && refs.len() + nulls == variants.len())
        .then(|| refs[0].strip_prefix("#/components/schemas/"))
        .flatten()
}

/// What a generated client (openapi-python-client, clients/python/roomd/admin) needs to
/// be usable: closed sets as named enums, timestamps as `date-time`, the broadcast
/// target as a `oneOf` of named forms, room settings as schemas, no inline object in a
/// `oneOf` (it would get a made-up name like `ActorsType1`), no untyped value, and
/// operationIds that start with what they do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn document_is_precise_enough_for_a_generated_client() {
    let srv = TestServer::start().await;
    let doc = document(&srv).await;
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    let mut nodes = Vec::new();
    walk(String::new(), &doc, &mut nodes);

    for (at, node) in &nodes {
        if let Some(r) = node["$ref"].as_str() {
            let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{at}: {r}"));
            assert!(schemas.contains_key(name), "{at}: $ref to a missing schema {r}");
        }
        for key in ["oneOf", "anyOf"] {
            for (i, variant) in node[key].as_array().into_iter().flatten().enumerate() {
                let inline_object = variant["type"] == "object" || variant["properties"].is_object();
                assert!(!inline_object, "{at}/{key}/{i}: an inline object variant (name it): {variant}");
            }
        }
        for (prop, schema) in node["properties"].as_object().into_iter().flatten() {
            let typed = ["type", "$ref", "oneOf", "anyOf", "allOf", "enum", "const"]
                .iter()
                .any(|k| schema.get(k).is_some());
            assert!(typed, "{at}/properties/{prop}: no type: {schema}");
            let timestamp = prop.ends_with("_at")
                || ["at", "ts", "now", "last_seen", "last_heartbeat"].contains(&prop.as_str());
            if timestamp {
                assert_eq!(schema["format"], "date-time", "{at}/properties/{prop}: {schema}");
            }
        }
    }

    // The closed sets, each a named enum.
    let props = |schema: &str, prop: &str| schemas[schema]["properties"][prop].clone();
    for (schema, prop, name) in [
        ("CreateToken", "kind", "TokenKind"),
        ("TokenView", "kind", "TokenKind"),
        ("SetMember", "role", "Role"),
        ("MemberView", "role", "Role"),
        ("MemberView", "kind", "UserKind"),
        ("MessageFrom", "kind", "UserKind"),
        ("MessageItem", "type", "MessageType"),
        ("RoomView", "status", "RoomStatus"),
        ("ActorNode", "kind", "ActorKind"),
        ("ActorNode", "status", "RoomStatus"),
        ("CreateBroadcast", "priority", "Priority"),
        ("BroadcastView", "priority", "Priority"),
        ("ScheduleView", "priority", "Priority"),
        ("PatchSchedule", "priority", "Priority"),
        ("BroadcastView", "status", "BroadcastStatus"),
        ("RoomProgressView", "status", "BroadcastRoomStatus"),
        ("FireView", "outcome", "FireOutcome"),
        ("AuditView", "action", "AuditAction"),
        ("Readiness", "status", "ReadyStatus"),
        ("Health", "status", "HealthStatus"),
        ("CreateBroadcast", "rooms", "Target"),
        ("CreateSchedule", "rooms", "Target"),
        ("PatchSchedule", "rooms", "Target"),
        ("BroadcastView", "target", "Target"),
        ("ScheduleView", "rooms", "Target"),
        ("RoomView", "settings", "RoomSettings"),
        ("CreateRoom", "settings", "RoomSettingsUpdate"),
        ("PatchRoom", "settings", "RoomSettingsUpdate"),
    ] {
        let schema_of = props(schema, prop);
        assert_eq!(named(&schema_of), Some(name), "{schema}.{prop}: {schema_of}");
    }
    for name in [
        "TokenKind",
        "Role",
        "UserKind",
        "MessageType",
        "RoomStatus",
        "ActorKind",
        "Priority",
        "BroadcastStatus",
        "BroadcastRoomStatus",
        "FireOutcome",
        "AuditAction",
        "RoomSort",
        "ActorSort",
        "TargetAll",
    ] {
        let values = schemas[name]["enum"].as_array().unwrap_or_else(|| panic!("{name} is no enum"));
        assert!(!values.is_empty() && values.iter().all(Value::is_string), "{name}: {values:?}");
    }
    assert_eq!(schemas["TargetAll"]["enum"], json!(["all"]));
    assert_eq!(schemas["TokenKind"]["enum"], json!(["admin", "bot", "user"]));
    assert_eq!(schemas["Role"]["enum"], json!(["member", "moderator", "admin", "owner"]));

    // The target: a list of room ids, "all", or {"tag": T}.
    let target = &schemas["Target"]["oneOf"];
    assert_eq!(target[0]["type"], "array", "{target}");
    assert_eq!(target[0]["items"]["type"], "string", "{target}");
    assert_eq!(target[1], json!({"$ref": "#/components/schemas/TargetAll"}));
    assert_eq!(target[2], json!({"$ref": "#/components/schemas/TargetTag"}));
    assert_eq!(schemas["TargetTag"]["required"], json!(["tag"]));

    // Server-Sent Events: the schema of each event (as the extension `x-item-schema`: a
    // 3.1 document may not use 3.2's `itemSchema`), none of the whole stream.
    let events = &doc["paths"]["/api/v1/broadcasts/{id}/events"]["get"]["responses"]["200"]["content"];
    assert_eq!(
        events["text/event-stream"],
        json!({"x-item-schema": {"$ref": "#/components/schemas/BroadcastEvent"}}),
        "{events}"
    );
    assert_eq!(named(&schemas["BroadcastEvent"]["properties"]["event"]), Some("BroadcastEventName"));
    let events = &doc["paths"]["/api/v1/rooms/{id}/events"]["get"]["responses"]["200"]["content"];
    assert_eq!(
        events["text/event-stream"],
        json!({"x-item-schema": {"$ref": "#/components/schemas/RoomEvent"}}),
        "{events}"
    );
    assert_eq!(named(&schemas["RoomEvent"]["properties"]["event"]), Some("RoomEventName"));
    assert_eq!(schemas["RoomEventName"]["enum"], json!(["message", "message_deleted", "room_deleted"]));

    // The query parameters with closed sets.
    let params = |path: &str| doc["paths"][path]["get"]["parameters"].as_array().cloned().unwrap_or_default();
    let param = |path: &str, name: &str| {
        params(path).into_iter().find(|p| p["name"] == name).unwrap_or_else(|| panic!("{path} ?{name}"))
    };
    for (path, name, enum_name) in [
        ("/api/v1/rooms", "status", "RoomStatus"),
        ("/api/v1/rooms", "sort", "RoomSort"),
        ("/api/v1/actors", "sort", "ActorSort"),
        ("/api/v1/audit", "action", "AuditAction"),
        ("/api/v1/sessions", "kind", "TokenKind"),
    ] {
        let p = param(path, name);
        assert_eq!(named(&p["schema"]), Some(enum_name), "{path} ?{name}: {p}");
    }
    // The admin API takes the token only in the header: no `?token=` is documented.
    for (path, item) in doc["paths"].as_object().expect("paths") {
        if path.starts_with("/api/v1/") {
            for (method, op) in item.as_object().expect("path item") {
                let names: Vec<&str> = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p["name"].as_str())
                    .collect();
                assert!(!names.contains(&"token"), "{method} {path} documents ?token=");
            }
        }
    }

    // operationIds say what the operation does: a verb, then what it acts on.
    let verbs = [
        "get",
        "list",
        "create",
        "update",
        "delete",
        "set",
        "kick",
        "post",
        "revoke",
        "cancel",
        "restart",
        "crash",
        "stream",
        "open",
        "disconnect",
        "resume",
        "test",
    ];
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let id = op["operationId"].as_str().unwrap_or_default();
            let verb = id.split('_').next().unwrap_or_default();
            assert!(
                verbs.contains(&verb)
                    && id.contains('_')
                    && id.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{method} {path}: operationId {id:?}"
            );
        }
    }

    // A target of none of the forms is refused naming them.
    let resp = srv.post("/api/v1/broadcasts", &json!({"text": "x", "rooms": 7})).send().await.expect("post");
    assert_eq!(resp.status().as_u16(), 422);
    let body: Value = resp.json().await.expect("JSON");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.starts_with(r#"rooms must be a list of room ids, "all", or {"tag": T}"#), "{message}");
}
