//! The server under test: starts `roomd serve` from a release binary in a temp working
//! directory (fresh SQLite unless `--database-url`), reads the admin token it prints on
//! stderr, creates user tokens through the admin API, samples the process from
//! `/proc/<pid>` (RSS and CPU) and stops it with SIGTERM.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use futures_util::{stream, StreamExt};

/// Linux `_SC_CLK_TCK`; 100 on every architecture roomd targets.
const CLK_TCK: f64 = 100.0;

pub struct Server {
    child: Child,
    pub pid: u32,
    pub port: u16,
    pub admin: String,
    _workdir: tempfile::TempDir,
}

pub struct ServerOpts<'a> {
    pub bin: &'a Path,
    pub database_url: Option<&'a str>,
    pub admin_token: Option<&'a str>,
    pub extra_env: &'a [(String, String)],
}

impl Server {
    /// Starts the server and waits until it accepts TCP connections.
    ///
    /// At `log.level = warning` the `{"msg":"listening",…}` line is filtered out, so the
    /// port is chosen here (bind :0, read the port, release it) and passed in `server.bind`.
    pub fn start(opts: &ServerOpts) -> Result<Server> {
        let bin = std::fs::canonicalize(opts.bin).with_context(|| {
            format!("server binary {} (run `cargo build --release` first)", opts.bin.display())
        })?;
        let workdir = tempfile::tempdir().context("temp working directory")?;
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut cmd = Command::new(&bin);
        cmd.arg("serve")
            .current_dir(workdir.path())
            .env("ROOMD__SERVER__BIND", format!("127.0.0.1:{port}"))
            .env("ROOMD__LOG__LEVEL", "warning")
            .env("ROOMD__LIMITS__MSGS_PER_SEC", "1000000")
            .env("ROOMD__LIMITS__BURST", "1000000")
            .env("ROOMD__LIMITS__ADMIN_PER_SEC", "1000000")
            .env("ROOMD__LIMITS__ADMIN_BURST", "1000000")
            .env("ROOMD__ROOMS__AUTO_CREATE", "true")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(workdir.path().join("stdout.log"))?)
            .stderr(Stdio::piped());
        if let Some(url) = opts.database_url {
            cmd.env("ROOMD__DATABASE__URL", url);
        }
        for (k, v) in opts.extra_env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().with_context(|| format!("starting {}", bin.display()))?;
        let pid = child.id();
        let stderr = child.stderr.take().expect("piped stderr");
        // The admin token line comes first; the rest of stderr is forwarded with a prefix.
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if line.starts_with("rmd_") {
                    let _ = tx.send(line);
                } else if !line.contains("no admin token existed") {
                    eprintln!("[roomd] {line}");
                }
            }
        });
        let admin = match opts.admin_token {
            Some(t) => t.to_string(),
            None => {
                match rx.recv_timeout(Duration::from_secs(30)) {
                    Ok(t) => t,
                    Err(_) => {
                        let _ = child.kill();
                        bail!("roomd printed no admin token within 30 s (an existing database needs --admin-token)")
                    }
                }
            }
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(status) = child.try_wait()? {
                bail!("roomd exited before listening: {status}");
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                bail!("roomd not listening on port {port} after 30 s");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Server { child, pid, port, admin, _workdir: workdir })
    }

    pub fn ws_url(&self, token: &str) -> String {
        format!("ws://127.0.0.1:{}/ws?token={token}", self.port)
    }

    /// `n` user tokens (`POST /api/v1/tokens`), 16 requests at a time.
    pub async fn create_tokens(&self, n: usize) -> Result<Vec<String>> {
        let client = reqwest::Client::new();
        let url = format!("http://127.0.0.1:{}/api/v1/tokens", self.port);
        let results: Vec<Result<String>> = stream::iter(0..n)
            .map(|i| {
                let (client, url) = (&client, &url);
                async move {
                    let body = serde_json::json!({"kind": "user", "name": format!("load{i}")});
                    let resp = client.post(url).bearer_auth(&self.admin).json(&body).send().await?;
                    let status = resp.status();
                    let v: serde_json::Value = resp.json().await?;
                    match v.get("token").and_then(|t| t.as_str()) {
                        Some(t) => Ok(t.to_string()),
                        None => bail!("POST /api/v1/tokens: {status} {v}"),
                    }
                }
            })
            .buffered(16)
            .collect()
            .await;
        results.into_iter().collect()
    }

    /// SIGTERM, then SIGKILL if it has not exited within 10 s.
    pub fn stop(mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.pid.to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("load: roomd did not exit 10 s after SIGTERM; killing it");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// VmRSS of a process, in KiB (`pid` 0 = this process).
pub fn rss_kib(pid: u32) -> u64 {
    let path = if pid == 0 { "/proc/self/status".to_string() } else { format!("/proc/{pid}/status") };
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

/// utime + stime of a process, in seconds (`pid` 0 = this process).
pub fn cpu_secs(pid: u32) -> f64 {
    let path = if pid == 0 { "/proc/self/stat".to_string() } else { format!("/proc/{pid}/stat") };
    let Ok(s) = std::fs::read_to_string(path) else { return 0.0 };
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    let Some(rest) = s.rfind(')').map(|i| &s[i + 2..]) else { return 0.0 };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    (ticks(11) + ticks(12)) as f64 / CLK_TCK
}

/// CPU use of the server and of this client over a window, plus the server's peak RSS
/// (sampled every 50 ms on a thread) from creation to `finish`.
pub struct Sampler {
    pid: u32,
    started: Instant,
    server_cpu0: f64,
    client_cpu0: f64,
    peak: Arc<AtomicU64>,
    done: Arc<AtomicBool>,
}

pub struct Sample {
    pub rss_kib_peak: u64,
    pub rss_kib_end: u64,
    pub server_cpu_pct: f64,
    pub client_cpu_pct: f64,
}

impl Sampler {
    pub fn start(pid: u32) -> Sampler {
        let peak = Arc::new(AtomicU64::new(rss_kib(pid)));
        let done = Arc::new(AtomicBool::new(false));
        let (p, d) = (peak.clone(), done.clone());
        std::thread::spawn(move || {
            while !d.load(Ordering::Relaxed) {
                p.fetch_max(rss_kib(pid), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        Sampler {
            pid,
            started: Instant::now(),
            server_cpu0: cpu_secs(pid),
            client_cpu0: cpu_secs(0),
            peak,
            done,
        }
    }

    /// Restarts the CPU window (e.g. at the end of the warmup); the RSS peak keeps going.
    pub fn reset_cpu(&mut self) {
        self.started = Instant::now();
        self.server_cpu0 = cpu_secs(self.pid);
        self.client_cpu0 = cpu_secs(0);
    }

    pub fn finish(self) -> Sample {
        let wall = self.started.elapsed().as_secs_f64().max(1e-9);
        let end = rss_kib(self.pid);
        self.done.store(true, Ordering::Relaxed);
        Sample {
            rss_kib_peak: self.peak.load(Ordering::Relaxed).max(end),
            rss_kib_end: end,
            server_cpu_pct: 100.0 * (cpu_secs(self.pid) - self.server_cpu0) / wall,
            client_cpu_pct: 100.0 * (cpu_secs(0) - self.client_cpu0) / wall,
        }
    }
}
