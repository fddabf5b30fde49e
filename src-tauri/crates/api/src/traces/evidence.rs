//! The trace checks' input, from the span store: a source that reads the
//! local store, like uptime. Every environment has it; one that has sent
//! no spans gets checks that say how to send them.

use std::path::PathBuf;

use readyroom_core::config::Environment;
use readyroom_core::evidence::{InputId, Missing};
use readyroom_core::traces::{from_unix_nanos, unix_nanos, SpanWindow, SPANS};
use readyroom_sources::{BoxFuture, Findings, RunContext, Source};
use readyroom_store::{SpanStore, WindowCounts};
use time::OffsetDateTime;

/// How far back the trace checks look.
pub const WINDOW: time::Duration = time::Duration::hours(24);

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
        &[SPANS.id]
    }

    fn configured(&self, _env: &Environment) -> bool {
        true
    }

    fn gather<'a>(&'a self, ctx: &'a RunContext<'a>) -> BoxFuture<'a, Findings> {
        Box::pin(async move {
            let mut findings = Findings::new(ctx);
            let now = ctx.earlier.gathered_at;
            let gathered = read(&self.path, ctx.environment, now)
                .await
                .map_err(|reason| Missing::Unavailable {
                    source: SOURCE.into(),
                    reason,
                    at: now,
                });
            findings.set(&SPANS, gathered);
            findings
        })
    }
}

async fn read(
    path: &std::path::Path,
    environment: &str,
    now: OffsetDateTime,
) -> Result<SpanWindow, String> {
    // No span store yet: nothing was ever received (and reading does not
    // create the file).
    if !path.exists() {
        return Ok(to_window(WindowCounts::default(), now));
    }
    let store = SpanStore::open(path).await.map_err(|e| e.to_string())?;
    let counts = store
        .window(environment, unix_nanos(now - WINDOW), unix_nanos(now))
        .await
        .map_err(|e| e.to_string())?;
    Ok(to_window(counts, now))
}

fn to_window(c: WindowCounts, now: OffsetDateTime) -> SpanWindow {
    SpanWindow {
        source: SOURCE.into(),
        measured_at: now,
        window_hours: WINDOW.as_seconds_f64() / 3_600.0,
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
