//! The trace checks and `traces stats` read from an environment's Tempo
//! or Jaeger, through the contract servers of `remote.rs` (Tempo's
//! TraceQL metrics evaluated by `traceql.rs` over the stored spans, as
//! Tempo's documentation defines them).
//!
//! The traces: 40 requests to `api`, one every 3 minutes over the last two
//! hours, alternating `/a` and `/b`, lasting 10, 20 … 400 ms; every tenth
//! failed (status ERROR, HTTP 503), two of those four with an exception
//! event. Each calls the database (5 ms; 200 ms for the two oldest). One
//! trace carries a span whose parent never arrived; one an LLM call that
//! failed with 429 (error.type set) and was retried successfully.

use readyroom_core::traces::{
    unix_nanos, Attributes, Span, SpanEvent, SpanId, SpanKind, StatusCode, TraceId, Value,
};
use readyroom_tests::TestEnv;

use super::remote::{serve_spans, Server, TOKEN};

const MS: u64 = 1_000_000;
const REQUESTS: u64 = 40;

fn text(key: &str, value: &str) -> (String, Value) {
    (key.into(), Value::String(value.into()))
}

fn span(trace: u64, id: u8, parent: Option<u8>, start: u64, ms: u64) -> Span {
    let mut trace_id = [0u8; 16];
    trace_id[8..].copy_from_slice(&(trace + 1).to_be_bytes());
    Span {
        trace_id: TraceId(trace_id),
        span_id: SpanId([0, 0, 0, 0, 0, 0, 1, id]),
        parent_span_id: parent.map(|p| SpanId([0, 0, 0, 0, 0, 0, 1, p])),
        service: "api".into(),
        name: String::new(),
        kind: SpanKind::Internal,
        start_unix_nano: start,
        end_unix_nano: start + ms * MS,
        status: StatusCode::Unset,
        status_message: String::new(),
        attributes: Attributes::default(),
        events: Vec::new(),
        links: Vec::new(),
        resource: Attributes(vec![text("service.name", "api")]).into(),
    }
}

fn traces(now_ns: u64) -> Vec<Span> {
    let mut spans = Vec::new();
    for i in 0..REQUESTS {
        let start = now_ns - (i + 1) * 180_000 * MS;
        let route = if i % 2 == 0 { "/a" } else { "/b" };
        let mut root = span(i, 1, None, start, (i + 1) * 10);
        root.kind = SpanKind::Server;
        root.name = format!("GET {route}");
        root.attributes.0.push(text("http.route", route));
        if i % 10 == 0 {
            root.status = StatusCode::Error;
            root.attributes
                .0
                .push(("http.response.status_code".into(), Value::Int(503)));
            if i < 20 {
                root.events.push(SpanEvent {
                    name: "exception".into(),
                    time_unix_nano: start,
                    attributes: Attributes(vec![text("exception.type", "Timeout")]),
                });
            }
        }
        spans.push(root);
        let mut db = span(i, 2, Some(1), start + MS, if i >= 38 { 200 } else { 5 });
        db.kind = SpanKind::Client;
        db.name = "SELECT things".into();
        db.attributes.0.push(text("db.system", "postgresql"));
        spans.push(db);
        if i == 5 {
            spans.push(span(i, 3, Some(99), start + 2 * MS, 1));
        }
        if i == 7 {
            for (n, failed) in [(4u8, true), (5, false)] {
                let mut call = span(i, n, Some(1), start + u64::from(n) * 10 * MS, 5);
                call.kind = SpanKind::Client;
                call.name = "chat gpt-4o".into();
                call.attributes.0.push(text("gen_ai.system", "openai"));
                call.attributes
                    .0
                    .push(text("gen_ai.operation.name", "chat"));
                if failed {
                    call.status = StatusCode::Error;
                    call.attributes
                        .0
                        .push(("http.response.status_code".into(), Value::Int(429)));
                    call.attributes.0.push(text("error.type", "429"));
                }
                spans.push(call);
            }
        }
    }
    spans
}

