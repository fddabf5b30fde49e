//! The waterfall's trace: every span as columns (one array per field in
//! tree order, not an object per span), services and names as
//! dictionaries, laid out once here so that the view only draws. A
//! 200,000-span trace is a few megabytes of JSON this way, not tens; a
//! span's attributes, events, links and resource come on selection
//! (`get_span`).

use std::collections::HashMap;
use std::fmt::Write as _;

use readyroom_core::traces::{
    critical_path, critical_time, route_of, self_times, summarize, upstream_calls, Trace, Upstreams,
};
use serde::Serialize;
use ts_rs::TS;

use super::handlers::{attempts_by_span, call_row, issue_text, rfc3339};
use super::wire::UpstreamCallRow;

/// One trace for the waterfall. Every per-span array has one entry per
/// span, in the same order: depth-first, children by start time.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TraceColumns {
    pub trace_id: String,
    pub root_service: String,
    pub root_name: String,
    /// The entry span's route (`http.route`, else its name), as the trace
    /// list filters by.
    pub root_route: Option<String>,
    /// RFC 3339.
    pub start: String,
    /// The trace's duration.
    #[ts(type = "number")]
    pub total_us: u64,
    #[ts(type = "number")]
    pub error_spans: u64,
    /// What assembly found wrong (orphans, cycles, duplicates), in words.
    pub issues: Vec<String>,
    /// The distinct services; `service` indexes into it.
    pub services: Vec<String>,
    /// The distinct span names; `name` indexes into it.
    pub names: Vec<String>,
    /// Each span's id: 16 hex digits per span, concatenated.
    pub span_ids: String,
    /// The parent's position in these arrays; -1 for a root.
    pub parent: Vec<i32>,
    pub depth: Vec<u32>,
    pub service: Vec<u32>,
    pub name: Vec<u32>,
    /// OTLP's span kind: 0 unspecified, 1 internal, 2 server, 3 client,
    /// 4 producer, 5 consumer.
    pub kind: Vec<u8>,
    /// From the trace's start, in microseconds (clipped into the parent).
    #[ts(type = "number[]")]
    pub start_us: Vec<u64>,
    #[ts(type = "number[]")]
    pub duration_us: Vec<u64>,
    /// Duration less the children's (overlaps counted once).
    #[ts(type = "number[]")]
    pub self_us: Vec<u64>,
    /// Time on the critical path; 0 off it.
    #[ts(type = "number[]")]
    pub critical_us: Vec<u64>,
    /// 1 when the span's status is ERROR.
    pub error: Vec<u8>,
    /// The upstream call this span is an attempt of (an index into
    /// `upstreamCalls`) and which attempt (0: the first); -1 when none.
    pub upstream_call: Vec<i32>,
    pub attempt: Vec<i32>,
    /// Calls to upstreams (LLMs, configured hosts), retries grouped.
    pub upstream_calls: Vec<UpstreamCallRow>,
}

fn micros(nanos: u64) -> u64 {
    (nanos + 500) / 1_000
}

fn small(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// A string's index in a dictionary, adding it the first time.
fn index_of(dictionary: &mut Vec<String>, seen: &mut HashMap<String, u32>, text: &str) -> u32 {
    if let Some(i) = seen.get(text) {
        return *i;
    }
    let i = u32::try_from(dictionary.len()).unwrap_or(u32::MAX);
    dictionary.push(text.to_string());
    seen.insert(text.to_string(), i);
    i
}

pub(crate) fn columns(trace: &Trace, upstreams: &Upstreams) -> TraceColumns {
    let summary = summarize(trace);
    let calls = upstream_calls(trace, upstreams);
    let attempt_of = attempts_by_span(&calls);
    let bounds = trace.clipped_bounds();
    let selves = self_times(trace);
    let critical = critical_time(trace, &critical_path(trace));
    let order = trace.preorder();
    let n = order.len();
    // Span index → row, to turn parent indexes into rows.
    let mut row_of = vec![0usize; trace.spans.len()];
    for (row, (i, _)) in order.iter().enumerate() {
        row_of[*i] = row;
    }
    let mut out = TraceColumns {
        trace_id: trace.trace_id.to_string(),
        root_service: summary.root_service,
        root_name: summary.root_name,
        root_route: trace
            .roots
            .first()
            .map(|r| route_of(&trace.spans[*r]).to_string()),
        start: rfc3339(summary.start_unix_nano),
        total_us: micros(summary.duration_nanos),
        error_spans: summary.error_spans as u64,
        issues: trace.issues.iter().map(issue_text).collect(),
        services: Vec::new(),
        names: Vec::new(),
        span_ids: String::with_capacity(n * 16),
        parent: Vec::with_capacity(n),
        depth: Vec::with_capacity(n),
        service: Vec::with_capacity(n),
        name: Vec::with_capacity(n),
        kind: Vec::with_capacity(n),
        start_us: Vec::with_capacity(n),
        duration_us: Vec::with_capacity(n),
        self_us: Vec::with_capacity(n),
        critical_us: Vec::with_capacity(n),
        error: Vec::with_capacity(n),
        upstream_call: Vec::with_capacity(n),
        attempt: Vec::with_capacity(n),
        upstream_calls: calls.iter().map(|c| call_row(trace, c)).collect(),
    };
    let (mut seen_services, mut seen_names) = (HashMap::new(), HashMap::new());
    for (i, depth) in order {
        let span = &trace.spans[i];
        let (s, e) = bounds[i];
        let _ = write!(out.span_ids, "{}", span.span_id);
        out.parent
            .push(trace.parent[i].map_or(-1, |p| small(row_of[p])));
        out.depth.push(u32::try_from(depth).unwrap_or(u32::MAX));
        out.service.push(index_of(
            &mut out.services,
            &mut seen_services,
            &span.service,
        ));
        out.name
            .push(index_of(&mut out.names, &mut seen_names, &span.name));
        out.kind
            .push(u8::try_from(span.kind.to_otlp()).unwrap_or(0));
        out.start_us
            .push(micros(s.saturating_sub(summary.start_unix_nano)));
        out.duration_us.push(micros(e - s));
        out.self_us.push(micros(selves[i]));
        out.critical_us.push(micros(critical[i]));
        out.error.push(u8::from(span.is_error()));
        let (call, attempt) = attempt_of
            .get(&i)
            .map_or((-1, -1), |&(c, n)| (small(c), small(n)));
        out.upstream_call.push(call);
        out.attempt.push(attempt);
    }
    out
}
