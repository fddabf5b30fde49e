//! Traces in the application: the OTLP receivers' sink into the span
//! store, the trace checks' inputs (from it, or from the environment's
//! Tempo or Jaeger) and the traces commands.

pub mod evidence;
pub(crate) mod handlers;
pub(crate) mod opened;
pub mod receiver;
pub(crate) mod receiver_status;
pub(crate) mod remote;
mod remote_evidence;
mod remote_stats;
pub(crate) mod search;
pub mod service;
pub(crate) mod span_detail;
mod waterfall;
mod wire;

pub use opened::{OpenTraceFileRequest, OpenedFile, OpenedTrace, MAX_FILE_BYTES};
pub use receiver_status::{Listening, ReceiverState, ReceiverStatus};
pub use search::{TraceSearchRequest, TraceSearchView};
pub use span_detail::{KeyValue, SpanDetail, SpanEventRow, SpanLinkRow, SpanRequest};
pub use waterfall::TraceColumns;
pub use wire::{
    AttemptRow, ComparedRow, ComparedTrace, RemoteDown, SpanChange, SpanRow, StatsGrouping,
    TraceCompareRequest, TraceComparisonView, TraceExport, TraceListRequest, TraceListRow,
    TraceListView, TraceRequest, TraceSort, TraceStatsRequest, TraceStatsView, TraceStatus,
    TraceView, UpstreamCallRow,
};

/// The span store's file, beside the run store's.
pub fn spans_path(store_path: &std::path::Path) -> std::path::PathBuf {
    store_path.with_file_name("spans.db")
}
