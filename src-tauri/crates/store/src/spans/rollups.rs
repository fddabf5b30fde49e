//! Per-minute rollups, folded in memory as a batch is stored and merged
//! into their tables in the batch's transaction: what the trace checks
//! and per-route statistics read instead of the spans.

use foldhash::HashMap;
use std::borrow::Cow;

use readyroom_core::traces::{
    has_error_detail, host_of, is_failed_request, is_llm, route_of, LatencyStats, Span, SpanKind,
    StatusCode,
};
use sqlx::Row;

use super::nanos;
use super::parts::Part;

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
    environment: Cow<'a, str>,
    start_ns: i64,
    trace_id: [u8; 16],
    peer: Cow<'a, str>,
    gen_ai: bool,
}

/// Everything a batch adds to the rollups, keyed by what the spans
/// already hold while it is counted (no allocation per span), then owned
/// (an allocation per key) so that it can wait in the write queue. ''
/// is unattributed.
#[derive(Default)]
pub(super) struct Rollups<'a> {
    routes: HashMap<RouteKey<'a>, LatencyStats>,
    counts: HashMap<MinuteKey<'a>, Counts>,
    databases: HashMap<MinuteKey<'a>, LatencyStats>,
    upstreams: HashMap<UpstreamKey<'a>, i64>,
    failures: Vec<Failure<'a>>,
}

/// (environment, minute)
type MinuteKey<'a> = (Cow<'a, str>, i64);
/// (environment, minute, service, route)
type RouteKey<'a> = (Cow<'a, str>, i64, Cow<'a, str>, Cow<'a, str>);
/// (environment, minute, peer, gen_ai)
type UpstreamKey<'a> = (Cow<'a, str>, i64, Cow<'a, str>, bool);

