//! The span store against a real SQLite file.

use readyroom_core::traces::{Attributes, Span, SpanId, SpanKind, StatusCode, TraceId, Value};

use super::rollups::{DB_MINUTES, ROUTE_MINUTES};
use super::write::Prepared;
use crate::{Attributed, Error, SpanStore, Stored};

fn span(trace: u8, id: u8, parent: Option<u8>, start_ms: u64, millis: u64) -> Span {
    Span {
        trace_id: TraceId([trace; 16]),
        span_id: SpanId([id; 8]),
        parent_span_id: parent.map(|p| SpanId([p; 8])),
        service: "api".into(),
        name: format!("span {id}"),
        kind: SpanKind::Server,
        start_unix_nano: start_ms * 1_000_000,
        end_unix_nano: (start_ms + millis) * 1_000_000,
        status: StatusCode::Unset,
        status_message: String::new(),
        attributes: Attributes(vec![("http.route".into(), Value::String("/things".into()))]),
        events: Vec::new(),
        links: Vec::new(),
        resource: Default::default(),
    }
}

/// Makes every insert into `table` fail, as a full disk would.
async fn poison(store: &SpanStore, table: &str) {
    sqlx::query(&format!(
        "CREATE TRIGGER poisoned BEFORE INSERT ON {table} \
         BEGIN SELECT RAISE(ABORT, 'disk full (simulated)'); END"
    ))
    .execute(store.pool())
    .await
    .expect("trigger");
}

fn prod(spans: &[Span]) -> Vec<Attributed> {
    spans
        .iter()
        .map(|span| Attributed {
            environment: Some("prod".into()),
            span: span.clone(),
        })
        .collect()
}

#[tokio::test]
async fn spans_survive_a_restart_and_read_back_exactly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("spans.db");
    let mut sent = vec![span(1, 1, None, 1_000, 50), span(1, 2, Some(1), 1_010, 20)];
    sent[1].kind = SpanKind::Client;
    sent[1]
        .attributes
        .0
        .push(("db.system".into(), Value::String("postgresql".into())));
    {
        let store = SpanStore::open(&path).await.expect("open");
        let stored = store.insert(prod(&sent), 5).await.expect("insert");
        assert_eq!(stored.inserted, 2);
    }
    let store = SpanStore::open(&path).await.expect("reopen");
    assert_eq!(store.trace(TraceId([1; 16])).await.expect("read"), sent);
    assert_eq!(store.count(Some("prod")).await.expect("count"), 2);
    assert!(store
        .trace(TraceId([2; 16]))
        .await
        .expect("read")
        .is_empty());
}

#[tokio::test]
async fn a_repeated_span_keeps_its_first_copy_and_is_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SpanStore::open(&dir.path().join("spans.db"))
        .await
        .expect("open");
    let first = span(1, 1, None, 0, 10);
    let mut again = first.clone();
    again.name = "a later copy".into();
    store
        .insert(prod(std::slice::from_ref(&first)), 1)
        .await
        .expect("insert");
    let stored = store.insert(prod(&[again]), 2).await.expect("insert");
    assert_eq!((stored.inserted, stored.duplicates), (0, 1));
    assert_eq!(
        store.trace(first.trace_id).await.expect("read"),
        vec![first]
    );
}

#[tokio::test]
async fn a_batch_that_fails_midway_leaves_nothing_behind() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SpanStore::open(&dir.path().join("spans.db"))
        .await
        .expect("open");
    // A write that fails after the parts went in (merging the rollups),
    // as a full disk would.
    poison(&store, "route_minutes").await;
    let batch = [span(1, 1, None, 0, 10), span(2, 2, None, 0, 5)];
    let err = store
        .insert(prod(&batch), 1)
        .await
        .expect_err("the batch fails");
    assert!(matches!(err, Error::Open { .. } | Error::Query(_)), "{err}");
    assert_eq!(store.count(Some("prod")).await.expect("count"), 0);
}

#[tokio::test]
async fn unattributed_spans_are_kept_apart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SpanStore::open(&dir.path().join("spans.db"))
        .await
        .expect("open");
    let s = span(1, 1, None, 0, 10);
    store
        .insert(
            vec![Attributed {
                environment: None,
                span: s,
            }],
            1,
        )
        .await
        .expect("insert");
    assert_eq!(store.count(None).await.expect("count"), 1);
    assert_eq!(store.count(Some("prod")).await.expect("count"), 0);
}

