//! The span store: received spans, kept in `spans.db`, a database file of
//! its own, so that ingesting a burst of spans never holds the lock that a
//! scorecard run needs to save (SQLite has one writer per file).
//!
//! A batch is stored whole or not at all (one transaction). Retention
//! removes spans by age and by size, oldest received first.

use std::path::{Path, PathBuf};

use readyroom_core::traces::{
    has_error_detail, host_of, is_failed_request, is_llm, route_of, LatencyStats, RouteAggregator,
    Span, SpanId, SpanKind, StatusCode, TraceFilter, TraceId, TraceLine,
};
use sqlx::{Row, SqlitePool};

use crate::{classify, migrations, open_database, Error, Result};

/// A span and the environment it was attributed to (`None`: none matched).
#[derive(Debug, Clone, Copy)]
pub struct Attributed<'a> {
    pub environment: Option<&'a str>,
    pub span: &'a Span,
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

/// How long after a span starts its parent is given to arrive before the
/// span counts as an orphan.
pub const SETTLE_NS: u64 = 2 * 60 * 1_000_000_000;

/// ERROR spans read back per window to look for detail: a sample large
/// enough for a percentage, small enough to stay fast in an error storm.
const MAX_ERROR_SPANS: i64 = 2_000;

/// An environment's spans in a window, counted (see `SpanStore::window`).
#[derive(Debug, Clone, Default)]
pub struct WindowCounts {
    pub last_span_start_ns: Option<u64>,
    pub spans: u64,
    /// Spans that started at least `SETTLE_NS` before the window's end,
    /// and how many of them are orphans.
    pub settled_spans: u64,
    pub orphans: u64,
    pub server_spans: u64,
    pub root_requests: u64,
    pub root_failed: u64,
    pub error_spans: u64,
    pub error_spans_with_detail: u64,
    /// SERVER span durations.
    pub api: LatencyStats,
    /// Database CLIENT span durations (`db.system` set).
    pub db: LatencyStats,
}

#[derive(Debug, Clone)]
pub struct SpanStore {
    pool: SqlitePool,
    path: PathBuf,
}

/// Hosts as a JSON array, for `json_each` (one bound parameter however
/// many hosts).
fn hosts_json(hosts: &[String]) -> String {
    serde_json::Value::from(hosts.to_vec()).to_string()
}

/// Spans per INSERT statement: 17 parameters each, well under SQLite's
/// 32,766 per statement.
const ROWS_PER_INSERT: usize = 500;

const MINUTE_NS: u64 = 60_000_000_000;

fn minute_of(nanos: u64) -> i64 {
    i64::try_from(nanos / MINUTE_NS).unwrap_or(i64::MAX)
}

/// A rollup's histogram as stored: its recorded buckets, each a
/// (microseconds, count) pair of varints. Reading it back costs the
/// buckets a minute of one route recorded, not the histogram's range.
fn encode_buckets(stats: &LatencyStats) -> Vec<u8> {
    let mut out = Vec::new();
    for (micros, count) in stats.buckets() {
        prost::encoding::encode_varint(micros, &mut out);
        prost::encoding::encode_varint(count, &mut out);
    }
    out
}

/// The stored pairs; `None` for bytes that are not pairs of varints.
fn decode_buckets(mut bytes: &[u8]) -> Option<Vec<(u64, u64)>> {
    let mut buckets = Vec::with_capacity(bytes.len() / 3);
    while !bytes.is_empty() {
        let micros = prost::encoding::decode_varint(&mut bytes).ok()?;
        let count = prost::encoding::decode_varint(&mut bytes).ok()?;
        buckets.push((micros, count));
    }
    Some(buckets)
}

/// Requests folded per (environment, minute, service, route), then merged
/// into `route_minutes` in the caller's transaction.
#[derive(Default)]
struct Rollups(std::collections::HashMap<(String, i64, String, String), LatencyStats>);

impl Rollups {
    fn record(
        &mut self,
        environment: String,
        start_ns: u64,
        service: String,
        route: String,
        duration_ns: u64,
        failed: bool,
    ) {
        self.0
            .entry((environment, minute_of(start_ns), service, route))
            .or_default()
            .record(duration_ns, failed);
    }

