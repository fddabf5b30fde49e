//! An environment's spans over a window, counted for the trace checks:
//! by the span store from its per-minute rollups, or here from whole
//! traces (a sample read from Tempo or Jaeger). Both count a span the
//! same way, so a check means the same whichever source fed it.

use super::assembly::{Issue, Trace};
use super::evidence::has_error_detail;
use super::span::{SpanKind, StatusCode};
use super::stats::{is_failed_request, LatencyStats};

/// How long after a span starts its parent is given to arrive before the
/// span counts as an orphan.
pub const SETTLE_NS: u64 = 2 * 60 * 1_000_000_000;

/// An environment's spans in a window, counted.
#[derive(Debug, Clone, Default)]
pub struct WindowCounts {
    pub last_span_start_ns: Option<u64>,
    pub spans: u64,
    /// Spans that started at least `SETTLE_NS` before the window's end
    /// (for the store, spans of such parts), and how many of them are
    /// orphans.
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

impl WindowCounts {
    /// Counts every span of `trace` that started in `[from_ns, to_ns)`.
    /// A span whose parent never arrived counts as an orphan once it is
    /// settled (started `SETTLE_NS` before `to_ns`).
    pub fn add_trace(&mut self, trace: &Trace, from_ns: u64, to_ns: u64) {
        let orphaned: std::collections::HashSet<_> = trace
            .issues
            .iter()
            .filter_map(|issue| match issue {
                Issue::Orphan { span_id, .. } => Some(*span_id),
                _ => None,
            })
            .collect();
        let settled_before = to_ns.saturating_sub(SETTLE_NS);
        for span in &trace.spans {
            let start = span.start_unix_nano;
            if start < from_ns || start >= to_ns {
                continue;
            }
            self.spans += 1;
            self.last_span_start_ns = Some(self.last_span_start_ns.unwrap_or(0).max(start));
            if start < settled_before {
                self.settled_spans += 1;
                self.orphans += u64::from(orphaned.contains(&span.span_id));
            }
            if span.status == StatusCode::Error {
                self.error_spans += 1;
                self.error_spans_with_detail += u64::from(has_error_detail(span));
            }
            match span.kind {
                SpanKind::Server => {
                    let failed = is_failed_request(span);
                    self.server_spans += 1;
                    if span.parent_span_id.is_none() {
                        self.root_requests += 1;
                        self.root_failed += u64::from(failed);
                    }
                    self.api.record(span.duration_nanos(), failed);
                }
                SpanKind::Client if span.attributes.get("db.system").is_some() => {
                    self.db.record(span.duration_nanos(), span.is_error());
                }
                _ => {}
            }
        }
    }
}
