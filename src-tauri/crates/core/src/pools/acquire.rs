//! Which requests pay for a saturated pool: the time each route's requests
//! spent waiting for a database connection, from connection-acquire spans
//! (`pg-pool.connect` from the OpenTelemetry `pg` instrumentation, or the
//! names the config gives) in their traces, as a share of the requests'
//! time: "42 % of POST /api/campaigns time was spent waiting for a
//! connection".
//!
//! A request's wait is the union of its acquire spans' intervals within
//! the request (overlapping acquires, or one nested in another, count
//! once), so the share never passes 100 %.

use std::collections::BTreeMap;

use serde::Serialize;
use ts_rs::TS;

use crate::traces::{route_of, Span};

/// The acquire span names used when the config names none.
pub const DEFAULT_ACQUIRE_SPANS: &[&str] = &["pg-pool.connect"];

/// A wait this long or longer counts as waiting: 1 ms.
pub const NOTICEABLE_NS: u64 = 1_000_000;

/// One route's requests and their waits for a connection.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RouteWait {
    pub service: String,
    pub route: String,
    /// Requests (traces entering at this route) looked at.
    pub requests: u32,
    /// Of those, how many waited [`NOTICEABLE_NS`] or more (taking a free
    /// connection from a pool costs microseconds; that is not waiting).
    pub waited: u32,
    /// Their time in all, and the part spent waiting, ms.
    pub request_ms: f64,
    pub wait_ms: f64,
    /// `wait_ms / request_ms`, percent.
    pub share_pct: f64,
}

/// The entry span of a trace: the earliest span without a parent.
fn entry(spans: &[Span]) -> Option<&Span> {
    spans
        .iter()
        .filter(|s| s.parent_span_id.is_none())
        .min_by_key(|s| s.start_unix_nano)
}

/// Time inside `[from, to)` covered by the intervals, each counted once.
fn covered(mut intervals: Vec<(u64, u64)>, from: u64, to: u64) -> u64 {
    intervals.sort_unstable();
    let mut total = 0;
    let mut reach = from;
    for (start, end) in intervals {
        let start = start.max(reach);
        let end = end.min(to);
        if end > start {
            total += end - start;
            reach = end;
        }
    }
    total
}

/// Adds up, per entry route, the requests of `traces` and their waits in
/// spans named one of `names`. Routes with the largest share first.
pub fn waits_by_route<'a>(
    traces: impl IntoIterator<Item = &'a [Span]>,
    names: &[String],
) -> Vec<RouteWait> {
    let mut by_route: BTreeMap<(String, String), (u32, u32, u64, u64)> = BTreeMap::new();
    for spans in traces {
        let Some(root) = entry(spans) else { continue };
        let (from, to) = (root.start_unix_nano, root.end_unix_nano);
        if to <= from {
            continue;
        }
        let waits: Vec<(u64, u64)> = spans
            .iter()
            .filter(|s| names.contains(&s.name))
            .map(|s| (s.start_unix_nano, s.end_unix_nano))
            .collect();
        let wait = covered(waits, from, to);
        let slot = by_route
            .entry((root.service.clone(), route_of(root).to_string()))
            .or_default();
        slot.0 += 1;
        slot.1 += u32::from(wait >= NOTICEABLE_NS);
        slot.2 += to - from;
        slot.3 += wait;
    }
    let mut rows: Vec<RouteWait> = by_route
        .into_iter()
        .map(
            |((service, route), (requests, waited, total, wait))| RouteWait {
                service,
                route,
                requests,
                waited,
                request_ms: total as f64 / 1e6,
                wait_ms: wait as f64 / 1e6,
                share_pct: if total > 0 {
                    wait as f64 * 100.0 / total as f64
                } else {
                    0.0
                },
            },
        )
        .collect();
    rows.sort_by(|a, b| {
        b.share_pct
            .total_cmp(&a.share_pct)
            .then_with(|| (&a.service, &a.route).cmp(&(&b.service, &b.route)))
    });
    rows
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::traces::{Attributes, SpanId, SpanKind, StatusCode, TraceId, Value};

    fn span(id: u8, parent: Option<u8>, name: &str, start_ms: u64, end_ms: u64) -> Span {
        let mut attributes = Attributes::default();
        if parent.is_none() {
            attributes
                .0
                .push(("http.route".into(), Value::String("/api/campaigns".into())));
        }
        Span {
            trace_id: TraceId([id; 16]),
            span_id: SpanId([id; 8]),
            parent_span_id: parent.map(|p| SpanId([p; 8])),
            service: "demo-api".into(),
            name: name.into(),
            kind: if parent.is_none() {
                SpanKind::Server
            } else {
                SpanKind::Internal
            },
            start_unix_nano: start_ms * 1_000_000,
            end_unix_nano: end_ms * 1_000_000,
            status: StatusCode::Unset,
            status_message: String::new(),
            attributes,
            events: Vec::new(),
            links: Vec::new(),
            resource: Arc::new(Attributes::default()),
        }
    }

    fn names() -> Vec<String> {
        DEFAULT_ACQUIRE_SPANS
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    #[test]
    fn the_share_of_a_route_s_time_spent_waiting_for_a_connection() {
        // Two requests of 1 s: one waited 700 ms, one not at all.
        let a = vec![
            span(1, None, "POST /api/campaigns", 0, 1_000),
            span(2, Some(1), "pg-pool.connect", 100, 800),
            span(3, Some(1), "SELECT campaigns", 800, 950),
        ];
        let b = vec![
            span(4, None, "POST /api/campaigns", 0, 1_000),
            span(5, Some(4), "SELECT campaigns", 10, 20),
        ];
        let rows = waits_by_route([a.as_slice(), b.as_slice()], &names());
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!((r.requests, r.waited), (2, 1));
        assert_eq!(r.wait_ms, 700.0);
        assert_eq!(r.request_ms, 2_000.0);
        assert_eq!(r.share_pct, 35.0);
        assert_eq!(r.route, "/api/campaigns");
    }

    #[test]
    fn overlapping_or_nested_acquires_count_once_and_never_past_the_request() {
        let t = vec![
            span(1, None, "GET /", 0, 1_000),
            span(2, Some(1), "pg-pool.connect", 100, 600),
            span(3, Some(2), "pg-pool.connect", 200, 500),
            span(4, Some(1), "pg-pool.connect", 550, 1_400),
        ];
        let rows = waits_by_route([t.as_slice()], &names());
        assert_eq!(rows[0].wait_ms, 900.0, "100..1000 covered once");
        assert!(rows[0].share_pct <= 100.0);
    }

    #[test]
    fn configured_names_and_traces_without_a_root() {
        let t = vec![
            span(1, None, "GET /", 0, 100),
            span(2, Some(1), "HikariPool.getConnection", 0, 50),
        ];
        let orphan = vec![span(9, Some(8), "pg-pool.connect", 0, 50)];
        let custom = vec!["HikariPool.getConnection".to_string()];
        let rows = waits_by_route([t.as_slice(), orphan.as_slice()], &custom);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].share_pct, 50.0);
        assert_eq!(waits_by_route([t.as_slice()], &names())[0].wait_ms, 0.0);
    }
}
