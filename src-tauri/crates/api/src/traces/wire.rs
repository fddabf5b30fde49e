//! The traces area's requests and responses, as the UI and CLI see them.

use readyroom_core::traces::{AttemptOutcome, RouteStats};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TraceStatsRequest {
    #[serde(default)]
    #[ts(optional)]
    pub environment: Option<String>,
    /// How far back, in minutes (default 60).
    #[serde(default)]
    #[ts(optional)]
    pub since_minutes: Option<u32>,
    /// Per route (default), or per service with all its routes together.
    #[serde(default)]
    #[ts(optional)]
    pub by: Option<StatsGrouping>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum StatsGrouping {
    #[default]
    Route,
    /// Rows have route `*`.
    Service,
}

/// Requests per service and route over a window.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TraceStatsView {
    pub environment: String,
    /// Where the figures come from, and how (the local span store; Tempo's
    /// TraceQL metrics; a sample of traces, with what that means).
    pub source: String,
    pub window_minutes: u32,
    pub by: StatsGrouping,
    /// Busiest first.
    pub routes: Vec<RouteStats>,
    /// When nothing is here but spans arrived without an environment: how
    /// to attribute them.
    pub attribution_hint: Option<String>,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TraceRequest {
    /// 32 hex digits.
    pub trace_id: String,
    /// Whose Tempo or Jaeger to ask when the local store does not have
    /// it (default: the default environment).
    #[serde(default)]
    #[ts(optional)]
    pub environment: Option<String>,
    /// Read the trace from this opened file (`open_trace_file`'s handle)
    /// instead of the store.
    #[serde(default)]
    #[ts(optional)]
    pub file: Option<String>,
}

/// One trace as a tree, in waterfall order, with its critical path.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TraceView {
    pub trace_id: String,
    pub root_service: String,
    pub root_name: String,
    /// RFC 3339.
    pub start: String,
    pub duration_ms: f64,
    pub services: u32,
    pub error_spans: u32,
    /// What assembly found wrong (orphans, cycles, duplicates), in words.
    pub issues: Vec<String>,
    /// Depth-first, children by start time.
    pub spans: Vec<SpanRow>,
    /// Calls to upstreams (LLMs, configured hosts), each attempt of a
    /// retried call grouped under it, in start order.
    pub upstream_calls: Vec<UpstreamCallRow>,
}

