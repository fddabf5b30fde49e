//! Traces in the application: the OTLP receivers' sink into the span
//! store, and the trace checks' input read from it. (Commands come next.)

pub mod evidence;
pub(crate) mod handlers;
pub mod receiver;
mod remote;
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
