//! The LLM lens end to end: retried LLM calls (and calls to a configured
//! upstream host) exported by the OpenTelemetry Rust SDK, scored by
//! `rel.upstream_absorbed` and shown collapsed by `traces show`.

use std::time::{Duration, Instant, SystemTime};

use opentelemetry::trace::{
    Span as _, SpanKind, Status, TraceContextExt, Tracer, TracerProvider as _,
};
use opentelemetry::{Array, KeyValue, StringValue, Value};
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use readyroom_tests::TestEnv;

use super::receive::receiver;

/// One attempt: what the upstream answered (0: it timed out).
struct Try {
    status: i64,
    retry_after: Option<&'static str>,
    tokens: Option<(i64, i64)>,
}

const fn answered(status: i64) -> Try {
    Try {
        status,
        retry_after: None,
        tokens: None,
    }
}

/// A request answered `request_status`, whose handler called an upstream
/// with `tries`, 200 ms apart; `host` makes them plain HTTP calls to that
/// host instead of LLM calls. Returns the trace id.
fn request_with_calls(
    tracer: &opentelemetry_sdk::trace::SdkTracer,
    start: SystemTime,
    request_status: i64,
    host: Option<&str>,
    tries: &[Try],
) -> String {
    let mut root = tracer
        .span_builder("POST /api/ai/summarize")
        .with_kind(SpanKind::Server)
        .with_start_time(start)
        .with_attributes([
            KeyValue::new("http.route", "/api/ai/summarize"),
            KeyValue::new("http.response.status_code", request_status),
        ])
        .start(tracer);
    if request_status >= 500 {
        root.set_status(Status::error("upstream gave up"));
    }
    let trace_id = root.span_context().trace_id().to_string();
    let cx = opentelemetry::Context::current_with_span(root);
    let mut at = start + Duration::from_millis(5);
    for t in tries {
        let mut attributes = match host {
            Some(h) => vec![KeyValue::new("server.address", h.to_string())],
            None => vec![
                KeyValue::new("gen_ai.system", "anthropic"),
                KeyValue::new("gen_ai.operation.name", "chat"),
                KeyValue::new("gen_ai.request.model", "sonnet"),
            ],
        };
        if t.status > 0 {
            attributes.push(KeyValue::new("http.response.status_code", t.status));
        } else {
            attributes.push(KeyValue::new("error.type", "timeout"));
        }
        if let Some(seconds) = t.retry_after {
            attributes.push(KeyValue::new(
                "http.response.header.retry-after",
                Value::Array(Array::String(vec![StringValue::from(seconds)])),
            ));
        }
        if let Some((input, output)) = t.tokens {
            attributes.push(KeyValue::new("gen_ai.usage.input_tokens", input));
            attributes.push(KeyValue::new("gen_ai.usage.output_tokens", output));
        }
        let mut attempt = tracer
            .span_builder(if host.is_some() {
                "POST"
            } else {
                "chat sonnet"
            })
            .with_kind(SpanKind::Client)
            .with_start_time(at)
            .with_attributes(attributes)
            .start_with_context(tracer, &cx);
        if t.status == 0 || t.status >= 400 {
            attempt.set_status(Status::error(format!("attempt failed ({})", t.status)));
        }
        at += Duration::from_millis(100);
        attempt.end_with_timestamp(at);
        at += Duration::from_millis(200);
    }
    cx.span().end_with_timestamp(at);
    trace_id
}

/// Three requests: one whose LLM call was rate-limited, then succeeded;
/// one whose call failed twice and took the request down; one whose call
/// to a payments host failed once and succeeded on retry.
fn export_upstream_traces(base: String) -> [String; 3] {
    std::thread::spawn(move || {
        let exporter = SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(format!("{base}/v1/traces"))
            .build()
            .expect("exporter");
        let provider = SdkTracerProvider::builder()
            .with_resource(
                Resource::builder()
                    .with_service_name("api")
                    .with_attribute(KeyValue::new("deployment.environment.name", "prod"))
                    .build(),
            )
            .with_simple_exporter(exporter)
            .build();
        let tracer = provider.tracer("readyroom-tests");
        let start = SystemTime::now() - Duration::from_secs(60);
        let absorbed = request_with_calls(
            &tracer,
            start,
            200,
            None,
            &[
                Try {
                    retry_after: Some("1"),
                    ..answered(429)
                },
                answered(0),
                Try {
                    tokens: Some((120, 40)),
                    ..answered(200)
                },
            ],
        );
        let gave_up = request_with_calls(
            &tracer,
            start + Duration::from_secs(5),
            502,
            None,
            &[answered(503), answered(500)],
        );
        let payments = request_with_calls(
            &tracer,
            start + Duration::from_secs(10),
            200,
            Some("api.payments.test"),
            &[answered(503), answered(200)],
        );
        provider.force_flush().expect("flush");
        provider.shutdown().expect("shutdown");
        [absorbed, gave_up, payments]
    })
    .join()
    .expect("the SDK thread")
}

