//! Keeps the error tables of the docs true to the code table (`src/error/codes.rs`):
//! docs/ADMIN_API.md's `| status | code | when |` table must list every code sent over
//! HTTP, once, with its status; docs/PROTOCOL.md's `| input | code |` table (Errors)
//! must name every code sent in WebSocket `error` frames and no other.

use std::collections::BTreeSet;

use super::codes::ErrorCode;

/// The rows of the Markdown table whose header line is `header`, as trimmed cells
/// (`\|` inside a cell is not a separator). Panics when the doc has no such table.
fn table_rows(doc: &str, header: &str) -> Vec<Vec<String>> {
    let mut lines = doc.lines().skip_while(|l| l.trim() != header);
    assert!(lines.next().is_some(), "no table with the header {header}");
    lines
        .skip(1) // |---|---|
        .take_while(|l| l.trim_start().starts_with('|'))
        .map(|l| {
            let row = l.trim().trim_start_matches('|').trim_end_matches('|').replace("\\|", "\u{0}");
            row.split('|').map(|c| c.replace('\u{0}', "|").trim().to_string()).collect()
        })
        .collect()
}

/// The first `code` span of a cell.
fn first_code_span(cell: &str) -> Option<&str> {
    cell.split('`').nth(1)
}

fn read_doc(name: &str) -> String {
    let path = format!("{}/docs/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// What is wrong with the ADMIN_API.md table, one line per problem.
fn admin_api_problems(doc: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut listed = BTreeSet::new();
    for row in table_rows(doc, "| status | code | when |") {
        let (status, cell) = (row.first().map(String::as_str).unwrap_or(""), row.get(1).map_or("", |c| c));
        let Some(code) = first_code_span(cell).and_then(ErrorCode::parse) else {
            problems.push(format!("{cell:?} is not a code of the table"));
            continue;
        };
        if status != code.status().as_u16().to_string() {
            problems.push(format!(
                "{} is listed with {status}, the code table says {}",
                code.as_str(),
                code.status()
            ));
        }
        if !code.sent_over().http() {
            problems.push(format!("{} is not sent over HTTP", code.as_str()));
        }
        if !listed.insert(code.as_str()) {
            problems.push(format!("{} is listed twice", code.as_str()));
        }
    }
    for code in ErrorCode::ALL.into_iter().filter(|c| c.sent_over().http()) {
        if !listed.contains(code.as_str()) {
            problems.push(format!("{} is sent over HTTP but not listed", code.as_str()));
        }
    }
    problems
}

/// What is wrong with the PROTOCOL.md table, one line per problem.
fn protocol_problems(doc: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let mut named = BTreeSet::new();
    for row in table_rows(doc, "| input | code |") {
        let cell = row.get(1).map_or("", |c| c);
        match first_code_span(cell).and_then(ErrorCode::parse) {
            Some(code) if code.sent_over().websocket() => {
                named.insert(code.as_str());
            }
            Some(code) => problems.push(format!("{} is not sent over WebSocket", code.as_str())),
            None => problems.push(format!("{cell:?} is not a code of the table")),
        }
    }
    for code in ErrorCode::ALL.into_iter().filter(|c| c.sent_over().websocket()) {
        if !named.contains(code.as_str()) {
            problems.push(format!("{} is sent over WebSocket but no input names it", code.as_str()));
        }
    }
    problems
}

#[test]
fn admin_api_error_table_matches_the_codes() {
    let problems = admin_api_problems(&read_doc("ADMIN_API.md"));
    assert!(problems.is_empty(), "docs/ADMIN_API.md error table:\n{}", problems.join("\n"));
}

#[test]
fn protocol_error_table_matches_the_codes() {
    let problems = protocol_problems(&read_doc("PROTOCOL.md"));
    assert!(problems.is_empty(), "docs/PROTOCOL.md error table:\n{}", problems.join("\n"));
}

/// The checks find what they are for: a wrong status, an unknown code, a code sent
/// elsewhere, a duplicate and a missing code.
#[test]
fn the_checks_catch_a_wrong_table() {
    let admin = "| status | code | when |\n|---|---|---|\n\
                 | 400 | `conflict` | x |\n| 418 | `teapot` | x |\n| 400 | `not_joined` | x |\n\
                 | 400 | `bad_request` | x |\n| 400 | `bad_request` | x |\n";
    let problems = admin_api_problems(admin).join("\n");
    for expected in [
        "conflict is listed with 400",
        "\"`teapot`\" is not a code",
        "not_joined is not sent over HTTP",
        "bad_request is listed twice",
        "unauthorized is sent over HTTP but not listed",
    ] {
        assert!(problems.contains(expected), "missing {expected:?} in:\n{problems}");
    }
    let protocol = "| input | code |\n|---|---|\n| a | `conflict` |\n| b | `not_joined` (x) |\n";
    let problems = protocol_problems(protocol).join("\n");
    for expected in ["conflict is not sent over WebSocket", "bad_request is sent over WebSocket but no input"]
    {
        assert!(problems.contains(expected), "missing {expected:?} in:\n{problems}");
    }
}
