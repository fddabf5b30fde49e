//! Size and time: a trace of 100,000 spans through the receiver, spans
//! surviving a restart, and retention removing exactly what it should.

use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use readyroom_tests::targets::closed_port;
use readyroom_tests::TestEnv;
use readyroom_tests::{otlp, serving};

use super::receive::{receiver, store};

/// Span `n` of trace `trace` (a byte repeated), under `parent`, starting
/// at `start_ns` and lasting a millisecond.
fn span(trace: u8, n: u64, parent: Option<u64>, start_ns: u64) -> Span {
    let id = |n: u64| (n + 1).to_be_bytes().to_vec();
    Span {
        trace_id: vec![trace; 16],
        span_id: id(n),
        parent_span_id: parent.map(id).unwrap_or_default(),
        name: if parent.is_none() {
            "GET /batch".into()
        } else {
            format!("step {}", n % 7)
        },
        kind: if parent.is_none() { 2 } else { 1 },
        start_time_unix_nano: start_ns,
        end_time_unix_nano: start_ns + 1_000_000,
        ..Default::default()
    }
}

fn request(spans: Vec<Span>) -> Vec<u8> {
    otlp::request("batch", "prod", spans).encode_to_vec()
}

async fn post(base: &str, body: Vec<u8>) -> u16 {
    reqwest::Client::new()
        .post(format!("{base}/v1/traces"))
        .header("content-type", "application/x-protobuf")
        .body(body)
        .timeout(Duration::from_secs(300))
        .send()
        .await
        .expect("POST")
        .status()
        .as_u16()
}

fn now_ns() -> u64 {
    u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos()).expect("after 1970")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trace_of_a_hundred_thousand_spans_is_received_stored_and_shown() {
    let env = TestEnv::new();
    let (running, base) = receiver(&env, &[]).await;
    // A fan-out: a root with 1,000 children of 99 children each.
    let start = now_ns() - 60_000_000_000;
    let mut spans = vec![span(9, 0, None, start)];
    for n in 1..100_000u64 {
        let parent = if n <= 1_000 { 0 } else { (n - 1_001) / 99 + 1 };
        spans.push(span(9, n, Some(parent), start + n * 1_000));
    }
    let body = request(spans);
    assert!(body.len() < 16 * 1024 * 1024, "within the default limit");
    assert_eq!(post(&base, body).await, 200);
    running.interrupt();
    assert_eq!(running.exited(Instant::now()).await.code, 0);
    assert_eq!(
        store(&env).await.count(Some("prod")).await.expect("count"),
        100_000
    );

    let config = env.config("[environments.prod]\n");
    let trace_id = "09".repeat(16);
    let shown = env
        .run(&[
            "--config",
            config.to_str().expect("utf-8"),
            "traces",
            "show",
            &trace_id,
            "--format",
            "json",
        ])
        .await;
    assert_eq!(shown.code, 0, "{}", shown.stderr);
    let view = shown.json();
    assert_eq!(view["spans"].as_array().map(Vec::len), Some(100_000));
    assert_eq!(
        view["issues"].as_array().map(Vec::len),
        Some(0),
        "{}",
        view["issues"]
    );
    assert_eq!(view["spans"][0]["name"], "GET /batch");
    assert_eq!(view["spans"][1]["depth"], 1);
    assert_eq!(view["spans"][2]["depth"], 2, "children follow their parent");
}

#[tokio::test(flavor = "multi_thread")]
async fn spans_survive_a_restart_and_retention_removes_exactly_the_old_ones() {
    let env = TestEnv::new();
    let now = now_ns();
    let day = 86_400_000_000_000u64;
    // Trace 1 started three days ago; trace 2 an hour ago.
    let old: Vec<Span> = (0..10)
        .map(|n| span(1, n, n.checked_sub(1), now - 3 * day + n))
        .collect();
    let fresh: Vec<Span> = (0..10)
        .map(|n| span(2, n, n.checked_sub(1), now - day / 24 + n))
        .collect();
    let (running, base) = receiver(&env, &[]).await;
    assert_eq!(post(&base, request(old)).await, 200);
    running.interrupt();
    assert_eq!(running.exited(Instant::now()).await.code, 0);
    // Restarted, the receiver adds to what is there.
    let (running, base) = receiver(&env, &[]).await;
    assert_eq!(post(&base, request(fresh)).await, 200);
    running.interrupt();
    assert_eq!(running.exited(Instant::now()).await.code, 0);
    assert_eq!(
        store(&env).await.count(Some("prod")).await.expect("count"),
        20
    );

    // The app's retention (run at start) with a two-day limit.
    let config = env.config(&format!(
        "[settings.spans]\nretention_days = 2\n[settings.otlp]\nhttp = \"127.0.0.1:{}\"\ngrpc = \"127.0.0.1:{}\"\n[environments.prod]\n",
        closed_port(),
        closed_port()
    ));
    let serve = serving::start(
        &env,
        &["--config", config.to_str().expect("utf-8"), "serve"],
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let spans = store(&env).await;
    while spans.count(Some("prod")).await.expect("count") != 10 {
        assert!(Instant::now() < deadline, "retention ran within 60 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    serve.interrupt();
    assert_eq!(serve.exited(Instant::now()).await.code, 0);
    let old_id = "01".repeat(16).parse().expect("hex");
    let fresh_id = "02".repeat(16).parse().expect("hex");
    assert!(
        spans.trace(old_id).await.expect("read").is_empty(),
        "the old trace is gone"
    );
    assert_eq!(
        spans.trace(fresh_id).await.expect("read").len(),
        10,
        "the fresh one whole"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_trace_checks_look_back_as_far_as_the_environment_says() {
    let env = TestEnv::new();
    let hour = 3_600_000_000_000u64;
    // One request, three hours ago.
    let (running, base) = receiver(&env, &[]).await;
    assert_eq!(
        post(&base, request(vec![span(5, 0, None, now_ns() - 3 * hour)])).await,
        200
    );
    running.interrupt();
    assert_eq!(running.exited(Instant::now()).await.code, 0);
    let score = |text: &str| {
        let config = env.config(text);
        let env = &env;
        async move { env.score_json(config.to_str().expect("utf-8")).await }
    };
    let day = score("[environments.prod]\n").await;
    let rate = day.check("rel.error_rate");
    assert_eq!(rate["outcome"], "pass", "{rate}");
    assert!(
        rate["measured"]
            .as_str()
            .is_some_and(|m| m.contains("last 24 h")),
        "{rate}"
    );
    let hour_only = score("[environments.prod.traces]\nwindow_hours = 1\n").await;
    let rate = hour_only.check("rel.error_rate");
    assert_eq!(rate["outcome"], "unknown", "{rate}");
    assert!(
        rate["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("in the last 1 h")),
        "{rate}"
    );
}
