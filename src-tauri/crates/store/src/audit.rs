//! The audit log's rows (migration 0004): appended, chained and synced to
//! disk before the call they announce; never updated or deleted (there is
//! no code path for it, and triggers refuse it).

use readyroom_core::audit::{self, Broken, Entry, NewEntry};
use sqlx::{Connection, Row};

use crate::{Error, Result, Store};

/// The whole log read back, oldest first, and the rows that could not be
/// read (each a break in the chain at its place).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditRead {
    pub entries: Vec<Entry>,
    pub unreadable: Vec<Broken>,
}

impl AuditRead {
    /// Whether the chain holds: the first unreadable row, or the first
    /// entry that does not chain.
    pub fn verdict(&self) -> std::result::Result<(), Broken> {
        match self.unreadable.first() {
            Some(b) => Err(b.clone()),
            None => audit::verify(&self.entries),
        }
    }
}

impl Store {
    /// Appends one entry at the end of the chain and returns it as stored.
    /// The commit is synced to disk (`synchronous = FULL` for this write):
    /// an intent is on disk before the action it announces is sent.
    pub async fn append_audit(&self, entry: &NewEntry) -> Result<Entry> {
        let body = serde_json::to_string(entry).map_err(|e| Error::Encode(e.to_string()))?;
        let mut conn = self.pool.acquire().await.map_err(|e| self.classify(e))?;
        sqlx::query("PRAGMA synchronous = FULL")
            .execute(&mut *conn)
            .await?;
        let written = async {
            let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
            let last = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&mut *tx)
                .await?;
            let (prev_seq, prev_hash) = match last {
                Some(row) => (row.try_get::<i64, _>("seq")?, row.try_get("hash")?),
                None => (0, audit::GENESIS.to_string()),
            };
            let seq = prev_seq + 1;
            let hash = audit::hash(&prev_hash, seq, entry);
            sqlx::query(
                "INSERT INTO audit_log (seq, id, environment, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(seq)
            .bind(&entry.id)
            .bind(&entry.environment)
            .bind(&body)
            .bind(&prev_hash)
            .bind(&hash)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok::<_, sqlx::Error>(Entry {
                seq,
                entry: entry.clone(),
                prev_hash,
                hash,
            })
        }
        .await;
        // The pool's other writes keep the store's usual setting.
        let _ = sqlx::query("PRAGMA synchronous = NORMAL")
            .execute(&mut *conn)
            .await;
        written.map_err(|e| self.classify(e))
    }

    /// The whole log, oldest first (the chain is verified over all of it;
    /// callers filter by environment after).
    pub async fn audit_log(&self) -> Result<AuditRead> {
        let rows = sqlx::query("SELECT seq, body, prev_hash, hash FROM audit_log ORDER BY seq")
            .fetch_all(&self.pool)
            .await?;
        let mut read = AuditRead::default();
        for row in rows {
            let seq: i64 = row.try_get("seq")?;
            let body: String = row.try_get("body")?;
            match serde_json::from_str::<NewEntry>(&body) {
                Ok(entry) => read.entries.push(Entry {
                    seq,
                    entry,
                    prev_hash: row.try_get("prev_hash")?,
                    hash: row.try_get("hash")?,
                }),
                Err(e) => read.unreadable.push(Broken {
                    seq,
                    reason: format!("it cannot be read ({e}); it was damaged or edited"),
                }),
            }
        }
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use readyroom_core::audit::{ActionResult, Phase};
    use time::OffsetDateTime;

    use super::*;

    fn entry(id: &str, environment: &str, phase: Phase) -> NewEntry {
        NewEntry {
            id: id.into(),
            at: OffsetDateTime::from_unix_timestamp(1_790_000_000).expect("a valid time"),
            environment: environment.into(),
            operator: "dana@ops-laptop".into(),
            action: "cancel_backend".into(),
            phase,
            intent: (phase == Phase::Outcome).then(|| "a".to_string()),
            target: "pid 4711".into(),
            reason: "holding locks".into(),
            result: (phase == Phase::Outcome).then_some(ActionResult::Done),
            detail: String::new(),
            deploy: None,
        }
    }

    async fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("store call");
        let store = Store::open(&dir.path().join("readyroom.db"))
            .await
            .expect("store call");
        (dir, store)
    }

    #[tokio::test]
    async fn entries_chain_in_the_order_written_and_verify() {
        let (_dir, store) = store().await;
        let first = store
            .append_audit(&entry("a", "production", Phase::Intent))
            .await
            .expect("store call");
        let second = store
            .append_audit(&entry("b", "production", Phase::Outcome))
            .await
            .expect("store call");
        assert_eq!((first.seq, second.seq), (1, 2));
        assert_eq!(first.prev_hash, audit::GENESIS);
        assert_eq!(second.prev_hash, first.hash);
        let read = store.audit_log().await.expect("store call");
        assert_eq!(read.entries, vec![first, second]);
        assert_eq!(read.verdict(), Ok(()));
    }

    #[tokio::test]
    async fn the_file_refuses_updates_and_deletes() {
        let (_dir, store) = store().await;
        store
            .append_audit(&entry("a", "production", Phase::Intent))
            .await
            .expect("store call");
        for sql in [
            "UPDATE audit_log SET body = replace(body, 'holding locks', 'routine')",
            "DELETE FROM audit_log",
        ] {
            let err = sqlx::query(sql)
                .execute(&store.pool)
                .await
                .expect_err("broken");
            assert!(err.to_string().contains("append-only"), "{sql}: {err}");
        }
        assert_eq!(
            store.audit_log().await.expect("store call").entries.len(),
            1
        );
    }

    #[tokio::test]
    async fn a_row_edited_behind_the_triggers_breaks_the_chain_there() {
        let (_dir, store) = store().await;
        for (id, phase) in [
            ("a", Phase::Intent),
            ("b", Phase::Outcome),
            ("c", Phase::Intent),
        ] {
            store
                .append_audit(&entry(id, "production", phase))
                .await
                .expect("store call");
        }
        // Someone with the file drops the trigger and edits the outcome.
        sqlx::query("DROP TRIGGER audit_log_no_update")
            .execute(&store.pool)
            .await
            .expect("store call");
        sqlx::query(
            "UPDATE audit_log SET body = replace(body, 'holding locks', 'routine') WHERE seq = 2",
        )
        .execute(&store.pool)
        .await
        .expect("store call");
        let broken = store
            .audit_log()
            .await
            .expect("store call")
            .verdict()
            .expect_err("broken");
        assert_eq!(broken.seq, 2);
        // A body that no longer parses is a break too, and the rest still reads.
        sqlx::query("UPDATE audit_log SET body = '{' WHERE seq = 1")
            .execute(&store.pool)
            .await
            .expect("store call");
        let read = store.audit_log().await.expect("store call");
        assert_eq!(read.entries.len(), 2);
        assert_eq!(read.verdict().expect_err("broken").seq, 1);
    }
}
