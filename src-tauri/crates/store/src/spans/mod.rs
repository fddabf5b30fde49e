//! The span store: received spans, kept in `spans.db`, a database file of
//! its own, so that ingesting a burst of spans never holds the lock that a
//! scorecard run needs to save (SQLite has one writer per file).
//!
//! A batch is stored as trace parts (one row per trace and environment
//! it touches, its spans in one encoded blob), whole or not at all (one
//! transaction), with per-minute rollups of everything the trace checks
//! and statistics count. Retention removes parts by age and by size,
//! oldest first.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use readyroom_core::traces::Span;
use sqlx::SqlitePool;

use crate::{classify, migrations, open_database, Error, Result};

mod body;
mod insert;
mod legacy;
mod parts;
mod read;
mod retention;
mod rollups;
mod routes;
mod trace_index;
mod write;

#[cfg(test)]
mod tests;

/// A span and the environment it was attributed to (`None`: none matched).
/// The store takes spans by value: a queued batch may be written by
/// another caller's writer.
#[derive(Debug, Clone)]
pub struct Attributed {
    pub environment: Option<Arc<str>>,
    pub span: Span,
}

/// What storing a batch did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stored {
    pub inserted: u64,
    /// Spans whose (trace, span) id was already stored: the first copy is kept.
    pub duplicates: u64,
}

/// What a retention pass removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Removed {
    pub by_age: u64,
    pub by_size: u64,
}

pub use read::{Listed, ATTRIBUTE_SCAN};
pub use readyroom_core::traces::{WindowCounts, SETTLE_NS};

#[derive(Debug, Clone)]
pub struct SpanStore {
    pool: SqlitePool,
    path: PathBuf,
    /// Batches waiting to be written, and the lock their writer holds.
    /// SQLite lets one writer in at a time and makes the others sleep and
    /// retry (1, 2, 5… ms); batches of this process queue here instead,
    /// and are written together (see `insert`). (Another process still
    /// meets SQLite's busy timeout.)
    writer: Arc<insert::Writer>,
}

/// Nanoseconds as SQLite's signed 64-bit integer (good until 2262).
fn nanos(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl SpanStore {
    /// Opens (creating if needed) the span store and brings its schema up
    /// to date, moving spans stored a row each into trace parts.
    pub async fn open(path: &Path) -> Result<SpanStore> {
        let pool = open_database(path, migrations::SPANS).await?;
        let store = SpanStore {
            pool,
            path: path.to_path_buf(),
            writer: Default::default(),
        };
        store.move_span_rows().await?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn classify(&self, e: sqlx::Error) -> Error {
        classify(&self.path, e, |detail| self.open_error(detail))
    }

    #[cfg(test)]
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}
