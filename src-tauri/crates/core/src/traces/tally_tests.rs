use super::tests::{id, span};
use super::*;

const MS: u64 = 1_000_000;

fn attr(key: &str, value: Value) -> (String, Value) {
    (key.to_string(), value)
}

/// A request (root SERVER span, failed with HTTP 503) calling the database
/// twice, an ERROR span with an exception and one without, and a span
/// whose parent never arrived.
fn sample_trace() -> Trace {
    let mut root = span(0, None, 0, 300 * MS);
    root.kind = SpanKind::Server;
    root.attributes
        .0
        .push(attr("http.response.status_code", Value::Int(503)));
    let mut inner = span(1, Some(0), 10 * MS, 110 * MS);
    inner.kind = SpanKind::Server;
    let mut db_fast = span(2, Some(1), 20 * MS, 30 * MS);
    db_fast.kind = SpanKind::Client;
    db_fast
        .attributes
        .0
        .push(attr("db.system", Value::String("postgresql".into())));
    let mut db_slow = db_fast.clone();
    db_slow.span_id = id(3);
    db_slow.start_unix_nano = 40 * MS;
    db_slow.end_unix_nano = 100 * MS;
    db_slow.status = StatusCode::Error;
    db_slow
        .attributes
        .0
        .push(attr("error.type", Value::String("timeout".into())));
    let mut bare_error = span(4, Some(0), 120 * MS, 130 * MS);
    bare_error.status = StatusCode::Error;
    let orphan = span(5, Some(99), 200 * MS, 210 * MS);
    Trace::assemble(vec![root, inner, db_fast, db_slow, bare_error, orphan]).expect("spans")
}

#[test]
fn a_trace_is_counted_as_the_store_counts_its_spans() {
    let trace = sample_trace();
    let mut counts = WindowCounts::default();
    counts.add_trace(&trace, 0, SETTLE_NS + 300 * MS);
    assert_eq!(counts.spans, 6);
    assert_eq!(counts.settled_spans, 6);
    assert_eq!(counts.orphans, 1, "span 5's parent never arrived");
    assert_eq!(counts.server_spans, 2);
    assert_eq!(counts.root_requests, 1, "span 1 has a parent");
    assert_eq!(counts.root_failed, 1, "HTTP 503 is a failed request");
    assert_eq!(counts.error_spans, 2);
    assert_eq!(counts.error_spans_with_detail, 1, "error.type is detail");
    assert_eq!(counts.api.requests, 2);
    assert_eq!(counts.api.errors, 1);
    assert_eq!(counts.db.requests, 2);
    assert_eq!(counts.db.errors, 1);
    let p95 = counts.db.quantile_ms(0.95).expect("db spans");
    assert!((p95 - 60.0).abs() < 0.1, "the slower query: {p95}");
    assert_eq!(counts.last_span_start_ns, Some(200 * MS));
}

#[test]
fn only_spans_in_the_window_count_and_recent_ones_are_not_yet_orphans() {
    let trace = sample_trace();
    let mut counts = WindowCounts::default();
    // The window ends just after the orphan started: too soon to judge it.
    counts.add_trace(&trace, 15 * MS, 205 * MS);
    assert_eq!(counts.spans, 4, "spans 2, 3, 4 and 5 started in the window");
    assert_eq!(counts.settled_spans, 0);
    assert_eq!(counts.orphans, 0);
    assert_eq!(counts.server_spans, 0);
    assert_eq!(counts.root_requests, 0);
    assert_eq!(counts.db.requests, 2);

    let mut none = WindowCounts::default();
    none.add_trace(&trace, 400 * MS, 500 * MS);
    assert_eq!(none.spans, 0);
    assert_eq!(none.last_span_start_ns, None);
}