#[tokio::test]
async fn route_statistics_come_from_the_window_of_server_spans() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SpanStore::open(&dir.path().join("spans.db"))
        .await
        .expect("open");
    let mut spans: Vec<Span> = (1..=100u8)
        .map(|i| span(i, 1, None, 1_000, u64::from(i)))
        .collect();
    spans[9].status = StatusCode::Error;
    let mut client = span(200, 1, None, 1_000, 5_000);
    client.kind = SpanKind::Client;
    spans.push(client);
    spans.push(span(201, 1, None, 99_000, 9_000)); // outside the window
    store.insert(prod(&spans), 1).await.expect("insert");
    let stats = store
        .route_stats("prod", 0, 10_000 * 1_000_000)
        .await
        .expect("stats")
        .finish(10.0);
    assert_eq!(stats.len(), 1);
    assert_eq!(stats[0].route, "/things");
    assert_eq!((stats[0].requests, stats[0].errors), (100, 1));
    assert!((stats[0].p95_ms - 95.0).abs() <= 1.0, "{}", stats[0].p95_ms);
}

#[tokio::test]
async fn one_route_reads_minute_by_minute() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SpanStore::open(&dir.path().join("spans.db"))
        .await
        .expect("open");
    // Minute 0: 1..=100 ms; minute 2: ten requests of 500 ms; another
    // route in minute 1 and a request after the window.
    let mut spans: Vec<Span> = (1..=100u8)
        .map(|i| span(i, 1, None, 1_000, u64::from(i)))
        .collect();
    spans.extend((101..=110u8).map(|i| span(i, 1, None, 125_000, 500)));
    let mut other = span(111, 1, None, 61_000, 10);
    other.attributes = Attributes(vec![("http.route".into(), Value::String("/other".into()))]);
    spans.push(other);
    spans.push(span(112, 1, None, 185_000, 9));
    store.insert(prod(&spans), 1).await.expect("insert");
    let minutes = store
        .route_minutes("prod", "api", "/things", 0, 180_000 * 1_000_000)
        .await
        .expect("minutes");
    let read: Vec<(i64, u64)> = minutes.iter().map(|(m, s)| (*m, s.requests)).collect();
    assert_eq!(read, [(0, 100), (2, 10)]);
    let p95 = minutes[0].1.quantile_ms(0.95).expect("p95");
    assert!((p95 - 95.0).abs() <= 1.0, "{p95}");
    let p95 = minutes[1].1.quantile_ms(0.95).expect("p95");
    assert!((p95 - 500.0).abs() <= 1.0, "{p95}");
}

#[tokio::test]
async fn retention_removes_exactly_the_old_then_the_oldest_received_past_the_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SpanStore::open(&dir.path().join("spans.db"))
        .await
        .expect("open");
    let old: Vec<Span> = (1..=10u8).map(|i| span(i, 1, None, 1_000, 1)).collect();
    let new: Vec<Span> = (11..=30u8).map(|i| span(i, 1, None, 5_000, 1)).collect();
    store.insert(prod(&old), 1).await.expect("insert");
    store.insert(prod(&new), 2).await.expect("insert");
    let removed = store
        .apply_retention(2_000 * 1_000_000, u64::MAX)
        .await
        .expect("retention");
    assert_eq!((removed.by_age, removed.by_size), (10, 0));
    for s in &old {
        assert!(store.trace(s.trace_id).await.expect("read").is_empty());
    }
    assert_eq!(store.count(Some("prod")).await.expect("count"), 20);

    // A size limit below what 20 spans take: the oldest received go first,
    // until the live pages fit.
    let later: Vec<Span> = (31..=40u8).map(|i| span(i, 1, None, 6_000, 1)).collect();
    store.insert(prod(&later), 3).await.expect("insert");
    let before = store.live_bytes().await.expect("size");
    let removed = store
        .apply_retention(0, before - 1)
        .await
        .expect("retention");
    assert!(removed.by_size >= 1, "{removed:?}");
    assert!(store.live_bytes().await.expect("size") < before);
    // The newest batch is still whole.
    for s in &later {
        assert_eq!(store.trace(s.trace_id).await.expect("read").len(), 1);
    }
}

