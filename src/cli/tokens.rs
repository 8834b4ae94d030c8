//! `roomd token list` and `roomd token revoke ID`: the tokens table read and changed
//! on the store directly, without a running server.
//!
//! A running server remembers a verified opaque token for `auth.token_cache_secs`
//! (`Authenticator`), so a revoke made here refuses new requests and upgrades with the
//! token within that many seconds; WebSocket sessions already open with it stay open
//! until they reconnect. `DELETE /api/v1/tokens/{id}` acts at once and closes them.

use std::io::Write;

use anyhow::Context;
use serde::Serialize;

use crate::model::{now_ms, rfc3339};
use crate::store::audit::NewAudit;
use crate::store::tokens::TokenRow;
use crate::store::Store;

/// Tokens read per page.
const PAGE: i64 = 500;

/// One line of `token list --json` (never the secret or its hash).
#[derive(Debug, Serialize)]
pub struct TokenLine {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub roles: Vec<String>,
    pub created: String,
    pub revoked: Option<String>,
}

impl TokenLine {
    fn new(row: &TokenRow) -> Self {
        Self {
            id: row.id.clone(),
            kind: row.kind.clone(),
            name: row.name.clone(),
            roles: row.role_list(),
            created: rfc3339(row.created_at),
            revoked: row.revoked_at.map(rfc3339),
        }
    }
}

/// Writes every token, live and revoked, by id: a table, or one JSON object a line.
pub fn list(store: &Store, json: bool, out: &mut impl Write) -> anyhow::Result<()> {
    if !json {
        writeln!(out, "{:<22} {:<6} {:<24} {:<20} {:<24} REVOKED", "ID", "KIND", "NAME", "ROLES", "CREATED")?;
    }
    let mut after: Option<String> = None;
    loop {
        let page =
            store.run_blocking(|c| TokenRow::page(c, after.as_deref(), PAGE)).context("reading tokens")?;
        for row in &page {
            let line = TokenLine::new(row);
            if json {
                writeln!(out, "{}", serde_json::to_string(&line)?)?;
            } else {
                let roles = if line.roles.is_empty() { "-".to_string() } else { line.roles.join(",") };
                let revoked = line.revoked.as_deref().unwrap_or("-");
                writeln!(
                    out,
                    "{:<22} {:<6} {:<24} {:<20} {:<24} {}",
                    line.id, line.kind, line.name, roles, line.created, revoked
                )?;
            }
        }
        match page.last() {
            Some(last) if page.len() as i64 == PAGE => after = Some(last.id.clone()),
            _ => return Ok(()),
        }
    }
}

/// Revokes token `id` (idempotent: a revoked token keeps its first `revoked_at`) and
/// records it in the audit log as done by `cli`; an unknown id is an error.
pub fn revoke(store: &Store, id: &str, cache_secs: u64, out: &mut impl Write) -> anyhow::Result<()> {
    let now = now_ms();
    let (row, revoked_now) = store
        .run_blocking(|c| TokenRow::revoke(c, id, now))
        .context("revoking the token")?
        .ok_or_else(|| anyhow::anyhow!("token {id} not found"))?;
    if !revoked_now {
        let at = row.revoked_at.map(rfc3339).unwrap_or_default();
        writeln!(out, "token {} ({} {:?}) was already revoked at {at}", row.id, row.kind, row.name)?;
        return Ok(());
    }
    let entry = NewAudit {
        at: now,
        actor_id: "cli".into(),
        actor_name: "roomd token revoke".into(),
        action: "token.revoke".into(),
        target: row.id.clone(),
        detail: serde_json::json!({"kind": row.kind, "name": row.name, "sessions_closed": 0}).to_string(),
        request_id: None,
    };
    store.run_blocking(|c| entry.insert(c)).context("recording the revoke in the audit log")?;
    writeln!(
        out,
        "revoked {} token {} for {:?}; a running server refuses it within {cache_secs} s \
         (auth.token_cache_secs); its open WebSocket sessions stay until they reconnect",
        row.kind, row.id, row.name
    )?;
    Ok(())
}
