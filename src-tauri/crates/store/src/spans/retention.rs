//! Retention: by age (parts whose first span started before the cutoff,
//! with the rollups of those minutes), then by size (the oldest stored
//! parts, a tenth at a time, until the live pages fit).

use super::rollups::minute_of;
use super::{nanos, Removed, SpanStore};
use crate::Result;

/// Tables of per-minute rollups, aged out with the parts.
const MINUTE_TABLES: [&str; 4] = [
    "route_minutes",
    "span_minutes",
    "db_minutes",
    "upstream_minutes",
];

impl SpanStore {
    /// Removes parts that started before `older_than_ns`, then, while the
    /// store holds more than `max_bytes` of live pages, the oldest stored
    /// parts, a tenth at a time. Counts are spans.
    pub async fn apply_retention(&self, older_than_ns: u64, max_bytes: u64) -> Result<Removed> {
        let err = |e| self.classify(e);
        let mut removed = Removed::default();
        let mut tx = self.pool.begin().await.map_err(err)?;
        let aged: Vec<i64> =
            sqlx::query_scalar("DELETE FROM trace_parts WHERE start_ns < ? RETURNING spans")
                .bind(nanos(older_than_ns))
                .fetch_all(&mut *tx)
                .await
                .map_err(err)?;
        removed.by_age = aged.iter().map(|n| u64::try_from(*n).unwrap_or(0)).sum();
        for table in MINUTE_TABLES {
            sqlx::query(&format!("DELETE FROM {table} WHERE minute < ?"))
                .bind(minute_of(older_than_ns))
                .execute(&mut *tx)
                .await
                .map_err(err)?;
        }
        sqlx::query("DELETE FROM upstream_failures WHERE start_ns < ?")
            .bind(nanos(older_than_ns))
            .execute(&mut *tx)
            .await
            .map_err(err)?;
        tx.commit().await.map_err(err)?;
        while self.live_bytes().await? > max_bytes {
            let total: i64 = sqlx::query_scalar("SELECT count(*) FROM trace_parts")
                .fetch_one(&self.pool)
                .await
                .map_err(err)?;
            if total == 0 {
                break;
            }
            let gone: Vec<i64> = sqlx::query_scalar(
                "DELETE FROM trace_parts WHERE id IN \
                 (SELECT id FROM trace_parts ORDER BY id LIMIT ?) RETURNING spans",
            )
            .bind((total / 10).max(1))
            .fetch_all(&self.pool)
            .await
            .map_err(err)?;
            removed.by_size += gone
                .iter()
                .map(|n| u64::try_from(*n).unwrap_or(0))
                .sum::<u64>();
        }
        Ok(removed)
    }

    /// Bytes in use: pages minus free pages (freed pages are reused by
    /// later inserts, so they do not count against the limit).
    pub async fn live_bytes(&self) -> Result<u64> {
        let row: (i64, i64) = sqlx::query_as(
            "SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()), \
                    (SELECT page_size FROM pragma_page_size())",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(|e| self.classify(e))?;
        Ok(u64::try_from(row.0.max(0) * row.1).unwrap_or(0))
    }
}