#[tokio::test]
async fn a_window_counts_what_the_trace_checks_read() {
    use readyroom_core::traces::SpanEvent;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SpanStore::open(&dir.path().join("spans.db"))
        .await
        .expect("open");
    // Trace 1: a failed request (HTTP 503) calling the database, whose
    // span is an ERROR with an exception event.
    let mut root = span(1, 1, None, 1_000, 300);
    root.attributes
        .0
        .push(("http.response.status_code".into(), Value::Int(503)));
    let mut db = span(1, 2, Some(1), 1_010, 40);
    db.kind = SpanKind::Client;
    db.status = StatusCode::Error;
    db.attributes
        .0
        .push(("db.system".into(), Value::String("postgresql".into())));
    db.events.push(SpanEvent {
        time_unix_nano: 1_020_000_000,
        name: "exception".into(),
        attributes: Attributes::default(),
    });
    // Trace 2: an ok request; a downstream SERVER span (not a root); an
    // ERROR span without detail; an orphan.
    let ok = span(2, 1, None, 2_000, 100);
    let downstream = span(2, 2, Some(1), 2_010, 50);
    let mut bare_error = span(2, 3, Some(1), 2_020, 5);
    bare_error.kind = SpanKind::Internal;
    bare_error.status = StatusCode::Error;
    let mut orphan = span(2, 4, Some(9), 2_030, 5);
    orphan.kind = SpanKind::Internal;
    // Outside the window.
    let late = span(3, 1, None, 500_000, 10);
    let spans = [root, db, ok, downstream, bare_error, orphan, late];
    store.insert(prod(&spans), 1).await.expect("insert");
    let to = 10_000 * 1_000_000 + crate::SETTLE_NS;
    let w = store.window("prod", 0, to).await.expect("window");
    assert_eq!(
        w.last_span_start_ns,
        Some(500_000 * 1_000_000),
        "the newest at any time"
    );
    assert_eq!(w.spans, 6);
    assert_eq!((w.settled_spans, w.orphans), (6, 1));
    // Spans too recent for their parents to have arrived are not judged.
    let recent = store
        .window("prod", 0, 10_000 * 1_000_000)
        .await
        .expect("window");
    assert_eq!((recent.settled_spans, recent.orphans), (0, 0));
    assert_eq!(w.server_spans, 3);
    assert_eq!((w.root_requests, w.root_failed), (2, 1));
    assert_eq!((w.error_spans, w.error_spans_with_detail), (2, 1));
    assert_eq!(w.api.requests, 3);
    assert_eq!(w.db.requests, 1);
    assert!((w.db.quantile_ms(0.95).expect("p95") - 40.0).abs() < 0.5);
    let none = store.window("staging", 0, u64::MAX).await.expect("window");
    assert_eq!((none.last_span_start_ns, none.spans), (None, 0));
}

