//! Pool ↔ trace correlation end to end: an application's OpenTelemetry
//! SDK exports requests with `pg-pool.connect` spans to `readyroom serve`,
//! and `get_pool_waits` says which route spent what share of its time
//! waiting for a connection.

use std::time::{Duration, Instant, SystemTime};

use opentelemetry::trace::{Span, SpanKind, TraceContextExt, Tracer, TracerProvider};
use opentelemetry::KeyValue;
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use readyroom_tests::serving;
use readyroom_tests::targets::closed_port;
use readyroom_tests::TestEnv;

/// One request of `total_ms` on `route`, with an acquire span of
/// `wait_ms` (none when 0), ending now.
struct Request {
    method: &'static str,
    route: &'static str,
    total_ms: u64,
    wait_ms: f64,
}

fn export(base: String, requests: Vec<Request>) {
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
                    .with_service_name("acme-api")
                    .with_attribute(KeyValue::new("deployment.environment.name", "prod"))
                    .build(),
            )
            .with_simple_exporter(exporter)
            .build();
        let tracer = provider.tracer("readyroom-tests");
        let end = SystemTime::now() - Duration::from_secs(5);
        for r in requests {
            let start = end - Duration::from_millis(r.total_ms);
            let root = tracer
                .span_builder(format!("{} {}", r.method, r.route))
                .with_kind(SpanKind::Server)
                .with_start_time(start)
                .with_attributes([KeyValue::new("http.route", r.route)])
                .start(&tracer);
            let cx = opentelemetry::Context::current_with_span(root);
            if r.wait_ms > 0.0 {
                let from = start + Duration::from_millis(10);
                let mut acquire = tracer
                    .span_builder("pg-pool.connect")
                    .with_kind(SpanKind::Internal)
                    .with_start_time(from)
                    .start_with_context(&tracer, &cx);
                acquire.end_with_timestamp(from + Duration::from_secs_f64(r.wait_ms / 1_000.0));
            }
            cx.span().end_with_timestamp(end);
        }
        provider.force_flush().expect("flush");
        provider.shutdown().expect("shutdown");
    })
    .join()
    .expect("the SDK thread");
}

#[tokio::test(flavor = "multi_thread")]
async fn each_route_s_share_of_time_waiting_for_a_connection_from_sdk_spans() {
    let env = TestEnv::new();
    let port = closed_port();
    let config = env.config(&format!(
        "[settings.otlp]\nhttp = \"127.0.0.1:{port}\"\ngrpc = \"127.0.0.1:{}\"\n[environments.prod]\n",
        closed_port()
    ));
    let serve = serving::start(&env, &["--config", config.to_str().expect("utf8"), "serve"]).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "the receiver listens");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    export(
        format!("http://127.0.0.1:{port}"),
        vec![
            Request {
                method: "POST",
                route: "/api/campaigns",
                total_ms: 1_000,
                wait_ms: 600.0,
            },
            // Taking a free connection: microseconds, not a wait.
            Request {
                method: "POST",
                route: "/api/campaigns",
                total_ms: 1_000,
                wait_ms: 0.2,
            },
            Request {
                method: "GET",
                route: "/api/contacts",
                total_ms: 500,
                wait_ms: 0.0,
            },
        ],
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let view = loop {
        let view = serve
            .rpc(
                "get_pool_waits",
                serde_json::json!({ "environment": "prod" }),
            )
            .await;
        if view["traces"] == 3 {
            break view;
        }
        assert!(
            Instant::now() < deadline,
            "three traces within 30 s: {view}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(view["spanNames"], serde_json::json!(["pg-pool.connect"]));
    let routes = view["routes"].as_array().expect("routes");
    let campaigns = &routes[0];
    assert_eq!(
        campaigns["route"], "/api/campaigns",
        "the largest share first: {view}"
    );
    assert_eq!(campaigns["requests"], 2);
    assert_eq!(campaigns["waited"], 1, "0.2 ms is not waiting");
    let share = campaigns["sharePct"].as_f64().expect("share");
    assert!(
        (share - 30.01).abs() < 0.01,
        "600.2 ms of 2,000 ms: {share}"
    );
    let contacts = routes
        .iter()
        .find(|r| r["route"] == "/api/contacts")
        .expect("contacts");
    assert_eq!(contacts["sharePct"], 0.0);
    // The route that waited most, minute by minute from the rollups: both
    // of its requests started in one minute and took 1 s.
    let latency = &view["latency"];
    assert_eq!(latency["route"], "/api/campaigns", "{view}");
    let minutes = latency["minutes"].as_array().expect("minutes");
    assert_eq!(minutes.len(), 1, "{latency}");
    assert_eq!(minutes[0]["requests"], 2);
    let p95 = minutes[0]["p95Ms"].as_f64().expect("p95");
    assert!((p95 - 1_000.0).abs() <= 10.0, "{p95}");
    serve.interrupt();
    assert_eq!(serve.exited(Instant::now()).await.code, 0);
}
