//! The pool sampler's readings: each source's good samples and the
//! failures in their place, per environment, kept for the retention the
//! config sets.
//!
//! Rows hold the domain's sample types as JSON (LZ4-compressed: a server
//! sample with its groups and named sessions is 1–5 KB of JSON, a few
//! hundred bytes compressed), with a format version. A sample type that
//! changes incompatibly gets a new format and a reader for the old one;
//! a row that cannot be read is skipped and counted, never fatal.

pub use readyroom_core::pools::series::{PoolKind, PoolReading};
#[cfg(test)]
use readyroom_core::pools::AppPoolSample;
use sqlx::Row;
use time::OffsetDateTime;

use crate::{Error, Result, Store};

/// The format new rows are written in.
const CURRENT_FORMAT: i64 = 1;

fn column(kind: PoolKind) -> &'static str {
    match kind {
        PoolKind::Server => "server",
        PoolKind::Pooler => "pooler",
        PoolKind::App => "app",
    }
}

/// A reading as stored: when, of which source.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredReading {
    pub kind: PoolKind,
    pub at: OffsetDateTime,
    pub reading: PoolReading,
}

/// Readings read back, and how many rows could not be.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PoolHistory {
    /// Oldest first.
    pub readings: Vec<StoredReading>,
    pub skipped: u32,
    /// When the window held more readings than asked for: how long each
    /// stretch was that gave one (its busiest), ms.
    pub stretch_ms: Option<u64>,
}

pub(crate) fn unix_ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

pub(crate) fn from_unix_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn encode(reading: &PoolReading) -> Result<Vec<u8>> {
    let json = serde_json::to_vec(reading).map_err(|e| Error::Encode(e.to_string()))?;
    Ok(lz4_flex::compress_prepend_size(&json))
}

fn decode(format: i64, body: &[u8]) -> std::result::Result<PoolReading, String> {
    if format != CURRENT_FORMAT {
        return Err(format!(
            "pool sample in row format {format}, written by a newer Readyroom"
        ));
    }
    let json = lz4_flex::decompress_size_prepended(body).map_err(|e| e.to_string())?;
    serde_json::from_slice(&json).map_err(|e| e.to_string())
}

impl Store {
    /// Stores one sampling round of an environment in one transaction.
    pub async fn save_pool_readings(
        &self,
        environment: &str,
        readings: &[(PoolKind, OffsetDateTime, PoolReading)],
    ) -> Result<()> {
        if readings.is_empty() {
            return Ok(());
        }
        let mut rows = Vec::with_capacity(readings.len());
        for (kind, at, reading) in readings {
            rows.push((*kind, *at, reading.load(), encode(reading)?));
        }
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|e| self.classify(e))?;
        for (kind, at, load, body) in rows {
            sqlx::query(
                "INSERT INTO pool_samples (environment, kind, at_ms, ok, load, format, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(environment)
            .bind(column(kind))
            .bind(unix_ms(at))
            // A good sample: only a failure has no load.
            .bind(load.is_some())
            .bind(load)
            .bind(CURRENT_FORMAT)
            .bind(body)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await.map_err(|e| self.classify(e))
    }

    /// An environment's readings of one source in `from..=to`, oldest
    /// first. Up to `points` of them come back as they are; beyond that the
    /// window is cut into `points` equal stretches and each gives its
    /// busiest good reading (the highest [`PoolReading::load`]) and one of
    /// its failures, if it had any: a chart of a day keeps its peaks and
    /// its outages without reading every row.
    pub async fn pool_history(
        &self,
        environment: &str,
        kind: PoolKind,
        from: OffsetDateTime,
        to: OffsetDateTime,
        points: u32,
    ) -> Result<PoolHistory> {
        let (from_ms, to_ms) = (unix_ms(from), unix_ms(to));
        let rows: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pool_samples WHERE environment = ? AND kind = ? AND at_ms BETWEEN ? AND ?",
        )
        .bind(environment)
        .bind(column(kind))
        .bind(from_ms)
        .bind(to_ms)
        .fetch_one(&self.pool)
        .await?;
        let points = i64::from(points.max(1));
        let stretch_ms = (rows > points).then(|| ((to_ms - from_ms + 1) + points - 1) / points);
        let rows = match stretch_ms {
            None => {
                sqlx::query(
                    "SELECT at_ms, format, body FROM pool_samples \
                     WHERE environment = ? AND kind = ? AND at_ms BETWEEN ? AND ? ORDER BY at_ms, id",
                )
                .bind(environment)
                .bind(column(kind))
                .bind(from_ms)
                .bind(to_ms)
                .fetch_all(&self.pool)
                .await?
            }
            // Which rows, from the index alone (SQLite fills the bare `id`
            // of a max() query from the row holding the maximum: each
            // stretch's busiest reading and, grouped apart by `ok`, one of
            // its failures); then only those rows' bodies.
            Some(stretch) => {
                let ids: Vec<i64> = sqlx::query_scalar(
                    "SELECT id FROM (SELECT id, max(coalesce(load, -1)) FROM pool_samples \
                     WHERE environment = ? AND kind = ? AND at_ms BETWEEN ? AND ? \
                     GROUP BY (at_ms - ?) / ?, ok)",
                )
                .bind(environment)
                .bind(column(kind))
                .bind(from_ms)
                .bind(to_ms)
                .bind(from_ms)
                .bind(stretch)
                .fetch_all(&self.pool)
                .await?;
                sqlx::query(
                    "SELECT at_ms, format, body FROM pool_samples \
                     WHERE id IN (SELECT value FROM json_each(?)) ORDER BY at_ms, id",
                )
                .bind(serde_json::to_string(&ids).map_err(|e| Error::Encode(e.to_string()))?)
                .fetch_all(&self.pool)
                .await?
            }
        };
        let mut history = PoolHistory {
            stretch_ms: stretch_ms.map(|ms| ms as u64),
            ..PoolHistory::default()
        };
        for row in &rows {
            let decoded = decode(row.try_get("format")?, &row.try_get::<Vec<u8>, _>("body")?);
            match decoded {
                Ok(reading) => history.readings.push(StoredReading {
                    kind,
                    at: from_unix_ms(row.try_get("at_ms")?),
                    reading,
                }),
                Err(e) => {
                    tracing::warn!(error = %e, "skipped an unreadable pool sample");
                    history.skipped += 1;
                }
            }
        }
        Ok(history)
    }