#[tokio::test]
async fn traces_are_listed_newest_first_with_their_entry_span_and_filters() {
    use readyroom_core::traces::{AttributeMatch, TraceFilter, TraceOrder};
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SpanStore::open(&dir.path().join("spans.db"))
        .await
        .expect("open");
    let mut slow_failed = vec![
        span(1, 1, None, 1_000, 900),
        span(1, 2, Some(1), 1_100, 100),
    ];
    slow_failed[1].status = StatusCode::Error;
    let mut other = span(2, 1, None, 2_000, 50);
    other.service = "web".into();
    other.attributes = Attributes(vec![("http.route".into(), Value::String("/".into()))]);
    let quick = span(3, 1, None, 3_000, 10);
    let mut spans = slow_failed;
    spans.push(other);
    spans.push(quick);
    store.insert(prod(&spans), 1).await.expect("insert");
    let list = |filter: TraceFilter| {
        let store = store.clone();
        async move {
            store
                .traces(
                    "prod",
                    0,
                    u64::MAX,
                    &TraceFilter {
                        limit: 10,
                        ..filter
                    },
                )
                .await
                .expect("list")
                .lines
                .into_iter()
                .map(|t| t.trace_id.0[0])
                .collect::<Vec<u8>>()
        }
    };
    assert_eq!(list(TraceFilter::default()).await, vec![3, 2, 1]);
    let all = store
        .traces(
            "prod",
            0,
            u64::MAX,
            &TraceFilter {
                limit: 10,
                ..TraceFilter::default()
            },
        )
        .await
        .expect("list")
        .lines;
    let first = all.iter().find(|t| t.trace_id.0[0] == 1).expect("trace 1");
    assert_eq!((first.spans, first.error_spans), (Some(2), Some(1)));
    assert_eq!(first.duration_ns, 900 * 1_000_000);
    assert_eq!(first.root_name.as_deref(), Some("span 1"));
    assert_eq!(first.route.as_deref(), Some("/things"));
    assert_eq!(
        list(TraceFilter {
            failed: Some(true),
            ..Default::default()
        })
        .await,
        vec![1]
    );
    assert_eq!(
        list(TraceFilter {
            failed: Some(false),
            ..Default::default()
        })
        .await,
        vec![3, 2]
    );
    assert_eq!(
        list(TraceFilter {
            service: Some("web".into()),
            ..Default::default()
        })
        .await,
        vec![2]
    );
    assert_eq!(
        list(TraceFilter {
            route: Some("/things".into()),
            ..Default::default()
        })
        .await,
        vec![3, 1]
    );
    assert_eq!(
        list(TraceFilter {
            min_duration_ns: 100 * 1_000_000,
            ..Default::default()
        })
        .await,
        vec![1]
    );
    let one = store
        .traces(
            "prod",
            0,
            u64::MAX,
            &TraceFilter {
                limit: 1,
                ..TraceFilter::default()
            },
        )
        .await
        .expect("list");
    assert_eq!(one.lines.len(), 1);
    assert_eq!(one.scan_stopped_at, None);
    assert_eq!(
        list(TraceFilter {
            max_duration_ns: Some(50 * 1_000_000),
            ..Default::default()
        })
        .await,
        vec![3, 2]
    );
    assert_eq!(
        list(TraceFilter {
            order: TraceOrder::Slowest,
            ..Default::default()
        })
        .await,
        vec![1, 2, 3]
    );
    // Trace 2's entry span has http.route "/"; the others "/things".
    let route = |value: &str| AttributeMatch {
        key: "http.route".into(),
        value: value.into(),
    };
    assert_eq!(
        list(TraceFilter {
            attribute: Some(route("/")),
            ..Default::default()
        })
        .await,
        vec![2]
    );
    assert_eq!(
        list(TraceFilter {
            attribute: Some(route("/things")),
            order: TraceOrder::Slowest,
            ..Default::default()
        })
        .await,
        vec![1, 3]
    );
    assert_eq!(
        list(TraceFilter {
            attribute: Some(route("/nowhere")),
            ..Default::default()
        })
        .await,
        Vec::<u8>::new()
    );
}

/// Requests per route come from per-minute rollups kept at insert time:
/// merged across batches, a repeated span not counted twice, and aged out
/// with the spans.
#[tokio::test]
async fn route_rollups_follow_the_spans_they_summarize() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("spans.db");
    let store = SpanStore::open(&path).await.expect("open");
    let minute = 60_000u64;
    // Minute 0: 10 requests of 10..19 ms over two batches (the second
    // repeating one of the first's); minute 2: 5 requests of 100 ms.
    let first: Vec<Span> = (1..=6u8)
        .map(|i| span(i, 1, None, 1_000, 9 + u64::from(i)))
        .collect();
    let second: Vec<Span> = (6..=10u8)
        .map(|i| span(i, 1, None, 2_000, 9 + u64::from(i)))
        .collect();
    let later: Vec<Span> = (11..=15u8)
        .map(|i| span(i, 1, None, 2 * minute + 1_000, 100))
        .collect();
    store.insert(prod(&first), 1).await.expect("insert");
    let stored = store.insert(prod(&second), 2).await.expect("insert");
    assert_eq!(stored.duplicates, 1);
    store.insert(prod(&later), 3).await.expect("insert");
    let stats = |store: SpanStore, from_ms: u64, to_ms: u64| async move {
        store
            .route_stats("prod", from_ms * 1_000_000, to_ms * 1_000_000)
            .await
            .expect("stats")
            .finish(60.0)
    };
    let first_minute = stats(store.clone(), 0, minute).await;
    assert_eq!(first_minute[0].requests, 10, "the repeat is not counted");
    assert!(
        (first_minute[0].p50_ms - 14.0).abs() <= 1.0,
        "{}",
        first_minute[0].p50_ms
    );
    assert_eq!(stats(store.clone(), 0, 3 * minute).await[0].requests, 15);

    // Retention takes minute 0's spans and their rollups.
    store
        .apply_retention(2 * minute * 1_000_000, u64::MAX)
        .await
        .expect("retention");
    let left = stats(store.clone(), 0, 3 * minute).await;
    assert_eq!(left[0].requests, 5);
    assert!((left[0].p50_ms - 100.0).abs() <= 1.0, "{}", left[0].p50_ms);
}

