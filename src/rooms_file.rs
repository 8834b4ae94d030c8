//! Rooms declared in a file (`rooms.file`, default `config/rooms.toml`), created or
//! updated at every start so a deployment can keep its rooms in version control.
//!
//! ```toml
//! [[rooms]]
//! id = "lobby"
//! name = "Lobby"                 # default: the id
//! tags = ["general"]
//! [rooms.settings]               # any of the room settings; absent ones keep defaults
//! rules = "Be kind."
//! ```
//!
//! A declared room's name, tags and settings replace the stored ones (changes made
//! through the API to a declared room last until the next start). Rooms not in the
//! file are left alone. A missing file declares nothing; an invalid one stops the
//! start with a message naming the problem.

use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

use crate::model::{now_ms, RoomId};
use crate::store::rooms::{RoomRow, RoomSettings};
use crate::store::Store;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoomsFile {
    #[serde(default)]
    rooms: Vec<DeclaredRoom>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeclaredRoom {
    id: String,
    name: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    settings: RoomSettings,
}

/// Creates or updates the rooms declared in `path`; returns how many.
pub fn apply(store: &Store, path: &Path) -> anyhow::Result<usize> {
    if path.as_os_str().is_empty() {
        return Ok(0);
    }
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let file: RoomsFile = toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let now = now_ms();
    let mut rows = Vec::with_capacity(file.rooms.len());
    for r in file.rooms {
        let id = RoomId::parse(&r.id).with_context(|| format!("{}: room id {:?}", path.display(), r.id))?;
        let name = r.name.unwrap_or_else(|| id.to_string());
        anyhow::ensure!(!name.trim().is_empty(), "{}: room {id} has an empty name", path.display());
        // The same rules as the admin API (PostgreSQL cannot store NUL).
        let (file, fits) =
            (path.display(), |s: &str, max: usize| !s.contains('\0') && s.chars().count() <= max);
        anyhow::ensure!(fits(&name, 200), "{file}: room {id}: name must be 1 to 200 characters, without NUL");
        anyhow::ensure!(
            r.tags.iter().all(|t| !t.is_empty() && fits(t, 64)),
            "{file}: room {id}: each tag must be 1 to 64 characters, without NUL"
        );
        r.settings.check().map_err(|e| anyhow::anyhow!("{file}: room {id}: invalid settings: {e}"))?;
        rows.push(RoomRow {
            id: id.to_string(),
            name,
            tags: serde_json::to_string(&r.tags)?,
            settings: serde_json::to_string(&r.settings)?,
            created_at: now,
            updated_at: now,
        });
    }
    let n = rows.len();
    store.run_blocking(move |c| {
        for row in &rows {
            if !row.update(c)? {
                row.insert_if_missing(c)?;
            }
        }
        Ok(())
    })?;
    Ok(n)
}
