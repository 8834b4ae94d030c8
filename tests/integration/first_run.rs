//! A new user's first run, as the README tells it: the walkthrough prints what it
//! shows on a fresh store with the server started from the repository root (and a
//! second run goes on instead of waiting forever); files a `--config` file names are
//! found next to it from any working directory; store errors name the path or URL and
//! the cause; the README's `roomd …` commands exist; `POST /rooms` and `POST /tokens`
//! refuse unknown fields; the `listening` line says where everything is.

use std::path::Path;

use serde_json::{json, Value};

use crate::common::db::postgres_url_or;
use crate::common::services::{self, Need};
use crate::common::{eventually, text, TestServer, WsClient, LONG};

const REPO: &str = env!("CARGO_MANIFEST_DIR");
const BIN: &str = env!("CARGO_BIN_EXE_roomd");

async fn json_of(resp: reqwest::Response, status: u16) -> Value {
    let got = resp.status().as_u16();
    let body = resp.text().await.expect("body");
    assert_eq!(got, status, "{body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

fn readme() -> String {
    std::fs::read_to_string(Path::new(REPO).join("README.md")).expect("read README.md")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_walkthrough_prints_what_it_shows_when_served_from_the_repository_root() {
    let readme = readme();
    for shown in [
        r#"print(await ws.recv())   # {"type":"joined","id":1,"room":"lobby","seq":0,…}"#,
        r#"print(await ws.recv())   # {"type":"ack","id":2,"room":"lobby","seq":1,"client_id":"…","duplicate":false}"#,
        r#"print(await ws.recv())   # {"type":"message","room":"lobby","seq":1,"from":{…},"text":"hi",…}"#,
    ] {
        assert!(readme.contains(shown), "README.md's walkthrough no longer shows {shown}");
    }
    // As `cargo run -- serve` in the checkout: its config/ is in the working directory.
    let mut srv = TestServer::new(&[]);
    srv.run_in(Path::new(REPO));
    srv.boot().await;
    srv.admin_token = srv.printed_admin_token().await;

    json_of(
        srv.post("/api/v1/rooms", &json!({"id": "lobby", "name": "Lobby"})).send().await.expect("POST"),
        201,
    )
    .await;
    let shown = r#"# → {"id":"tok_…","kind":"user","name":"alice","roles":[],"created_at":"…","revoked_at":null,"token":"rmd_…"}"#;
    assert!(readme.contains(shown), "README.md no longer shows {shown}");
    let resp =
        srv.post("/api/v1/tokens", &json!({"kind": "user", "name": "alice"})).send().await.expect("POST");
    assert_eq!(resp.status().as_u16(), 201);
    // curl prints the body as it is: the same keys in the same order.
    let raw = resp.text().await.expect("body");
    let keys = [
        "\"id\":",
        "\"kind\":",
        "\"name\":",
        "\"roles\":",
        "\"created_at\":",
        "\"revoked_at\":",
        "\"token\":",
    ];
    let at: Vec<usize> =
        keys.iter().map(|k| raw.find(k).unwrap_or_else(|| panic!("{k} not in {raw}"))).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "keys in README.md's order: {raw}");
    let token: Value = serde_json::from_str(&raw).expect("JSON");
    assert_eq!(token.as_object().map(|o| o.len()), Some(keys.len()), "no other keys: {raw}");
    assert!(token["revoked_at"].is_null(), "{raw}");
    assert_eq!(
        (&token["kind"], &token["name"], &token["roles"]),
        (&json!("user"), &json!("alice"), &json!([]))
    );
    let secret = token["token"].as_str().expect("token");
    assert!(
        secret.starts_with("rmd_") && token["id"].as_str().is_some_and(|id| id.starts_with("tok_")),
        "{token}"
    );

    // The client, twice: the second run goes on from where the first left off.
    for run in 0..2 {
        let mut ws = WsClient::connect(&srv.addr, secret).await;
        assert_eq!(
            (&ws.hello["protocol"], &ws.hello["user"]["id"]),
            (&json!("1.1"), &json!("alice")),
            "{}",
            ws.hello
        );
        ws.send(json!({"type": "join", "room": "lobby", "id": 1})).await;
        let joined = ws.next().await;
        assert_eq!(
            (&joined["type"], &joined["id"], &joined["room"], &joined["seq"]),
            (&json!("joined"), &json!(1), &json!("lobby"), &json!(run)),
            "{joined}"
        );
        let client_id = format!("{:032x}", rand::random::<u128>());
        ws.send(json!({"type": "send", "room": "lobby", "text": "hi", "client_id": client_id, "id": 2}))
            .await;
        let ack = ws.next().await;
        assert_eq!(
            (&ack["type"], &ack["id"], &ack["seq"], &ack["client_id"], &ack["duplicate"]),
            (&json!("ack"), &json!(2), &json!(run + 1), &json!(client_id), &json!(false)),
            "the frame after joined (no welcome first): {ack}"
        );
        let message = ws.next().await;
        assert_eq!(
            (&message["type"], &message["seq"], text(&message)),
            (&json!("message"), &json!(run + 1), "hi")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_a_config_file_names_are_found_next_to_it_from_another_working_directory() {
    let etc = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(etc.path().join("rooms")).expect("mkdir");
    let config = etc.path().join("roomd.toml");
    std::fs::write(
        &config,
        "[rooms]\nfile = \"rooms/declared.toml\"\n\n[welcome]\ntemplate_file = \"welcome.txt\"\n",
    )
    .expect("write config");
    std::fs::write(etc.path().join("rooms/declared.toml"), "[[rooms]]\nid = \"hall\"\nname = \"Hall\"\n")
        .expect("write rooms file");
    std::fs::write(etc.path().join("welcome.txt"), "Welcome to {{room}}, {{name}}.\n")
        .expect("write template");

    // Its working directory is a temporary directory of its own, with neither file.
    let mut srv = TestServer::new(&[]);
    srv.serve_args(&["--config", config.to_str().expect("UTF-8 path")]);
    srv.boot().await;
    srv.admin_token = srv.printed_admin_token().await;

    let hall = json_of(srv.get("/api/v1/rooms/hall").send().await.expect("GET"), 200).await;
    assert_eq!(hall["name"], "Hall", "the rooms file was read: {hall}");
    let mut alice = srv.ws_user("alice").await;
    alice.join("hall").await;
    let welcome = alice.expect("message").await;
    assert_eq!(text(&welcome), "Welcome to Hall, alice.", "the template was read: {welcome}");
}

/// `roomd migrate` and `roomd serve` on `url`: both fail, and stderr names `names`.
async fn refused(url: &str, names: &[&str]) {
    let srv = TestServer::new(&[("ROOMD__DATABASE__URL", url)]);
    for command in ["migrate", "serve"] {
        let out = srv.cli(&[command]).await;
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "roomd {command} on {url} succeeded: {err}");
        for name in names {
            assert!(err.contains(name), "roomd {command} on {url}: {name:?} not in: {err}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_errors_name_the_path_and_the_cause() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("afile");
    std::fs::write(&file, "not a directory").expect("write");
    let db = file.join("roomd.db");
    refused(&format!("sqlite://{}", db.display()), &[&db.display().to_string(), "is not a directory"]).await;
    let deeper = file.join("data/roomd.db");
    refused(&format!("sqlite://{}", deeper.display()), &[&deeper.display().to_string(), "Not a directory"])
        .await;

    // A directory without write permission; root writes anyway, but not in sysfs.
    use std::os::unix::fs::PermissionsExt;
    let ro = tmp.path().join("read-only");
    std::fs::create_dir(&ro).expect("mkdir");
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o500)).expect("chmod");
    let denied = match std::fs::write(ro.join("probe"), "") {
        Err(_) => ro.join("roomd.db"),
        Ok(()) => Path::new("/sys/roomd-first-run-test.db").to_path_buf(),
    };
    refused(&format!("sqlite://{}", denied.display()), &[&denied.display().to_string(), "Permission denied"])
        .await;

    let pg = postgres_url_or("postgres://postgres@127.0.0.1:5432/test");
    if services::present(&[Need::Postgres(&pg)]) {
        // The same server, a database that does not exist, and a password to hide.
        let mut url = url::Url::parse(&pg).expect("PostgreSQL URL");
        url.set_password(Some("hunter2")).expect("a password");
        url.set_path("/roomd_no_such_db");
        url.set_query(None);
        let url = url.to_string();
        let shown = url.replace(":hunter2@", ":***@");
        refused(&url, &[&shown, "database \"roomd_no_such_db\" does not exist"]).await;
        let out = TestServer::new(&[("ROOMD__DATABASE__URL", &url)]).cli(&["migrate"]).await;
        assert!(!String::from_utf8_lossy(&out.stderr).contains("hunter2"), "the password is redacted");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listening_line_names_the_version_the_store_and_where_everything_is() {
    let srv = TestServer::start().await;
    // The line is kept a moment after the boot has seen it.
    let find = || {
        let out = srv.stdout_text();
        out.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).find(|l| l["msg"] == "listening")
    };
    eventually("the listening line", LONG, || async { find().is_some() }).await;
    let line = find().expect("the listening line");
    let base = format!("http://{}", srv.addr);
    assert_eq!(line["version"], env!("CARGO_PKG_VERSION"), "{line}");
    assert_eq!(line["store"], srv.db().url(), "{line}");
    assert_eq!(
        (&line["console"], &line["api_docs"], &line["metrics"]),
        (
            &json!(format!("{base}/console/")),
            &json!(format!("{base}/docs")),
            &json!(format!("{base}/metrics"))
        ),
        "{line}"
    );
    for key in ["console", "api_docs", "metrics"] {
        let url = line[key].as_str().expect("URL");
        let resp = srv.http().get(url).send().await.expect("GET");
        assert_eq!(resp.status().as_u16(), 200, "GET {url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readmes_roomd_commands_exist_and_it_says_how_to_get_roomd() {
    let readme = readme();
    assert!(readme.contains("cargo install --path ."), "README.md says how to put roomd on the PATH");
    // `roomd WORDS…` at the start of a line in a code block, or after `VAR=value`s.
    let mut in_code = false;
    let mut commands: Vec<Vec<&str>> = Vec::new();
    for line in readme.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        let mut words = line.split_whitespace().skip_while(|w| in_code && w.contains('='));
        if in_code && words.next() == Some("roomd") {
            commands.push(words.take_while(|w| w.chars().all(|c| c.is_ascii_lowercase())).collect());
        }
    }
    assert!(
        commands.iter().any(|c| c == &["token", "create"]),
        "found no roomd commands in README.md: {commands:?}"
    );
    for words in commands {
        let out = std::process::Command::new(BIN).args(&words).arg("--help").output().expect("run roomd");
        assert!(
            out.status.success(),
            "`roomd {}` in README.md: {}",
            words.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_a_room_or_a_token_refuses_an_unknown_field_by_name() {
    let srv = TestServer::start().await;
    for (path, body, field) in [
        ("/api/v1/rooms", json!({"id": "lobby", "nmae": "Lobby"}), "nmae"),
        ("/api/v1/tokens", json!({"kind": "user", "name": "alice", "role": ["x"]}), "role"),
    ] {
        let err = json_of(srv.post(path, &body).send().await.expect("POST"), 422).await;
        assert_eq!(err["error"]["code"], "unprocessable", "{err}");
        let message = err["error"]["message"].as_str().expect("message");
        assert!(message.contains(field), "POST {path}: the message names {field}: {message}");
    }
    let rooms = json_of(srv.get("/api/v1/rooms").send().await.expect("GET"), 200).await;
    assert_eq!(rooms["items"], json!([]), "nothing was created");
    let doc = json_of(srv.http().get(srv.url("/api/v1/openapi.json")).send().await.expect("GET"), 200).await;
    for schema in ["CreateRoom", "CreateToken"] {
        assert_eq!(doc["components"]["schemas"][schema]["additionalProperties"], false, "{schema}");
    }
}
