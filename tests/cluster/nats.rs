//! `PrivateNats`: a `nats-server` of one test's own on an ephemeral loopback port, so
//! that test can take NATS away (SIGKILL) and bring it back on the same port without
//! touching the shared server other tests use. Killed when dropped.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};

use crate::common::{eventually, LONG};

pub const BIN: &str = "/usr/sbin/nats-server";

/// A running (or, between `kill_9` and `start`, stopped) NATS server.
pub struct PrivateNats {
    pub port: u16,
    child: Option<Child>,
}

impl PrivateNats {
    /// Picks a free port (bind `127.0.0.1:0`, then let it go) and starts a server there.
    pub async fn start() -> Self {
        let port =
            TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port").local_addr().unwrap().port();
        let mut nats = Self { port, child: None };
        nats.restart().await;
        nats
    }

    /// `nats://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The outage: SIGKILL, then reap.
    pub fn kill_9(&mut self) {
        let mut child = self.child.take().expect("kill_9: nats-server is not running");
        child.kill().expect("SIGKILL nats-server");
        child.wait().expect("reap nats-server");
    }

    /// Starts the server on `port` (again) and waits until it accepts connections.
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "nats-server is already running");
        let child = Command::new(BIN)
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {BIN}: {e}"));
        self.child = Some(child);
        let port = self.port;
        eventually(&format!("nats-server accepts connections on {port}"), LONG, || async move {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
        })
        .await;
    }
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
