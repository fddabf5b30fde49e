//! `readyroom otlp`: what real exporters send is what the store keeps, and
//! hostile input gets a clear status with nothing half-stored.

use std::io::Write;
use std::time::Instant;

use opentelemetry::trace::{
    Span as _, SpanKind, Status, TraceContextExt, Tracer, TracerProvider as _,
};
use opentelemetry::KeyValue;
use opentelemetry_otlp::{Compression, Protocol, SpanExporter, WithExportConfig, WithTonicConfig};
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use readyroom_core::traces::{self as model, TraceId};
use readyroom_store::SpanStore;
use readyroom_tests::serving::{self, Serving};
use readyroom_tests::TestEnv;

/// Starts `readyroom otlp` on free ports (HTTP and gRPC) and returns it
/// with its OTLP/HTTP base URL.
pub(crate) async fn receiver(env: &TestEnv, extra: &[&str]) -> (Serving, String) {
    let mut args = vec!["otlp", "--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0"];
    args.extend(extra);
    let started = serving::start_printing(env, &args, "http").await;
    let base = format!("http://127.0.0.1:{}", started.port);
    (started, base)
}

/// Starts `readyroom otlp` with only gRPC, on a free port, and returns it
/// with its endpoint.
async fn grpc_receiver(env: &TestEnv) -> (Serving, String) {
    let started = serving::start_printing(
        env,
        &["otlp", "--http", "off", "--grpc", "127.0.0.1:0"],
        "grpc",
    )
    .await;
    let endpoint = format!("http://127.0.0.1:{}", started.port);
    (started, endpoint)
}

pub(crate) async fn store(env: &TestEnv) -> SpanStore {
    SpanStore::open(&env.data_dir().join("spans.db"))
        .await
        .expect("the span store opens")
}

/// Spans the SDK made, with the ids it gave them.
pub(crate) struct Sent {
    trace_id: String,
    root_id: String,
    child_id: String,
}

/// How the SDK exports.
#[derive(Clone, Copy)]
pub(crate) enum Transport {
    HttpProtobuf,
    HttpJson,
    /// tonic, gzip-compressed.
    GrpcGzip,
}

/// Exports one trace (a SERVER span with a CLIENT child that fails) with
/// the OpenTelemetry Rust SDK over OTLP/HTTP protobuf.
pub(crate) fn export_with_the_rust_sdk(base: String) -> Sent {
    export_with(Transport::HttpProtobuf, base)
}

/// Exports that trace over `transport` to `endpoint` (an OTLP/HTTP base
/// URL, or the gRPC endpoint). The SDK runs on its own thread, as in an
/// application; gRPC's client needs a Tokio runtime entered there.
pub(crate) fn export_with(transport: Transport, endpoint: String) -> Sent {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let _entered = runtime.enter();
        let exporter = match transport {
            Transport::HttpProtobuf | Transport::HttpJson => SpanExporter::builder()
                .with_http()
                .with_protocol(match transport {
                    Transport::HttpJson => Protocol::HttpJson,
                    _ => Protocol::HttpBinary,
                })
                .with_endpoint(format!("{endpoint}/v1/traces"))
                .build(),
            Transport::GrpcGzip => SpanExporter::builder()
                .with_tonic()
                .with_compression(Compression::Gzip)
                .with_endpoint(endpoint)
                .build(),
        }
        .expect("exporter");
        let provider = SdkTracerProvider::builder()
            .with_resource(
                Resource::builder()
                    .with_service_name("checkout")
                    .with_attribute(KeyValue::new("deployment.environment.name", "prod"))
                    .build(),
            )
            .with_simple_exporter(exporter)
            .build();
        let tracer = provider.tracer("readyroom-tests");
        let root = tracer
            .span_builder("GET /cart/{id}")
            .with_kind(SpanKind::Server)
            .with_attributes([
                KeyValue::new("http.route", "/cart/{id}"),
                KeyValue::new("http.response.status_code", 200i64),
            ])
            .start(&tracer);
        let root_ctx = root.span_context().clone();
        let cx = opentelemetry::Context::current_with_span(root);
        let mut child = tracer
            .span_builder("SELECT carts")
            .with_kind(SpanKind::Client)
            .with_attributes([KeyValue::new("db.system", "postgresql")])
            .start_with_context(&tracer, &cx);
        child.add_event(
            "exception",
            vec![KeyValue::new("exception.type", "Timeout")],
        );
        child.set_status(Status::error("statement timeout"));
        let child_id = child.span_context().span_id().to_string();
        child.end();
        cx.span().end();
        provider.force_flush().expect("flush");
        provider.shutdown().expect("shutdown");
        Sent {
            trace_id: root_ctx.trace_id().to_string(),
            root_id: root_ctx.span_id().to_string(),
            child_id,
        }
    })
    .join()
    .expect("the SDK thread")
}

