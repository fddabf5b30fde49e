//! The trace checks' inputs: from the environment's Tempo or Jaeger when
//! it names one (`remote_evidence`), else from the local span store, like
//! uptime. Every environment has this source; one that has sent no spans
//! gets checks that say how to send them. Besides the window's counts,
//! the traces with a failed upstream call (newest first, at most
//! `MAX_UPSTREAM_TRACES`) are read back and put through the LLM lens.

use std::path::PathBuf;

use readyroom_core::config::Environment;
use readyroom_core::evidence::{InputId, Missing};
use readyroom_core::traces::{
    from_unix_nanos, unix_nanos, upstream_calls, Absorption, SpanWindow, Trace, UpstreamWindow,
    Upstreams, SPANS, UPSTREAM_CALLS,
};
use readyroom_sources::http::HttpClients;
use readyroom_sources::trace_query::{self, TraceQuery, QUERY_TIMEOUT};
use readyroom_sources::{BoxFuture, Findings, RunContext, SecretRef, Source};
use readyroom_store::{SpanStore, WindowCounts};

use super::remote_evidence;
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

    fn secrets(&self, env: &Environment) -> Vec<SecretRef> {
        env.traces
            .as_ref()
            .filter(|_| trace_query::configured(env).is_some())
            .and_then(|t| t.token_secret.clone())
            .map(|name| SecretRef {
                key: "traces.token_secret",
                name,
            })
            .into_iter()
            .collect()
    }

    /// A remote store answers a day's metrics and a sample of traces
    /// (each request with `QUERY_TIMEOUT`); the local store, at once.
    fn budget(&self, ctx: &RunContext<'_>) -> std::time::Duration {
        match trace_query::configured(ctx.env) {
            Some(_) => 2 * QUERY_TIMEOUT.max(ctx.timeout),
            None => ctx.timeout + std::time::Duration::from_secs(1),
        }
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
            if trace_query::configured(ctx.env).is_some() {
                return match remote(ctx) {
                    Ok(query) => {
                        let read = remote_evidence::read(&query, now, window, &upstreams).await;
                        let reached = match (&read.spans, &read.upstreams) {
                            (Err(e), _) | (_, Err(e)) => Err(e.clone()),
                            _ => Ok(()),
                        };
                        findings.set(&SPANS, read.spans.map_err(unavailable));
                        findings.set(&UPSTREAM_CALLS, read.upstreams.map_err(unavailable));
                        findings.seen(query.url(), reached)
                    }
                    Err(reason) => {
                        findings.set(&SPANS, Err(unavailable(reason.clone())));
                        findings.set(&UPSTREAM_CALLS, Err(unavailable(reason.clone())));
                        findings.seen(self.label(), Err(reason))
                    }
                };
            }
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

/// The environment's Tempo or Jaeger, with its token from the keychain.
fn remote(ctx: &RunContext<'_>) -> Result<TraceQuery, String> {
    let (engine, url) = trace_query::configured(ctx.env)
        .ok_or_else(|| "no tempo_url or jaeger_url is configured".to_string())?;
    let token = match ctx
        .env
        .traces
        .as_ref()
        .and_then(|t| t.token_secret.as_ref())
    {
        Some(name) => Some(ctx.secret(name).cloned().map_err(|reason| {
            format!(
                "cannot read {}'s token (traces.token_secret): {reason}",
                engine.name()
            )
        })?),
        None => None,
    };
    let clients = HttpClients::new(ctx.extra_roots, QUERY_TIMEOUT.max(ctx.timeout))
        .map_err(|e| e.to_string())?;
    Ok(TraceQuery::new(
        engine,
        url,
        clients.with_credentials().clone(),
        token,
        ctx.env.traces.as_ref().and_then(|t| t.org_id.clone()),
    ))
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
