//! A room's state beyond its messages: its settings (welcome template, banned words,
//! member cap, spam override), who was welcomed recently, recent sends for the repeat
//! limit, and typing throttles. Loaded with the room; settings are replaced when an
//! operator patches the room ([`SettingsChanged`]).

use std::collections::HashMap;
use std::time::Instant;

use actix::prelude::*;

use super::spam::{normalize_banned, RepeatTracker};
use super::Room;
use crate::store::rooms::RoomSettings;

/// The room's name or settings changed in the store (`PATCH /rooms/{id}`).
#[derive(Message)]
#[rtype(result = "()")]
pub struct SettingsChanged {
    pub name: String,
    pub settings: RoomSettings,
}

/// See the module doc.
#[derive(Debug, Default)]
pub(super) struct RoomLife {
    /// Display name, for `{{room}}`.
    pub name: String,
    pub settings: RoomSettings,
    /// `settings.banned_words`, normalized for matching.
    pub banned: Vec<String>,
    /// `welcome.template_file` as read when the room loaded; `None` if missing.
    pub file_template: Option<String>,
    /// Users welcomed within `welcome.dedupe_secs`: user id → when (Unix ms).
    pub welcomed: HashMap<String, i64>,
    pub repeats: RepeatTracker,
    /// When each user's last `typing` `active: true` was passed on.
    pub typing: HashMap<String, Instant>,
    /// Sizes at which `welcomed` and `typing` are next pruned ([`prune_when_grown`]).
    pub welcomed_prune_at: usize,
    pub typing_prune_at: usize,
}

/// Smallest size at which a map is pruned.
const PRUNE_FLOOR: usize = 4096;

/// Drops the entries `keep` rejects once `map` has reached `*at` entries, then sets
/// `*at` to twice what is left (at least [`PRUNE_FLOOR`]): pruning costs O(1) per
/// insert, amortized, even when every entry is still live.
pub(super) fn prune_when_grown<K, V>(
    map: &mut HashMap<K, V>,
    at: &mut usize,
    keep: impl FnMut(&K, &mut V) -> bool,
) {
    if map.len() >= *at {
        map.retain(keep);
        *at = (map.len() * 2).max(PRUNE_FLOOR);
    }
}

impl RoomLife {
    /// Takes a new name and settings.
    pub fn set_settings(&mut self, name: String, settings: RoomSettings) {
        self.banned = normalize_banned(&settings.banned_words);
        self.name = name;
        self.settings = settings;
    }
}

crate::actor_shell!(Room, routed: SettingsChanged);

impl Handler<SettingsChanged> for Room {
    type Result = ();

    fn handle(&mut self, m: SettingsChanged, _: &mut Context<Self>) {
        self.life.set_settings(m.name, m.settings);
    }
}
