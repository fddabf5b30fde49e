//! Folding newly stored trace parts into `trace_index` (one row per trace,
//! migration 0005), which the trace list reads. Done after parts are
//! stored rather than by a trigger on insert, which cost as much as
//! storing the part (see the README's Decisions); a fold is one
//! statement over the parts since the last one.

use super::SpanStore;
use crate::Result;

/// Every part after the last folded one, added to its trace's row: the
/// earliest start, the latest end, the counts summed, and the entry of
/// whichever part's entry span starts first. (An UPDATE's expressions all
/// read the row as it was.)
const FOLD: &str = "\
INSERT INTO trace_index (trace_id, environment, start_ns, end_ns, spans, error_spans,
                         entry_start_ns, entry_service, entry_name, entry_route)
SELECT trace_id, coalesce(environment, ''), start_ns, end_ns, spans, error_spans,
       entry_start_ns, entry_service, entry_name, entry_route
FROM trace_parts WHERE id > ?1 AND id <= ?2 ORDER BY id
ON CONFLICT (trace_id, environment) DO UPDATE SET
    start_ns = min(start_ns, excluded.start_ns),
    end_ns = max(end_ns, excluded.end_ns),
    spans = spans + excluded.spans,
    error_spans = error_spans + excluded.error_spans,
    entry_start_ns = CASE WHEN excluded.entry_start_ns < coalesce(entry_start_ns, excluded.entry_start_ns + 1)
                          THEN excluded.entry_start_ns ELSE entry_start_ns END,
    entry_service = CASE WHEN excluded.entry_start_ns < coalesce(entry_start_ns, excluded.entry_start_ns + 1)
                         THEN excluded.entry_service ELSE entry_service END,
    entry_name = CASE WHEN excluded.entry_start_ns < coalesce(entry_start_ns, excluded.entry_start_ns + 1)
                      THEN excluded.entry_name ELSE entry_name END,
    entry_route = CASE WHEN excluded.entry_start_ns < coalesce(entry_start_ns, excluded.entry_start_ns + 1)
                       THEN excluded.entry_route ELSE entry_route END";

impl SpanStore {
    /// Folds the parts stored since the last fold into the trace index;
    /// returns how many. Cheap when there are none (two indexed reads).
    pub async fn fold_trace_index(&self) -> Result<u64> {
        let err = |e| self.classify(e);
        let (folded, newest): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT part_id FROM trace_index_folded), (SELECT coalesce(max(id), 0) FROM trace_parts)",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(err)?;
        if newest <= folded {
            return Ok(0);
        }
        // One writer folds at a time; the cursor is read again under the
        // write lock, so two folding processes cannot add a part twice.
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(err)?;
        let folded: i64 = sqlx::query_scalar("SELECT part_id FROM trace_index_folded")
            .fetch_one(&mut *tx)
            .await
            .map_err(err)?;
        let added = sqlx::query(FOLD)
            .bind(folded)
            .bind(newest)
            .execute(&mut *tx)
            .await
            .map_err(err)?
            .rows_affected();
        sqlx::query("UPDATE trace_index_folded SET part_id = max(part_id, ?)")
            .bind(newest)
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        tx.commit().await.map_err(err)?;
        Ok(added)
    }
}
