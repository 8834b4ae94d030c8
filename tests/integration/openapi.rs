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
    "GET /api/v1/schedules",
    "POST /api/v1/schedules",
    "GET /api/v1/schedules/{id}",
    "PATCH /api/v1/schedules/{id}",
    "DELETE /api/v1/schedules/{id}",
    "POST /api/v1/debug/clock",
    "GET /api/v1/nodes",
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
