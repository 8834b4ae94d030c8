//! The `rooms` table: identity, tags and settings of each room.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::conn::with_inner;
use super::{DbConn, StoreError};
use crate::schema::rooms;

/// A stored room. `tags` and `settings` are JSON text (portable across backends).
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = rooms)]
pub struct RoomRow {
    pub id: String,
    pub name: String,
    pub tags: String,
    pub settings: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(ToSchema)]
/// Per-room settings, stored as JSON in `rooms.settings`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RoomSettings {
    pub welcome_template: Option<String>,
    pub rules: Option<String>,
    pub banned_words: Vec<String>,
    pub max_members: Option<u32>,
    pub spam: Option<SpamSettings>,
}

#[derive(ToSchema)]
/// Per-room spam limits overriding `[spam]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpamSettings {
    pub max_repeats: u32,
    pub window_secs: u64,
}

impl RoomRow {
    /// Parsed tags; a corrupt value reads as none rather than failing the request.
    pub fn tag_list(&self) -> Vec<String> {
        serde_json::from_str(&self.tags).unwrap_or_default()
    }

    /// Parsed settings; a corrupt value reads as defaults.
    pub fn settings(&self) -> RoomSettings {
        serde_json::from_str(&self.settings).unwrap_or_default()
    }

    pub fn find(c: &mut DbConn, id: &str) -> Result<Option<Self>, StoreError> {
        Ok(rooms::table.filter(rooms::id.eq(id)).select(Self::as_select()).first(c).optional()?)
    }

    /// Inserts a new room; `Conflict` if the id is taken.
    pub fn insert(&self, c: &mut DbConn) -> Result<(), StoreError> {
        diesel::insert_into(rooms::table).values(self).execute(c)?;
        Ok(())
    }

    /// Inserts the room unless one with the same id exists (auto-create on join).
    pub fn insert_if_missing(&self, c: &mut DbConn) -> Result<(), StoreError> {
        with_inner!(c, |c| diesel::insert_into(rooms::table)
            .values(self)
            .on_conflict(rooms::id)
            .do_nothing()
            .execute(c))?;
        Ok(())
    }

    /// Rooms ordered by id, after the cursor `after`, whose id or name contains `q`.
    pub fn list(
        c: &mut DbConn,
        q: Option<&str>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Self>, StoreError> {
        let mut query = rooms::table.select(Self::as_select()).into_boxed();
        if let Some(after) = after {
            query = query.filter(rooms::id.gt(after.to_string()));
        }
        if let Some(q) = q.filter(|q| !q.is_empty()) {
            let pattern = format!("%{}%", escape_like(q));
            query = query.filter(
                rooms::id.like(pattern.clone()).escape('\\').or(rooms::name.like(pattern).escape('\\')),
            );
        }
        Ok(query.order(rooms::id.asc()).limit(limit).load(c)?)
    }
}

/// Escapes LIKE wildcards so a search for `50%` matches the text literally.
fn escape_like(q: &str) -> String {
    q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}