/// One logical upstream call and its attempts (the LLM lens).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UpstreamCallRow {
    pub name: String,
    /// `gen_ai.system`, else the host.
    pub upstream: Option<String>,
    pub model: Option<String>,
    /// What the caller was left with: the last attempt's outcome.
    pub outcome: AttemptOutcome,
    pub attempts: Vec<AttemptRow>,
    #[ts(type = "number")]
    pub input_tokens: u64,
    #[ts(type = "number")]
    pub output_tokens: u64,
    /// From the first attempt's start to the last one's end.
    pub duration_ms: f64,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AttemptRow {
    pub span_id: String,
    pub outcome: AttemptOutcome,
    pub duration_ms: f64,
    /// Since the previous attempt ended (backoff, Retry-After).
    pub wait_before_ms: Option<f64>,
    /// What the upstream asked, when the span recorded it.
    pub retry_after_seconds: Option<f64>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SpanRow {
    pub span_id: String,
    pub parent_span_id: Option<String>,
    pub depth: u32,
    pub service: String,
    pub name: String,
    /// `server`, `client`, `internal`, `producer`, `consumer`, `unspecified`.
    pub kind: String,
    /// From the trace's start.
    pub start_offset_ms: f64,
    pub duration_ms: f64,
    /// Its duration less its children's (overlaps counted once).
    pub self_ms: f64,
    /// Its time on the critical path.
    pub critical_ms: f64,
    pub error: bool,
    pub status_message: String,
    /// The upstream call this span is an attempt of (an index into
    /// `upstreamCalls`), and which attempt (0: the first).
    pub upstream_call: Option<u32>,
    pub attempt: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TraceListRequest {
    #[serde(default)]
    #[ts(optional)]
    pub environment: Option<String>,
    /// The entry span's service.
    #[serde(default)]
    #[ts(optional)]
    pub service: Option<String>,
    /// The entry span's route.
    #[serde(default)]
    #[ts(optional)]
    pub route: Option<String>,
    /// `ok` or `error`.
    #[serde(default)]
    #[ts(optional)]
    pub status: Option<TraceStatus>,
    #[serde(default)]
    #[ts(optional)]
    pub min_duration_ms: Option<f64>,
    #[serde(default)]
    #[ts(optional)]
    pub max_duration_ms: Option<f64>,
    /// `key=value`: only traces with a span (its attributes, events or
    /// resource) carrying that attribute.
    #[serde(default)]
    #[ts(optional)]
    pub attribute: Option<String>,
    /// How far back, in minutes (default 60).
    #[serde(default)]
    #[ts(optional)]
    pub since_minutes: Option<u32>,
    /// An explicit window instead (RFC 3339, both given): traces starting
    /// from `from` up to `to`.
    #[serde(default)]
    #[ts(optional)]
    pub from: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub to: Option<String>,
    /// `start` (newest first, the default) or `duration` (slowest first).
    #[serde(default)]
    #[ts(optional)]
    pub sort: Option<TraceSort>,
    /// At most this many (default 50).
    #[serde(default)]
    #[ts(optional)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum TraceSort {
    Start,
    Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum TraceStatus {
    Ok,
    Error,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TraceListView {
    pub environment: String,
    /// Where the traces were read: "the local span store", or "Tempo at URL".
    pub source: String,
    pub window_minutes: u32,
    /// Newest (or slowest) first.
    pub traces: Vec<TraceListRow>,
    /// When nothing is here but spans arrived without an environment: how
    /// to attribute them.
    pub attribution_hint: Option<String>,
    /// What the list may leave out, when it may (an attribute filter
    /// that stopped reading).
    pub note: Option<String>,
    /// Set when the environment's Tempo or Jaeger did not answer: the
    /// list is then what the local span store holds.
    pub remote_down: Option<RemoteDown>,
}

/// A remote trace store that did not answer, and since when.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RemoteDown {
    /// "Tempo at URL".
    pub source: String,
    /// RFC 3339: the first of the failures in a row.
    pub since: String,
    pub error: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TraceListRow {
    pub trace_id: String,
    /// RFC 3339.
    pub start: String,
    pub duration_ms: f64,
    pub root_service: Option<String>,
    pub root_name: Option<String>,
    pub route: Option<String>,
    /// `None` where the source's search does not say (Tempo).
    #[ts(type = "number | null")]
    pub spans: Option<u64>,
    #[ts(type = "number | null")]
    pub error_spans: Option<u64>,
}

/// One trace as OTLP/JSON, for other tools (and Readyroom's own receiver).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TraceExport {
    pub trace_id: String,
    /// An `ExportTraceServiceRequest` in OTLP/JSON.
    pub otlp_json: String,
}

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TraceCompareRequest {
    /// The baseline trace (32 hex digits).
    pub a: String,
    /// The trace compared with it.
    pub b: String,
    /// As in `TraceRequest`.
    #[serde(default)]
    #[ts(optional)]
    pub environment: Option<String>,
}

/// Two traces side by side: spans matched by path and name.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TraceComparisonView {
    pub a: ComparedTrace,
    pub b: ComparedTrace,
    /// A's tree order; B's unmatched spans after their matched siblings.
    pub rows: Vec<ComparedRow>,
    pub matched: u32,
    /// In A, not in B.
    pub missing: u32,
    /// In B, not in A.
    pub extra: u32,
    /// Said when the traces do not start at the same operation.
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ComparedTrace {
    pub trace_id: String,
    pub root_service: String,
    pub root_name: String,
    pub duration_ms: f64,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ComparedRow {
    pub depth: u32,
    pub service: String,
    pub name: String,
    /// `matched`, `missing` (A only) or `extra` (B only).
    pub change: SpanChange,
    pub a_span_id: Option<String>,
    pub b_span_id: Option<String>,
    pub a_ms: Option<f64>,
    pub b_ms: Option<f64>,
    /// B less A, for matched spans.
    pub delta_ms: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum SpanChange {
    Matched,
    Missing,
    Extra,
}
