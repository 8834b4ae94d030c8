//! The `audit_log` table: an append-only record of admin-API changes (who, what, when,
//! on which target, in which request). Rows are never updated or deleted; `id` grows with time, so it
//! both orders the log (newest first) and serves as the page cursor.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::{DbConn, StoreError};
use crate::schema::audit_log;

/// A stored audit entry.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = audit_log)]
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct AuditRow {
    pub id: i64,
    /// Unix milliseconds.
    pub at: i64,
    pub actor_id: String,
    pub actor_name: String,
    pub action: String,
    pub target: String,
    /// A JSON object.
    #[serde(with = "crate::transfer::json_text")]
    pub detail: String,
    /// `X-Request-Id` of the request that made the change; `None` for entries written
    /// before request ids were kept.
    pub request_id: Option<String>,
}

/// An entry to append; the database assigns `id`.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_log)]
pub struct NewAudit {
    pub at: i64,
    pub actor_id: String,
    pub actor_name: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub request_id: Option<String>,
}

/// `GET /audit` filters; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub target: Option<String>,
    /// The acting token's (or user's) id: `actor_id`.
    pub actor: Option<String>,
}

/// Appends `entry` for a change already made; never fails the caller: a failed write
/// is logged at error level with the whole entry (`http/audit.rs` says why).
pub async fn append_logged(store: &super::Store, log: &slog::Logger, entry: NewAudit) {
    let row = entry.clone();
    if let Err(e) = store.run(move |c| row.insert(c)).await {
        slog::error!(log, "audit write failed";
            "action" => &entry.action, "target" => &entry.target, "by" => &entry.actor_id,
            "at" => entry.at, "detail" => &entry.detail, "req" => entry.request_id.as_deref().unwrap_or(""),
            "err" => %e);
    }
}

impl NewAudit {
    /// Appends the entry; the database assigns the next `id`.
    pub fn insert(&self, c: &mut DbConn) -> Result<(), StoreError> {
        diesel::insert_into(audit_log::table).values(self).execute(c)?;
        Ok(())
    }
}

impl AuditRow {
    /// Up to `limit` entries matching `filter`, newest first, older than the entry
    /// `before` (the previous page's cursor) when given.
    pub fn page(
        c: &mut DbConn,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Self>, StoreError> {
        let mut query = audit_log::table.select(Self::as_select()).into_boxed();
        if let Some(before) = before {
            query = query.filter(audit_log::id.lt(before));
        }
        if let Some(action) = &filter.action {
            query = query.filter(audit_log::action.eq(action.clone()));
        }
        if let Some(target) = &filter.target {
            query = query.filter(audit_log::target.eq(target.clone()));
        }
        if let Some(actor) = &filter.actor {
            query = query.filter(audit_log::actor_id.eq(actor.clone()));
        }
        Ok(query.order(audit_log::id.desc()).limit(limit).load(c)?)
    }
}
