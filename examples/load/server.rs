//! The server the runner starts when no `--nodes` are given: `roomd serve` from a
//! release binary in a temp working directory (fresh SQLite unless `--database-url`);
//! reads the admin token it prints on stderr and stops it with SIGTERM. What is done
//! with it (tokens, connections) is in `nodes.rs`; what is measured in `sample.rs`.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

pub struct Server {
    child: Child,
    pub pid: u32,
    pub port: u16,
    pub admin: String,
    /// When `roomd serve` was spawned (the start of the start-up the `scale` scenario times).
    pub spawned_at: Instant,
    _workdir: tempfile::TempDir,
}

pub struct ServerOpts<'a> {
    pub bin: &'a Path,
    pub database_url: Option<&'a str>,
    pub admin_token: Option<&'a str>,
    pub extra_env: &'a [(String, String)],
    /// A `roomd export` file to load with `roomd import` before serving (`scale`).
    pub import: Option<&'a Path>,
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
        if let Some(file) = opts.import {
            import(&bin, workdir.path(), opts, file)?;
        }
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
        let spawned_at = Instant::now();
        let mut child = cmd.spawn().with_context(|| format!("starting {}", bin.display()))?;
        let pid = child.id();
        let stderr = child.stderr.take().context("piped stderr")?;
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
        Ok(Server { child, pid, port, admin, spawned_at, _workdir: workdir })
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

/// `roomd import --in FILE` into the store `serve` will use (the temp directory's SQLite
/// file, or `--database-url`, which must be empty).
fn import(bin: &Path, workdir: &Path, opts: &ServerOpts, file: &Path) -> Result<()> {
    let mut cmd = Command::new(bin);
    cmd.arg("import").arg("--in").arg(file).current_dir(workdir).stdin(Stdio::null()).stdout(Stdio::null());
    if let Some(url) = opts.database_url {
        cmd.env("ROOMD__DATABASE__URL", url);
    }
    for (k, v) in opts.extra_env {
        cmd.env(k, v);
    }
    let status = cmd.status().with_context(|| format!("running {} import", bin.display()))?;
    if !status.success() {
        bail!("roomd import --in {} failed: {status}", file.display());
    }
    Ok(())
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
