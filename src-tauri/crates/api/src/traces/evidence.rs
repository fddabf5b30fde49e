//! The trace checks' inputs, from the span store: a source that reads the
//! local store, like uptime. Every environment has it; one that has sent
//! no spans gets checks that say how to send them. Besides the window's
//! counts, the traces with a failed upstream call (newest first, at most
//! `MAX_UPSTREAM_TRACES`) are read back and put through the LLM lens.

use std::path::PathBuf;

use readyroom_core::config::Environment;
use readyroom_core::evidence::{InputId, Missing};
use readyroom_core::traces::{
    from_unix_nanos, unix_nanos, upstream_calls, Absorption, SpanWindow, Trace, UpstreamWindow,
    Upstreams, SPANS, UPSTREAM_CALLS,
};
use readyroom_sources::{BoxFuture, Findings, RunContext, Source};
use readyroom_store::{SpanStore, WindowCounts};
use time::OffsetDateTime;

/// How far back the trace checks look unless the environment says
/// (`[environments.NAME.traces] window_hours`).
pub const DEFAULT_WINDOW: time::Duration = time::Duration::hours(24);

fn window_of(env: &Environment) -> time::Duration {
    env.traces
        .as_ref()
        .and_then(|t| t.window_hours)
        .map_or(DEFAULT_WINDOW, |h| time::Duration::hours(i64::from(h)))
}

const SOURCE: &str = "spans received by Readyroom (OTLP)";

pub struct SpanStoreSource {
    /// `spans.db`, opened when a run needs it.
    pub path: PathBuf,
}

impl Source for SpanStoreSource {
    fn label(&self) -> &'static str {
        "spans"
    }

    fn provides(&self) -> &'static [InputId] {
        &[SPANS.id, UPSTREAM_CALLS.id]
    }

    fn configured(&self, _env: &Environment) -> bool {
        true
    }

    fn gather<'a>(&'a self, ctx: &'a RunContext<'a>) -> BoxFuture<'a, Findings> {
        Box::pin(async move {
            let mut findings = Findings::new(ctx);
            let now = ctx.earlier.gathered_at;
            let unavailable = |reason| Missing::Unavailable {
                source: SOURCE.into(),
                reason,
                at: now,
            };
            let window = window_of(ctx.env);
            let upstreams = Upstreams::new(
                ctx.env
                    .traces
                    .as_ref()
                    .map(|t| t.upstream_hosts.clone())
                    .unwrap_or_default(),
            );
            // No span store yet: nothing was ever received (and reading
            // does not create the file).
            if !self.path.exists() {
                findings.set(&SPANS, Ok(to_window(WindowCounts::default(), now, window)));
                findings.set(
                    &UPSTREAM_CALLS,
                    Ok(upstream_window(
                        now,
                        window,
                        0,
                        0,
                        false,
                        Absorption::default(),
                    )),
                );
                return findings;
            }
            match SpanStore::open(&self.path).await {
                Ok(store) => {
                    let spans = read(&store, ctx.environment, now, window).await;
                    findings.set(&SPANS, spans.map_err(unavailable));
                    let calls =
                        read_upstreams(&store, ctx.environment, now, window, &upstreams).await;
                    findings.set(&UPSTREAM_CALLS, calls.map_err(unavailable));
                }
                Err(e) => {
                    findings.set(&SPANS, Err(unavailable(e.to_string())));
                    findings.set(&UPSTREAM_CALLS, Err(unavailable(e.to_string())));
                }
            }
            findings
        })
    }
}

async fn read(
    store: &SpanStore,
    environment: &str,
    now: OffsetDateTime,
    window: time::Duration,
) -> Result<SpanWindow, String> {
    let counts = store
        .window(environment, unix_nanos(now - window), unix_nanos(now))
        .await
        .map_err(|e| e.to_string())?;
    Ok(to_window(counts, now, window))
}

fn to_window(c: WindowCounts, now: OffsetDateTime, window: time::Duration) -> SpanWindow {
    SpanWindow {
        source: SOURCE.into(),
        measured_at: now,
        window_hours: window.as_seconds_f64() / 3_600.0,
        last_span_at: c.last_span_start_ns.and_then(from_unix_nanos),
        spans: c.settled_spans,
        orphans: c.orphans,
        server_spans: c.server_spans,
        root_requests: c.root_requests,
        root_failed: c.root_failed,
        error_spans: c.error_spans,
        error_spans_with_detail: c.error_spans_with_detail,
        api_p95_ms: c.api.quantile_ms(0.95),
        db_p95_ms: c.db.quantile_ms(0.95),
        db_spans: c.db.requests,
    }
}

/// At most this many traces with failed upstream calls are read back per
/// run: enough to judge a share, bounded however bad the day was.
const MAX_UPSTREAM_TRACES: u32 = 500;

async fn read_upstreams(
    store: &SpanStore,
    environment: &str,
    now: OffsetDateTime,
    window: time::Duration,
    upstreams: &Upstreams,
) -> Result<UpstreamWindow, String> {
    let (from, to) = (unix_nanos(now - window), unix_nanos(now));
    let hosts = upstreams.hosts();
    let attempts = store
        .upstream_attempts(environment, from, to, hosts)
        .await
        .map_err(|e| e.to_string())?;
    let traces = store
        .traces_with_failed_upstream(environment, from, to, hosts, MAX_UPSTREAM_TRACES + 1)
        .await
        .map_err(|e| e.to_string())?;
    let truncated = traces.len() > MAX_UPSTREAM_TRACES as usize;
    let mut absorption = Absorption::default();
    let mut examined = 0;
    for trace_id in traces.into_iter().take(MAX_UPSTREAM_TRACES as usize) {
        let spans = store.trace(trace_id).await.map_err(|e| e.to_string())?;
        if let Some(trace) = Trace::assemble(spans) {
            absorption.add(&trace, &upstream_calls(&trace, upstreams));
            examined += 1;
        }
    }
    Ok(upstream_window(
        now, window, attempts, examined, truncated, absorption,
    ))
}

fn upstream_window(
    now: OffsetDateTime,
    window: time::Duration,
    attempts: u64,
    traces_examined: u64,
    truncated: bool,
    absorption: Absorption,
) -> UpstreamWindow {
    UpstreamWindow {
        source: SOURCE.into(),
        measured_at: now,
        window_hours: window.as_seconds_f64() / 3_600.0,
        attempts,
        traces_examined,
        truncated,
        absorption,
    }
}
