//! `TestServer`: the real `roomd` binary as a child process on an ephemeral port, its
//! own working directory and its own `TestDb`. Configured only through
//! `ROOMD__SECTION__KEY` variables. It can be killed (SIGKILL or SIGTERM) and booted
//! again on the same database; the child is killed when the guard is dropped.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::time::Instant;

use super::db::TestDb;
use super::ws_client::WsClient;
use super::LONG;

const BIN: &str = env!("CARGO_BIN_EXE_roomd");
const BOOT_TIMEOUT: Duration = Duration::from_secs(30);

/// Lines a child wrote, shared with the threads that drain its pipes.
type Lines = Arc<Mutex<Vec<String>>>;

/// A running (or stopped, between restarts) `roomd serve`.
pub struct TestServer {
    /// `127.0.0.1:PORT` of the current boot; it changes on restart.
    pub addr: String,
    /// The admin secret (printed by the first boot, or made with the CLI).
    pub admin_token: String,
    http: reqwest::Client,
    env: Vec<(String, String)>,
    child: Option<Child>,
    stdout: Lines,
    stderr: Lines,
    workdir: TempDir,
    /// Runs the process here instead of `workdir` (`run_in`).
    cwd: Option<std::path::PathBuf>,
    /// Arguments after `serve` (`serve_args`).
    serve_args: Vec<String>,
    // Held for its `Drop`, declared last: the database goes away only after
    // `TestServer::drop` has killed the child. `None` for a server on a database that
    // someone else keeps (several cluster nodes on one database).
    db: Option<TestDb>,
}

impl TestServer {
    /// Boots on a fresh database with the test defaults.
    pub async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// Boots with extra `ROOMD__…` variables (they override the defaults) and reads
    /// the admin token the first boot prints to stderr.
    pub async fn start_with(env: &[(&str, &str)]) -> Self {
        Self::start_on(TestDb::new(), env).await
    }

    /// A server that is not running yet: fresh database and working directory. Lets a
    /// test run CLI commands (`cli`) before the first `boot`.
    pub fn new(extra: &[(&str, &str)]) -> Self {
        Self::new_on(TestDb::new(), extra)
    }

    /// Boots on `db` (see `start_with`).
    pub async fn start_on(db: TestDb, env: &[(&str, &str)]) -> Self {
        let mut srv = Self::new_on(db, env);
        srv.boot().await;
        srv.admin_token = srv.printed_admin_token().await;
        srv
    }

    /// A server that is not running yet, on `db`.
    pub fn new_on(db: TestDb, extra: &[(&str, &str)]) -> Self {
        let mut srv = Self::new_shared(&db.url(), extra);
        srv.db = Some(db);
        srv
    }