    async fn save(
        self,
        tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    ) -> std::result::Result<(), sqlx::Error> {
        for ((environment, minute, service, route), mut stats) in self.0 {
            let existing = sqlx::query(
                "SELECT requests, errors, histogram FROM route_minutes \
                 WHERE environment = ? AND minute = ? AND service = ? AND route = ?",
            )
            .bind(&environment)
            .bind(minute)
            .bind(&service)
            .bind(&route)
            .fetch_optional(&mut **tx)
            .await?;
            if let Some(row) = existing {
                let count = |i: usize| u64::try_from(row.get::<i64, _>(i)).unwrap_or(0);
                if let Some(before) = decode_buckets(row.get::<&[u8], _>(2)) {
                    stats.add_buckets(before, count(0), count(1));
                }
            }
            sqlx::query(
                "INSERT OR REPLACE INTO route_minutes \
                 (environment, minute, service, route, requests, errors, histogram) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&environment)
            .bind(minute)
            .bind(&service)
            .bind(&route)
            .bind(nanos(stats.requests))
            .bind(nanos(stats.errors))
            .bind(encode_buckets(&stats))
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

/// Nanoseconds as SQLite's signed 64-bit integer (good until 2262).
fn nanos(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

impl SpanStore {
    /// Opens (creating if needed) the span store and brings its schema up
    /// to date.
    pub async fn open(path: &Path) -> Result<SpanStore> {
        let pool = open_database(path, migrations::SPANS).await?;
        let store = SpanStore {
            pool,
            path: path.to_path_buf(),
        };
        store.fill_route_minutes().await?;
        Ok(store)
    }

    /// Rollups for requests stored before `route_minutes` existed: built
    /// once, when there are requests and no rollups at all.
    async fn fill_route_minutes(&self) -> Result<()> {
        use futures_util::TryStreamExt;
        let err = |e| self.classify(e);
        let needed: bool = sqlx::query_scalar(
            "SELECT NOT EXISTS (SELECT 1 FROM route_minutes) \
                AND EXISTS (SELECT 1 FROM spans WHERE kind = ?)",
        )
        .bind(SpanKind::Server.to_otlp())
        .fetch_one(&self.pool)
        .await
        .map_err(err)?;
        if !needed {
            return Ok(());
        }
        let mut rollups = Rollups::default();
        let mut rows = sqlx::query(
            "SELECT coalesce(environment, ''), start_ns, service, route, duration_ns, failed \
             FROM spans WHERE kind = ?",
        )
        .bind(SpanKind::Server.to_otlp())
        .fetch(&self.pool);
        while let Some(row) = rows.try_next().await.map_err(err)? {
            rollups.record(
                row.get::<String, _>(0),
                u64::try_from(row.get::<i64, _>(1)).unwrap_or(0),
                row.get::<String, _>(2),
                row.get::<String, _>(3),
                u64::try_from(row.get::<i64, _>(4)).unwrap_or(0),
                row.get::<bool, _>(5),
            );
        }
        drop(rows);
        let mut tx = self.pool.begin().await.map_err(err)?;
        rollups.save(&mut tx).await.map_err(err)?;
        tx.commit().await.map_err(err)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn classify(&self, e: sqlx::Error) -> Error {
        classify(&self.path, e, |detail| Error::Open {
            path: self.path.display().to_string(),
            detail,
        })
    }

    /// Stores a batch in one transaction: all of it, or (on any error)
    /// none of it. Rows go in a few hundred per statement: one statement
    /// per span cost more in the round trip than SQLite spent storing it.
    pub async fn insert(&self, batch: &[Attributed<'_>], received_ns: u64) -> Result<Stored> {
        let mut stored = Stored::default();
        // A span repeated within the batch: the first copy goes in.
        let mut seen = std::collections::HashSet::with_capacity(batch.len());
        let mut fresh = Vec::with_capacity(batch.len());
        for a in batch {
            if seen.insert((a.span.trace_id, a.span.span_id)) {
                fresh.push(*a);
            } else {
                stored.duplicates += 1;
            }
        }
        // Encode everything first: a span that cannot be encoded fails the
        // batch before anything is written.
        let encoded = fresh
            .iter()
            .map(|a| serde_json::to_string(a.span).map_err(|e| Error::Encode(e.to_string())))
            .collect::<Result<Vec<String>>>()?;
        let mut tx = self
            .pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|e| self.classify(e))?;
        let mut rollups = Rollups::default();
        let rows: Vec<(&Attributed<'_>, String)> = fresh.iter().zip(encoded).collect();
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT OR IGNORE INTO spans (trace_id, span_id, parent_id, environment, service, name, route, \
                 kind, status, failed, db_system, start_ns, duration_ns, received_ns, span, gen_ai, peer) ",
            );
            insert.push_values(chunk, |mut row, (a, json)| {
                let span = a.span;
                row.push_bind(&span.trace_id.0[..])
                    .push_bind(&span.span_id.0[..])
                    .push_bind(span.parent_span_id.as_ref().map(|p| &p.0[..]))
                    .push_bind(a.environment)
                    .push_bind(span.service.as_str())
                    .push_bind(span.name.as_str())
                    .push_bind(route_of(span))
                    .push_bind(span.kind.to_otlp())
                    .push_bind(span.status.to_otlp())
                    .push_bind(is_failed_request(span))
                    .push_bind(span.attributes.str("db.system"))
                    .push_bind(nanos(span.start_unix_nano))
                    .push_bind(nanos(span.duration_nanos()))
                    .push_bind(nanos(received_ns))
                    .push_bind(json.as_str())
                    .push_bind(is_llm(span))
                    .push_bind(host_of(span).map(str::to_ascii_lowercase));
            });
            // The ids of the rows that went in; the others were stored before.
            insert.push(" RETURNING trace_id, span_id");
            let inserted: std::collections::HashSet<(TraceId, SpanId)> = insert
                .build_query_as::<(Vec<u8>, Vec<u8>)>()
                .fetch_all(&mut *tx)
                .await
                .map_err(|e| self.classify(e))?
                .into_iter()
                .filter_map(|(t, s)| Some((TraceId::from_bytes(&t)?, SpanId::from_bytes(&s)?)))
                .collect();
            for (a, _) in chunk {
                let span = a.span;
                if !inserted.contains(&(span.trace_id, span.span_id)) {
                    stored.duplicates += 1;
                    continue;
                }
                stored.inserted += 1;
                // A repeated span was not stored, so it is not counted.
                if span.kind == SpanKind::Server {
                    rollups.record(
                        a.environment.unwrap_or("").to_string(),
                        span.start_unix_nano,
                        span.service.clone(),
                        route_of(span).to_string(),
                        span.duration_nanos(),
                        is_failed_request(span),
                    );
                }
            }
        }
        rollups.save(&mut tx).await.map_err(|e| self.classify(e))?;
        tx.commit().await.map_err(|e| self.classify(e))?;
        Ok(stored)
    }

    /// Every stored span of a trace, in arrival order.
    pub async fn trace(&self, trace_id: TraceId) -> Result<Vec<Span>> {
        let rows = sqlx::query("SELECT id, span FROM spans WHERE trace_id = ? ORDER BY id")
            .bind(&trace_id.0[..])
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.classify(e))?;
        rows.iter()
            .map(|row| {
                let id: i64 = row.get(0);
                let json: String = row.get(1);
                serde_json::from_str(&json).map_err(|e| Error::Corrupt {
                    row: format!("span row {id}"),
                    detail: e.to_string(),
                })
            })
            .collect()
    }

    /// Traces with spans starting in `[from_ns, to_ns)`, newest first,
    /// with their entry span (the earliest span without a parent).
    pub async fn traces(
        &self,
        environment: &str,
        from_ns: u64,
        to_ns: u64,
        filter: &TraceFilter,
    ) -> Result<Vec<TraceLine>> {
        let rows = sqlx::query(
            "WITH t AS ( \
               SELECT trace_id, min(start_ns) AS start_ns, max(start_ns + duration_ns) AS end_ns, \
                      count(*) AS spans, sum(status = ?) AS errors \
               FROM spans WHERE environment = ? AND start_ns >= ? AND start_ns < ? GROUP BY trace_id) \
             SELECT t.trace_id, t.start_ns, t.end_ns - t.start_ns, t.spans, t.errors, \
                    r.service, r.name, r.route \
             FROM t LEFT JOIN spans r ON r.id = ( \
               SELECT x.id FROM spans x WHERE x.trace_id = t.trace_id AND x.parent_id IS NULL \
               ORDER BY x.start_ns LIMIT 1) \
             WHERE (? IS NULL OR r.service = ?) AND (? IS NULL OR r.route = ?) \
               AND (? IS NULL OR (t.errors > 0) = ?) AND t.end_ns - t.start_ns >= ? \
             ORDER BY t.start_ns DESC LIMIT ?",
        )
        .bind(StatusCode::Error.to_otlp())
        .bind(environment)
        .bind(nanos(from_ns))
        .bind(nanos(to_ns))
        .bind(filter.service.as_deref())
        .bind(filter.service.as_deref())
        .bind(filter.route.as_deref())
        .bind(filter.route.as_deref())
        .bind(filter.failed)
        .bind(filter.failed)
        .bind(nanos(filter.min_duration_ns))
        .bind(i64::from(filter.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.classify(e))?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                let id: Vec<u8> = row.get(0);
                Some(TraceLine {
                    trace_id: TraceId(id.try_into().ok()?),
                    start_ns: u64::try_from(row.get::<i64, _>(1)).unwrap_or(0),
                    duration_ns: u64::try_from(row.get::<i64, _>(2)).unwrap_or(0),
                    spans: u64::try_from(row.get::<i64, _>(3)).ok(),
                    error_spans: u64::try_from(row.get::<i64, _>(4)).ok(),
                    root_service: row.get(5),
                    root_name: row.get(6),
                    route: row.get(7),
                })
            })
            .collect())
    }

    /// How many spans are stored for an environment (`None`: unattributed).
    pub async fn count(&self, environment: Option<&str>) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM spans WHERE environment IS ?")
            .bind(environment)
            .fetch_one(&self.pool)
            .await
            .map_err(|e| self.classify(e))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Request (SERVER span) statistics per service and route for spans
    /// starting in `[from_ns, to_ns)`. Rows are streamed into histograms,
    /// never collected.
    pub async fn route_stats(
        &self,
        environment: &str,
        from_ns: u64,
        to_ns: u64,
    ) -> Result<RouteAggregator> {
        use futures_util::TryStreamExt;
        // Whole minutes: the window's edges are rounded out to the minute.
        let (first, last) = (minute_of(from_ns), minute_of(to_ns.saturating_sub(1)));
        let mut rows = sqlx::query(
            "SELECT service, route, requests, errors, histogram FROM route_minutes \
             WHERE environment = ? AND minute >= ? AND minute <= ?",
        )
        .bind(environment)
        .bind(first)
        .bind(last)
        .fetch(&self.pool);
        let mut aggregator = RouteAggregator::default();
        while let Some(row) = rows.try_next().await.map_err(|e| self.classify(e))? {
            let count = |i: usize| u64::try_from(row.get::<i64, _>(i)).unwrap_or(0);
            // A rollup that does not read back is left out, not fatal.
            if let Some(buckets) = decode_buckets(row.get::<&[u8], _>(4)) {
                aggregator.add_buckets(row.get(0), row.get(1), buckets, count(2), count(3));
            }
        }
        Ok(aggregator)
    }

    /// An environment's spans starting in `[from_ns, to_ns)`, counted for
    /// the trace checks. Durations are streamed into histograms; ERROR
    /// spans are read back (at most `MAX_ERROR_SPANS`) to look for detail.
    pub async fn window(
        &self,
        environment: &str,
        from_ns: u64,
        to_ns: u64,
    ) -> Result<WindowCounts> {
        use futures_util::TryStreamExt;
        let (from, to) = (nanos(from_ns), nanos(to_ns));
        let err = |e| self.classify(e);
        let last: Option<i64> =
            sqlx::query_scalar("SELECT max(start_ns) FROM spans WHERE environment = ?")
                .bind(environment)
                .fetch_one(&self.pool)
                .await
                .map_err(err)?;
        let server = SpanKind::Server.to_otlp();
        let row = sqlx::query(
            "SELECT count(*), \
                    coalesce(sum(kind = ?), 0), \
                    coalesce(sum(kind = ? AND parent_id IS NULL), 0), \
                    coalesce(sum(kind = ? AND parent_id IS NULL AND failed), 0), \
                    coalesce(sum(status = ?), 0) \
             FROM spans WHERE environment = ? AND start_ns >= ? AND start_ns < ?",
        )
        .bind(server)
        .bind(server)
        .bind(server)
        .bind(StatusCode::Error.to_otlp())
        .bind(environment)
        .bind(from)
        .bind(to)
        .fetch_one(&self.pool)
        .await
        .map_err(err)?;
        let count = |i: usize| u64::try_from(row.get::<i64, _>(i)).unwrap_or(0);
        // Integrity looks only at spans old enough for their parents to
        // have arrived: a parent ends (and is exported) after its children.
        let settled = nanos(to_ns.saturating_sub(SETTLE_NS));
        let integrity = sqlx::query(
            "SELECT count(*), coalesce(sum(s.parent_id IS NOT NULL \
               AND NOT EXISTS (SELECT 1 FROM spans p WHERE p.trace_id = s.trace_id AND p.span_id = s.parent_id)), 0) \
             FROM spans s WHERE s.environment = ? AND s.start_ns >= ? AND s.start_ns < ?",
        )
        .bind(environment)
        .bind(from)
        .bind(settled)
        .fetch_one(&self.pool)
        .await
        .map_err(err)?;
        let settled_spans = u64::try_from(integrity.get::<i64, _>(0)).unwrap_or(0);
        let orphans = u64::try_from(integrity.get::<i64, _>(1)).unwrap_or(0);

        let mut api = LatencyStats::default();
        let mut db = LatencyStats::default();
        let mut rows = sqlx::query(
            "SELECT kind, duration_ns, db_system IS NOT NULL FROM spans \
             WHERE environment = ? AND start_ns >= ? AND start_ns < ? AND (kind = ? OR (kind = ? AND db_system IS NOT NULL))",
        )
        .bind(environment)
        .bind(from)
        .bind(to)
        .bind(server)
        .bind(SpanKind::Client.to_otlp())
        .fetch(&self.pool);
        while let Some(row) = rows.try_next().await.map_err(err)? {
            let duration = u64::try_from(row.get::<i64, _>(1)).unwrap_or(0);
            if row.get::<i64, _>(0) == i64::from(server) {
                api.record(duration, false);
            } else {
                db.record(duration, false);
            }
        }
        drop(rows);

        let mut error_spans = 0;
        let mut with_detail = 0;
        let mut rows = sqlx::query(
            "SELECT span FROM spans WHERE environment = ? AND start_ns >= ? AND start_ns < ? AND status = ? \
             ORDER BY start_ns DESC LIMIT ?",
        )
        .bind(environment)
        .bind(from)
        .bind(to)
        .bind(StatusCode::Error.to_otlp())
        .bind(MAX_ERROR_SPANS)
        .fetch(&self.pool);
        while let Some(row) = rows.try_next().await.map_err(err)? {
            let json: String = row.get(0);
            // A row that does not read back is not counted either way.
            if let Ok(span) = serde_json::from_str::<Span>(&json) {
                error_spans += 1;
                with_detail += u64::from(has_error_detail(&span));
            }
        }
        Ok(WindowCounts {
            last_span_start_ns: last.and_then(|n| u64::try_from(n).ok()),
            spans: count(0),
            server_spans: count(1),
            root_requests: count(2),
            root_failed: count(3),
            settled_spans,
            orphans,
            error_spans,
            error_spans_with_detail: with_detail,
            api,
            db,
        })
    }

    /// Upstream attempts (CLIENT spans with `gen_ai.*` attributes, or to
    /// one of `hosts`, lower case) of an environment starting in
    /// `[from_ns, to_ns)`.
    pub async fn upstream_attempts(
        &self,
        environment: &str,
        from_ns: u64,
        to_ns: u64,
        hosts: &[String],
    ) -> Result<u64> {
        let count: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM spans WHERE environment = ? AND start_ns >= ? AND start_ns < ? \
             AND kind = ? AND (gen_ai OR peer IN (SELECT value FROM json_each(?)))",
        )
        .bind(environment)
        .bind(nanos(from_ns))
        .bind(nanos(to_ns))
        .bind(SpanKind::Client.to_otlp())
        .bind(hosts_json(hosts))
        .fetch_one(&self.pool)
        .await
        .map_err(|e| self.classify(e))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Traces with a failed upstream attempt starting in `[from_ns,
    /// to_ns)`, newest failure first, at most `limit`.
    pub async fn traces_with_failed_upstream(
        &self,
        environment: &str,
        from_ns: u64,
        to_ns: u64,
        hosts: &[String],
        limit: u32,
    ) -> Result<Vec<TraceId>> {
        let rows: Vec<Vec<u8>> = sqlx::query_scalar(
            "SELECT trace_id FROM spans WHERE environment = ? AND start_ns >= ? AND start_ns < ? \
             AND kind = ? AND status = ? AND (gen_ai OR peer IN (SELECT value FROM json_each(?))) \
             GROUP BY trace_id ORDER BY max(start_ns) DESC LIMIT ?",
        )
        .bind(environment)
        .bind(nanos(from_ns))
        .bind(nanos(to_ns))
        .bind(SpanKind::Client.to_otlp())
        .bind(StatusCode::Error.to_otlp())
        .bind(hosts_json(hosts))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(|e| self.classify(e))?;
        Ok(rows
            .iter()
            .filter_map(|bytes| TraceId::from_bytes(bytes))
            .collect())
    }

    /// Removes spans that started before `older_than_ns`, then, while the
    /// store holds more than `max_bytes` of live pages, the oldest received
    /// spans, a tenth at a time.
    pub async fn apply_retention(&self, older_than_ns: u64, max_bytes: u64) -> Result<Removed> {
        let mut removed = Removed::default();
        let aged = sqlx::query("DELETE FROM spans WHERE start_ns < ?")
            .bind(nanos(older_than_ns))
            .execute(&self.pool)
            .await
            .map_err(|e| self.classify(e))?;
        removed.by_age = aged.rows_affected();
        sqlx::query("DELETE FROM route_minutes WHERE minute < ?")
            .bind(minute_of(older_than_ns))
            .execute(&self.pool)
            .await
            .map_err(|e| self.classify(e))?;
        while self.live_bytes().await? > max_bytes {
            let total: i64 = sqlx::query_scalar("SELECT count(*) FROM spans")
                .fetch_one(&self.pool)
                .await
                .map_err(|e| self.classify(e))?;
            if total == 0 {
                break;
            }
            let chunk = (total / 10).max(1);
            let gone = sqlx::query(
                "DELETE FROM spans WHERE id IN (SELECT id FROM spans ORDER BY received_ns, id LIMIT ?)",
            )
            .bind(chunk)
            .execute(&self.pool)
            .await
            .map_err(|e| self.classify(e))?;
            removed.by_size += gone.rows_affected();
        }
        Ok(removed)
    }

    /// Bytes in use: pages minus free pages (freed pages are reused by
    /// later inserts, so they do not count against the limit).
    pub async fn live_bytes(&self) -> Result<u64> {
        let row = sqlx::query(
            "SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count()), \
                    (SELECT page_size FROM pragma_page_size())",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(|e| self.classify(e))?;
        let pages: i64 = row.get(0);
        let size: i64 = row.get(1);
        Ok(u64::try_from(pages.max(0) * size).unwrap_or(0))
    }

    #[cfg(test)]
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}
