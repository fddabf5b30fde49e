//! The trace checks' inputs from an environment's Tempo or Jaeger, read
//! where the traces are and copied nowhere.
//!
//! Tempo with TraceQL metrics answers the counts and the percentiles over
//! the whole window. What no aggregate query can say (orphans, whether an
//! ERROR span explains itself, whether a failed LLM call was absorbed)
//! comes from a bounded sample of whole traces, and everything does when
//! there is no aggregate query (Jaeger, or a Tempo without metrics). The
//! evidence's source says which, and how many traces the sample held.

use std::collections::HashSet;

use readyroom_core::traces::{
    from_unix_nanos, unix_nanos, upstream_calls, Absorption, Span, SpanWindow, Trace, TraceFilter,
    UpstreamWindow, Upstreams, WindowCounts,
};
use readyroom_sources::trace_query::{
    Engine, Instant, QueryError, Search, TraceQuery, FAILED_REQUEST,
};
use time::OffsetDateTime;

/// How recent a span must be for the traces to count as flowing
/// (RUBRIC.md, `obs.traces_flowing`): a search over this span of time
/// finds the newest trace whatever order the engine lists a day in.
const RECENT: time::Duration = time::Duration::minutes(15);

/// Traces read for the general sample, and for each focused one (Tempo's
/// traces with an ERROR span, with a failed client call): each is one
/// request to a production system, so a run reads at most 200.
const SAMPLE: u32 = 100;
const FOCUSED: u32 = 50;

/// What the remote store gave for the two inputs.
pub(crate) struct RemoteEvidence {
    pub spans: Result<SpanWindow, String>,
    pub upstreams: Result<UpstreamWindow, String>,
}

/// The window's totals from TraceQL metrics.
struct Totals {
    server_spans: u64,
    root_requests: u64,
    root_failed: u64,
    api_p95_ms: Option<f64>,
    db_spans: u64,
    db_p95_ms: Option<f64>,
    partial: bool,
}

/// Selections the totals count (inside a TraceQL `{ }`).
const SERVER: &str = "kind = server";
const ROOTS: &str = "kind = server && nestedSetParent < 0";
const DATABASE: &str = "kind = client && span.db.system != nil";
/// Selections the focused samples read.
const ERRORS: &str = "{ status = error }";
const FAILED_CLIENTS: &str = "{ kind = client && status = error }";
const ANY: &str = "{ }";

fn count(instant: &Instant) -> u64 {
    instant.total().round().max(0.0) as u64
}

/// Tempo answers a duration quantile in seconds.
fn p95_ms(instant: &Instant) -> Option<f64> {
    instant.quantile(0.95).map(|seconds| seconds * 1_000.0)
}

/// The window's totals, or why Tempo's metrics could not give them (an
/// error that a sample would meet too is returned as `Err(Err(..))`).
async fn totals(
    query: &TraceQuery,
    from_ns: u64,
    to_ns: u64,
) -> Result<Totals, Result<String, QueryError>> {
    let counted = |selection: String| {
        let q = format!("{{ {selection} }} | count_over_time()");
        async move { query.instant(&q, from_ns, to_ns).await }
    };
    let p95 = |selection: &str| {
        let q = format!("{{ {selection} }} | quantile_over_time(duration, .95)");
        async move { query.instant(&q, from_ns, to_ns).await }
    };
    let answers = tokio::try_join!(
        counted(SERVER.into()),
        counted(ROOTS.into()),
        counted(format!("{ROOTS} && {FAILED_REQUEST}")),
        p95(SERVER),
        counted(DATABASE.into()),
        p95(DATABASE),
    );
    match answers {
        Ok((server, roots, failed, api, db, db_p95)) => Ok(Totals {
            partial: [&server, &roots, &failed, &api, &db, &db_p95]
                .iter()
                .any(|a| a.partial),
            server_spans: count(&server),
            root_requests: count(&roots),
            root_failed: count(&failed),
            api_p95_ms: p95_ms(&api).filter(|_| count(&server) > 0),
            db_spans: count(&db),
            db_p95_ms: p95_ms(&db_p95).filter(|_| count(&db) > 0),
        }),
        Err(e) if e.no_aggregate() => Err(Ok(e.to_string())),
        Err(e) => Err(Err(e)),
    }
}

/// Where the window's figures came from, in words.
fn source(place: &str, totals: &Result<Totals, String>, traces: usize) -> String {
    match totals {
        Ok(t) => {
            let partial = if t.partial {
                " (Tempo said the answer is partial)"
            } else {
                ""
            };
            format!(
                "{place}: TraceQL metrics over the window{partial}; \
                 orphans and error detail from a sample of {traces} traces"
            )
        }
        Err(why) => format!("a sample of the newest {traces} traces from {place} ({why})"),
    }
}

/// Whole traces, assembled.
fn assembled(traces: Vec<Vec<Span>>) -> Vec<Trace> {
    traces.into_iter().filter_map(Trace::assemble).collect()
}

