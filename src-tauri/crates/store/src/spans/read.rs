//! Reading the span store: traces from their parts, everything counted
//! from the rollups (whole minutes: a window's edges are rounded out to
//! the minute) and the integrity counts from the parts' covering index.

use readyroom_core::traces::{LatencyStats, Span, TraceFilter, TraceId, TraceLine, TraceOrder};
use sqlx::Row;

use super::rollups::{decode_buckets, minute_of};
use super::{body, nanos, SpanStore, WindowCounts, SETTLE_NS};
use crate::{Error, Result};

pub(super) fn count(row: &sqlx::sqlite::SqliteRow, i: usize) -> u64 {
    u64::try_from(row.get::<i64, _>(i)).unwrap_or(0)
}

/// The window's minutes, both ends included.
pub(super) fn minutes(from_ns: u64, to_ns: u64) -> (i64, i64) {
    (minute_of(from_ns), minute_of(to_ns.saturating_sub(1)))
}

/// Hosts as a JSON array, for `json_each` (one bound parameter however
/// many hosts).
fn hosts_json(hosts: &[String]) -> String {
    serde_json::Value::from(hosts.to_vec()).to_string()
}

/// The most candidate traces an attribute filter reads the spans of.
pub const ATTRIBUTE_SCAN: u32 = 5_000;

/// A trace list, and where an attribute filter stopped reading.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    pub lines: Vec<TraceLine>,
    /// Set when the attribute filter read this many traces' spans and
    /// found fewer than the limit: older (or quicker) ones were not read.
    pub scan_stopped_at: Option<u32>,
}

impl Listed {
    /// No traces (nothing stored yet).
    pub fn empty() -> Listed {
        Listed {
            lines: Vec::new(),
            scan_stopped_at: None,
        }
    }
}

