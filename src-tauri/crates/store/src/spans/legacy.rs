//! Stores from before trace parts kept a row per span (`spans`, JSON).
//! When such a store is opened, its rows are moved into parts a few
//! thousand at a time, each step one transaction that writes the parts
//! and deletes the rows it moved, so an interrupted move resumes where
//! it stopped and nothing is kept twice. Then the old table goes.

use std::sync::Arc;

use readyroom_core::traces::Span;
use sqlx::Row;

use super::write::{write_group, Framing, Prepared};
use super::{Attributed, SpanStore};
use crate::Result;

/// Rows moved per transaction.
const ROWS_PER_STEP: i64 = 5_000;

impl SpanStore {
    pub(super) async fn move_span_rows(&self) -> Result<()> {
        let err = |e| self.classify(e);
        let legacy: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'spans')",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(err)?;
        if !legacy {
            return Ok(());
        }
        let mut unreadable = 0u64;
        loop {
            let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(err)?;
            let rows = sqlx::query(
                "SELECT id, environment, received_ns, span FROM spans ORDER BY id LIMIT ?",
            )
            .bind(ROWS_PER_STEP)
            .fetch_all(&mut *tx)
            .await
            .map_err(err)?;
            let Some(last) = rows.last().map(|r| r.get::<i64, _>(0)) else {
                sqlx::query("DROP TABLE spans")
                    .execute(&mut *tx)
                    .await
                    .map_err(err)?;
                tx.commit().await.map_err(err)?;
                break;
            };
            // (environment, received, span); a row whose JSON does not
            // read back cannot be moved and is counted.
            let mut spans: Vec<(Option<String>, i64, Span)> = Vec::with_capacity(rows.len());
            for row in &rows {
                match serde_json::from_str::<Span>(row.get::<&str, _>(3)) {
                    Ok(span) => spans.push((row.get(1), row.get(2), span)),
                    Err(_) => unreadable += 1,
                }
            }
            // Rows received together were one batch: moved as one, the
            // step's batches written as one group.
            let mut received: Vec<(i64, Vec<Attributed>)> = Vec::new();
            for (environment, at, span) in spans {
                let a = Attributed {
                    environment: environment.map(Arc::from),
                    span,
                };
                match received.last_mut() {
                    Some((last, batch)) if *last == at => batch.push(a),
                    _ => received.push((at, vec![a])),
                }
            }
            let mut batches = received
                .into_iter()
                .map(|(at, batch)| Prepared::new(batch, u64::try_from(at).unwrap_or(0)))
                .collect::<Result<Vec<_>>>()?;
            write_group(&mut tx, &mut batches, Framing::Caller)
                .await
                .map_err(|e| self.linked(e))?;
            sqlx::query("DELETE FROM spans WHERE id <= ?")
                .bind(last)
                .execute(&mut *tx)
                .await
                .map_err(err)?;
            tx.commit().await.map_err(err)?;
        }
        if unreadable > 0 {
            tracing::warn!(
                path = %self.path.display(),
                unreadable,
                "span rows that did not read back were left out when the span store moved to trace parts"
            );
        }
        Ok(())
    }
}