/// What `sent` exported is exactly what the store keeps.
async fn assert_kept_as_sent(env: &TestEnv, sent: &Sent) {
    let trace_id: TraceId = sent.trace_id.parse().expect("hex trace id");
    let spans = store(env).await.trace(trace_id).await.expect("read");
    assert_eq!(spans.len(), 2, "{spans:#?}");
    let root = spans
        .iter()
        .find(|s| s.span_id.to_string() == sent.root_id)
        .expect("the root span");
    let child = spans
        .iter()
        .find(|s| s.span_id.to_string() == sent.child_id)
        .expect("the child span");
    assert_eq!(root.parent_span_id, None);
    assert_eq!(child.parent_span_id, Some(root.span_id));
    assert_eq!(root.name, "GET /cart/{id}");
    assert_eq!(root.kind, model::SpanKind::Server);
    assert_eq!(root.service, "checkout");
    assert_eq!(root.attributes.str("http.route"), Some("/cart/{id}"));
    assert_eq!(root.attributes.i64("http.response.status_code"), Some(200));
    assert_eq!(
        root.resource.str("deployment.environment.name"),
        Some("prod")
    );
    assert!(root.end_unix_nano >= root.start_unix_nano && root.start_unix_nano > 0);
    assert_eq!(child.kind, model::SpanKind::Client);
    assert_eq!(child.status, model::StatusCode::Error);
    assert_eq!(child.status_message, "statement timeout");
    assert_eq!(child.events[0].name, "exception");
    assert_eq!(
        child.events[0].attributes.str("exception.type"),
        Some("Timeout")
    );
    assert_eq!(
        store(env).await.count(Some("prod")).await.expect("count"),
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn what_the_rust_sdk_sends_over_http_protobuf_and_json_is_what_the_store_keeps() {
    for transport in [Transport::HttpProtobuf, Transport::HttpJson] {
        let env = TestEnv::new();
        let (running, base) = receiver(&env, &[]).await;
        let sent = export_with(transport, base);
        assert_kept_as_sent(&env, &sent).await;
        running.interrupt();
        assert_eq!(running.exited(Instant::now()).await.code, 0);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn what_the_rust_sdk_sends_over_grpc_with_gzip_is_what_the_store_keeps() {
    let env = TestEnv::new();
    let (running, endpoint) = grpc_receiver(&env).await;
    let sent = export_with(Transport::GrpcGzip, endpoint);
    assert_kept_as_sent(&env, &sent).await;
    running.interrupt();
    assert_eq!(running.exited(Instant::now()).await.code, 0);
}

const SPEC_JSON: &str = r#"{"resourceSpans":[{"resource":{"attributes":[
  {"key":"service.name","value":{"stringValue":"web"}}]},
  "scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c",
  "spanId":"eee19b7ec3c1b174","name":"GET /","kind":2,
  "startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000",
  "unknownField":1}]}]}]}"#;

