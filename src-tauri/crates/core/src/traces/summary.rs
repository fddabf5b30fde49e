//! Where a trace's time went: each span's self time (its duration less the
//! time covered by its children), totalled by service and operation, and a
//! one-line summary of the trace.

use std::collections::BTreeMap;

use serde::Serialize;

use super::assembly::Trace;
use super::span::TraceId;

/// Each span's self time in nanoseconds, indexed like `Trace::spans`:
/// its clipped duration less the union of its children's clipped
/// intervals (overlapping children are not counted twice).
pub fn self_times(trace: &Trace) -> Vec<u64> {
    let bounds = trace.clipped_bounds();
    let mut out = Vec::with_capacity(trace.spans.len());
    for (i, (start, end)) in bounds.iter().enumerate() {
        // Children are sorted by their own start; clipping keeps the order
        // close but not exact, so sort the clipped intervals.
        let mut intervals: Vec<(u64, u64)> = trace.children[i].iter().map(|c| bounds[*c]).collect();
        intervals.sort_unstable();
        let mut covered = 0u64;
        let mut run: Option<(u64, u64)> = None;
        for (s, e) in intervals {
            match run {
                Some((rs, re)) if s <= re => run = Some((rs, re.max(e))),
                Some((rs, re)) => {
                    covered += re - rs;
                    run = Some((s, e));
                }
                None => run = Some((s, e)),
            }
        }
        if let Some((rs, re)) = run {
            covered += re - rs;
        }
        out.push((end - start).saturating_sub(covered));
    }
    out
}

/// Self time of one service's operation across a trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SelfTime {
    pub service: String,
    pub operation: String,
    pub spans: usize,
    pub self_nanos: u64,
}

/// Self time by service and operation, largest first.
pub fn self_time_by_operation(trace: &Trace) -> Vec<SelfTime> {
    let times = self_times(trace);
    let mut by: BTreeMap<(&str, &str), (usize, u64)> = BTreeMap::new();
    for (span, nanos) in trace.spans.iter().zip(times) {
        let entry = by
            .entry((span.service.as_str(), span.name.as_str()))
            .or_default();
        entry.0 += 1;
        entry.1 += nanos;
    }
    let mut out: Vec<SelfTime> = by
        .into_iter()
        .map(|((service, operation), (spans, self_nanos))| SelfTime {
            service: service.to_string(),
            operation: operation.to_string(),
            spans,
            self_nanos,
        })
        .collect();
    out.sort_by_key(|b| std::cmp::Reverse(b.self_nanos));
    out
}

/// A trace in one line, as a trace list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TraceSummary {
    pub trace_id: TraceId,
    /// The earliest root's service and name.
    pub root_service: String,
    pub root_name: String,
    pub start_unix_nano: u64,
    pub duration_nanos: u64,
    pub spans: usize,
    pub error_spans: usize,
    pub services: usize,
    /// How many problems assembly found (orphans, cycles, duplicates...).
    pub issues: usize,
}

pub fn summarize(trace: &Trace) -> TraceSummary {
    let (start, end) = trace.bounds();
    let root = trace.roots.first().map(|r| &trace.spans[*r]);
    let mut services: Vec<&str> = trace.spans.iter().map(|s| s.service.as_str()).collect();
    services.sort_unstable();
    services.dedup();
    TraceSummary {
        trace_id: trace.trace_id,
        root_service: root.map(|s| s.service.clone()).unwrap_or_default(),
        root_name: root.map(|s| s.name.clone()).unwrap_or_default(),
        start_unix_nano: start,
        duration_nanos: end - start,
        spans: trace.spans.len(),
        error_spans: trace.spans.iter().filter(|s| s.is_error()).count(),
        services: services.len(),
        issues: trace.issues.len(),
    }
}