/// A trace whose spans arrive over several batches: read back whole, in
/// arrival order, listed once with its entry span, and a child that came
/// before its parent stops counting as an orphan when the parent arrives.
#[tokio::test]
async fn a_trace_over_several_batches_is_one_trace_and_late_parents_resolve_orphans() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SpanStore::open(&dir.path().join("spans.db"))
        .await
        .expect("open");
    let child = span(1, 2, Some(1), 1_010, 20);
    let grandchild = span(1, 3, Some(2), 1_015, 5);
    let root = span(1, 1, None, 1_000, 50);
    let elsewhere = span(2, 1, Some(7), 1_000, 5);
    store
        .insert(prod(&[child.clone(), elsewhere]), 1)
        .await
        .expect("insert");
    let to = 10_000 * 1_000_000 + crate::SETTLE_NS;
    let before = store.window("prod", 0, to).await.expect("window");
    assert_eq!((before.settled_spans, before.orphans), (2, 2));
    store
        .insert(prod(std::slice::from_ref(&grandchild)), 2)
        .await
        .expect("insert");
    store
        .insert(prod(std::slice::from_ref(&root)), 3)
        .await
        .expect("insert");
    let after = store.window("prod", 0, to).await.expect("window");
    assert_eq!(
        (after.settled_spans, after.orphans),
        (4, 1),
        "only trace 2's span, whose parent never came, is an orphan"
    );
    assert_eq!(
        store.trace(TraceId([1; 16])).await.expect("read"),
        vec![child, grandchild, root]
    );
    let listed = store
        .traces(
            "prod",
            0,
            u64::MAX,
            &readyroom_core::traces::TraceFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .expect("list")
        .lines;
    let one = listed
        .iter()
        .find(|t| t.trace_id == TraceId([1; 16]))
        .expect("trace 1");
    assert_eq!(one.spans, Some(3));
    assert_eq!(one.root_name.as_deref(), Some("span 1"));
    assert_eq!(one.duration_ns, 50 * 1_000_000);
    assert_eq!(listed.len(), 2);
}

/// Upstream attempts and the traces of failed ones, counted as stored.
#[tokio::test]
async fn upstream_attempts_and_failures_are_counted_by_host_and_gen_ai() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SpanStore::open(&dir.path().join("spans.db"))
        .await
        .expect("open");
    let call = |trace: u8, host: &str, failed: bool, llm: bool| {
        let mut s = span(trace, 2, Some(1), 1_000 + u64::from(trace), 10);
        s.kind = SpanKind::Client;
        s.attributes = Attributes(vec![("server.address".into(), Value::String(host.into()))]);
        if llm {
            s.attributes
                .0
                .push(("gen_ai.system".into(), Value::String("openai".into())));
        }
        if failed {
            s.status = StatusCode::Error;
        }
        s
    };
    let spans = [
        call(1, "API.Payments.example", true, false),
        call(2, "api.payments.example", false, false),
        call(3, "llm.internal", true, true),
        call(4, "db.internal", true, false),
    ];
    store.insert(prod(&spans), 1).await.expect("insert");
    let hosts = vec!["api.payments.example".to_string()];
    let to = 60_000 * 1_000_000;
    assert_eq!(
        store
            .upstream_attempts("prod", 0, to, &hosts)
            .await
            .expect("attempts"),
        3,
        "two to the named host (any case) and one gen_ai call"
    );
    let failed = store
        .traces_with_failed_upstream("prod", 0, to, &hosts, 10)
        .await
        .expect("failed");
    assert_eq!(failed, vec![TraceId([3; 16]), TraceId([1; 16])]);
}

