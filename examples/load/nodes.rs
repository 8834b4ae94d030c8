//! The nodes under test: the one `roomd serve` this runner started (`server.rs`), or
//! the already-running nodes named by `--nodes` (e.g. a cluster, docs/CLUSTER.md).
//!
//! Connection *i* goes to node *i mod n* (round robin), so with one node everything
//! goes where it always went. Tokens and rooms are made through the first node's admin
//! API: in a cluster every node shares the store, so any node would do.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use futures_util::{stream, StreamExt};

use crate::sample::rss_kib_sum;
use crate::server::Server;

/// Admin API requests in flight at once while setting up.
const ADMIN_CONCURRENCY: usize = 16;

pub struct Nodes {
    /// `host:port` of each node, in `--nodes` order.
    addrs: Vec<String>,
    /// Server processes sampled for the `server` figures (may be empty with `--nodes`).
    pub pids: Vec<u32>,
    /// Other processes sampled for CPU only (`--aux-pid`).
    pub aux_pids: Vec<u32>,
    admin: String,
    /// The server this runner started; `None` for `--nodes`.
    owned: Option<Server>,
}

impl Nodes {
    /// The one server this runner started.
    pub fn started(server: Server, aux_pids: Vec<u32>) -> Nodes {
        Nodes {
            addrs: vec![format!("127.0.0.1:{}", server.port)],
            pids: vec![server.pid],
            aux_pids,
            admin: server.admin.clone(),
            owned: Some(server),
        }
    }

    /// Nodes someone else started; `addrs` are `host:port` (an `http://` or `ws://`
    /// prefix and a trailing `/` are accepted and dropped).
    pub fn attach(addrs: &[String], admin: String, pids: Vec<u32>, aux_pids: Vec<u32>) -> Result<Nodes> {
        let mut clean = Vec::with_capacity(addrs.len());
        for a in addrs {
            let a = a.trim();
            let a = a.strip_prefix("http://").or_else(|| a.strip_prefix("ws://")).unwrap_or(a);
            let a = a.trim_end_matches('/');
            match a.rsplit_once(':') {
                Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {
                    clean.push(a.to_string())
                }
                _ => bail!("--nodes wants host:port entries, got {a:?}"),
            }
        }
        if clean.is_empty() {
            bail!("--nodes is empty");
        }
        Ok(Nodes { addrs: clean, pids, aux_pids, admin, owned: None })
    }

    pub fn addrs(&self) -> &[String] {
        &self.addrs
    }

    /// Whether the runner started the server itself (then it made rooms auto-create).
    pub fn is_owned(&self) -> bool {
        self.owned.is_some()
    }

    /// The WebSocket URL of connection `conn`: node `conn mod n`.
    pub fn ws_url(&self, conn: usize, token: &str) -> String {
        format!("ws://{}/ws?token={token}", self.addrs[conn % self.addrs.len()])
    }

    /// Summed RSS of the sampled server processes, in KiB.
    pub fn rss_kib(&self) -> u64 {
        rss_kib_sum(&self.pids)
    }

    /// When the server this runner started was spawned (`None` with `--nodes`).
    pub fn spawned_at(&self) -> Option<std::time::Instant> {
        self.owned.as_ref().map(|s| s.spawned_at)
    }

    pub fn admin(&self) -> &str {
        &self.admin
    }

    /// `http://NODE0{path}`.
    pub fn http_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addrs[0])
    }

    fn api_url(&self, path: &str) -> String {
        format!("http://{}/api/v1/{path}", self.addrs[0])
    }

    /// `n` user tokens (`POST /api/v1/tokens`), 16 requests at a time.
    pub async fn create_tokens(&self, n: usize) -> Result<Vec<String>> {
        let client = reqwest::Client::new();
        let url = self.api_url("tokens");
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
            .buffered(ADMIN_CONCURRENCY)
            .collect()
            .await;
        results.into_iter().collect()
    }

    /// With `--nodes`, creates `rooms` (`POST /api/v1/rooms`, no welcome message) before
    /// anyone joins, so the run does not depend on the nodes' `rooms.auto_create` nor
    /// on two nodes auto-creating one room at once; a room that exists (409) is fine.
    /// Does nothing for a server the runner started (it auto-creates, as it always did).
    pub async fn create_rooms(&self, rooms: &[String]) -> Result<()> {
        if self.is_owned() {
            return Ok(());
        }
        let client = reqwest::Client::new();
        let url = self.api_url("rooms");
        let results: Vec<Result<()>> = stream::iter(rooms)
            .map(|id| {
                let (client, url) = (&client, &url);
                async move {
                    let body = serde_json::json!({"id": id, "settings": {"welcome_template": ""}});
                    let resp = client
                        .post(url)
                        .bearer_auth(&self.admin)
                        .json(&body)
                        .timeout(Duration::from_secs(30))
                        .send()
                        .await
                        .with_context(|| format!("POST /api/v1/rooms {id}"))?;
                    match resp.status().as_u16() {
                        201 | 409 => Ok(()),
                        s => bail!("POST /api/v1/rooms {id}: {s} {}", resp.text().await.unwrap_or_default()),
                    }
                }
            })
            .buffer_unordered(ADMIN_CONCURRENCY)
            .collect()
            .await;
        results.into_iter().collect()
    }

    /// Stops the server the runner started; leaves `--nodes` running.
    pub fn stop(self) {
        if let Some(server) = self.owned {
            server.stop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Nodes;

    fn attach(list: &[&str]) -> anyhow::Result<Nodes> {
        let addrs: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        Nodes::attach(&addrs, "rmd_admin".into(), vec![], vec![])
    }

    #[test]
    fn round_robin_over_the_listed_nodes() {
        let nodes = attach(&["127.0.0.1:1", "http://127.0.0.1:2/", "ws://127.0.0.1:3"]).expect("valid list");
        assert_eq!(nodes.addrs(), ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"]);
        let urls: Vec<String> = (0..4).map(|i| nodes.ws_url(i, "t")).collect();
        assert_eq!(
            urls,
            [
                "ws://127.0.0.1:1/ws?token=t",
                "ws://127.0.0.1:2/ws?token=t",
                "ws://127.0.0.1:3/ws?token=t",
                "ws://127.0.0.1:1/ws?token=t"
            ]
        );
    }

    #[test]
    fn refuses_entries_without_a_port() {
        assert!(attach(&["127.0.0.1"]).is_err());
        assert!(attach(&[":80"]).is_err());
        assert!(attach(&["host:port"]).is_err());
        assert!(attach(&[]).is_err());
    }
}
