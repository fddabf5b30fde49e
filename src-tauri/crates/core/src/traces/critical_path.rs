//! The critical path: the chain of work that decided when the trace
//! finished. Walking back from the end of the root, each moment belongs
//! to the last-finishing child still running then, or to the span itself
//! when no child was (Jaeger's algorithm, made iterative). Children are
//! clipped into their parents first, so clock skew cannot put the path
//! outside the trace.

use serde::Serialize;

use super::assembly::Trace;

/// A stretch of time that belongs to one span on the critical path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Segment {
    /// Index into `Trace::spans`.
    pub span: usize,
    pub start_unix_nano: u64,
    pub end_unix_nano: u64,
}

impl Segment {
    pub fn nanos(&self) -> u64 {
        self.end_unix_nano - self.start_unix_nano
    }
}

/// The critical path of the trace, in time order, from the root that ends
/// last. Empty for an empty trace.
pub fn critical_path(trace: &Trace) -> Vec<Segment> {
    let bounds = trace.clipped_bounds();
    let Some(root) = trace
        .roots
        .iter()
        .copied()
        .max_by_key(|r| (bounds[*r].1, std::cmp::Reverse(*r)))
    else {
        return Vec::new();
    };
    let mut segments = Vec::new();
    let mut current = root;
    // Set when coming back up from a child: the child's start, before
    // which the rest of this span's time is looked at.
    let mut returning: Option<u64> = None;
    loop {
        let (start, end) = bounds[current];
        let until = returning.unwrap_or(end);
        let last_child = trace.children[current]
            .iter()
            .copied()
            .filter(|c| match returning {
                Some(limit) => bounds[*c].1 < limit,
                None => true,
            })
            .max_by_key(|c| (bounds[*c].1, std::cmp::Reverse(*c)));
        match last_child {
            Some(child) => {
                push(&mut segments, current, bounds[child].1, until);
                current = child;
                returning = None;
            }
            None => {
                push(&mut segments, current, start, until);
                match trace.parent[current] {
                    Some(p) if current != root => {
                        returning = Some(start);
                        current = p;
                    }
                    _ => break,
                }
            }
        }
    }
    segments.reverse();
    segments
}

fn push(segments: &mut Vec<Segment>, span: usize, start: u64, end: u64) {
    if end > start {
        segments.push(Segment {
            span,
            start_unix_nano: start,
            end_unix_nano: end,
        });
    }
}

/// Time on the critical path per span, indexed like `Trace::spans`.
pub fn critical_time(trace: &Trace, path: &[Segment]) -> Vec<u64> {
    let mut time = vec![0u64; trace.spans.len()];
    for segment in path {
        time[segment.span] += segment.nanos();
    }
    time
}