#[tokio::test(flavor = "multi_thread")]
async fn otlp_json_is_received_and_unattributed_spans_are_kept_apart() {
    let env = TestEnv::new();
    let (running, base) = receiver(&env, &[]).await;
    let answer = reqwest::Client::new()
        .post(format!("{base}/v1/traces"))
        .header("content-type", "application/json")
        .body(SPEC_JSON)
        .send()
        .await
        .expect("POST");
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.headers()["content-type"].to_str().ok(),
        Some("application/json")
    );
    let store = store(&env).await;
    assert_eq!(
        store.count(None).await.expect("count"),
        1,
        "no environment named"
    );
    // The CLI says how to place them, rather than only "nothing here". The
    // spec example's span is from 2018: any window will do.
    let config = env.config("[environments.prod]\n");
    let config = config.to_str().expect("utf-8");
    let list = env
        .run(&["--config", config, "traces", "list", "--since", "1d"])
        .await;
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert!(
        list.stdout
            .contains("1 span(s) arrived without an environment")
            && list
                .stdout
                .contains("deployment.environment.name = \"prod\"")
            && list.stdout.contains("[environments.prod.traces.match]"),
        "{}",
        list.stdout
    );
    running.interrupt();
    assert_eq!(running.exited(Instant::now()).await.code, 0);
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("compress");
    encoder.finish().expect("compress")
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_exports_get_a_clear_status_and_nothing_is_stored() {
    let env = TestEnv::new();
    let (running, base) = receiver(&env, &["--max-body-bytes", "1048576"]).await;
    let client = reqwest::Client::new();
    let valid = SPEC_JSON.as_bytes().to_vec();
    let mut truncated_gzip = gzip(&valid);
    truncated_gzip.truncate(truncated_gzip.len() / 2);
    let bomb = gzip(&vec![b' '; 64 * 1024 * 1024]);
    assert!(
        bomb.len() < 1024 * 1024,
        "the bomb itself is under the limit"
    );
    struct Case {
        what: &'static str,
        content_type: &'static str,
        encoding: Option<&'static str>,
        origin: Option<&'static str>,
        body: Vec<u8>,
        want: u16,
    }
    let json = |what, encoding, origin, body, want| Case {
        what,
        content_type: "application/json",
        encoding,
        origin,
        body,
        want,
    };
    let cases = vec![
        Case {
            what: "malformed protobuf",
            content_type: "application/x-protobuf",
            encoding: None,
            origin: None,
            body: vec![0x0a, 0xff, 0xff, 0xff],
            want: 400,
        },
        json(
            "malformed JSON",
            None,
            None,
            b"{\"resourceSpans\":".to_vec(),
            400,
        ),
        json(
            "invalid UTF-8 in JSON",
            None,
            None,
            vec![b'{', 0xff, b'}'],
            400,
        ),
        json("truncated gzip", Some("gzip"), None, truncated_gzip, 400),
        json("gzip bomb", Some("gzip"), None, bomb, 413),
        json(
            "body over the limit",
            None,
            None,
            vec![b' '; 2 * 1024 * 1024],
            413,
        ),
        json("unknown encoding", Some("br"), None, valid.clone(), 415),
        json(
            "a browser origin",
            None,
            Some("https://evil.example"),
            valid.clone(),
            403,
        ),
        Case {
            what: "unknown content type",
            content_type: "text/plain",
            encoding: None,
            origin: None,
            body: valid.clone(),
            want: 415,
        },
    ];
    for Case {
        what,
        content_type,
        encoding,
        origin,
        body,
        want,
    } in cases
    {
        let mut request = client
            .post(format!("{base}/v1/traces"))
            .header("content-type", content_type)
            .body(body);
        if let Some(e) = encoding {
            request = request.header("content-encoding", e);
        }
        if let Some(o) = origin {
            request = request.header("origin", o);
        }
        let answer = request.send().await.expect("POST");
        let status = answer.status().as_u16();
        let text = answer.text().await.unwrap_or_default();
        assert_eq!(status, want, "{what}: {text}");
        assert!(!text.is_empty(), "{what}: the answer says why");
    }
    let store = store(&env).await;
    assert_eq!(
        store.count(None).await.expect("count"),
        0,
        "nothing was stored"
    );
    // The receiver still works afterwards.
    let answer = client
        .post(format!("{base}/v1/traces"))
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(gzip(&valid))
        .send()
        .await
        .expect("POST");
    assert_eq!(answer.status(), 200);
    assert_eq!(store.count(None).await.expect("count"), 1);
    running.interrupt();
    assert_eq!(running.exited(Instant::now()).await.code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_port_already_in_use_is_named_with_what_to_change() {
    let env = TestEnv::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let port = taken.local_addr().expect("addr").port();
    for (flag, other) in [("--http", "--grpc"), ("--grpc", "--http")] {
        let run = env.run(&["otlp", flag, &addr, other, "off"]).await;
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(
            run.stderr
                .contains(&format!("port {port} is already in use"))
                && run.stderr.contains(&format!("{flag} ADDR:PORT")),
            "{flag}: {}",
            run.stderr
        );
    }
    let both_off = env.run(&["otlp", "--http", "off", "--grpc", "off"]).await;
    assert_eq!(both_off.code, 2, "{}", both_off.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn received_spans_score_the_trace_checks() {
    let env = TestEnv::new();
    let config =
        env.config("default_environment = \"prod\"\n[environments.prod]\n[environments.staging]\n");
    let config = config.to_str().expect("utf-8");
    let (running, base) = receiver(&env, &[]).await;
    export_with_the_rust_sdk(base);
    running.interrupt();
    assert_eq!(running.exited(Instant::now()).await.code, 0);

    let run = env.score_json(config).await;
    assert_eq!(run.code, 0, "{}", run.all_output());
    let flowing = run.check("obs.traces_flowing");
    assert_eq!(flowing["outcome"], "pass", "{flowing}");
    assert_eq!(flowing["source"], "spans received by Readyroom (OTLP)");
    // One request, which succeeded (HTTP 200), so no errors.
    let errors = run.check("rel.error_rate");
    assert_eq!(errors["outcome"], "pass", "{errors}");
    assert!(
        errors["measured"]
            .as_str()
            .is_some_and(|m| m.starts_with("0 % (0 of 1 requests failed")),
        "{errors}"
    );
    // The database span failed with an exception event: detailed.
    assert_eq!(run.check("obs.error_detail")["outcome"], "pass");
    // Just received: parents still get time to arrive before orphans count.
    let integrity = run.check("obs.trace_integrity");
    assert_eq!(integrity["outcome"], "unknown", "{integrity}");
    assert!(
        integrity["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("old enough")),
        "{integrity}"
    );
    assert!(run.check("perf.db_p95")["measured"]
        .as_str()
        .is_some_and(|m| m.contains("over 1 database spans")));
    // One request is far from a baseline.
    assert_eq!(run.check("infra.perf_baseline")["outcome"], "fail");

    // Another environment has sent nothing: unknown, saying how to send.
    let staging = env
        .run(&[
            "--config", config, "score", "--env", "staging", "--format", "json",
        ])
        .await;
    let flowing = staging.check("obs.traces_flowing");
    assert_eq!(flowing["outcome"], "unknown", "{flowing}");
    assert!(
        flowing["explanation"]
            .as_str()
            .is_some_and(|e| e.contains("deployment.environment.name")),
        "{flowing}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn traces_show_and_stats_read_what_was_received() {
    let env = TestEnv::new();
    let config = env.config("[environments.prod]\n");
    let config = config.to_str().expect("utf-8");
    let (running, base) = receiver(&env, &[]).await;
    let sent = export_with_the_rust_sdk(base);
    running.interrupt();
    assert_eq!(running.exited(Instant::now()).await.code, 0);

    let shown = env
        .run(&[
            "--config",
            config,
            "traces",
            "show",
            &sent.trace_id,
            "--format",
            "json",
        ])
        .await;
    assert_eq!(shown.code, 0, "{}", shown.all_output());
    let view = shown.json();
    assert_eq!(view["traceId"], sent.trace_id.as_str());
    assert_eq!(view["rootName"], "GET /cart/{id}");
    let spans = view["spans"].as_array().expect("spans");
    assert_eq!(spans.len(), 2);
    assert_eq!(spans[0]["spanId"], sent.root_id.as_str());
    assert_eq!(
        (spans[0]["depth"].as_u64(), spans[1]["depth"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(spans[1]["spanId"], sent.child_id.as_str());
    assert_eq!(spans[1]["error"], true);
    // The whole trace is on the critical path, between the two spans.
    let critical: f64 = spans.iter().filter_map(|s| s["criticalMs"].as_f64()).sum();
    let duration = view["durationMs"].as_f64().expect("duration");
    assert!(
        (critical - duration).abs() < 1e-6,
        "{critical} vs {duration}"
    );

    let table = env
        .run(&["--config", config, "traces", "show", &sent.trace_id])
        .await;
    assert!(
        table.stdout.contains("  SELECT carts ✗"),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("critical path"), "{}", table.stdout);

    let stats = env
        .run(&[
            "--config", config, "traces", "stats", "--since", "1h", "--format", "json",
        ])
        .await;
    assert_eq!(stats.code, 0, "{}", stats.all_output());
    let routes = stats.json()["routes"].as_array().expect("routes").clone();
    assert_eq!(routes.len(), 1, "{routes:?}");
    assert_eq!(routes[0]["route"], "/cart/{id}");
    assert_eq!(routes[0]["requests"], 1);

    let listed = env
        .run(&[
            "--config", config, "traces", "list", "--status", "error", "--format", "json",
        ])
        .await;
    assert_eq!(listed.code, 0, "{}", listed.all_output());
    let traces = listed.json()["traces"].as_array().expect("traces").clone();
    assert_eq!(traces.len(), 1, "{traces:?}");
    assert_eq!(traces[0]["traceId"], sent.trace_id.as_str());
    assert_eq!(traces[0]["route"], "/cart/{id}");
    assert_eq!(
        (
            traces[0]["spans"].as_u64(),
            traces[0]["errorSpans"].as_u64()
        ),
        (Some(2), Some(1))
    );
    let none = env
        .run(&[
            "--config",
            config,
            "traces",
            "list",
            "--status",
            "ok",
            "--min-duration",
            "1ms",
        ])
        .await;
    assert!(none.stdout.contains("No traces"), "{}", none.stdout);

    let bad = env
        .run(&["--config", config, "traces", "show", "not-an-id"])
        .await;
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("is not a trace id"), "{}", bad.stderr);
    let missing = env
        .run(&[
            "--config",
            config,
            "traces",
            "show",
            "0123456789abcdef0123456789abcdef",
        ])
        .await;
    assert_eq!(missing.code, 1, "{}", missing.stderr);
    assert!(
        missing.stderr.contains("no span of trace"),
        "{}",
        missing.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn otlp_json_output_is_taken_back_unchanged_by_a_receiver() {
    let first = TestEnv::new();
    let config = first.config("[environments.prod]\n");
    let (running, base) = receiver(&first, &[]).await;
    let sent = export_with_the_rust_sdk(base);
    running.interrupt();
    assert_eq!(running.exited(Instant::now()).await.code, 0);
    let exported = first
        .run(&[
            "--config",
            config.to_str().expect("utf-8"),
            "traces",
            "show",
            &sent.trace_id,
            "--format",
            "otlp-json",
        ])
        .await;
    assert_eq!(exported.code, 0, "{}", exported.stderr);

    // Another Readyroom takes it as any exporter's OTLP/JSON.
    let second = TestEnv::new();
    let (running, base) = receiver(&second, &[]).await;
    let answer = reqwest::Client::new()
        .post(format!("{base}/v1/traces"))
        .header("content-type", "application/json")
        .body(exported.stdout.trim().to_string())
        .send()
        .await
        .expect("POST");
    assert_eq!(answer.status(), 200);
    running.interrupt();
    assert_eq!(running.exited(Instant::now()).await.code, 0);

    let trace_id: TraceId = sent.trace_id.parse().expect("hex");
    let original = store(&first).await.trace(trace_id).await.expect("read");
    let received = store(&second).await.trace(trace_id).await.expect("read");
    assert_eq!(received, original, "every field survives the round trip");
}

#[tokio::test(flavor = "multi_thread")]
async fn batches_keep_being_stored_while_other_readyrooms_read_the_store() {
    // `serve` holds two span stores on one file (the receiver's and the
    // API's); a second open used to open the file by hand, which drops
    // every POSIX lock the process holds on it, SQLite's included. Another
    // process closing the database beside it then took itself for the
    // last one open and removed the WAL, and every later batch was
    // answered "stored" and lost.
    let env = TestEnv::new();
    let port = readyroom_tests::targets::closed_port();
    let config = env.config(&format!(
        "[settings.otlp]\nhttp = \"127.0.0.1:{port}\"\ngrpc = \"127.0.0.1:{}\"\n[environments.prod]\n",
        readyroom_tests::targets::closed_port()
    ));
    let config = config.to_str().expect("utf8");
    let serve = serving::start(&env, &["--config", config, "serve"]).await;
    let deadline = Instant::now() + std::time::Duration::from_secs(30);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "the receiver listens");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let base = format!("http://127.0.0.1:{port}");
    let mut sent = Vec::new();
    for _ in 0..3 {
        sent.push(export_with_the_rust_sdk(base.clone()));
        // The API's store opens on a read; another process reads beside
        // it and closes the database (SQLite checks on close whether it
        // was the last one open).
        serve
            .rpc("list_traces", serde_json::json!({ "environment": "prod" }))
            .await;
        let reader = store(&env).await;
        reader.count(Some("prod")).await.expect("count");
        reader.close().await;
    }
    serve.interrupt();
    assert_eq!(serve.exited(Instant::now()).await.code, 0);
    let store = store(&env).await;
    for s in &sent {
        let trace_id: TraceId = s.trace_id.parse().expect("hex trace id");
        assert_eq!(
            store.trace(trace_id).await.expect("read").len(),
            2,
            "trace {} was kept",
            s.trace_id
        );
    }
}
