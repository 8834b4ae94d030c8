//! The operator console's files (`src/http/console.rs`): `GET /` redirects to it, every
//! file the page loads is served from the binary (the test server runs in a temporary
//! directory, away from `console/`) byte for byte as committed, with the console's
//! security headers, and revalidated with its ETag. What the console does in a browser
//! is tested in tests/console (headless Chromium).

use std::collections::BTreeSet;
use std::path::Path;

use regex::Regex;

use crate::common::TestServer;

/// The relative files `source` (HTML or a JS module) loads: `src`/`href` attributes,
/// static `from "…"` and dynamic `import("…")`.
fn references(source: &str) -> Vec<String> {
    let re = Regex::new(r##"(?:src|href)="([^"#:]+)"|from "(\.[^"]+)"|import\("(\.[^"]+)"\)"##).unwrap();
    re.captures_iter(source)
        .filter_map(|c| c.get(1).or(c.get(2)).or(c.get(3)).map(|m| m.as_str().to_string()))
        .collect()
}

/// `rel` resolved against the console file `base` (both relative to `console/`).
fn resolve(base: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = base.split('/').collect();
    parts.pop();
    for seg in rel.split('/') {
        match seg {
            "." | "" => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_is_served_from_the_binary_with_its_security_headers() {
    let srv = TestServer::start().await;
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let root = no_redirect.get(srv.url("/")).send().await.unwrap();
    assert_eq!(root.status().as_u16(), 308);
    assert_eq!(root.headers()["location"], "/console/");

    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("console");
    let inline = Regex::new(r"<script(?:\s+type=.module.)?\s*>|\son[a-z]+=|style=").unwrap();
    let mut seen = BTreeSet::new();
    let mut todo = vec!["index.html".to_string()];
    while let Some(file) = todo.pop() {
        if !seen.insert(file.clone()) {
            continue;
        }
        let path = if file == "index.html" { "/console/".to_string() } else { format!("/console/{file}") };
        let resp = srv.http().get(srv.url(&path)).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        let headers = resp.headers().clone();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{path}: {csp}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        let ctype = headers["content-type"].to_str().unwrap().to_string();
        let want = match file.rsplit('.').next() {
            Some("html") => "text/html",
            Some("js") => "javascript",
            Some("css") => "text/css",
            other => panic!("unexpected console file type {other:?}"),
        };
        assert!(ctype.contains(want), "{path}: content-type {ctype}");
        let body = resp.text().await.unwrap();
        let committed = std::fs::read_to_string(repo.join(&file)).unwrap();
        assert!(body == committed, "{path} differs from console/{file}");
        if file.ends_with(".html") {
            assert!(!inline.is_match(&body), "inline script or style in {file}");
        }
        if !file.ends_with(".css") {
            todo.extend(references(&body).iter().map(|r| resolve(&file, r)));
        }

        let etag = headers["etag"].to_str().unwrap();
        let again = srv.http().get(srv.url(&path)).header("if-none-match", etag).send().await.unwrap();
        assert_eq!(again.status().as_u16(), 304, "{path} revalidates");
    }
    for page in [
        "overview",
        "rooms",
        "room",
        "actors",
        "broadcasts",
        "broadcast",
        "schedules",
        "schedule",
        "tokens",
        "audit",
    ] {
        assert!(
            seen.contains(&format!("pages/{page}.js")),
            "pages/{page}.js is not reachable from the page: {seen:?}"
        );
    }
    assert!(seen.contains("vendor/uplot/uPlot.esm.js"), "{seen:?}");

    for missing in ["/console/nope.js", "/console/../Cargo.toml", "/console/%2e%2e/Cargo.toml"] {
        let resp = srv.http().get(srv.url(missing)).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 404, "{missing}");
    }
}