    /// A server that is not running yet, on the database at `db_url`, which the caller
    /// keeps alive for as long as the server runs (a cluster fixture shares one `TestDb`
    /// between its nodes). `db()` panics on such a server.
    pub fn new_shared(db_url: &str, extra: &[(&str, &str)]) -> Self {
        let mut env: Vec<(String, String)> = [
            ("ROOMD__SERVER__BIND", "127.0.0.1:0".to_string()),
            ("ROOMD__DATABASE__URL", db_url.to_string()),
            ("ROOMD__LOG__LEVEL", "info".to_string()),
            ("ROOMD__LOG__FORMAT", "json".to_string()),
            // Tests poll the admin API with `eventually` (50 requests/s) for up to
            // `LONG`, which the default admin rate limit would refuse after a few
            // seconds. A test of the limit sets its own (later variables win).
            ("ROOMD__LIMITS__ADMIN_PER_SEC", "100000".to_string()),
            ("ROOMD__LIMITS__ADMIN_BURST", "100000".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Self {
            addr: String::new(),
            admin_token: String::new(),
            http: reqwest::Client::new(),
            env,
            child: None,
            stdout: Lines::default(),
            stderr: Lines::default(),
            workdir: tempfile::tempdir().expect("create working dir"),
            cwd: None,
            serve_args: Vec::new(),
            db: None,
        }
    }

    /// `roomd ARGS…` with this server's environment and working directory, to completion.
    pub async fn cli(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = tokio::process::Command::new(BIN);
        cmd.args(args).current_dir(self.cwd()).stdin(Stdio::null()).kill_on_drop(true);
        clean_env(cmd.as_std_mut());
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        tokio::time::timeout(BOOT_TIMEOUT, cmd.output())
            .await
            .unwrap_or_else(|_| panic!("roomd {args:?} did not finish within {BOOT_TIMEOUT:?}"))
            .unwrap_or_else(|e| panic!("run roomd {args:?}: {e}"))
    }

    /// Spawns `roomd serve` and waits for its `"msg":"listening"` log line.
    pub async fn boot(&mut self) {
        assert!(self.child.is_none(), "boot: the previous process has not exited");
        let mut cmd = Command::new(BIN);
        cmd.arg("serve").args(&self.serve_args).current_dir(self.cwd());
        clean_env(&mut cmd);
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {BIN}: {e}"));

        self.stdout = Lines::default();
        self.stderr = Lines::default();
        let (tx, rx) = tokio::sync::oneshot::channel();
        let out = drain(child.stdout.take().expect("stdout"), self.stdout.clone(), Some(tx));
        let err = drain(child.stderr.take().expect("stderr"), self.stderr.clone(), None);

        match tokio::time::timeout(BOOT_TIMEOUT, rx).await {
            Ok(Ok(addr)) => {
                self.addr = addr;
                self.child = Some(child);
            }
            outcome => {
                let _ = child.kill();
                let status = child.wait();
                let _ = (out.join(), err.join());
                panic!(
                    "roomd serve did not report listening ({}; exit {status:?})\n--- stderr ---\n{}\n--- stdout ---\n{}",
                    if outcome.is_err() { "timed out" } else { "stdout closed" },
                    self.stderr_text(),
                    self.stdout_text()
                );
            }
        }
    }

    /// The secret the first boot printed alone on a stderr line (`rmd_…`).
    pub async fn printed_admin_token(&self) -> String {
        let token = || {
            let lines = self.stderr.lock().unwrap();
            lines.iter().map(|l| l.trim()).find(|l| l.starts_with("rmd_")).map(str::to_string)
        };
        let deadline = Instant::now() + LONG;
        while token().is_none() {
            assert!(
                Instant::now() < deadline,
                "serve printed no admin token (rmd_…) on stderr within {LONG:?}\n--- stderr ---\n{}",
                self.stderr_text()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        token().expect("token line")
    }

    /// SIGKILL, then reap the process.
    pub async fn kill_9(&mut self) {
        let mut child = self.child.take().expect("kill_9: server not running");
        child.kill().expect("SIGKILL roomd");
        child.wait().expect("reap roomd");
    }

    /// Sends `kill -SIG` to the running process (e.g. `STOP` to freeze it, `CONT`).
    #[allow(dead_code)] // used by the cluster tests
    pub fn signal(&self, sig: &str) {
        let pid = self.child.as_ref().expect("signal: server not running").id();
        let status =
            Command::new("kill").args([&format!("-{sig}"), &pid.to_string()]).status().expect("run kill");
        assert!(status.success(), "kill -{sig} {pid} failed: {status}");
    }

    /// Sends SIGTERM; use `wait_exit` for the outcome.
    pub fn terminate(&self) {
        let pid = self.child.as_ref().expect("terminate: server not running").id();
        let status = Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("run kill");
        assert!(status.success(), "kill -TERM {pid} failed: {status}");
    }

    /// The exit status if the process exits within `within`, else `None` (still running).
    pub async fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            let child = self.child.as_mut().expect("wait_exit: server not running");
            if let Some(status) = child.try_wait().expect("try_wait") {
                self.child = None;
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Boots again on the same database and working directory (new port).
    pub async fn restart(&mut self) {
        if self.child.is_some() {
            assert!(self.wait_exit(Duration::ZERO).await.is_some(), "restart: the server is still running");
        }
        self.boot().await;
    }

    /// Everything the current boot wrote, for failure messages.
    pub fn stdout_text(&self) -> String {
        self.stdout.lock().unwrap().join("\n")
    }

    /// The server's own temporary directory, its working directory unless `run_in`
    /// names another (where the defaults' `config/rooms.toml` is looked for).
    pub fn workdir(&self) -> &std::path::Path {
        self.workdir.path()
    }

    /// Later boots and CLI runs start in `dir` instead of `workdir()`.
    pub fn run_in(&mut self, dir: &std::path::Path) {
        self.cwd = Some(dir.to_path_buf());
    }

    /// Later boots run `roomd serve ARGS…` (e.g. `--config FILE`).
    pub fn serve_args(&mut self, args: &[&str]) {
        self.serve_args = args.iter().map(|a| a.to_string()).collect();
    }

    fn cwd(&self) -> &std::path::Path {
        self.cwd.as_deref().unwrap_or(self.workdir.path())
    }

    /// The database the server runs on (only for a server that owns it).
    pub fn db(&self) -> &TestDb {
        self.db.as_ref().expect("this server runs on a database it does not own (new_shared)")
    }

    /// Whether the process of the current boot is running (not killed, not exited).
    #[allow(dead_code)] // used by the cluster tests
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => child.try_wait().expect("try_wait").is_none(),
            None => false,
        }
    }

    /// How the process of the current boot ended, if it has (`None` while it runs or
    /// when no process was booted): for failure reports.
    #[allow(dead_code)] // used by the cluster tests
    pub fn exit_status(&mut self) -> Option<ExitStatus> {
        self.child.as_mut().and_then(|child| child.try_wait().ok().flatten())
    }

    pub fn stderr_text(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    // ---- HTTP ----

    /// `http://ADDR{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A plain HTTP client (no credentials).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Replaces the HTTP client every request to this server goes through (a cluster
    /// node's has a request timeout and keeps no idle connections).
    #[allow(dead_code)] // used by the cluster tests
    pub fn set_http(&mut self, client: reqwest::Client) {
        self.http = client;
    }

    /// `GET` with the admin bearer token.
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.http.get(self.url(path)).bearer_auth(&self.admin_token)
    }

    /// `POST` of a JSON body with the admin bearer token.
    pub fn post(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.http.post(self.url(path)).bearer_auth(&self.admin_token).json(body)
    }

    /// The ids of the first page of `GET /api/v1/rooms`, in the order `sort` asks for
    /// (`None`: the default order).
    pub async fn room_ids(&self, sort: Option<&str>) -> Vec<String> {
        let mut req = self.get("/api/v1/rooms");
        if let Some(sort) = sort {
            req = req.query(&[("sort", sort)]);
        }
        let resp = req.send().await.expect("GET /rooms");
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.expect("JSON");
        assert_eq!(status, 200, "GET /rooms ({sort:?}): {body}");
        body["items"]
            .as_array()
            .unwrap_or_else(|| panic!("no items: {body}"))
            .iter()
            .map(|r| r["id"].as_str().expect("id").to_string())
            .collect()
    }

    /// Creates room `id` through the admin API; returns the room object.
    pub async fn create_room(&self, id: &str) -> Value {
        let resp =
            self.post("/api/v1/rooms", &json!({"id": id, "name": id})).send().await.expect("POST /rooms");
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.expect("room JSON");
        assert_eq!(status, 201, "create room {id}: {body}");
        body
    }

    /// Creates a token of `kind` named `name`; returns its secret.
    pub async fn token(&self, kind: &str, name: &str) -> String {
        let body = json!({"kind": kind, "name": name, "roles": []});
        let resp = self.post("/api/v1/tokens", &body).send().await.expect("POST /tokens");
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.expect("token JSON");
        assert_eq!(status, 201, "create {kind} token {name}: {body}");
        body["token"].as_str().expect("token secret").to_string()
    }

    /// A user token named `name`.
    pub async fn user(&self, name: &str) -> String {
        self.token("user", name).await
    }

    /// A WebSocket session for `token` (query-parameter auth), past its `hello`.
    pub async fn ws(&self, token: &str) -> WsClient {
        WsClient::connect(&self.addr, token).await
    }

    /// A new user `name` with a session.
    pub async fn ws_user(&self, name: &str) -> WsClient {
        let token = self.user(name).await;
        self.ws(&token).await
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The child must not inherit a developer's `ROOMD__…` settings.
fn clean_env(cmd: &mut Command) {
    for (key, _) in std::env::vars_os() {
        // ROOMD_TEST_DATABASE_URL and the like are the test runner's, not the server's.
        if key.to_string_lossy().starts_with("ROOMD_") {
            cmd.env_remove(key);
        }
    }
}

/// Reads `pipe` to its end on a thread (so it never fills), keeping the lines. With
/// `listening`, reports the `addr` of the first `"msg":"listening"` JSON line.
fn drain(
    pipe: impl Read + Send + 'static,
    lines: Lines,
    mut listening: Option<tokio::sync::oneshot::Sender<String>>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if let Some(addr) = listening.is_some().then(|| listening_addr(&line)).flatten() {
                let _ = listening.take().map(|tx| tx.send(addr));
            }
            lines.lock().unwrap().push(line);
        }
    })
}

fn listening_addr(line: &str) -> Option<String> {
    let v: Value = serde_json::from_str(line).ok()?;
    (v["msg"] == "listening").then(|| v["addr"].as_str().map(str::to_string)).flatten()
}
