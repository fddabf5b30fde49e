use proptest::prelude::*;

use super::*;

const TRACE: TraceId = TraceId([7; 16]);

pub(super) fn id(n: u32) -> SpanId {
    let mut bytes = [0u8; 8];
    bytes[4..].copy_from_slice(&(n + 1).to_be_bytes());
    SpanId(bytes)
}

pub(super) fn span(n: u32, parent: Option<u32>, start: u64, end: u64) -> Span {
    Span {
        trace_id: TRACE,
        span_id: id(n),
        parent_span_id: parent.map(id),
        service: format!("svc{}", n % 3),
        name: format!("op{n}"),
        kind: SpanKind::Internal,
        start_unix_nano: start,
        end_unix_nano: end,
        status: StatusCode::Unset,
        status_message: String::new(),
        attributes: Attributes::default(),
        events: Vec::new(),
        links: Vec::new(),
        resource: Default::default(),
    }
}

pub(super) fn index_of(trace: &Trace, n: u32) -> usize {
    trace
        .spans
        .iter()
        .position(|s| s.span_id == id(n))
        .expect("span kept")
}

/// (span, parent) by span id, independent of arrival order.
fn edges(trace: &Trace) -> Vec<(SpanId, Option<SpanId>)> {
    let mut out: Vec<_> = (0..trace.spans.len())
        .map(|i| {
            (
                trace.spans[i].span_id,
                trace.parent[i].map(|p| trace.spans[p].span_id),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn ids_are_lower_case_hex_and_all_zeros_is_invalid() {
    let t: TraceId = "0af7651916cd43dd8448eb211c80319c".parse().expect("valid");
    assert_eq!(t.to_string(), "0af7651916cd43dd8448eb211c80319c");
    let s: SpanId = "B7AD6B7169203331".parse().expect("upper case is accepted");
    assert_eq!(s.to_string(), "b7ad6b7169203331");
    assert_eq!(
        "00000000000000000000000000000000".parse::<TraceId>(),
        Err(IdError::Zero { what: "trace" })
    );
    assert!(matches!(
        "abc".parse::<SpanId>(),
        Err(IdError::Length {
            expected: 16,
            got: 3,
            ..
        })
    ));
    assert_eq!(
        "zz00000000000001".parse::<SpanId>(),
        Err(IdError::NotHex { what: "span" })
    );
    // Multi-byte UTF-8 of the right byte length is not hex either.
    assert!("é0000000000001".parse::<SpanId>().is_err());
    assert_eq!(SpanId::from_bytes(&[0; 8]), None);
    assert_eq!(SpanId::from_bytes(&[1; 7]), None);
    assert_eq!(SpanId::from_bytes(&[1; 8]), Some(SpanId([1; 8])));
    let json = serde_json::to_string(&s).expect("serializes");
    assert_eq!(json, "\"b7ad6b7169203331\"");
    assert_eq!(serde_json::from_str::<SpanId>(&json).expect("parses"), s);
}

#[test]
fn otlp_enum_values_round_trip() {
    for v in 0..=5 {
        assert_eq!(SpanKind::from_otlp(v).to_otlp(), v);
    }
    for v in 0..=2 {
        assert_eq!(StatusCode::from_otlp(v).to_otlp(), v);
    }
    assert_eq!(SpanKind::from_otlp(99), SpanKind::Unspecified);
    assert_eq!(StatusCode::from_otlp(-1), StatusCode::Unset);
}

#[test]
fn a_tree_is_assembled_with_children_in_start_order() {
    let trace = Trace::assemble(vec![
        span(2, Some(0), 50, 90),
        span(1, Some(0), 10, 40),
        span(0, None, 0, 100),
    ])
    .expect("a trace");
    assert!(trace.issues.is_empty(), "{:?}", trace.issues);
    let root = index_of(&trace, 0);
    assert_eq!(trace.roots, vec![root]);
    assert_eq!(
        trace.children[root],
        vec![index_of(&trace, 1), index_of(&trace, 2)]
    );
    let order: Vec<(String, usize)> = trace
        .preorder()
        .into_iter()
        .map(|(i, d)| (trace.spans[i].name.clone(), d))
        .collect();
    assert_eq!(
        order,
        vec![("op0".into(), 0), ("op1".into(), 1), ("op2".into(), 1)]
    );
}

#[test]
fn orphans_become_flagged_roots() {
    let trace =
        Trace::assemble(vec![span(0, None, 0, 100), span(1, Some(9), 10, 20)]).expect("a trace");
    assert_eq!(trace.roots.len(), 2);
    assert_eq!(
        trace.issues,
        vec![Issue::Orphan {
            span_id: id(1),
            missing_parent: id(9)
        }]
    );
}

#[test]
fn duplicate_span_ids_keep_the_first_and_say_how_many_came() {
    let mut second = span(1, Some(0), 10, 20);
    second.name = "later copy".into();
    let trace = Trace::assemble(vec![
        span(0, None, 0, 100),
        span(1, Some(0), 10, 20),
        second.clone(),
        second,
    ])
    .expect("a trace");
    assert_eq!(trace.spans.len(), 2);
    assert_eq!(trace.spans[index_of(&trace, 1)].name, "op1");
    assert_eq!(
        trace.issues,
        vec![Issue::DuplicateSpanId {
            span_id: id(1),
            copies: 3
        }]
    );
}

#[test]
fn cycles_are_broken_at_their_earliest_span_and_flagged() {
    // 1 -> 2 -> 3 -> 1, plus 4 under 2, and a self-parented 5.
    let trace = Trace::assemble(vec![
        span(1, Some(3), 30, 40),
        span(2, Some(1), 10, 90),
        span(3, Some(2), 20, 80),
        span(4, Some(2), 50, 60),
        span(5, Some(5), 0, 5),
    ])
    .expect("a trace");
    let broken: Vec<&Issue> = trace
        .issues
        .iter()
        .filter(|i| matches!(i, Issue::CycleBroken { .. }))
        .collect();
    assert_eq!(
        broken,
        vec![
            &Issue::CycleBroken { span_id: id(5) },
            &Issue::CycleBroken { span_id: id(2) },
        ]
    );
    assert_eq!(trace.parent[index_of(&trace, 2)], None, "2 starts first");
    // Every span is reachable exactly once.
    let mut seen: Vec<usize> = trace.preorder().into_iter().map(|(i, _)| i).collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..trace.spans.len()).collect::<Vec<_>>());
}

#[test]
fn spans_of_another_trace_are_left_out_and_counted() {
    let mut stray = span(1, Some(0), 10, 20);
    stray.trace_id = TraceId([9; 16]);
    let trace = Trace::assemble(vec![span(0, None, 0, 10), stray]).expect("a trace");
    assert_eq!(trace.spans.len(), 1);
    assert_eq!(trace.issues, vec![Issue::OtherTrace { spans: 1 }]);
    assert!(Trace::assemble(Vec::new()).is_none());
}

#[test]
fn a_span_ending_before_it_starts_lasts_nothing_and_is_flagged() {
    let trace = Trace::assemble(vec![span(0, None, 100, 50)]).expect("a trace");
    assert_eq!(
        trace.issues,
        vec![Issue::EndsBeforeStart { span_id: id(0) }]
    );
    assert_eq!(trace.spans[0].duration_nanos(), 0);
    assert_eq!(summarize(&trace).duration_nanos, 0);
    assert!(critical_path(&trace).is_empty());
}

#[test]
fn a_chain_of_a_hundred_thousand_spans_is_handled_without_recursion() {
    let n = 100_000u32;
    let spans = (0..n).map(|i| {
        span(
            i,
            i.checked_sub(1),
            u64::from(i),
            2 * u64::from(n) - u64::from(i),
        )
    });
    let trace = Trace::assemble(spans).expect("a trace");
    assert!(trace.issues.is_empty());
    assert_eq!(trace.preorder().len(), n as usize);
    let path = critical_path(&trace);
    let total: u64 = path.iter().map(Segment::nanos).sum();
    assert_eq!(total, 2 * u64::from(n));
    assert_eq!(self_times(&trace).iter().sum::<u64>(), 2 * u64::from(n));
    // A cycle through all of them is broken once.
    let mut looped: Vec<Span> = (0..n)
        .map(|i| span(i, Some((i + 1) % n), u64::from(i), u64::from(i) + 1))
        .collect();
    looped.reverse();
    let trace = Trace::assemble(looped).expect("a trace");
    assert_eq!(trace.issues, vec![Issue::CycleBroken { span_id: id(0) }]);
    assert_eq!(trace.preorder().len(), n as usize);
}

/// The critical path as (span name, start, end).
fn named_path(trace: &Trace) -> Vec<(String, u64, u64)> {
    critical_path(trace)
        .iter()
        .map(|s| {
            (
                trace.spans[s.span].name.clone(),
                s.start_unix_nano,
                s.end_unix_nano,
            )
        })
        .collect()
}

#[test]
fn the_critical_path_follows_the_last_finishing_child() {
    // Sequential children: the path alternates between root and children.
    let trace = Trace::assemble(vec![
        span(0, None, 0, 100),
        span(1, Some(0), 10, 40),
        span(2, Some(0), 50, 90),
    ])
    .expect("a trace");
    let path = named_path(&trace);
    assert_eq!(
        path,
        vec![
            ("op0".into(), 0, 10),
            ("op1".into(), 10, 40),
            ("op0".into(), 40, 50),
            ("op2".into(), 50, 90),
            ("op0".into(), 90, 100),
        ]
    );

    // Overlapping children: the one finishing last owns its whole span;
    // the other finished meanwhile and is off the path.
    let trace = Trace::assemble(vec![
        span(0, None, 0, 100),
        span(1, Some(0), 0, 80),
        span(2, Some(0), 20, 90),
    ])
    .expect("a trace");
    let names = named_path(&trace);
    assert_eq!(
        names,
        vec![
            ("op0".into(), 0, 20),
            ("op2".into(), 20, 90),
            ("op0".into(), 90, 100),
        ]
    );
    let time = critical_time(&trace, &critical_path(&trace));
    assert_eq!(time[index_of(&trace, 1)], 0);
    assert_eq!(time[index_of(&trace, 2)], 70);
}

#[test]
fn a_child_outlasting_its_parent_is_clipped_into_it() {
    let trace =
        Trace::assemble(vec![span(0, None, 0, 100), span(1, Some(0), 50, 150)]).expect("a trace");
    let path = critical_path(&trace);
    assert_eq!(
        path.iter()
            .map(|s| (s.start_unix_nano, s.end_unix_nano))
            .collect::<Vec<_>>(),
        vec![(0, 50), (50, 100)]
    );
    assert_eq!(self_times(&trace), vec![50, 50]);
}

#[test]
fn self_time_counts_overlapping_children_once() {
    let trace = Trace::assemble(vec![
        span(0, None, 0, 100),
        span(1, Some(0), 10, 40),
        span(2, Some(0), 30, 60),
    ])
    .expect("a trace");
    let times = self_times(&trace);
    assert_eq!(times[index_of(&trace, 0)], 50, "100 less the union 10..60");
    assert_eq!(times[index_of(&trace, 1)], 30);
    assert_eq!(times[index_of(&trace, 2)], 30);
    let by = self_time_by_operation(&trace);
    assert_eq!(by[0].operation, "op0");
    assert_eq!(by[0].self_nanos, 50);
}

#[test]
fn a_summary_names_the_root_and_counts_what_matters() {
    let mut failed = span(2, Some(0), 50, 120);
    failed.status = StatusCode::Error;
    let trace = Trace::assemble(vec![
        span(1, Some(0), 10, 40),
        span(0, None, 5, 100),
        failed,
        span(3, Some(8), 0, 1),
    ])
    .expect("a trace");
    let summary = summarize(&trace);
    assert_eq!(summary.root_name, "op3", "the earliest root");
    assert_eq!(summary.start_unix_nano, 0);
    assert_eq!(summary.duration_nanos, 120);
    assert_eq!(summary.spans, 4);
    assert_eq!(summary.error_spans, 1);
    assert_eq!(summary.services, 3);
    assert_eq!(summary.issues, 1);
}

/// A random tree: span i's parent is one of the spans before it.
fn random_tree() -> impl Strategy<Value = Vec<Span>> {
    (1usize..60)
        .prop_flat_map(|n| {
            (
                proptest::collection::vec(any::<proptest::sample::Index>(), n),
                proptest::collection::vec((0u64..1_000, 0u64..1_000), n),
            )
        })
        .prop_map(|(parents, times)| {
            times
                .iter()
                .enumerate()
                .map(|(i, (start, len))| {
                    let parent = (i > 0).then(|| parents[i].index(i) as u32);
                    span(i as u32, parent, *start, start + len)
                })
                .collect::<Vec<_>>()
        })
}

proptest! {
    #[test]
    fn assembly_does_not_depend_on_arrival_order(
        (spans, shuffled) in random_tree().prop_flat_map(|s| (Just(s.clone()), Just(s).prop_shuffle()))
    ) {
        let a = Trace::assemble(spans).expect("a trace");
        let b = Trace::assemble(shuffled).expect("a trace");
        prop_assert_eq!(edges(&a), edges(&b));
        prop_assert!(a.issues.is_empty());
        prop_assert_eq!(a.preorder().len(), a.spans.len());
    }

    #[test]
    fn the_critical_path_tiles_its_root_without_gaps_or_overlaps(spans in random_tree()) {
        let trace = Trace::assemble(spans).expect("a trace");
        let bounds = trace.clipped_bounds();
        let path = critical_path(&trace);
        let root = trace.roots[0];
        let (start, end) = bounds[root];
        let mut at = start;
        for segment in &path {
            prop_assert_eq!(segment.start_unix_nano, at, "contiguous");
            prop_assert!(segment.end_unix_nano > segment.start_unix_nano);
            let (s, e) = bounds[segment.span];
            prop_assert!(s <= segment.start_unix_nano && segment.end_unix_nano <= e, "inside its span");
            at = segment.end_unix_nano;
        }
        prop_assert_eq!(at.max(start), end, "covers the root to its end");
    }

    #[test]
    fn self_time_never_exceeds_a_spans_duration(spans in random_tree()) {
        let trace = Trace::assemble(spans).expect("a trace");
        let bounds = trace.clipped_bounds();
        for (i, t) in self_times(&trace).into_iter().enumerate() {
            prop_assert!(t <= bounds[i].1 - bounds[i].0);
        }
    }
}

fn request(service: &str, route: Option<&str>, name: &str, millis: u64) -> Span {
    let mut s = span(0, None, 0, millis * 1_000_000);
    s.kind = SpanKind::Server;
    s.service = service.into();
    s.name = name.into();
    if let Some(r) = route {
        s.attributes
            .0
            .push(("http.route".into(), Value::String(r.into())));
    }
    s
}

#[test]
fn route_statistics_come_from_server_spans_with_percentiles_and_errors() {
    let mut agg = RouteAggregator::default();
    // 1..=100 ms on one route: p50 ~ 50, p95 ~ 95, p99 ~ 99.
    for ms in 1..=100 {
        let mut s = request("api", Some("/v1/things/{id}"), "GET /v1/things/42", ms);
        if ms % 25 == 0 {
            s.attributes
                .0
                .push(("http.response.status_code".into(), Value::Int(503)));
        }
        agg.add(&s);
    }
    // No route attribute: the span's name is the route. A 404 and an
    // ERROR status: only the latter is a failed request.
    let mut not_found = request("api", None, "GET /health", 3);
    not_found
        .attributes
        .0
        .push(("http.status_code".into(), Value::String("404".into())));
    agg.add(&not_found);
    let mut failed = request("api", None, "GET /health", 5);
    failed.status = StatusCode::Error;
    agg.add(&failed);
    // Client spans are not requests.
    let mut client = request("api", Some("/v1/things/{id}"), "SELECT", 1_000);
    client.kind = SpanKind::Client;
    agg.add(&client);

    let stats = agg.finish(10.0);
    assert_eq!(stats.len(), 2);
    let things = &stats[0];
    assert_eq!(
        (things.service.as_str(), things.route.as_str()),
        ("api", "/v1/things/{id}")
    );
    assert_eq!(things.requests, 100);
    assert_eq!(things.errors, 4);
    assert!((things.error_ratio - 0.04).abs() < 1e-9);
    assert!((things.requests_per_second.expect("a whole window's rate") - 10.0).abs() < 1e-9);
    for (got, want) in [
        (things.p50_ms, 50.0),
        (things.p95_ms, 95.0),
        (things.p99_ms, 99.0),
    ] {
        assert!((got - want).abs() <= want * 0.01, "{got} vs {want}");
    }
    let health = &stats[1];
    assert_eq!(health.route, "GET /health");
    assert_eq!((health.requests, health.errors), (2, 1));
    assert_eq!(agg.overall().requests, 102);
}

#[test]
fn partial_statistics_merge_exactly() {
    let mut a = LatencyStats::default();
    let mut b = LatencyStats::default();
    let mut whole = LatencyStats::default();
    for ms in 1..=1_000u64 {
        let target = if ms % 2 == 0 { &mut a } else { &mut b };
        target.record(ms * 1_000_000, ms % 100 == 0);
        whole.record(ms * 1_000_000, ms % 100 == 0);
    }
    a.merge(&b);
    assert_eq!(a.requests, whole.requests);
    assert_eq!(a.errors, 10);
    assert_eq!(a.quantile_ms(0.95), whole.quantile_ms(0.95));
    assert_eq!(LatencyStats::default().quantile_ms(0.5), None);
}

fn with_resource(pairs: &[(&str, &str)]) -> Span {
    let mut s = span(1, None, 0, 1);
    s.resource = Attributes(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
            .collect(),
    )
    .into();
    s
}

#[test]
fn spans_are_placed_by_match_rules_first_then_their_resource() {
    let shop: std::collections::BTreeMap<String, String> =
        [("service.namespace".to_string(), "shop".to_string())].into();
    let both: std::collections::BTreeMap<String, String> = [
        ("service.namespace".to_string(), "shop".to_string()),
        ("cloud.region".to_string(), "eu".to_string()),
    ]
    .into();
    let none = std::collections::BTreeMap::new();
    let rules = Attribution::new([("shop-prod", &shop), ("eu-shop", &both), ("empty", &none)]);
    // Name order: eu-shop's two attributes both hold here.
    let eu = with_resource(&[("service.namespace", "shop"), ("cloud.region", "eu")]);
    assert_eq!(rules.environment(&eu), Some("eu-shop"));
    // The rule wins over the resource's own name.
    let named = with_resource(&[
        ("service.namespace", "shop"),
        ("deployment.environment.name", "staging"),
    ]);
    assert_eq!(rules.environment(&named), Some("shop-prod"));
    // No rule holds: the resource's name, then the older key.
    let other = with_resource(&[("deployment.environment", "qa")]);
    assert_eq!(rules.environment(&other), Some("qa"));
    // An environment without rules matches nothing by itself.
    assert_eq!(rules.environment(&with_resource(&[])), None);
    assert_eq!(
        Attribution::default().environment(&with_resource(&[("deployment.environment.name", "")])),
        None,
        "an empty name is no name"
    );
}

/// Aggregators over disjoint sets of requests (a store's threads, its
/// time slices) merge into exactly what one aggregator over all of them
/// says, on shared routes and on routes only one of them saw.
#[test]
fn route_aggregators_merge_as_if_they_had_seen_every_request() {
    let mut all = RouteAggregator::default();
    let mut even = RouteAggregator::default();
    let mut odd = RouteAggregator::default();
    for ms in 1..=200u64 {
        let route = if ms % 7 == 0 { "/rare" } else { "/things" };
        let mut s = request("api", Some(route), "GET", ms);
        if ms % 10 == 0 {
            s.status = StatusCode::Error;
        }
        all.add(&s);
        if ms % 2 == 0 { &mut even } else { &mut odd }.add(&s);
    }
    // A route only one side has.
    let lone = request("worker", Some("/jobs"), "POST", 42);
    all.add(&lone);
    odd.add(&lone);
    even.merge(odd);
    assert_eq!(even.finish(60.0), all.finish(60.0));
}

#[test]
fn an_attribute_filter_is_key_equals_value_compared_as_text_on_spans_events_and_resources() {
    let parsed = AttributeMatch::parse(" http.response.status_code =500").expect("parses");
    assert_eq!(
        (parsed.key.as_str(), parsed.value.as_str()),
        ("http.response.status_code", "500")
    );
    // The first `=` splits: a value may hold more.
    assert_eq!(AttributeMatch::parse("q=a=b").expect("parses").value, "a=b");
    for bad in ["no equals", "=value", "  =x"] {
        let err = AttributeMatch::parse(bad).expect_err(bad);
        assert!(err.contains("key=value"), "{err}");
    }

    let mut on_span = span(1, None, 0, 10);
    on_span.attributes = Attributes(vec![("http.response.status_code".into(), Value::Int(500))]);
    let mut on_event = span(2, None, 0, 10);
    on_event.events = vec![SpanEvent {
        time_unix_nano: 5,
        name: "exception".into(),
        attributes: Attributes(vec![(
            "exception.type".into(),
            Value::String("Timeout".into()),
        )]),
    }];
    let mut on_resource = span(3, None, 0, 10);
    on_resource.resource = std::sync::Arc::new(Attributes(vec![(
        "cloud.region".into(),
        Value::String("eu-west-1".into()),
    )]));
    let matches = |text: &str, s: &Span| {
        AttributeMatch::parse(text)
            .expect("parses")
            .any(std::slice::from_ref(s))
    };
    assert!(matches("http.response.status_code=500", &on_span));
    assert!(!matches("http.response.status_code=50", &on_span));
    assert!(matches("exception.type=Timeout", &on_event));
    assert!(matches("cloud.region=eu-west-1", &on_resource));
    assert!(!matches("cloud.region=eu-west-1", &on_span));
}

#[test]
fn values_read_as_an_operator_writes_them() {
    let shown = Value::Map(vec![
        ("ok".into(), Value::Bool(true)),
        (
            "list".into(),
            Value::Array(vec![
                Value::Int(1),
                Value::Double(2.5),
                Value::String("x".into()),
            ]),
        ),
        ("raw".into(), Value::Bytes(vec![0xde, 0xad])),
    ])
    .to_string();
    assert_eq!(shown, "{ok: true, list: [1, 2.5, x], raw: dead}");
}

#[test]
fn a_duration_range_includes_both_ends() {
    let filter = TraceFilter {
        min_duration_ns: 10,
        max_duration_ns: Some(20),
        ..TraceFilter::default()
    };
    assert!(!filter.duration_fits(9));
    assert!(filter.duration_fits(10) && filter.duration_fits(20));
    assert!(!filter.duration_fits(21));
    assert!(TraceFilter::default().duration_fits(u64::MAX));
}
