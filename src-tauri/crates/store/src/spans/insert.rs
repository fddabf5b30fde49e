//! Storing batches with group commit. A batch is prepared (split into
//! trace parts and encoded) by its caller, then queued; whichever caller
//! finds the write lock free starts a writer task that stores everything
//! queued, a group of batches per transaction, until the queue is empty.
//! The others wait for their own batch's outcome. Under load a
//! transaction carries several batches, so its fixed costs (begin,
//! lookups, rollup merges, commit: each a hop to the database thread) are
//! paid once for them all; alone, a batch is written at once.

use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

use sqlx::{ConnectOptions, SqliteConnection};

use super::write::{write_group, Framing, Linked, Prepared};
use super::{Attributed, SpanStore, Stored};
use crate::{Error, Result};

/// A group stops growing at this many spans (the first batch always
/// goes in), so a transaction stays a few milliseconds long.
const GROUP_SPANS: usize = 16_384;

/// Batches waiting to be written, and the lock a writer holds: with it,
/// the writers' own connection (opened when first needed, and closed after
/// a failed write, which rolls back whatever that left open).
#[derive(Default)]
pub(super) struct Writer {
    queue: Mutex<Vec<Queued>>,
    lock: Arc<tokio::sync::Mutex<Option<SqliteConnection>>>,
}

struct Queued {
    batch: Prepared,
    done: oneshot::Sender<Result<Stored>>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let queued = self.queue.lock().map_or(0, |q| q.len());
        f.debug_struct("Writer").field("queued", &queued).finish()
    }
}

impl SpanStore {
    /// Stores a batch, all of it or (on any error) none of it; a span
    /// whose (trace, span) id is already stored is dropped and counted.
    pub async fn insert(&self, batch: Vec<Attributed>, received_ns: u64) -> Result<Stored> {
        let batch = Prepared::new(batch, received_ns)?;
        let (done, mut outcome) = oneshot::channel();
        self.writer
            .queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Queued { batch, done });
        let guard = tokio::select! {
            biased;
            stored = &mut outcome => return stored.unwrap_or_else(|_| Err(self.interrupted())),
            guard = self.writer.lock.clone().lock_owned() => guard,
        };
        // Holding the lock: no writer is running, so this batch is either
        // stored (its outcome sent) or still queued.
        match outcome.try_recv() {
            Ok(stored) => return stored,
            Err(oneshot::error::TryRecvError::Closed) => return Err(self.interrupted()),
            Err(oneshot::error::TryRecvError::Empty) => {}
        }
        // The writer is a task of its own, so a caller that goes away
        // (a client hanging up) never cuts a group's transaction short.
        let store = self.clone();
        tokio::spawn(async move {
            let mut connection = guard;
            while let Some(group) = store.next_group() {
                store.write_queued(&mut connection, group).await;
            }
        });
        outcome.await.unwrap_or_else(|_| Err(self.interrupted()))
    }

    /// Closes the store's connections (the writers' after any write in
    /// progress), so SQLite checkpoints as a closing database does.
    pub async fn close(&self) {
        if let Some(conn) = self.writer.lock.lock().await.take() {
            let _ = sqlx::Connection::close(conn).await;
        }
        self.pool.close().await;
    }

    /// The oldest queued batches, up to `GROUP_SPANS` spans (at least one).
    fn next_group(&self) -> Option<Vec<Queued>> {
        let mut queue = self.writer.queue.lock().unwrap_or_else(|p| p.into_inner());
        let mut spans = 0;
        let take = queue
            .iter()
            .take_while(|q| {
                let first = spans == 0;
                spans += q.batch.spans().max(1);
                first || spans <= GROUP_SPANS
            })
            .count();
        (take > 0).then(|| queue.drain(..take).collect())
    }

    /// Writes a group in one transaction and tells each batch's caller.
    /// An error fails every batch of the group: a write fails for the
    /// disk's or the database's sake, never one batch's (each was
    /// encoded before it was queued).
    async fn write_queued(&self, connection: &mut Option<SqliteConnection>, group: Vec<Queued>) {
        let (mut batches, done): (Vec<Prepared>, Vec<_>) =
            group.into_iter().map(|q| (q.batch, q.done)).unzip();
        match self.write_batches(connection, &mut batches).await {
            Ok(stored) => {
                for (done, stored) in done.into_iter().zip(stored) {
                    let _ = done.send(Ok(stored));
                }
            }
            Err(e) => {
                for done in done {
                    let _ = done.send(Err(self.again(&e)));
                }
            }
        }
    }

    /// Writes a group in one transaction on the writers' connection. The
    /// connection is taken out while it is used and put back only after a
    /// commit, so a failed or interrupted write closes it (SQLite rolls
    /// back what it left open) and the next group opens a fresh one.
    pub(super) async fn write_batches(
        &self,
        connection: &mut Option<SqliteConnection>,
        batches: &mut [Prepared],
    ) -> Result<Vec<Stored>> {
        let mut conn = match connection.take() {
            Some(conn) => conn,
            None => self
                .pool
                .connect_options()
                .connect()
                .await
                .map_err(|e| self.classify(e))?,
        };
        let stored = write_group(&mut conn, batches, Framing::Own)
            .await
            .map_err(|e| self.linked(e))?;
        *connection = Some(conn);
        Ok(stored)
    }

    pub(super) fn linked(&self, e: Linked) -> Error {
        match e {
            Linked::Sql(e) => self.classify(e),
            Linked::Encode(e) => Error::Encode(e),
        }
    }

    /// The same error again, for each batch of a group that failed
    /// together (a database error is kept as its message).
    fn again(&self, e: &Error) -> Error {
        match e {
            Error::NotAStore { path } => Error::NotAStore { path: path.clone() },
            Error::Locked { path, detail } => Error::Locked {
                path: path.clone(),
                detail: detail.clone(),
            },
            Error::Encode(detail) => Error::Encode(detail.clone()),
            Error::Open { detail, .. } => self.open_error(detail.clone()),
            other => self.open_error(other.to_string()),
        }
    }

    pub(super) fn open_error(&self, detail: String) -> Error {
        Error::Open {
            path: self.path.display().to_string(),
            detail,
        }
    }

    fn interrupted(&self) -> Error {
        self.open_error(
            "the write was interrupted before it finished (nothing of the batch was stored); \
             send it again"
                .into(),
        )
    }
}
