//! A batch split into trace parts: one per trace and environment it
//! touches, each with the counts and ids its row keeps.

use foldhash::{HashMap, HashMapExt, HashSet};
use std::sync::Arc;

use readyroom_core::traces::{route_of, Span, SpanId, StatusCode, TraceId};

use super::{body, nanos, Attributed};

/// A part about to be stored: it owns its spans.
pub(super) struct Part {
    pub trace_id: TraceId,
    pub environment: Option<Arc<str>>,
    pub spans: Vec<Span>,
    pub body: Vec<u8>,
    /// Parents of this part's spans found in no part of the trace: one
    /// entry per orphan span (set by `resolve`).
    pub dangling: Vec<SpanId>,
    /// Spans dropped as repeats of spans stored before (`drop_stored`).
    pub repeats: u64,
}

/// Splits fresh spans (no id repeated) into parts in first-seen order and
/// encodes them. Encoding fails the whole batch before anything is written.
pub(super) fn split(batch: Vec<Attributed>) -> Result<Vec<Part>, String> {
    // Which part each span goes to, then the spans moved there.
    let mut parts: Vec<Part> = Vec::new();
    let mut goes_to = Vec::with_capacity(batch.len());
    {
        let mut index: HashMap<(TraceId, Option<&str>), usize> = HashMap::new();
        for a in &batch {
            let i = *index
                .entry((a.span.trace_id, a.environment.as_deref()))
                .or_insert_with(|| {
                    parts.push(Part {
                        trace_id: a.span.trace_id,
                        environment: a.environment.clone(),
                        spans: Vec::new(),
                        body: Vec::new(),
                        dangling: Vec::new(),
                        repeats: 0,
                    });
                    parts.len() - 1
                });
            goes_to.push(i);
        }
    }
    for (a, i) in batch.into_iter().zip(goes_to) {
        parts[i].spans.push(a.span);
    }
    for part in &mut parts {
        part.body = body::encode(&part.spans)?;
    }
    Ok(parts)
}

impl Part {
    /// Drops spans whose id is in `stored` (a repeat of a stored span keeps
    /// the first copy), re-encoding when any went, and counts them.
    pub fn drop_stored(&mut self, stored: &HashSet<SpanId>) -> Result<(), String> {
        let before = self.spans.len();
        self.spans.retain(|s| !stored.contains(&s.span_id));
        let dropped = before - self.spans.len();
        if dropped > 0 && !self.spans.is_empty() {
            self.body = body::encode(&self.spans)?;
        }
        self.repeats += dropped as u64;
        Ok(())
    }

    /// Sets the dangling parents: those in neither this part nor `known`
    /// (the trace's other parts, stored or in this batch).
    pub fn resolve(&mut self, known: Option<&HashSet<SpanId>>) {
        let own: HashSet<SpanId> = self.spans.iter().map(|s| s.span_id).collect();
        self.dangling = self
            .spans
            .iter()
            .filter_map(|s| s.parent_span_id)
            .filter(|p| !own.contains(p) && !known.is_some_and(|k| k.contains(p)))
            .collect();
    }

    pub fn start_ns(&self) -> i64 {
        nanos(
            self.spans
                .iter()
                .map(|s| s.start_unix_nano)
                .min()
                .unwrap_or(0),
        )
    }

    pub fn end_ns(&self) -> i64 {
        nanos(
            self.spans
                .iter()
                .map(|s| s.end_unix_nano)
                .max()
                .unwrap_or(0),
        )
    }

    pub fn error_spans(&self) -> i64 {
        self.spans
            .iter()
            .filter(|s| s.status == StatusCode::Error)
            .count() as i64
    }

    /// The earliest span without a parent.
    pub fn entry(&self) -> Option<&Span> {
        self.spans
            .iter()
            .filter(|s| s.parent_span_id.is_none())
            .min_by_key(|s| s.start_unix_nano)
    }

    pub fn entry_route(&self) -> Option<&str> {
        self.entry().map(route_of)
    }

    pub fn span_ids(&self) -> Vec<u8> {
        ids_bytes(self.spans.iter().map(|s| s.span_id))
    }
}

/// Span ids as stored: 8 bytes each.
pub(super) fn ids_bytes(ids: impl Iterator<Item = SpanId>) -> Vec<u8> {
    ids.flat_map(|id| id.0).collect()
}

/// Stored span ids back; a trailing partial id (never written) is ignored.
pub(super) fn ids_of(bytes: &[u8]) -> impl Iterator<Item = SpanId> + '_ {
    bytes
        .chunks_exact(8)
        .filter_map(|c| <[u8; 8]>::try_from(c).ok().map(SpanId))
}
