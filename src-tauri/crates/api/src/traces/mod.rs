//! Traces in the application: the OTLP receivers' sink into the span
//! store, the trace checks' inputs (from it, or from the environment's
//! Tempo or Jaeger) and the traces commands.

pub mod evidence;
pub(crate) mod handlers;
pub mod receiver;
mod remote;
mod remote_evidence;
mod remote_stats;
pub mod service;
mod wire;

pub use wire::{
    AttemptRow, ComparedRow, ComparedTrace, SpanChange, SpanRow, StatsGrouping,
    TraceCompareRequest, TraceComparisonView, TraceExport, TraceListRequest, TraceListRow,
    TraceListView, TraceRequest, TraceStatsRequest, TraceStatsView, TraceStatus, TraceView,
    UpstreamCallRow,
};

/// The span store's file, beside the run store's.
pub fn spans_path(store_path: &std::path::Path) -> std::path::PathBuf {
    store_path.with_file_name("spans.db")
}
