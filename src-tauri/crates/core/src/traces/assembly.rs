//! A trace's tree from its spans' parent ids, whatever order and however
//! many requests the spans arrived in, and whatever is wrong with them:
//! duplicate span ids, parents that never arrived (orphans), and parent
//! chains that loop (cycles, broken and flagged). Iterative throughout, so
//! a trace of 100,000 spans, or a chain 100,000 deep, cannot overflow the
//! stack.

use std::collections::HashMap;

use serde::Serialize;

use super::span::{Span, SpanId, TraceId};

/// Something wrong with a trace's spans, found while assembling it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Issue {
    /// More than one span arrived with this id; the first was kept.
    DuplicateSpanId { span_id: SpanId, copies: usize },
    /// The parent id names a span that is not in the trace (not arrived,
    /// or dropped by the sender); the span is shown as a root.
    Orphan {
        span_id: SpanId,
        missing_parent: SpanId,
    },
    /// The parent chain loops back to this span; its parent link was
    /// dropped to break the loop, making it a root.
    CycleBroken { span_id: SpanId },
    /// The span ends before it starts; it is treated as lasting 0.
    EndsBeforeStart { span_id: SpanId },
    /// Spans of another trace were handed in with this one and left out.
    OtherTrace { spans: usize },
}

/// A trace's spans as a forest (normally one tree), with indexes into
/// `spans` for parents and children.
#[derive(Debug, Clone)]
pub struct Trace {
    pub trace_id: TraceId,
    /// One span per id, in arrival order.
    pub spans: Vec<Span>,
    /// The parent of each span in the tree; `None` for roots.
    pub parent: Vec<Option<usize>>,
    /// The children of each span, by start time (then end, then arrival).
    pub children: Vec<Vec<usize>>,
    /// Spans without a parent in the tree, by start time.
    pub roots: Vec<usize>,
    pub issues: Vec<Issue>,
}

impl Trace {
    /// Assembles the spans of one trace (the first span's); spans of other
    /// traces are left out and reported. `None` for no spans.
    pub fn assemble(spans: impl IntoIterator<Item = Span>) -> Option<Trace> {
        let mut spans = spans.into_iter().peekable();
        let trace_id = spans.peek()?.trace_id;
        let mut issues = Vec::new();

        let mut kept: Vec<Span> = Vec::new();
        let mut index: HashMap<SpanId, usize> = HashMap::new();
        let mut copies: HashMap<SpanId, usize> = HashMap::new();
        let mut other_trace = 0;
        for span in spans {
            if span.trace_id != trace_id {
                other_trace += 1;
                continue;
            }
            if index.contains_key(&span.span_id) {
                *copies.entry(span.span_id).or_insert(1) += 1;
                continue;
            }
            index.insert(span.span_id, kept.len());
            kept.push(span);
        }
        if other_trace > 0 {
            issues.push(Issue::OtherTrace { spans: other_trace });
        }
        let mut duplicated: Vec<_> = copies.into_iter().collect();
        duplicated.sort_by_key(|(id, _)| index[id]);
        issues.extend(
            duplicated
                .into_iter()
                .map(|(span_id, copies)| Issue::DuplicateSpanId { span_id, copies }),
        );

        let mut parent: Vec<Option<usize>> = Vec::with_capacity(kept.len());
        for span in &kept {
            let link = match span.parent_span_id {
                None => None,
                Some(p) if p == span.span_id => {
                    issues.push(Issue::CycleBroken {
                        span_id: span.span_id,
                    });
                    None
                }
                Some(p) => match index.get(&p) {
                    Some(&i) => Some(i),
                    None => {
                        issues.push(Issue::Orphan {
                            span_id: span.span_id,
                            missing_parent: p,
                        });
                        None
                    }
                },
            };
            parent.push(link);
            if span.end_unix_nano < span.start_unix_nano {
                issues.push(Issue::EndsBeforeStart {
                    span_id: span.span_id,
                });
            }
        }
        break_cycles(&kept, &mut parent, &mut issues);

        let mut children: Vec<Vec<usize>> = vec![Vec::new(); kept.len()];
        let mut roots = Vec::new();
        for (i, p) in parent.iter().enumerate() {
            match p {
                Some(p) => children[*p].push(i),
                None => roots.push(i),
            }
        }
        let order = |i: &usize| (kept[*i].start_unix_nano, kept[*i].end_unix_nano, *i);
        roots.sort_by_key(order);
        for list in &mut children {
            list.sort_by_key(order);
        }
        Some(Trace {
            trace_id,
            spans: kept,
            parent,
            children,
            roots,
            issues,
        })
    }

    /// Every span once, depth-first from each root in start order, with
    /// its depth: the order a waterfall lists them in.
    pub fn preorder(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::with_capacity(self.spans.len());
        let mut stack: Vec<(usize, usize)> = self.roots.iter().rev().map(|r| (*r, 0)).collect();
        while let Some((i, depth)) = stack.pop() {
            out.push((i, depth));
            stack.extend(self.children[i].iter().rev().map(|c| (*c, depth + 1)));
        }
        out
    }

    /// Earliest start and latest end over all spans.
    pub fn bounds(&self) -> (u64, u64) {
        let start = self.spans.iter().map(|s| s.start_unix_nano).min();
        let end = self
            .spans
            .iter()
            .map(|s| s.end_unix_nano.max(s.start_unix_nano))
            .max();
        (start.unwrap_or(0), end.unwrap_or(0))
    }

    /// Each span's bounds clipped into its parent's (a child reported to
    /// start before or end after its parent, clock skew between services,
    /// is drawn and analysed inside it).
    pub fn clipped_bounds(&self) -> Vec<(u64, u64)> {
        let mut bounds = vec![(0u64, 0u64); self.spans.len()];
        for (i, _) in self.preorder() {
            let span = &self.spans[i];
            let own = (
                span.start_unix_nano,
                span.end_unix_nano.max(span.start_unix_nano),
            );
            bounds[i] = match self.parent[i] {
                None => own,
                Some(p) => {
                    let (ps, pe) = bounds[p];
                    let start = own.0.clamp(ps, pe);
                    (start, own.1.clamp(start, pe))
                }
            };
        }
        bounds
    }
}

/// Finds parent chains that never reach a root and breaks each loop at its
/// earliest-starting span. Each span's chain is walked once.
fn break_cycles(spans: &[Span], parent: &mut [Option<usize>], issues: &mut Vec<Issue>) {
    const UNSEEN: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![UNSEEN; spans.len()];
    let mut path = Vec::new();
    for start in 0..spans.len() {
        let mut at = start;
        path.clear();
        loop {
            match state[at] {
                DONE => break,
                ON_PATH => {
                    // `at` is on this walk's path: the loop is from `at` on.
                    let from = path.iter().position(|p| *p == at).unwrap_or(0);
                    let cycle = &path[from..];
                    let breaker = cycle
                        .iter()
                        .copied()
                        .min_by_key(|i: &usize| (spans[*i].start_unix_nano, *i))
                        .unwrap_or(at);
                    parent[breaker] = None;
                    issues.push(Issue::CycleBroken {
                        span_id: spans[breaker].span_id,
                    });
                    break;
                }
                _ => {
                    state[at] = ON_PATH;
                    path.push(at);
                    match parent[at] {
                        Some(p) => at = p,
                        None => break,
                    }
                }
            }
        }
        for p in &path {
            state[*p] = DONE;
        }
    }
}
