//! The `rooms` table: identity, tags and settings of each room.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::conn::with_inner;
use super::{DbConn, StoreError};
use crate::schema::{members, messages, rooms};

/// A stored room. `tags` and `settings` are JSON text (portable across backends).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize)]
#[diesel(table_name = rooms)]
// One multi-row INSERT on SQLite too (an import batch; no per-row transaction).
#[diesel(treat_none_as_default_value = false)]
#[serde(deny_unknown_fields)]
pub struct RoomRow {
    pub id: String,
    pub name: String,
    #[serde(with = "crate::transfer::json_text")]
    pub tags: String,
    #[serde(with = "crate::transfer::json_text")]
    pub settings: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(ToSchema)]
/// Per-room settings, stored as JSON in `rooms.settings`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RoomSettings {
    /// The welcome sent to a member who joins (`{{name}}`, `{{room}}` and
    /// `{{member_count}}` are filled in; empty: no welcome); null: the server's template.
    #[schema(required = true)]
    pub welcome_template: Option<String>,
    /// The room's rules; null: none.
    #[schema(required = true)]
    pub rules: Option<String>,
    /// Messages containing one of these words (case-insensitive, whole words) are refused.
    #[schema(required = true)]
    pub banned_words: Vec<String>,
    /// At most this many members; null: no limit.
    #[schema(required = true, minimum = 1)]
    pub max_members: Option<u32>,
    /// Spam limits overriding the server's `[spam]`; null: the server's.
    #[schema(required = true)]
    pub spam: Option<SpamSettings>,
    /// Messages older than this many days are deleted (the room's newest one
    /// excepted); 0: kept forever; null: the server's `rooms.retention_days`.
    #[schema(required = true)]
    pub retention_days: Option<u32>,
    /// The room's own publish hook, overriding `[hooks]` (docs/INTEGRATIONS.md); null:
    /// the server's.
    #[schema(required = true)]
    pub publish_hook: Option<crate::hooks::PublishHookSettings>,
}

impl RoomSettings {
    /// The retention in days that applies with the server default `global_days`;
    /// 0 = keep forever.
    pub fn effective_retention_days(&self, global_days: u32) -> u32 {
        self.retention_days.unwrap_or(global_days)
    }
}

#[derive(ToSchema)]
/// Per-room spam limits overriding `[spam]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpamSettings {
    /// Sends of one text a user may make within the window; 0: no limit.
    pub max_repeats: u32,
    /// The window, in seconds.
    #[schema(minimum = 1)]
    pub window_secs: u64,
}

impl RoomSettings {
    /// Why these settings cannot be stored, if they cannot: a room no one could join
    /// (`max_members: 0`), a banned word that matches nothing (empty or blank), a spam
    /// window of no length, a NUL in any text (named in the message).
    pub fn check(&self) -> Result<(), String> {
        if self.max_members == Some(0) {
            return Err("max_members must be at least 1 (omit it for no limit)".into());
        }
        if self.banned_words.iter().any(|w| w.trim().is_empty()) {
            return Err("banned_words must not contain empty or blank entries".into());
        }
        // PostgreSQL TEXT cannot hold NUL: refused on every backend alike.
        let texts =
            [("welcome_template", self.welcome_template.as_deref()), ("rules", self.rules.as_deref())];
        if let Some((field, _)) = texts.iter().find(|(_, t)| t.is_some_and(|t| t.contains('\0'))) {
            return Err(format!("{field} must not contain NUL"));
        }
        if let Some(hook) = &self.publish_hook {
            hook.check()?;
        }
        if self.banned_words.iter().any(|w| w.contains('\0')) {
            return Err("banned_words must not contain NUL".into());
        }
        if self.spam.as_ref().is_some_and(|s| s.window_secs == 0) {
            return Err("spam.window_secs must be at least 1".into());
        }
        Ok(())
    }
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

    /// How many rooms are stored (`SELECT count(*)`; the overview's `rooms.stored`).
    pub fn count(c: &mut DbConn) -> Result<i64, StoreError> {
        Ok(rooms::table.count().get_result(c)?)
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

    /// Replaces name, tags and settings (a patch already merged by the caller);
    /// false when the room does not exist.
    pub fn update(&self, c: &mut DbConn) -> Result<bool, StoreError> {
        let n = diesel::update(rooms::table.filter(rooms::id.eq(&self.id)))
            .set((
                rooms::name.eq(&self.name),
                rooms::tags.eq(&self.tags),
                rooms::settings.eq(&self.settings),
                rooms::updated_at.eq(self.updated_at),
            ))
            .execute(c)?;
        Ok(n > 0)
    }

    /// Deletes the room and its memberships; with `purge` its messages too (else they
    /// stay, and a room created again with this id continues their seqs). False when
    /// the room did not exist.
    pub fn delete(c: &mut DbConn, id: &str, purge: bool) -> Result<bool, StoreError> {
        diesel::delete(members::table.filter(members::room_id.eq(id))).execute(c)?;
        if purge {
            diesel::delete(messages::table.filter(messages::room_id.eq(id))).execute(c)?;
        }
        Ok(diesel::delete(rooms::table.filter(rooms::id.eq(id))).execute(c)? > 0)
    }

    /// Every room whose id or name contains `q` and whose tags include `tag`, by id.
    pub fn matching(c: &mut DbConn, q: Option<&str>, tag: Option<&str>) -> Result<Vec<Self>, StoreError> {
        let mut query = rooms::table.select(Self::as_select()).into_boxed();
        if let Some(q) = q.filter(|q| !q.is_empty()) {
            let pattern = format!("%{}%", escape_like(q));
            query = query.filter(
                rooms::id.like(pattern.clone()).escape('\\').or(rooms::name.like(pattern).escape('\\')),
            );
        }
        if let Some(tag) = tag {
            // Tags are a JSON array of strings: match the quoted element, then confirm.
            let quoted = serde_json::to_string(tag).unwrap_or_default();
            query = query.filter(rooms::tags.like(format!("%{}%", escape_like(&quoted))).escape('\\'));
        }
        let rows: Vec<Self> = query.order(rooms::id.asc()).load(c)?;
        Ok(rows.into_iter().filter(|r| tag.is_none_or(|t| r.tag_list().iter().any(|x| x == t))).collect())
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
pub(super) fn escape_like(q: &str) -> String {
    q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}
