//! Traces: the span model and the pure analysis over it (assembly into a
//! tree, critical path, self time, summaries, per-route statistics, the
//! LLM lens, comparing two traces). The receivers, the span
//! store and the trace checks build on these; nothing here does I/O.

mod assembly;
mod attribution;
mod compare;
mod critical_path;
mod evidence;
mod listing;
mod llm;
mod span;
mod stats;
mod summary;
mod tally;

pub use assembly::{Issue, Trace};
pub use attribution::{environment_of, how_to_attribute, Attribution, ENVIRONMENT_KEYS};
pub use compare::{compare, ComparedSpan, Comparison};
pub use critical_path::{critical_path, critical_time, Segment};
pub use evidence::{has_error_detail, SpanWindow, UpstreamWindow, SPANS, UPSTREAM_CALLS};
pub use listing::{AttributeMatch, TraceFilter, TraceLine, TraceOrder};
pub use llm::{
    host_of, is_llm, upstream_calls, Absorption, Attempt, AttemptOutcome, UpstreamCall, Upstreams,
};
pub use span::{
    from_unix_nanos, unix_nanos, Attributes, IdError, Span, SpanEvent, SpanId, SpanKind, SpanLink,
    StatusCode, TraceId, Value,
};
pub use stats::{
    busiest_first, http_status, is_failed_request, route_of, LatencyStats, RouteAggregator,
    RouteStats, ALL_ROUTES,
};
pub use summary::{self_time_by_operation, self_times, summarize, SelfTime, TraceSummary};
pub use tally::{WindowCounts, SETTLE_NS};

#[cfg(test)]
mod compare_tests;
#[cfg(test)]
mod llm_tests;
#[cfg(test)]
mod tally_tests;
#[cfg(test)]
mod tests;