fn tally(traces: &[Trace], from_ns: u64, to_ns: u64) -> WindowCounts {
    let mut counts = WindowCounts::default();
    for trace in traces {
        counts.add_trace(trace, from_ns, to_ns);
    }
    counts
}

/// The newest span start the engine lists in the last `RECENT`.
async fn newest(query: &TraceQuery, to_ns: u64) -> Result<Option<u64>, QueryError> {
    let from_ns = to_ns.saturating_sub(RECENT.whole_nanoseconds() as u64);
    let lines = query
        .search(&Search {
            from_ns,
            to_ns,
            filter: TraceFilter {
                limit: 20,
                ..TraceFilter::default()
            },
        })
        .await?;
    Ok(lines.iter().map(|l| l.start_ns).max())
}

pub(crate) async fn read(
    query: &TraceQuery,
    now: OffsetDateTime,
    window: time::Duration,
    upstreams: &Upstreams,
) -> RemoteEvidence {
    match gather(query, now, window, upstreams).await {
        Ok(evidence) => evidence,
        Err(e) => RemoteEvidence {
            spans: Err(e.to_string()),
            upstreams: Err(e.to_string()),
        },
    }
}

async fn gather(
    query: &TraceQuery,
    now: OffsetDateTime,
    window: time::Duration,
    upstreams: &Upstreams,
) -> Result<RemoteEvidence, QueryError> {
    let (from_ns, to_ns) = (unix_nanos(now - window), unix_nanos(now));
    let place = format!("{} at {}", query.engine().name(), query.url());
    let window_hours = window.as_seconds_f64() / 3_600.0;

    let totals = match query.engine() {
        Engine::Tempo => match totals(query, from_ns, to_ns).await {
            Ok(t) => Ok(t),
            Err(Ok(why)) => Err(format!("TraceQL metrics unavailable: {why}")),
            Err(Err(e)) => return Err(e),
        },
        Engine::Jaeger => Err("Jaeger has no aggregate query".to_string()),
    };
    let sample = assembled(query.sample(from_ns, to_ns, ANY, SAMPLE).await?);
    // Tempo can be asked for the traces that matter to a check; Jaeger's
    // sample serves them all.
    let (errors, failures) = match query.engine() {
        Engine::Tempo => (
            Some(assembled(
                query.sample(from_ns, to_ns, ERRORS, FOCUSED).await?,
            )),
            Some(assembled(
                query
                    .sample(from_ns, to_ns, FAILED_CLIENTS, FOCUSED)
                    .await?,
            )),
        ),
        Engine::Jaeger => (None, None),
    };
    let recent = newest(query, to_ns).await?;

    let counts = tally(&sample, from_ns, to_ns);
    let error_counts = errors.as_deref().map(|t| tally(t, from_ns, to_ns));
    let detail = error_counts.as_ref().unwrap_or(&counts);
    let last_span_ns = recent.max(counts.last_span_start_ns);

    let spans = SpanWindow {
        source: source(&place, &totals, sample.len()),
        measured_at: now,
        window_hours,
        last_span_at: last_span_ns.and_then(from_unix_nanos),
        spans: counts.settled_spans,
        orphans: counts.orphans,
        server_spans: totals
            .as_ref()
            .map_or(counts.server_spans, |t| t.server_spans),
        root_requests: totals
            .as_ref()
            .map_or(counts.root_requests, |t| t.root_requests),
        root_failed: totals
            .as_ref()
            .map_or(counts.root_failed, |t| t.root_failed),
        error_spans: detail.error_spans,
        error_spans_with_detail: detail.error_spans_with_detail,
        api_p95_ms: totals
            .as_ref()
            .map_or(counts.api.quantile_ms(0.95), |t| t.api_p95_ms),
        db_p95_ms: totals
            .as_ref()
            .map_or(counts.db.quantile_ms(0.95), |t| t.db_p95_ms),
        db_spans: totals.as_ref().map_or(counts.db.requests, |t| t.db_spans),
    };

    // The traces with a failed upstream call, each once.
    let mut seen = HashSet::new();
    let candidates = failures.iter().flatten().chain(sample.iter());
    let mut absorption = Absorption::default();
    let (mut attempts, mut examined) = (0, 0);
    for trace in candidates {
        if !seen.insert(trace.trace_id) {
            continue;
        }
        let calls = upstream_calls(trace, upstreams);
        attempts += calls.iter().map(|c| c.attempts.len() as u64).sum::<u64>();
        let failed = trace
            .spans
            .iter()
            .any(|s| upstreams.is_upstream(s) && s.is_error());
        if failed {
            absorption.add(trace, &calls);
            examined += 1;
        }
    }
    let truncated = match &failures {
        Some(f) => f.len() >= FOCUSED as usize,
        None => sample.len() >= SAMPLE as usize,
    };
    let upstreams = UpstreamWindow {
        source: format!("a sample of {} traces from {place}", seen.len()),
        measured_at: now,
        window_hours,
        attempts,
        traces_examined: examined,
        truncated,
        absorption,
    };
    Ok(RemoteEvidence {
        spans: Ok(spans),
        upstreams: Ok(upstreams),
    })
}