async fn scored(server: &Server, traces: &str) -> (TestEnv, readyroom_tests::Run) {
    let mut env = TestEnv::new();
    env.set_env("READYROOM_SECRET_PROD_TRACES_TOKEN", TOKEN);
    let config = env.config(&format!(
        "[environments.prod]\n[environments.prod.traces]\n{traces}\ntoken_secret = \"prod/traces-token\"\n"
    ));
    let run = env
        .run(&[
            "--config",
            config.to_str().expect("utf-8"),
            "score",
            "--env",
            "prod",
            "--format",
            "json",
        ])
        .await;
    assert!(
        !run.all_output().contains(TOKEN),
        "the token leaked: {}",
        run.all_output()
    );
    assert!(server.all_authorized(), "every request carried the token");
    (env, run)
}

/// What every source reads from these traces, however it reads them:
/// each check's outcome, and what its measurement says.
fn assert_the_checks_read_the_traces(run: &readyroom_tests::Run) {
    let expected = [
        ("rel.error_rate", "fail", "10 % (4 of 40 requests failed"),
        // p95 380 ms.
        ("perf.api_p95", "partial", "over 40 server spans"),
        ("perf.db_p95", "pass", "over 40 database spans"),
        ("obs.traces_flowing", "pass", "last span 3 min ago"),
        ("obs.trace_integrity", "partial", "(1 of 83 spans"),
        ("obs.error_detail", "partial", "60 % (3 of 5 ERROR spans"),
        (
            "rel.upstream_absorbed",
            "pass",
            "1 of 1 failed upstream attempts",
        ),
        ("infra.perf_baseline", "fail", "40 server spans"),
    ];
    for (id, outcome, measured) in expected {
        let check = run.check(id);
        assert_eq!(check["outcome"], outcome, "{id}: {check}");
        assert!(
            check["measured"]
                .as_str()
                .is_some_and(|m| m.contains(measured)),
            "{id} should say {measured:?}: {check}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_trace_checks_read_tempo_metrics_from_a_tempo_contract_server() {
    let now = unix_nanos(time::OffsetDateTime::now_utc());
    let server = serve_spans(traces(now), true, None, false).await;
    let tempo = server.url.join("tempo/").expect("url");
    let (_env, run) = scored(&server, &format!("tempo_url = \"{tempo}\"")).await;
    assert_the_checks_read_the_traces(&run);
    let source = run.check("rel.error_rate")["source"].to_string();
    assert!(source.contains(&format!("Tempo at {tempo}")), "{source}");
    assert!(
        source.contains("TraceQL metrics over the window"),
        "{source}"
    );
    // The counts and percentiles were Tempo's, over the whole window.
    let asked = server.traceql();
    for q in [
        "{ kind = server && nestedSetParent < 0 } | count_over_time()",
        "{ kind = server } | quantile_over_time(duration, .95)",
        "{ kind = client && span.db.system != nil } | quantile_over_time(duration, .95)",
    ] {
        assert!(asked.iter().any(|a| a == q), "{q} not in {asked:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn without_tempo_metrics_the_checks_read_a_labelled_sample() {
    let now = unix_nanos(time::OffsetDateTime::now_utc());
    let server = serve_spans(traces(now), false, None, false).await;
    let tempo = server.url.join("tempo/").expect("url");
    let (_env, run) = scored(&server, &format!("tempo_url = \"{tempo}\"")).await;
    assert_the_checks_read_the_traces(&run);
    let source = run.check("perf.api_p95")["source"].to_string();
    assert!(
        source.contains("a sample of the newest 40 traces from Tempo"),
        "{source}"
    );
    assert!(source.contains("TraceQL metrics unavailable"), "{source}");
    assert!(source.contains("not enabled"), "Tempo's reason: {source}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_trace_checks_read_a_sample_from_a_jaeger_contract_server() {
    let now = unix_nanos(time::OffsetDateTime::now_utc());
    let server = serve_spans(traces(now), true, None, false).await;
    let jaeger = server.url.join("jaeger").expect("url");
    let (_env, run) = scored(&server, &format!("jaeger_url = \"{jaeger}\"")).await;
    assert_the_checks_read_the_traces(&run);
    let source = run.check("rel.error_rate")["source"].to_string();
    assert!(source.contains("Jaeger has no aggregate query"), "{source}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_token_leaves_the_trace_checks_unknown_saying_why() {
    let now = unix_nanos(time::OffsetDateTime::now_utc());
    let server = serve_spans(
        traces(now),
        true,
        Some(axum::http::StatusCode::FORBIDDEN),
        false,
    )
    .await;
    let tempo = server.url.join("tempo/").expect("url");
    let (_env, run) = scored(&server, &format!("tempo_url = \"{tempo}\"")).await;
    for id in ["rel.error_rate", "perf.api_p95", "rel.upstream_absorbed"] {
        let check = run.check(id);
        assert_eq!(check["outcome"], "unknown", "{check}");
        let why = check["explanation"].to_string();
        assert!(
            why.contains("HTTP 403") && why.contains("token_secret"),
            "{check}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn traces_stats_reads_tempo_metrics_per_route_and_a_sample_without_them() {
    let now = unix_nanos(time::OffsetDateTime::now_utc());
    for metrics in [true, false] {
        let server = serve_spans(traces(now), metrics, None, false).await;
        let mut env = TestEnv::new();
        env.set_env("READYROOM_SECRET_PROD_TRACES_TOKEN", TOKEN);
        let config = env.config(&format!(
            "[environments.prod.traces]\ntempo_url = \"{}\"\ntoken_secret = \"prod/traces-token\"\n",
            server.url.join("tempo/").expect("url")
        ));
        let config = config.to_str().expect("utf-8");
        let stats_as = |format: &'static str| {
            let env = &env;
            async move {
                env.run(&[
                    "--config", config, "traces", "stats", "--env", "prod", "--since", "3h",
                    "--format", format,
                ])
                .await
            }
        };
        let stats = stats_as("json").await;
        assert_eq!(stats.code, 0, "{}", stats.all_output());
        let view = stats.json();
        let routes = view["routes"].as_array().expect("routes");
        let route = |name: &str| {
            routes
                .iter()
                .find(|r| r["route"] == name)
                .unwrap_or_else(|| panic!("no {name} in {view}"))
        };
        // /a: requests 0, 2, … 38 (10, 30 … 390 ms), failed 0, 10, 20, 30.
        let a = route("/a");
        assert_eq!(
            (a["requests"].as_u64(), a["errors"].as_u64()),
            (Some(20), Some(4))
        );
        let p50 = a["p50Ms"].as_f64().expect("p50");
        assert!((p50 - 190.0).abs() < 1.0, "{a}");
        let b = route("/b");
        assert_eq!(
            (b["requests"].as_u64(), b["errors"].as_u64()),
            (Some(20), Some(0))
        );
        let p99 = b["p99Ms"].as_f64().expect("p99");
        assert!((p99 - 400.0).abs() < 1.0, "{b}");
        let source = view["source"].as_str().unwrap_or_default();
        if metrics {
            assert!(source.ends_with("(TraceQL metrics)"), "{source}");
            let rate = a["requestsPerSecond"].as_f64().expect("a rate");
            assert!((rate - 20.0 / 10_800.0).abs() < 1e-9, "{a}");
        } else {
            assert!(source.contains("rates unknown"), "{source}");
            assert!(a["requestsPerSecond"].is_null(), "{a}");
            let table = stats_as("table").await;
            assert!(
                table.stdout.contains("a sample of the newest 40 traces"),
                "{}",
                table.stdout
            );
        }
        assert!(!stats.all_output().contains(TOKEN));
    }
}
