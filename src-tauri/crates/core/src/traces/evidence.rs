//! What the trace checks read: an environment's spans over a window, as
//! the span store (or a remote trace source) summarises them.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::llm::Absorption;
use super::span::Span;
use crate::evidence::Input;

/// An environment's spans in a window, counted the way RUBRIC.md's trace
/// checks ask.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SpanWindow {
    /// Where the spans were read from, for each check's source.
    pub source: String,
    /// When the window ends (the run's time).
    #[serde(with = "time::serde::rfc3339")]
    pub measured_at: OffsetDateTime,
    /// The window's length in hours.
    pub window_hours: f64,
    /// When the newest span of the environment started, at any time.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_span_at: Option<OffsetDateTime>,
    /// Spans in the window old enough for their parents to have arrived
    /// (a couple of minutes).
    pub spans: u64,
    /// Of those, spans whose parent id is set but absent from the trace.
    pub orphans: u64,
    /// SERVER spans in the window (requests, at any depth).
    pub server_spans: u64,
    /// SERVER spans without a parent: requests entering the system.
    pub root_requests: u64,
    /// Of those, failed (status ERROR or HTTP >= 500).
    pub root_failed: u64,
    /// ERROR spans looked at for detail, and how many carried it.
    pub error_spans: u64,
    pub error_spans_with_detail: u64,
    /// p95 of SERVER span durations, ms.
    pub api_p95_ms: Option<f64>,
    /// p95 of database CLIENT span durations (`db.system` set), ms, and how
    /// many there were.
    pub db_p95_ms: Option<f64>,
    pub db_spans: u64,
}

/// The environment's spans, from the span store (or Tempo/Jaeger).
pub const SPANS: Input<SpanWindow> = Input::new(
    "spans",
    "send the environment's traces to Readyroom (OTLP/HTTP on 127.0.0.1:4318, from `serve`, the desktop app or `readyroom otlp`) with the resource attribute deployment.environment.name set to the environment's name",
);

/// Calls to upstreams (LLMs, configured hosts) that failed in an
/// environment's traces over a window, and whether they were absorbed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpstreamWindow {
    pub source: String,
    #[serde(with = "time::serde::rfc3339")]
    pub measured_at: OffsetDateTime,
    pub window_hours: f64,
    /// Upstream attempt spans in the window, failed or not.
    pub attempts: u64,
    /// Traces with a failed upstream attempt that were examined, and
    /// whether there were more than the examination's cap.
    pub traces_examined: u64,
    pub truncated: bool,
    pub absorption: Absorption,
}

/// The environment's upstream calls, from the span store.
pub const UPSTREAM_CALLS: Input<UpstreamWindow> = Input::new(
    "upstream_calls",
    "send traces whose LLM calls are CLIENT spans with gen_ai.* attributes (or list other upstreams in [environments.NAME.traces] upstream_hosts)",
);

/// An ERROR span explains itself: an `exception` event, or `exception.*`
/// or `error.type` attributes (RUBRIC.md, `obs.error_detail`).
pub fn has_error_detail(span: &Span) -> bool {
    let described = |key: &str| key.starts_with("exception.") || key == "error.type";
    span.events.iter().any(|e| e.name == "exception")
        || span.attributes.0.iter().any(|(k, _)| described(k))
}
