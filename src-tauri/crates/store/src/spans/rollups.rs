//! Per-minute rollups, folded in memory as a batch is stored and merged
//! into their tables in the batch's transaction: what the trace checks
//! and per-route statistics read instead of the spans.

use std::borrow::Cow;
use std::collections::HashMap;

use readyroom_core::traces::{
    has_error_detail, host_of, is_failed_request, is_llm, route_of, LatencyStats, Span, SpanKind,
    StatusCode,
};
use sqlx::{Row, Sqlite, Transaction};

use super::nanos;

pub(super) const MINUTE_NS: u64 = 60_000_000_000;

pub(super) fn minute_of(nanos: u64) -> i64 {
    i64::try_from(nanos / MINUTE_NS).unwrap_or(i64::MAX)
}

/// A rollup's histogram as stored: its recorded buckets, each a
/// (microseconds, count) pair of varints. Reading it back costs the
/// buckets a minute recorded, not the histogram's range.
pub(super) fn encode_buckets(stats: &LatencyStats) -> Vec<u8> {
    let mut out = Vec::new();
    for (micros, count) in stats.buckets() {
        prost::encoding::encode_varint(micros, &mut out);
        prost::encoding::encode_varint(count, &mut out);
    }
    out
}

/// The stored pairs; `None` for bytes that are not pairs of varints.
pub(super) fn decode_buckets(mut bytes: &[u8]) -> Option<Vec<(u64, u64)>> {
    let mut buckets = Vec::with_capacity(bytes.len() / 3);
    while !bytes.is_empty() {
        let micros = prost::encoding::decode_varint(&mut bytes).ok()?;
        let count = prost::encoding::decode_varint(&mut bytes).ok()?;
        buckets.push((micros, count));
    }
    Some(buckets)
}

/// One environment-minute's counts (`span_minutes`).
#[derive(Default)]
struct Counts {
    spans: i64,
    roots: i64,
    roots_failed: i64,
    error_spans: i64,
    error_detail: i64,
    last_start_ns: i64,
}

/// A failed upstream attempt (`upstream_failures`).
struct Failure<'a> {
    environment: &'a str,
    start_ns: i64,
    trace_id: [u8; 16],
    peer: Cow<'a, str>,
    gen_ai: bool,
}

/// Everything a batch adds to the rollups, keyed by what the spans
/// already hold (no allocation per span). '' is unattributed.
#[derive(Default)]
pub(super) struct Rollups<'a> {
    routes: HashMap<(&'a str, i64, &'a str, &'a str), LatencyStats>,
    counts: HashMap<(&'a str, i64), Counts>,
    databases: HashMap<(&'a str, i64), LatencyStats>,
    upstreams: HashMap<(&'a str, i64, Cow<'a, str>, bool), i64>,
    failures: Vec<Failure<'a>>,
}

/// A host in lower case, borrowed when it already is.
fn lower(host: &str) -> Cow<'_, str> {
    if host.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(host.to_ascii_lowercase())
    } else {
        Cow::Borrowed(host)
    }
}

impl<'a> Rollups<'a> {
    /// Counts one stored span (a repeat is never recorded: it was not stored).
    pub(super) fn record(&mut self, environment: Option<&'a str>, span: &'a Span) {
        let environment = environment.unwrap_or("");
        let minute = minute_of(span.start_unix_nano);
        let failed = is_failed_request(span);
        let counts = self.counts.entry((environment, minute)).or_default();
        counts.spans += 1;
        counts.last_start_ns = counts.last_start_ns.max(nanos(span.start_unix_nano));
        if span.status == StatusCode::Error {
            counts.error_spans += 1;
            counts.error_detail += i64::from(has_error_detail(span));
        }
        match span.kind {
            SpanKind::Server => {
                if span.parent_span_id.is_none() {
                    counts.roots += 1;
                    counts.roots_failed += i64::from(failed);
                }
                self.routes
                    .entry((environment, minute, &span.service, route_of(span)))
                    .or_default()
                    .record(span.duration_nanos(), failed);
            }
            SpanKind::Client => {
                if span.attributes.get("db.system").is_some() {
                    self.databases
                        .entry((environment, minute))
                        .or_default()
                        .record(span.duration_nanos(), span.is_error());
                }
                let gen_ai = is_llm(span);
                let peer = host_of(span).map(lower);
                if gen_ai || peer.is_some() {
                    let peer = peer.unwrap_or_default();
                    if span.is_error() {
                        self.failures.push(Failure {
                            environment,
                            start_ns: nanos(span.start_unix_nano),
                            trace_id: span.trace_id.0,
                            peer: peer.clone(),
                            gen_ai,
                        });
                    }
                    *self
                        .upstreams
                        .entry((environment, minute, peer, gen_ai))
                        .or_default() += 1;
                }
            }
            _ => {}
        }
    }

