//! The OpenTelemetry Python SDK (from PyPI, installed by `scripts/setup
//! test` into tests/python/.venv) exporting over OTLP/HTTP and OTLP/gRPC:
//! what it sent is exactly what the store keeps and the CLI shows.

use std::path::PathBuf;
use std::time::Instant;

use readyroom_core::traces::{SpanKind, StatusCode, TraceId, Value};
use readyroom_tests::serving;
use readyroom_tests::TestEnv;

use super::receive::store;

/// The venv's Python, or `None` (a skip) where setup has not run, unless
/// READYROOM_REQUIRE_ALL makes that a failure.
fn python() -> Option<PathBuf> {
    let python = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/.venv/bin/python");
    if python.exists() {
        return Some(python);
    }
    assert!(
        std::env::var_os("READYROOM_REQUIRE_ALL").is_none(),
        "no {}: run `scripts/setup test`",
        python.display()
    );
    eprintln!(
        "skipped: no {} (run `scripts/setup test`)",
        python.display()
    );
    None
}

async fn export_with_python(python: &PathBuf, protocol: &str, endpoint: &str) -> serde_json::Value {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/export_trace.py");
    let out = tokio::process::Command::new(python)
        .arg(&script)
        .args([protocol, endpoint])
        .output()
        .await
        .expect("run python");
    assert!(
        out.status.success(),
        "the Python SDK failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the script prints JSON")
}

#[tokio::test(flavor = "multi_thread")]
async fn what_the_python_sdk_sends_over_http_and_grpc_is_what_the_store_keeps() {
    let Some(python) = python() else { return };
    for (protocol, key) in [("http", "http"), ("grpc", "grpc")] {
        let env = TestEnv::new();
        let (http, grpc) = match protocol {
            "http" => ("127.0.0.1:0", "off"),
            _ => ("off", "127.0.0.1:0"),
        };
        let running =
            serving::start_printing(&env, &["otlp", "--http", http, "--grpc", grpc], key).await;
        let endpoint = format!("http://127.0.0.1:{}", running.port);
        let sent = export_with_python(&python, protocol, &endpoint).await;
        running.interrupt();
        assert_eq!(running.exited(Instant::now()).await.code, 0);

        let trace_id: TraceId = sent["traceId"].as_str().expect("id").parse().expect("hex");
        let start = sent["start"].as_u64().expect("start");
        let spans = store(&env).await.trace(trace_id).await.expect("read");
        assert_eq!(spans.len(), 2, "{protocol}: {spans:#?}");
        let by_id = |key: &str| {
            spans
                .iter()
                .find(|s| s.span_id.to_string() == sent[key].as_str().expect("id"))
                .unwrap_or_else(|| panic!("{protocol}: no span {key}"))
        };
        let (root, child) = (by_id("rootId"), by_id("childId"));
        assert_eq!(child.parent_span_id, Some(root.span_id), "{protocol}");
        assert_eq!(root.parent_span_id, None);
        assert_eq!(
            (root.name.as_str(), root.kind, root.service.as_str()),
            ("POST /invoices", SpanKind::Server, "billing-py"),
            "{protocol}"
        );
        assert_eq!(
            (root.start_unix_nano, root.end_unix_nano),
            (start, start + 9_000_000)
        );
        assert_eq!(
            (child.start_unix_nano, child.end_unix_nano),
            (start + 2_000_000, start + 4_000_000)
        );
        assert_eq!(root.attributes.i64("http.response.status_code"), Some(201));
        assert_eq!(root.attributes.get("retry"), Some(&Value::Bool(true)));
        assert_eq!(child.attributes.get("db.rows"), Some(&Value::Double(1.5)));
        assert_eq!(child.kind, SpanKind::Client);
        assert_eq!(
            (child.status, child.status_message.as_str()),
            (StatusCode::Error, "duplicate key")
        );
        let event = &child.events[0];
        assert_eq!(
            (event.name.as_str(), event.time_unix_nano),
            ("exception", start + 3_000_000)
        );
        assert_eq!(
            event.attributes.str("exception.type"),
            Some("UniqueViolation")
        );
        assert_eq!(root.resource.str("service.version"), Some("3.1.4"));
        assert_eq!(
            root.resource.str("telemetry.sdk.language"),
            Some("python"),
            "the SDK's own resource attributes arrive too"
        );

        // The CLI shows the same tree.
        let config = env.config("[environments.prod]\n");
        let shown = env
            .run(&[
                "--config",
                config.to_str().expect("utf-8"),
                "traces",
                "show",
                sent["traceId"].as_str().expect("id"),
                "--format",
                "json",
            ])
            .await;
        let view = shown.json();
        assert_eq!(view["rootService"], "billing-py", "{protocol}");
        assert_eq!(view["durationMs"], 9.0);
        assert_eq!(view["spans"][1]["name"], "INSERT invoices");
        assert_eq!(view["spans"][1]["error"], true);
    }
}