#[tokio::test(flavor = "multi_thread")]
async fn upstream_calls_are_scored_shown_folded_and_their_traces_compared() {
    let env = TestEnv::new();
    let (running, base) = receiver(&env, &[]).await;
    let [absorbed, gave_up, _] = export_upstream_traces(base);
    running.interrupt();
    assert_eq!(running.exited(Instant::now()).await.code, 0);

    // LLM calls only: 4 failed attempts (429, timeout; 503, 500), of which
    // the first two sat under a request that succeeded.
    let llm_only = env.config("[environments.prod]\n");
    let run = env.score_json(llm_only.to_str().expect("utf-8")).await;
    let check = run.check("rel.upstream_absorbed");
    assert_eq!(check["outcome"], "fail", "{check}");
    assert!(
        check["measured"].as_str().is_some_and(|m| m.starts_with(
            "50 % (2 of 4 failed upstream attempts under a request that succeeded; 3 retries, 1 calls given up"
        )),
        "{check}"
    );
    // The payments host, once configured, is an upstream too: its 503 was
    // absorbed.
    let with_host =
        env.config("[environments.prod.traces]\nupstream_hosts = [\"api.payments.test\"]\n");
    let run = env.score_json(with_host.to_str().expect("utf-8")).await;
    let check = run.check("rel.upstream_absorbed");
    assert!(
        check["measured"]
            .as_str()
            .is_some_and(|m| m.starts_with("60 % (3 of 5 failed upstream attempts")),
        "{check}"
    );

    // `traces show` collapses the retried call into one line.
    let show = env
        .run(&[
            "--config",
            llm_only.to_str().expect("utf-8"),
            "traces",
            "show",
            &absorbed,
        ])
        .await;
    assert_eq!(show.code, 0, "{}", show.stderr);
    assert!(
        show.stdout
            .contains("3 attempts: 429 (Retry-After 1 s) → timeout → ok")
            && show.stdout.contains("120 in / 40 out tokens"),
        "{}",
        show.stdout
    );
    assert_eq!(
        show.stdout.matches("chat sonnet").count(),
        1,
        "the retries are folded into the call: {}",
        show.stdout
    );
    // The call's line stands for the call: first attempt to last (700 ms),
    // and not failed, since the last attempt succeeded.
    let line = show
        .stdout
        .lines()
        .find(|l| l.contains("chat sonnet"))
        .expect("the call's line");
    assert!(line.contains(" 700 ") && !line.contains('✗'), "{line}");
    let json = env
        .run(&[
            "--config",
            llm_only.to_str().expect("utf-8"),
            "traces",
            "show",
            &absorbed,
            "--format",
            "json",
        ])
        .await;
    let view: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let call = &view["upstreamCalls"][0];
    assert_eq!(call["attempts"].as_array().map(Vec::len), Some(3), "{view}");
    assert_eq!(call["attempts"][0]["outcome"]["kind"], "rateLimited");
    assert_eq!(call["attempts"][1]["waitBeforeMs"], 200.0);
    assert_eq!(call["inputTokens"], 120);

    // Compared: the root and two attempts matched, a third only in A.
    let compared = env
        .run(&[
            "--config",
            llm_only.to_str().expect("utf-8"),
            "traces",
            "compare",
            &absorbed,
            &gave_up,
            "--format",
            "json",
        ])
        .await;
    assert_eq!(compared.code, 0, "{}", compared.all_output());
    let view = compared.json();
    assert_eq!(
        (&view["matched"], &view["missing"], &view["extra"]),
        (&3.into(), &1.into(), &0.into()),
        "{view}"
    );
    assert_eq!(view["rows"][0]["deltaMs"], -300.0, "{view}");
    assert_eq!(view["rows"][3]["change"], "missing");
    let table = env
        .run(&[
            "--config",
            llm_only.to_str().expect("utf-8"),
            "traces",
            "compare",
            &absorbed,
            &gave_up,
        ])
        .await;
    assert!(
        table.stdout.contains("B less A: -300 ms")
            && table.stdout.contains("3 matched, 1 only in A, 0 only in B"),
        "{}",
        table.stdout
    );
    // Per service: the three requests of `api` on one row.
    let by_service = env
        .run(&[
            "--config",
            llm_only.to_str().expect("utf-8"),
            "traces",
            "stats",
            "--by",
            "service",
            "--format",
            "json",
        ])
        .await;
    let routes = by_service.json()["routes"].clone();
    assert_eq!(routes.as_array().map(Vec::len), Some(1), "{routes}");
    assert_eq!(
        (
            &routes[0]["service"],
            &routes[0]["route"],
            &routes[0]["requests"]
        ),
        (&"api".into(), &"*".into(), &3.into())
    );
}
