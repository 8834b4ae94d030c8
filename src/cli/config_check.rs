//! `roomd config check`: loads the configuration the way `serve` does (built-in
//! defaults, the file, `ROOMD__…` variables) and either prints the effective settings,
//! secrets redacted, each with the layer it came from, or names every key at fault.
//! Unknown keys in the file and `ROOMD_…` variables that set nothing are errors here
//! (`serve` refuses the first and only warns about the second).

use std::io::Write;
use std::path::Path;

use crate::config::Settings;
use crate::config_sources::{unknown_env_vars, Layers, Problem};
use crate::store::conn::DbUrl;
use crate::store::Backend;

/// Checks the configuration; on success writes it to `out` and returns no problems.
pub fn check(path: Option<&Path>, out: &mut impl Write) -> anyhow::Result<Vec<Problem>> {
    let layers = match Layers::read(path) {
        Ok(l) => l,
        Err(e) => return Ok(vec![Problem { key: "--config".into(), message: e.to_string() }]),
    };
    let mut problems = layers.unknown_file_keys();
    problems.extend(unknown_env_vars());
    match Settings::load(path) {
        Ok(s) => problems.extend(semantic_problems(&s)),
        // An unknown key is already named above; the loader's message adds nothing.
        Err(_) if !problems.is_empty() => {}
        Err(e) => problems.push(Problem { key: offending_key(&e.to_string()), message: e.to_string() }),
    }
    if !problems.is_empty() {
        return Ok(problems);
    }
    match &layers.file {
        Some(f) => writeln!(out, "# configuration: built-in defaults, {}, environment", f.display())?,
        None => writeln!(out, "# configuration: built-in defaults, environment (no file)")?,
    }
    let mut section = "";
    for key in layers.keys() {
        let (sec, name) = key.split_once('.').unwrap_or(("", key));
        if sec != section {
            writeln!(out, "\n[{sec}]")?;
            section = sec;
        }
        writeln!(out, "{name} = {}  # {}", layers.shown(key), layers.source(key).as_str())?;
    }
    Ok(problems)
}

/// What the loader accepts but `serve` would refuse at start.
fn semantic_problems(s: &Settings) -> Vec<Problem> {
    let mut problems = Vec::new();
    let backend = match DbUrl::parse(&s.database.url) {
        Ok(u) => Some(u.backend),
        Err(e) => {
            problems.push(Problem { key: "database.url".into(), message: e.to_string() });
            None
        }
    };
    if s.cluster.enabled {
        if backend.is_some_and(|b| b != Backend::Postgres) {
            problems.push(Problem {
                key: "cluster.enabled".into(),
                message: "cluster mode needs database.url = postgres://…".into(),
            });
        }
        if crate::model::RoomId::parse(&s.cluster.node_id).is_err() {
            problems.push(Problem {
                key: "cluster.node_id".into(),
                message: format!("must match [a-z0-9][a-z0-9_-]{{0,63}} (got {:?})", s.cluster.node_id),
            });
        }
    }
    problems
}

/// The key a loader message names (`… for key `server.workers`` or `… in `server``),
/// else `?`.
fn offending_key(message: &str) -> String {
    let quoted = |after: &str| {
        message.split_once(after).and_then(|(_, rest)| {
            let rest = rest.trim_start_matches(['`', '"']);
            rest.split(['`', '"']).next().map(str::to_string)
        })
    };
    quoted("for key ").or_else(|| quoted("in ")).unwrap_or_else(|| "?".into())
}