impl SpanStore {
    /// Every stored span of a trace, in arrival order.
    pub async fn trace(&self, trace_id: TraceId) -> Result<Vec<Span>> {
        let rows = sqlx::query("SELECT id, body FROM trace_parts WHERE trace_id = ? ORDER BY id")
            .bind(&trace_id.0[..])
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.classify(e))?;
        let mut spans = Vec::new();
        for row in &rows {
            let id: i64 = row.get(0);
            let part = body::decode(trace_id, row.get::<&[u8], _>(1)).map_err(|detail| {
                Error::Corrupt {
                    row: format!("trace part {id}"),
                    detail,
                }
            })?;
            spans.extend(part);
        }
        Ok(spans)
    }

    /// Traces starting in `[from_ns, to_ns)`, newest (or
    /// slowest) first, with their entry span (the earliest span without a
    /// parent). No index holds attributes: an attribute filter reads the
    /// spans of the candidates in order until `limit` match, at most
    /// [`ATTRIBUTE_SCAN`] of them, and says when it stopped there.
    pub async fn traces(
        &self,
        environment: &str,
        from_ns: u64,
        to_ns: u64,
        filter: &TraceFilter,
    ) -> Result<Listed> {
        // Parts stored since the last fold (by any process) count too.
        self.fold_trace_index().await?;
        let Some(attribute) = &filter.attribute else {
            let lines = self
                .trace_lines(environment, from_ns, to_ns, filter, filter.limit)
                .await?;
            return Ok(Listed {
                lines,
                scan_stopped_at: None,
            });
        };
        let candidates = self
            .trace_lines(environment, from_ns, to_ns, filter, ATTRIBUTE_SCAN)
            .await?;
        let mut lines = Vec::new();
        for line in &candidates {
            if attribute.any(&self.trace(line.trace_id).await?) {
                lines.push(line.clone());
                if lines.len() >= filter.limit as usize {
                    break;
                }
            }
        }
        let full =
            candidates.len() >= ATTRIBUTE_SCAN as usize && lines.len() < filter.limit as usize;
        Ok(Listed {
            lines,
            scan_stopped_at: full.then_some(ATTRIBUTE_SCAN),
        })
    }

    async fn trace_lines(
        &self,
        environment: &str,
        from_ns: u64,
        to_ns: u64,
        filter: &TraceFilter,
        limit: u32,
    ) -> Result<Vec<TraceLine>> {
        // The order is one of two fixed clauses, never text from a request.
        let order = match filter.order {
            TraceOrder::Newest => "start_ns DESC",
            TraceOrder::Slowest => "end_ns - start_ns DESC",
        };
        // `trace_index` holds each trace's parts summed (migration 0005).
        let sql = format!(
            "SELECT trace_id, start_ns, end_ns - start_ns, spans, error_spans, \
                    entry_service, entry_name, entry_route \
             FROM trace_index t \
             WHERE environment = ? AND start_ns >= ? AND start_ns < ? \
               AND (? IS NULL OR entry_service = ?) AND (? IS NULL OR entry_route = ?) \
               AND (? IS NULL OR (error_spans > 0) = ?) AND end_ns - start_ns >= ? \
               AND (? IS NULL OR end_ns - start_ns <= ?) \
             ORDER BY {order} LIMIT ?"
        );
        let max = filter.max_duration_ns.map(nanos);
        let rows = sqlx::query(&sql)
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
            .bind(max)
            .bind(max)
            .bind(i64::from(limit))
            .fetch_all(&self.pool)
            .await
            .map_err(|e| self.classify(e))?;
        Ok(rows
            .iter()
            .filter_map(|row| {
                Some(TraceLine {
                    trace_id: TraceId::from_bytes(row.get::<&[u8], _>(0))?,
                    start_ns: count(row, 1),
                    duration_ns: count(row, 2),
                    spans: Some(count(row, 3)),
                    error_spans: Some(count(row, 4)),
                    root_service: row.get(5),
                    root_name: row.get(6),
                    route: row.get(7),
                })
            })
            .collect())
    }

    /// How many spans are stored for an environment (`None`: unattributed).
    pub async fn count(&self, environment: Option<&str>) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT coalesce(sum(spans), 0) FROM trace_parts WHERE environment IS ?",
        )
        .bind(environment)
        .fetch_one(&self.pool)
        .await
        .map_err(|e| self.classify(e))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// An environment's spans starting in `[from_ns, to_ns)`, counted for
    /// the trace checks, from the rollups and the parts' index.
    pub async fn window(
        &self,
        environment: &str,
        from_ns: u64,
        to_ns: u64,
    ) -> Result<WindowCounts> {
        let err = |e| self.classify(e);
        let (first, last) = minutes(from_ns, to_ns);
        let newest: Option<i64> = sqlx::query_scalar(
            "SELECT last_start_ns FROM span_minutes WHERE environment = ? ORDER BY minute DESC LIMIT 1",
        )
        .bind(environment)
        .fetch_optional(&self.pool)
        .await
        .map_err(err)?;
        let row = sqlx::query(
            "SELECT coalesce(sum(spans), 0), coalesce(sum(roots), 0), coalesce(sum(roots_failed), 0), \
                    coalesce(sum(error_spans), 0), coalesce(sum(error_detail), 0) \
             FROM span_minutes WHERE environment = ? AND minute >= ? AND minute <= ?",
        )
        .bind(environment)
        .bind(first)
        .bind(last)
        .fetch_one(&self.pool)
        .await
        .map_err(err)?;
        // Integrity looks only at parts old enough for their parents to
        // have arrived: a parent ends (and is exported) after its children.
        let settled = sqlx::query(
            "SELECT coalesce(sum(spans), 0), coalesce(sum(orphans), 0) FROM trace_parts \
             WHERE environment = ? AND start_ns >= ? AND start_ns < ?",
        )
        .bind(environment)
        .bind(nanos(from_ns))
        .bind(nanos(to_ns.saturating_sub(SETTLE_NS)))
        .fetch_one(&self.pool)
        .await
        .map_err(err)?;
        let api = self
            .merged("route_minutes", environment, first, last)
            .await?;
        let db = self.merged("db_minutes", environment, first, last).await?;
        Ok(WindowCounts {
            last_span_start_ns: newest.and_then(|n| u64::try_from(n).ok()),
            spans: count(&row, 0),
            server_spans: api.requests,
            root_requests: count(&row, 1),
            root_failed: count(&row, 2),
            settled_spans: count(&settled, 0),
            orphans: count(&settled, 1),
            error_spans: count(&row, 3),
            error_spans_with_detail: count(&row, 4),
            api,
            db,
        })
    }

    /// One histogram rollup table's rows for an environment's minutes,
    /// merged into one (streamed). A rollup that does not read back is left
    /// out, not fatal.
    async fn merged(
        &self,
        table: &'static str,
        environment: &str,
        first: i64,
        last: i64,
    ) -> Result<LatencyStats> {
        use futures_util::TryStreamExt;
        let sql = format!(
            "SELECT requests, errors, histogram FROM {table} \
             WHERE environment = ? AND minute >= ? AND minute <= ?"
        );
        let mut rows = sqlx::query(&sql)
            .bind(environment)
            .bind(first)
            .bind(last)
            .fetch(&self.pool);
        let mut stats = LatencyStats::default();
        while let Some(row) = rows.try_next().await.map_err(|e| self.classify(e))? {
            if let Some(buckets) = decode_buckets(row.get::<&[u8], _>(2)) {
                stats.add_buckets(buckets, count(&row, 0), count(&row, 1));
            }
        }
        Ok(stats)
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
        let (first, last) = minutes(from_ns, to_ns);
        let n: i64 = sqlx::query_scalar(
            "SELECT coalesce(sum(attempts), 0) FROM upstream_minutes \
             WHERE environment = ? AND minute >= ? AND minute <= ? \
             AND (gen_ai OR peer IN (SELECT value FROM json_each(?)))",
        )
        .bind(environment)
        .bind(first)
        .bind(last)
        .bind(hosts_json(hosts))
        .fetch_one(&self.pool)
        .await
        .map_err(|e| self.classify(e))?;
        Ok(u64::try_from(n).unwrap_or(0))
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
            "SELECT trace_id FROM upstream_failures \
             WHERE environment = ? AND start_ns >= ? AND start_ns < ? \
             AND (gen_ai OR peer IN (SELECT value FROM json_each(?))) \
             GROUP BY trace_id ORDER BY max(start_ns) DESC LIMIT ?",
        )
        .bind(environment)
        .bind(nanos(from_ns))
        .bind(nanos(to_ns))
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
}
