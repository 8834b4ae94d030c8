//! The `tokens` table: opaque bearer tokens, stored only as SHA-256 hashes.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::{DbConn, StoreError};
use crate::schema::tokens;

/// A stored token (the secret itself is never stored).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = tokens)]
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct TokenRow {
    pub id: String,
    pub kind: String,
    pub name: String,
    #[serde(with = "crate::transfer::json_text")]
    pub roles: String,
    pub secret_hash: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

impl TokenRow {
    pub fn role_list(&self) -> Vec<String> {
        serde_json::from_str(&self.roles).unwrap_or_default()
    }

    pub fn insert(&self, c: &mut DbConn) -> Result<(), StoreError> {
        diesel::insert_into(tokens::table).values(self).execute(c)?;
        Ok(())
    }

    /// The token with this secret hash, live or revoked.
    pub fn find_by_hash(c: &mut DbConn, hash: &str) -> Result<Option<Self>, StoreError> {
        Ok(tokens::table
            .filter(tokens::secret_hash.eq(hash))
            .select(Self::as_select())
            .first(c)
            .optional()?)
    }

    /// Up to `limit` tokens (live and revoked) ordered by id, after the id `after`.
    pub fn page(c: &mut DbConn, after: Option<&str>, limit: i64) -> Result<Vec<Self>, StoreError> {
        let mut query = tokens::table.select(Self::as_select()).into_boxed();
        if let Some(after) = after {
            query = query.filter(tokens::id.gt(after.to_string()));
        }
        Ok(query.order(tokens::id.asc()).limit(limit).load(c)?)
    }

    /// Marks token `id` revoked at `now` unless it already is (the first `revoked_at`
    /// stays). Returns the row as it is afterwards and whether this call revoked it;
    /// `None` for an unknown id.
    pub fn revoke(c: &mut DbConn, id: &str, now: i64) -> Result<Option<(Self, bool)>, StoreError> {
        // The `revoked_at IS NULL` guard makes concurrent revokes agree on one time
        // and tells this call whether it was the one that changed the row.
        let changed = diesel::update(tokens::table)
            .filter(tokens::id.eq(id))
            .filter(tokens::revoked_at.is_null())
            .set(tokens::revoked_at.eq(Some(now)))
            .execute(c)?;
        let row = tokens::table.filter(tokens::id.eq(id)).select(Self::as_select()).first(c).optional()?;
        Ok(row.map(|r| (r, changed > 0)))
    }

    /// True when at least one live admin token exists.
    pub fn any_live_admin(c: &mut DbConn) -> Result<bool, StoreError> {
        let n: i64 = tokens::table
            .filter(tokens::kind.eq("admin"))
            .filter(tokens::revoked_at.is_null())
            .count()
            .get_result(c)?;
        Ok(n > 0)
    }
}