/// A store from before trace parts (a row of JSON per span) is moved into
/// parts when opened: spans, counts and rollups as if stored now, nothing
/// counted twice, a row that does not read back left out, the old table
/// gone.
#[tokio::test]
async fn a_store_of_span_rows_is_moved_into_trace_parts_when_opened() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("spans.db");
    let mut spans = [span(1, 1, None, 1_000, 40), span(1, 2, Some(1), 1_010, 20)];
    spans[1].kind = SpanKind::Client;
    {
        let pool = crate::open_database(&path, &crate::migrations::SPANS[..3])
            .await
            .expect("open the old schema");
        let rows = spans
            .iter()
            .map(|s| serde_json::to_string(s).expect("json"))
            .chain(["{not json".to_string()]);
        for (i, json) in rows.enumerate() {
            sqlx::query(
                "INSERT INTO spans (trace_id, span_id, environment, service, name, route, kind, \
                 status, failed, start_ns, duration_ns, received_ns, span) \
                 VALUES (?, ?, 'prod', 'api', 'x', '/things', ?, 0, 0, ?, ?, 7, ?)",
            )
            .bind(&[1u8; 16][..])
            .bind(&[u8::try_from(i + 1).expect("small"); 8][..])
            .bind(if i == 0 { 2 } else { 1 })
            .bind(1_000_000_000i64)
            .bind(40_000_000i64)
            .bind(json)
            .execute(&pool)
            .await
            .expect("old row");
        }
        // The old schema's rollup of the one request.
        sqlx::query("INSERT INTO route_minutes VALUES ('prod', 0, 'api', '/things', 1, 0, x'')")
            .execute(&pool)
            .await
            .expect("old rollup");
        pool.close().await;
    }
    let store = SpanStore::open(&path).await.expect("open and move");
    assert_eq!(store.trace(TraceId([1; 16])).await.expect("read"), spans);
    assert_eq!(store.count(Some("prod")).await.expect("count"), 2);
    let stats = store
        .route_stats("prod", 0, 60_000 * 1_000_000)
        .await
        .expect("stats")
        .finish(60.0);
    assert_eq!(stats[0].requests, 1, "the request counted once");
    let left: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'spans'",
    )
    .fetch_one(store.pool())
    .await
    .expect("tables");
    assert_eq!(left, 0);
    drop(store);
    // Opening again moves nothing more.
    let store = SpanStore::open(&path).await.expect("reopen");
    assert_eq!(store.count(Some("prod")).await.expect("count"), 2);
}

/// Batches written as one group (as batches queued together are): each
/// is told what it stored, a span in two batches of the group is kept
/// once (the earlier batch's copy), and a parent in a later batch
/// resolves an earlier batch's orphan.
#[tokio::test]
async fn batches_written_as_one_group_count_and_link_as_if_written_in_turn() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SpanStore::open(&dir.path().join("spans.db"))
        .await
        .expect("open");
    let a = [span(1, 2, Some(1), 1_010, 20), span(2, 1, None, 1_000, 5)];
    let b = [span(1, 1, None, 1_000, 50), span(1, 2, Some(1), 1_010, 99)];
    let c = [span(3, 1, None, 1_000, 5)];
    let mut group = vec![
        Prepared::new(prod(&a), 1).expect("prepare"),
        Prepared::new(prod(&b), 2).expect("prepare"),
        Prepared::new(prod(&c), 3).expect("prepare"),
    ];
    let stored = store
        .write_batches(&mut None, &mut group)
        .await
        .expect("group");
    let counts = |inserted, duplicates| Stored {
        inserted,
        duplicates,
    };
    assert_eq!(stored, vec![counts(2, 0), counts(1, 1), counts(1, 0)]);
    assert_eq!(
        store.trace(TraceId([1; 16])).await.expect("read"),
        vec![a[0].clone(), b[0].clone()],
        "the first copy of span 2 is kept"
    );
    let to = 10_000 * 1_000_000 + crate::SETTLE_NS;
    let window = store.window("prod", 0, to).await.expect("window");
    assert_eq!((window.settled_spans, window.orphans), (4, 0));
    let routes = store
        .route_stats("prod", 0, to)
        .await
        .expect("stats")
        .finish(60.0);
    assert_eq!(routes[0].requests, 4, "the repeat is not counted");
}