    /// Removes readings older than `before`; returns how many went.
    pub async fn prune_pool_samples(&self, before: OffsetDateTime) -> Result<u64> {
        let done = sqlx::query("DELETE FROM pool_samples WHERE at_ms < ?")
            .bind(unix_ms(before))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;
    use time::Duration;

    use super::*;

    fn app(at: OffsetDateTime, waiting: f64) -> PoolReading {
        PoolReading::App(AppPoolSample {
            source: "https://app/metrics".into(),
            at,
            names: "demo".into(),
            in_use: Some(5.0),
            idle: Some(0.0),
            waiting: Some(waiting),
            max: Some(5.0),
        })
    }

    const T0: OffsetDateTime = datetime!(2026-11-23 10:00:00 UTC);

    #[tokio::test]
    async fn readings_and_failures_come_back_in_order_and_retention_prunes_them() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(&dir.path().join("readyroom.db"))
            .await
            .expect("open");
        let failed = PoolReading::Failed {
            source: "https://app/metrics".into(),
            reason: "refused".into(),
        };
        for i in 0..5 {
            let at = T0 + Duration::seconds(i * 5);
            let reading = if i == 2 {
                failed.clone()
            } else {
                app(at, i as f64)
            };
            store
                .save_pool_readings("prod", &[(PoolKind::App, at, reading)])
                .await
                .expect("save");
        }
        store
            .save_pool_readings("other", &[(PoolKind::App, T0, app(T0, 9.0))])
            .await
            .expect("save");
        let end = T0 + Duration::seconds(20);
        let h = store
            .pool_history("prod", PoolKind::App, T0, end, 100)
            .await
            .expect("history");
        assert_eq!(h.readings.len(), 5);
        assert_eq!(h.stretch_ms, None, "every reading, as it was");
        assert_eq!(h.readings[2].reading, failed);
        assert_eq!(h.readings[4].reading, app(T0 + Duration::seconds(20), 4.0));
        assert_eq!(h.readings[4].at, T0 + Duration::seconds(20));
        // Two points asked for five readings: two stretches of 10 s, each
        // giving its busiest reading, and the failure in the first kept.
        let two = store
            .pool_history("prod", PoolKind::App, T0, end, 2)
            .await
            .expect("history");
        assert_eq!(two.stretch_ms, Some(10_001));
        let at: Vec<_> = two.readings.iter().map(|r| r.at - T0).collect();
        assert_eq!(
            at,
            [
                Duration::seconds(5),
                Duration::seconds(10),
                Duration::seconds(20)
            ]
        );
        assert_eq!(two.readings[1].reading, failed);
        // Nothing of another kind, nor outside the window.
        assert!(store
            .pool_history("prod", PoolKind::Server, T0, end, 100)
            .await
            .expect("history")
            .readings
            .is_empty());
        let before = store
            .pool_history("prod", PoolKind::App, T0, T0 + Duration::seconds(12), 100)
            .await
            .expect("history");
        assert_eq!(before.readings.len(), 3);
        let pruned = store
            .prune_pool_samples(T0 + Duration::seconds(10))
            .await
            .expect("prune");
        assert_eq!(pruned, 3, "two of prod's and other's one");
    }

    #[tokio::test]
    async fn a_damaged_row_is_skipped_and_counted() {
        let dir = tempfile::tempdir().expect("dir");
        let store = Store::open(&dir.path().join("readyroom.db"))
            .await
            .expect("open");
        store
            .save_pool_readings("prod", &[(PoolKind::App, T0, app(T0, 0.0))])
            .await
            .expect("save");
        sqlx::query("INSERT INTO pool_samples (environment, kind, at_ms, ok, format, body) VALUES ('prod', 'app', ?, 1, 1, x'00ff')")
            .bind(unix_ms(T0) + 1)
            .execute(&store.pool)
            .await
            .expect("damage");
        sqlx::query("INSERT INTO pool_samples (environment, kind, at_ms, ok, format, body) VALUES ('prod', 'app', ?, 1, 99, x'00')")
            .bind(unix_ms(T0) + 2)
            .execute(&store.pool)
            .await
            .expect("newer");
        let h = store
            .pool_history("prod", PoolKind::App, T0, T0 + Duration::seconds(1), 100)
            .await
            .expect("history");
        assert_eq!(h.readings.len(), 1);
        assert_eq!(h.skipped, 2);
    }
}
