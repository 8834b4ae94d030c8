//! The operator's commands, run as the real binary: `roomd token list` and
//! `roomd token revoke` on the store (the revoked token is then refused by the running
//! server), `roomd config check` (the effective settings with their sources and
//! secrets redacted, or exit code 1 naming the key at fault), `serve`'s warning about
//! a `ROOMD_…` variable it does not read, and what `serve --help` says.

use serde_json::{json, Value};

use crate::common::{server::TestServer, Auth, WsClient};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn token_lines(srv: &TestServer) -> Vec<Value> {
    let out = srv.cli(&["token", "list", "--json"]).await;
    assert!(out.status.success(), "token list: {}", stderr(&out));
    stdout(&out).lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_listed_and_revoked_from_the_command_line() {
    // No cache: the server reads the store on every upgrade, so a CLI revoke shows at once.
    let srv = TestServer::start_with(&[("ROOMD__AUTH__TOKEN_CACHE_SECS", "0")]).await;
    let created: Value = srv
        .post("/api/v1/tokens", &json!({"kind": "user", "name": "alice", "roles": ["vip"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (id, secret) = (created["id"].as_str().unwrap(), created["token"].as_str().unwrap());
    WsClient::connect(&srv.addr, secret).await.ping().await;

    let lines = token_lines(&srv).await;
    let alice = lines.iter().find(|l| l["id"] == id).unwrap_or_else(|| panic!("{id} not in {lines:?}"));
    assert_eq!(
        (&alice["kind"], &alice["name"], &alice["roles"], &alice["revoked"]),
        (&json!("user"), &json!("alice"), &json!(["vip"]), &Value::Null)
    );
    assert_eq!(alice["created"], created["created_at"]);
    assert!(lines.iter().any(|l| l["kind"] == "admin"), "the first boot's admin token: {lines:?}");
    let keys: Vec<&String> = alice.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 6, "no secret or hash in a line: {alice}");
    let table = stdout(&srv.cli(&["token", "list"]).await);
    assert!(table.starts_with("ID ") && table.contains(id) && table.contains("vip"), "{table}");

    let out = srv.cli(&["token", "revoke", id]).await;
    assert!(out.status.success(), "revoke: {}", stderr(&out));
    assert!(stdout(&out).contains("auth.token_cache_secs"), "{}", stdout(&out));
    let lines = token_lines(&srv).await;
    let alice = lines.iter().find(|l| l["id"] == id).unwrap();
    assert!(alice["revoked"].is_string(), "{alice}");
    assert_eq!(WsClient::refused_status(&srv.addr, Auth::Query(secret)).await, 401);
    let api: Value = srv.get("/api/v1/tokens?limit=500").send().await.unwrap().json().await.unwrap();
    let row = api["items"].as_array().unwrap().iter().find(|t| t["id"] == id).cloned().unwrap();
    assert_eq!(row["revoked_at"], alice["revoked"], "the API sees the same revoke");

    let again = srv.cli(&["token", "revoke", id]).await;
    assert!(again.status.success() && stdout(&again).contains("already revoked"), "{}", stdout(&again));
    let unknown = srv.cli(&["token", "revoke", "tok_nosuchtoken00000"]).await;
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("not found"), "{}", stderr(&unknown));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_check_prints_the_effective_settings_with_their_sources() {
    let srv = TestServer::new(&[
        ("ROOMD__AUTH__JWT_SECRET", "topsecret-value"),
        ("ROOMD__METRICS__TOKEN", "scrape-me"),
    ]);
    std::fs::write(srv.workdir().join("roomd.toml"), "[rooms]\nretention_days = 7\n").unwrap();
    let out = srv.cli(&["config", "check", "--config", "roomd.toml"]).await;
    let text = stdout(&out);
    assert!(out.status.success(), "{}\n{text}", stderr(&out));
    for line in [
        "retention_days = 7  # file",
        "jwt_secret = \"<redacted>\"  # environment",
        "token = \"<redacted>\"  # environment",
        "bind = \"127.0.0.1:0\"  # environment",
        "max_text = 4000  # default",
    ] {
        assert!(text.lines().any(|l| l == line), "no line {line:?} in\n{text}");
    }
    assert!(!text.contains("topsecret-value") && !text.contains("scrape-me"), "{text}");

    // A password in the database URL is hidden too.
    let srv = TestServer::new(&[("ROOMD__DATABASE__URL", "postgres://app:hunter2@db.example/roomd")]);
    let text = stdout(&srv.cli(&["config", "check"]).await);
    assert!(text.contains("url = \"postgres://app:***@db.example/roomd\"  # environment"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_check_fails_naming_the_key_at_fault() {
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("ROOMD_SERVER_BIND", "0.0.0.0:1")], "ROOMD_SERVER_BIND"),
        (&[("ROOMD__SERVER__BINDD", "0.0.0.0:1")], "ROOMD__SERVER__BINDD"),
        (&[("ROOMD__LIMITS__MAX_TEXT", "lots")], "limits.max_text"),
        (
            &[
                ("ROOMD__DATABASE__URL", "sqlite://data/roomd.db"),
                ("ROOMD__CLUSTER__ENABLED", "true"),
                ("ROOMD__CLUSTER__NODE_ID", "n1"),
            ],
            "cluster.enabled",
        ),
    ];
    for (env, key) in cases {
        let srv = TestServer::new(env);
        let out = srv.cli(&["config", "check"]).await;
        assert_eq!(out.status.code(), Some(1), "{env:?}: {}", stdout(&out));
        assert!(stderr(&out).contains(&format!("config check: {key}: ")), "{env:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "nothing printed as effective: {}", stdout(&out));
    }
    let srv = TestServer::new(&[]);
    std::fs::write(srv.workdir().join("bad.toml"), "[rooms]\nretention_dayz = 7\n").unwrap();
    let out = srv.cli(&["config", "check", "--config", "bad.toml"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("rooms.retention_dayz"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_warns_about_a_variable_it_does_not_read_and_says_how_in_its_help() {
    let srv = TestServer::start_with(&[("ROOMD_SERVER_BIND", "0.0.0.0:9")]).await;
    let logs = srv.stdout_text();
    let warning = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["msg"] == "environment variable ignored")
        .unwrap_or_else(|| panic!("no warning in\n{logs}"));
    assert_eq!(warning["var"], "ROOMD_SERVER_BIND", "{warning}");

    let help = stdout(&srv.cli(&["serve", "--help"]).await);
    for needle in ["127.0.0.1:8080", "sqlite://data/roomd.db", "ROOMD__SECTION__KEY", "ROOMD__SERVER__BIND"] {
        assert!(help.contains(needle), "{needle:?} not in serve --help:\n{help}");
    }
}