/// Many batches at once, from several tasks (queued, written in groups):
/// every span stored once, each batch told its own counts, whichever
/// order the groups went in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_batches_are_each_stored_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SpanStore::open(&dir.path().join("spans.db"))
        .await
        .expect("open");
    // Batch t: trace t's spans 1..=50, and a copy of trace t-1's span 1.
    let tasks: Vec<_> = (1..=40u8)
        .map(|t| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut spans: Vec<Span> = (1..=50u8)
                    .map(|i| span(t, i, (i > 1).then_some(1), 1_000, 5))
                    .collect();
                if t > 1 {
                    spans.push(span(t - 1, 1, None, 1_000, 5));
                }
                store.insert(prod(&spans), u64::from(t)).await
            })
        })
        .collect();
    let mut inserted = 0;
    let mut duplicates = 0;
    for task in tasks {
        let stored = task.await.expect("task").expect("insert");
        inserted += stored.inserted;
        duplicates += stored.duplicates;
    }
    assert_eq!(inserted, 40 * 50, "each distinct span once");
    assert_eq!(
        duplicates, 39,
        "each copy counted once, in whichever batch came second"
    );
    assert_eq!(store.count(Some("prod")).await.expect("count"), 40 * 50);
    let window = store
        .window("prod", 0, 10_000 * 1_000_000 + crate::SETTLE_NS)
        .await
        .expect("window");
    assert_eq!((window.settled_spans, window.orphans), (40 * 50, 0));
}

/// A group that cannot be written fails every batch in it, stores none of
/// them, and leaves the writer ready for the next batches.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_that_fails_fails_each_batch_and_the_next_are_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SpanStore::open(&dir.path().join("spans.db"))
        .await
        .expect("open");
    poison(&store, "span_minutes").await;
    let send = |store: SpanStore, t: u8| {
        tokio::spawn(async move {
            let spans: Vec<Span> = (1..=20u8).map(|i| span(t, i, None, 1_000, 5)).collect();
            store.insert(prod(&spans), 1).await
        })
    };
    let tasks: Vec<_> = (1..=10u8).map(|t| send(store.clone(), t)).collect();
    for task in tasks {
        let err = task.await.expect("task").expect_err("the batch fails");
        assert!(err.to_string().contains("disk full (simulated)"), "{err}");
    }
    assert_eq!(store.count(Some("prod")).await.expect("count"), 0);
    sqlx::query("DROP TRIGGER poisoned")
        .execute(store.pool())
        .await
        .expect("cure");
    let stored = send(store.clone(), 11)
        .await
        .expect("task")
        .expect("stored");
    assert_eq!(stored.inserted, 20);
    assert_eq!(store.count(Some("prod")).await.expect("count"), 20);
}

/// The rollup tables' stored rows are found by primary key, one lookup per
/// key a batch touches, never by scanning the table (which grows with
/// every minute kept).
#[tokio::test]
async fn rollup_rows_are_looked_up_by_primary_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SpanStore::open(&dir.path().join("spans.db"))
        .await
        .expect("open");
    for table in [&ROUTE_MINUTES, &DB_MINUTES] {
        let plan = explain(&store, &table.select(1)).await;
        assert!(
            plan.iter().any(|line| line.contains("USING PRIMARY KEY")),
            "{plan:?}"
        );
        assert!(
            !plan.iter().any(|line| line.starts_with("SCAN t")),
            "{plan:?}"
        );
    }
}

async fn explain(store: &SpanStore, sql: &str) -> Vec<String> {
    use sqlx::Row;
    sqlx::query(&format!("EXPLAIN QUERY PLAN {sql}"))
        .bind("[]")
        .fetch_all(store.pool())
        .await
        .expect("explain")
        .iter()
        .map(|row| row.get::<String, _>(3))
        .collect()
}

