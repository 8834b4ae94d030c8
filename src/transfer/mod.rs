//! Data out and back in: `roomd export` writes the whole store as versioned JSON Lines
//! (`format.rs`), read in a consistent snapshot page by page (`walk.rs`,
//! `export.rs`); `roomd import` loads such a file into an empty store of either
//! backend in one transaction (`import.rs`); `roomd backup` copies a live SQLite
//! store with `VACUUM INTO` (`backup.rs`). docs/OPERATIONS.md is the operator's guide.

pub mod backup;
pub mod export;
pub mod format;
pub mod import;
pub mod json_text;
pub mod progress;
pub mod walk;

use std::path::PathBuf;

use crate::store::StoreError;

/// Why an export, import or backup stopped.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// A line of the input is not what the format allows.
    #[error("line {line}: {why}")]
    Line { line: u64, why: String },
    /// The store refused a batch of records (a duplicate key, a member of a room the
    /// file does not have, …).
    #[error("lines {from}-{to}: the store refused these {kind} records: {why}")]
    Batch { from: u64, to: u64, kind: &'static str, why: String },
    #[error(
        "line 1: the file is in format {found}, newer than this roomd ({ours}, format {known}) reads; \
         import it with roomd {writer} or newer"
    )]
    Newer { found: u64, known: u32, ours: &'static str, writer: String },
    #[error(
        "the target store is not empty: table {0} has rows; import loads only into an empty store \
         (a new SQLite file, or a new PostgreSQL database) that no server has started on"
    )]
    NotEmpty(&'static str),
    #[error("roomd backup copies SQLite stores only")]
    NotSqlite,
    #[error("{0} already exists; choose a new file name")]
    Exists(PathBuf),
    #[error("{what}: {source}")]
    Io { what: String, source: std::io::Error },
    #[error("a stored row cannot be written: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("store query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl TransferError {
    /// An I/O error, saying what was being done.
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let what = what.into();
        move |source| Self::Io { what, source }
    }
}

/// Records written or read per type (in file order), and their total.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts(pub [u64; 11]);

impl Counts {
    pub fn add(&mut self, kind: &str) {
        if let Some(i) = format::DATA_TYPES.iter().position(|t| *t == kind) {
            self.0[i] += 1;
        }
    }

    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }
}

impl std::fmt::Display for Counts {
    /// `12 records (room 2, member 4, message 6)`: the types present.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = format::DATA_TYPES
            .iter()
            .zip(self.0)
            .filter(|(_, n)| *n > 0)
            .map(|(t, n)| format!("{t} {n}"))
            .collect();
        if parts.is_empty() {
            return write!(f, "0 records");
        }
        write!(f, "{} records ({})", self.total(), parts.join(", "))
    }
}