fn owned(text: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(text.into_owned())
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
        let environment = Cow::Borrowed(environment.unwrap_or(""));
        let minute = minute_of(span.start_unix_nano);
        let failed = is_failed_request(span);
        let counts = self
            .counts
            .entry((environment.clone(), minute))
            .or_default();
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
                    .entry((
                        environment,
                        minute,
                        Cow::Borrowed(span.service.as_str()),
                        Cow::Borrowed(route_of(span)),
                    ))
                    .or_default()
                    .record(span.duration_nanos(), failed);
            }
            SpanKind::Client => {
                if span.attributes.get("db.system").is_some() {
                    self.databases
                        .entry((environment.clone(), minute))
                        .or_default()
                        .record(span.duration_nanos(), span.is_error());
                }
                let gen_ai = is_llm(span);
                let peer = host_of(span).map(lower);
                if gen_ai || peer.is_some() {
                    let peer = peer.unwrap_or_default();
                    if span.is_error() {
                        self.failures.push(Failure {
                            environment: environment.clone(),
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

    /// The rollups of stored parts' spans.
    pub(super) fn of(parts: &'a [Part]) -> Rollups<'a> {
        let mut rollups = Rollups::default();
        for part in parts {
            for span in &part.spans {
                rollups.record(part.environment.as_deref(), span);
            }
        }
        rollups
    }

    pub(super) fn into_owned(self) -> Rollups<'static> {
        Rollups {
            routes: self
                .routes
                .into_iter()
                .map(|((e, m, s, r), v)| ((owned(e), m, owned(s), owned(r)), v))
                .collect(),
            counts: self
                .counts
                .into_iter()
                .map(|((e, m), v)| ((owned(e), m), v))
                .collect(),
            databases: self
                .databases
                .into_iter()
                .map(|((e, m), v)| ((owned(e), m), v))
                .collect(),
            upstreams: self
                .upstreams
                .into_iter()
                .map(|((e, m, p, g), v)| ((owned(e), m, owned(p), g), v))
                .collect(),
            failures: self
                .failures
                .into_iter()
                .map(|f| Failure {
                    environment: owned(f.environment),
                    peer: owned(f.peer),
                    ..f
                })
                .collect(),
        }
    }

    /// Adds another batch's rollups (a group's are saved together).
    pub(super) fn merge(&mut self, other: Rollups<'a>) {
        for (key, stats) in other.routes {
            self.routes.entry(key).or_default().merge(&stats);
        }
        for (key, c) in other.counts {
            let mine = self.counts.entry(key).or_default();
            mine.spans += c.spans;
            mine.roots += c.roots;
            mine.roots_failed += c.roots_failed;
            mine.error_spans += c.error_spans;
            mine.error_detail += c.error_detail;
            mine.last_start_ns = mine.last_start_ns.max(c.last_start_ns);
        }
        for (key, stats) in other.databases {
            self.databases.entry(key).or_default().merge(&stats);
        }
        for (key, n) in other.upstreams {
            *self.upstreams.entry(key).or_default() += n;
        }
        self.failures.extend(other.failures);
    }

    /// The rollups as rows to merge into their tables.
    pub(super) fn pending(self) -> Pending<'a> {
        let keyed = |(environment, minute, rest, stats)| Keyed {
            environment,
            minute,
            rest,
            stats,
        };
        Pending {
            routes: self
                .routes
                .into_iter()
                .map(|((e, m, s, r), stats)| (e, m, vec![s, r], stats))
                .map(keyed)
                .collect(),
            databases: self
                .databases
                .into_iter()
                .map(|((e, m), stats)| (e, m, Vec::new(), stats))
                .map(keyed)
                .collect(),
            counts: self.counts.into_iter().collect(),
            upstreams: self.upstreams.into_iter().collect(),
            failures: self.failures,
        }
    }
}

/// A histogram to add to its table's row: the key's text columns after
/// the environment and minute are `rest`.
pub(super) struct Keyed<'a> {
    environment: Cow<'a, str>,
    minute: i64,
    rest: Vec<Cow<'a, str>>,
    stats: LatencyStats,
}

/// Rollups about to be merged into their tables. Each statement takes
/// its rows as one JSON array (`json_each`), so its text is the same
/// whatever the number of rows: prepared once, and sent with the others
/// to the database thread in one go.
pub(super) struct Pending<'a> {
    routes: Vec<Keyed<'a>>,
    databases: Vec<Keyed<'a>>,
    counts: Vec<(MinuteKey<'a>, Counts)>,
    upstreams: Vec<(UpstreamKey<'a>, i64)>,
    failures: Vec<Failure<'a>>,
}

/// A statement and its one parameter, a JSON array of rows.
pub(super) type Statement = (String, String);

/// Tags of the stored histogram rows a lookup returns (first column).
pub(super) const ROUTE_ROWS: i64 = 1;
pub(super) const DB_ROWS: i64 = 2;

impl Pending<'_> {
    /// The statements reading the stored histogram rows of the pending
    /// keys: rows of (tag, index of the key, requests, errors, histogram).
    pub(super) fn lookups(&self) -> [Statement; 2] {
        [
            (
                ROUTE_MINUTES.select(ROUTE_ROWS),
                ROUTE_MINUTES.keys_json(&self.routes),
            ),
            (
                DB_MINUTES.select(DB_ROWS),
                DB_MINUTES.keys_json(&self.databases),
            ),
        ]
    }

    /// Adds a stored histogram row (read by `lookups`) to its key's.
    pub(super) fn add_stored(&mut self, row: &sqlx::sqlite::SqliteRow) {
        let keyed = match row.get::<i64, _>(0) {
            ROUTE_ROWS => &mut self.routes,
            DB_ROWS => &mut self.databases,
            _ => return,
        };
        let Some(k) = usize::try_from(row.get::<i64, _>(1))
            .ok()
            .and_then(|i| keyed.get_mut(i))
        else {
            return;
        };
        let count = |i: usize| u64::try_from(row.get::<i64, _>(i)).unwrap_or(0);
        if let Some(before) = decode_buckets(row.get::<&[u8], _>(4)) {
            k.stats.add_buckets(before, count(2), count(3));
        }
    }

    /// The statements merging everything in: histograms replaced (with
    /// the stored rows added), counters upserted, failures inserted.
    pub(super) fn writes(&self) -> Vec<Statement> {
        let counts: Vec<_> = self
            .counts
            .iter()
            .map(|((environment, minute), c)| {
                (
                    environment,
                    minute,
                    c.spans,
                    c.roots,
                    c.roots_failed,
                    c.error_spans,
                    c.error_detail,
                    c.last_start_ns,
                )
            })
            .collect();
        let upstreams: Vec<_> = self
            .upstreams
            .iter()
            .map(|((environment, minute, peer, gen_ai), n)| (environment, minute, peer, gen_ai, n))
            .collect();
        let failures: Vec<_> = self
            .failures
            .iter()
            .map(|f| {
                (
                    &f.environment,
                    f.start_ns,
                    hex::encode(f.trace_id),
                    &f.peer,
                    f.gen_ai,
                )
            })
            .collect();
        vec![
            (
                ROUTE_MINUTES.replace(),
                ROUTE_MINUTES.rows_json(&self.routes),
            ),
            (DB_MINUTES.replace(), DB_MINUTES.rows_json(&self.databases)),
            (
                "INSERT INTO span_minutes \
                 (environment, minute, spans, roots, roots_failed, error_spans, error_detail, last_start_ns) \
                 SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, \
                        value ->> 6, value ->> 7 FROM json_each(?) WHERE true \
                 ON CONFLICT (environment, minute) DO UPDATE SET \
                   spans = spans + excluded.spans, roots = roots + excluded.roots, \
                   roots_failed = roots_failed + excluded.roots_failed, \
                   error_spans = error_spans + excluded.error_spans, \
                   error_detail = error_detail + excluded.error_detail, \
                   last_start_ns = max(last_start_ns, excluded.last_start_ns)"
                    .into(),
                json(&counts),
            ),
            (
                "INSERT INTO upstream_minutes (environment, minute, peer, gen_ai, attempts) \
                 SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4 \
                 FROM json_each(?) WHERE true \
                 ON CONFLICT (environment, minute, peer, gen_ai) \
                 DO UPDATE SET attempts = attempts + excluded.attempts"
                    .into(),
                json(&upstreams),
            ),
            (
                "INSERT INTO upstream_failures (environment, start_ns, trace_id, peer, gen_ai) \
                 SELECT value ->> 0, value ->> 1, unhex(value ->> 2), value ->> 3, value ->> 4 \
                 FROM json_each(?)"
                    .into(),
                json(&failures),
            ),
        ]
    }
}

/// Rows as the JSON array a statement's `json_each(?)` reads.
pub(super) fn json(rows: &impl serde::Serialize) -> String {
    serde_json::to_string(rows).unwrap_or_else(|_| "[]".into())
}

/// A table of histogram rollups: its key columns, the environment and
/// the minute first, then requests, errors and the histogram.
pub(super) struct HistogramTable {
    name: &'static str,
    keys: &'static [&'static str],
}

impl HistogramTable {
    /// The stored rows of a JSON array of keys, each tagged and with the
    /// key's index.
    pub(super) fn select(&self, tag: i64) -> String {
        let on: Vec<String> = self
            .keys
            .iter()
            .enumerate()
            .map(|(i, column)| format!("t.{column} = j.value ->> {i}"))
            .collect();
        // CROSS JOIN keeps json_each outside: one primary-key lookup per key.
        format!(
            "SELECT {tag}, j.key, t.requests, t.errors, t.histogram FROM json_each(?) AS j \
             CROSS JOIN {} AS t ON {}",
            self.name,
            on.join(" AND ")
        )
    }

    fn replace(&self) -> String {
        let n = self.keys.len();
        let values: Vec<String> = (0..n + 2)
            .map(|i| format!("value ->> {i}"))
            .chain([format!("unhex(value ->> {})", n + 2)])
            .collect();
        format!(
            "INSERT OR REPLACE INTO {} ({}, requests, errors, histogram) SELECT {} FROM json_each(?)",
            self.name,
            self.keys.join(", "),
            values.join(", ")
        )
    }

    fn key(k: &Keyed<'_>) -> Vec<serde_json::Value> {
        let mut key = vec![k.environment.as_ref().into(), k.minute.into()];
        key.extend(k.rest.iter().map(|v| serde_json::Value::from(v.as_ref())));
        key
    }

    fn keys_json(&self, keyed: &[Keyed<'_>]) -> String {
        json(&keyed.iter().map(Self::key).collect::<Vec<_>>())
    }

    fn rows_json(&self, keyed: &[Keyed<'_>]) -> String {
        let rows: Vec<Vec<serde_json::Value>> = keyed
            .iter()
            .map(|k| {
                let mut row = Self::key(k);
                row.push(nanos(k.stats.requests).into());
                row.push(nanos(k.stats.errors).into());
                row.push(hex::encode(encode_buckets(&k.stats)).into());
                row
            })
            .collect();
        json(&rows)
    }
}

pub(super) const ROUTE_MINUTES: HistogramTable = HistogramTable {
    name: "route_minutes",
    keys: &["environment", "minute", "service", "route"],
};

pub(super) const DB_MINUTES: HistogramTable = HistogramTable {
    name: "db_minutes",
    keys: &["environment", "minute"],
};