/// A window longer than one read slice (an hour) adds up every slice's
/// requests and percentiles, whichever slice a minute fell in.
#[tokio::test]
async fn route_statistics_over_several_hours_add_up_every_slice() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SpanStore::open(&dir.path().join("spans.db"))
        .await
        .expect("open");
    let minute = 60_000u64;
    // 30 requests of 10 ms in the first hour, 30 of 20 ms in the second,
    // 40 of 1,000 ms in the third.
    let spans: Vec<Span> = (0..100u8)
        .map(|i| {
            let (at, ms) = match i {
                0..30 => (u64::from(i) * minute, 10),
                30..60 => (61 * minute + u64::from(i) * minute, 20),
                _ => (125 * minute + u64::from(i) * 100, 1_000),
            };
            span(i, 1, None, at, ms)
        })
        .collect();
    store.insert(prod(&spans), 1).await.expect("insert");
    let routes = store
        .route_stats("prod", 0, 4 * 60 * minute * 1_000_000)
        .await
        .expect("stats")
        .finish(4.0 * 3_600.0);
    assert_eq!(routes.len(), 1);
    assert_eq!(routes[0].requests, 100);
    assert!(
        (routes[0].p50_ms - 20.0).abs() <= 0.5,
        "{}",
        routes[0].p50_ms
    );
    assert!(
        (routes[0].p95_ms - 1_000.0).abs() <= 5.0,
        "{}",
        routes[0].p95_ms
    );
    let first_hour = store
        .route_stats("prod", 0, 60 * minute * 1_000_000)
        .await
        .expect("stats")
        .finish(3_600.0);
    assert_eq!(first_hour[0].requests, 30);
}

/// The trace index (one row per trace, kept by triggers) follows its
/// parts: a later part widens the trace and brings an earlier entry;
/// retention removing a part sums the rest again, and the last part
/// takes the row with it.
#[tokio::test]
async fn the_trace_list_follows_parts_arriving_in_pieces_and_leaving_with_retention() {
    use readyroom_core::traces::TraceFilter;
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SpanStore::open(&dir.path().join("spans.db"))
        .await
        .expect("open");
    let list = |store: SpanStore| async move {
        store
            .traces(
                "prod",
                0,
                u64::MAX,
                &TraceFilter {
                    limit: 10,
                    ..TraceFilter::default()
                },
            )
            .await
            .expect("list")
            .lines
    };
    // First a child (its parent not yet here, an orphan) with an error...
    let mut child = span(1, 2, Some(1), 5_000, 100);
    child.status = StatusCode::Error;
    store.insert(prod(&[child]), 1).await.expect("insert");
    let one = list(store.clone()).await;
    assert_eq!((one[0].spans, one[0].error_spans), (Some(1), Some(1)));
    assert_eq!(one[0].root_name, None, "no entry span yet");
    // ...then the root, earlier and longer: the entry, the start, the end.
    let mut root = span(1, 1, None, 4_000, 2_000);
    root.service = "web".into();
    store.insert(prod(&[root]), 2).await.expect("insert");
    let both = list(store.clone()).await;
    assert_eq!(both.len(), 1);
    let t = &both[0];
    assert_eq!((t.spans, t.error_spans), (Some(2), Some(1)));
    assert_eq!(t.start_ns, 4_000 * 1_000_000);
    assert_eq!(t.duration_ns, 2_000 * 1_000_000);
    assert_eq!(
        (t.root_service.as_deref(), t.root_name.as_deref()),
        (Some("web"), Some("span 1"))
    );
    // Retention by age takes the root's part (it started first): the
    // child's part is what is left, and so is what the list says.
    store
        .apply_retention(4_500 * 1_000_000, u64::MAX)
        .await
        .expect("retention");
    let left = list(store.clone()).await;
    assert_eq!(left.len(), 1);
    assert_eq!((left[0].spans, left[0].error_spans), (Some(1), Some(1)));
    assert_eq!(left[0].start_ns, 5_000 * 1_000_000);
    assert_eq!(left[0].root_name, None);
    store
        .apply_retention(6_000 * 1_000_000, u64::MAX)
        .await
        .expect("retention");
    assert!(list(store.clone()).await.is_empty());
}
