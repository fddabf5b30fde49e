//! What a trace list asks for and answers with, the same whether the
//! traces come from the local span store or from Tempo or Jaeger.

use super::TraceId;

/// Which traces a list shows.
#[derive(Debug, Clone, Default)]
pub struct TraceFilter {
    /// The entry span's service.
    pub service: Option<String>,
    /// The entry span's route.
    pub route: Option<String>,
    /// `Some(true)`: only traces with an ERROR span; `Some(false)`: only without.
    pub failed: Option<bool>,
    pub min_duration_ns: u64,
    pub limit: u32,
}

/// A trace in one line.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceLine {
    pub trace_id: TraceId,
    pub start_ns: u64,
    pub duration_ns: u64,
    /// `None` where the source does not say (Tempo's search).
    pub spans: Option<u64>,
    pub error_spans: Option<u64>,
    /// The entry span's (`None` when every span has a parent: all orphans).
    pub root_service: Option<String>,
    pub root_name: Option<String>,
    pub route: Option<String>,
}