    /// Merges into the tables: counters by upsert, histograms read,
    /// merged and written back (a batch touches a few minutes).
    pub(super) async fn save(self, tx: &mut Transaction<'_, Sqlite>) -> Result<(), sqlx::Error> {
        for ((environment, minute, service, route), stats) in self.routes {
            let rest = [service, route];
            merge_histogram(tx, &ROUTE_MINUTES, environment, minute, &rest, stats).await?;
        }
        for ((environment, minute), stats) in self.databases {
            merge_histogram(tx, &DB_MINUTES, environment, minute, &[], stats).await?;
        }
        for ((environment, minute), c) in self.counts {
            sqlx::query(
                "INSERT INTO span_minutes \
                 (environment, minute, spans, roots, roots_failed, error_spans, error_detail, last_start_ns) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (environment, minute) DO UPDATE SET \
                   spans = spans + excluded.spans, roots = roots + excluded.roots, \
                   roots_failed = roots_failed + excluded.roots_failed, \
                   error_spans = error_spans + excluded.error_spans, \
                   error_detail = error_detail + excluded.error_detail, \
                   last_start_ns = max(last_start_ns, excluded.last_start_ns)",
            )
            .bind(environment)
            .bind(minute)
            .bind(c.spans)
            .bind(c.roots)
            .bind(c.roots_failed)
            .bind(c.error_spans)
            .bind(c.error_detail)
            .bind(c.last_start_ns)
            .execute(&mut **tx)
            .await?;
        }
        for ((environment, minute, peer, gen_ai), attempts) in self.upstreams {
            sqlx::query(
                "INSERT INTO upstream_minutes (environment, minute, peer, gen_ai, attempts) \
                 VALUES (?, ?, ?, ?, ?) ON CONFLICT (environment, minute, peer, gen_ai) \
                 DO UPDATE SET attempts = attempts + excluded.attempts",
            )
            .bind(environment)
            .bind(minute)
            .bind(peer.as_ref())
            .bind(gen_ai)
            .bind(attempts)
            .execute(&mut **tx)
            .await?;
        }
        for f in self.failures {
            sqlx::query(
                "INSERT INTO upstream_failures (environment, start_ns, trace_id, peer, gen_ai) \
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(f.environment)
            .bind(f.start_ns)
            .bind(&f.trace_id[..])
            .bind(f.peer.as_ref())
            .bind(f.gen_ai)
            .execute(&mut **tx)
            .await?;
        }
        Ok(())
    }
}

/// A table of histogram rollups: how one row is read and written, its
/// key being the environment, the minute, then the table's own columns.
struct HistogramTable {
    select: &'static str,
    replace: &'static str,
}

const ROUTE_MINUTES: HistogramTable = HistogramTable {
    select: "SELECT requests, errors, histogram FROM route_minutes \
             WHERE environment = ? AND minute = ? AND service = ? AND route = ?",
    replace: "INSERT OR REPLACE INTO route_minutes \
              (environment, minute, service, route, requests, errors, histogram) \
              VALUES (?, ?, ?, ?, ?, ?, ?)",
};

const DB_MINUTES: HistogramTable = HistogramTable {
    select:
        "SELECT requests, errors, histogram FROM db_minutes WHERE environment = ? AND minute = ?",
    replace:
        "INSERT OR REPLACE INTO db_minutes (environment, minute, requests, errors, histogram) \
              VALUES (?, ?, ?, ?, ?)",
};

/// Adds `stats` to the row of `table` keyed by `environment`, `minute`
/// and `rest`.
async fn merge_histogram(
    tx: &mut Transaction<'_, Sqlite>,
    table: &HistogramTable,
    environment: &str,
    minute: i64,
    rest: &[&str],
    mut stats: LatencyStats,
) -> Result<(), sqlx::Error> {
    let mut select = sqlx::query(table.select).bind(environment).bind(minute);
    for value in rest {
        select = select.bind(*value);
    }
    if let Some(row) = select.fetch_optional(&mut **tx).await? {
        let count = |i: usize| u64::try_from(row.get::<i64, _>(i)).unwrap_or(0);
        if let Some(before) = decode_buckets(row.get::<&[u8], _>(2)) {
            stats.add_buckets(before, count(0), count(1));
        }
    }
    let mut replace = sqlx::query(table.replace).bind(environment).bind(minute);
    for value in rest {
        replace = replace.bind(*value);
    }
    replace
        .bind(nanos(stats.requests))
        .bind(nanos(stats.errors))
        .bind(encode_buckets(&stats))
        .execute(&mut **tx)
        .await?;
    Ok(())
}
