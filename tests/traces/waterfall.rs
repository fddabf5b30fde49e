//! The Traces view's commands through `readyroom serve`'s HTTP API: the
//! receiver says where it listens, a trace sent there comes back as
//! columns in tree order, one span in full, a search over attributes, and
//! the list's filters (attribute, duration range, slowest first).

use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::trace::v1::{span, Span, Status};
use prost::Message;
use readyroom_tests::otlp::{kv, request, string_kv};
use readyroom_tests::serving::{start, Serving};
use readyroom_tests::TestEnv;
use serde_json::{json, Value};

fn span_id(n: u8) -> Vec<u8> {
    vec![n; 8]
}

/// Span `n` of the trace whose id is `trace` repeated, under `parent`,
/// `at_ms` after `t0` for `ms`.
fn span(trace: u8, n: u8, parent: Option<u8>, name: &str, t0: u64, at_ms: u64, ms: u64) -> Span {
    Span {
        trace_id: vec![trace; 16],
        span_id: span_id(n),
        parent_span_id: parent.map(span_id).unwrap_or_default(),
        name: name.into(),
        kind: if parent.is_none() { 2 } else { 3 },
        start_time_unix_nano: t0 + at_ms * 1_000_000,
        end_time_unix_nano: t0 + (at_ms + ms) * 1_000_000,
        ..Default::default()
    }
}

fn now_ns() -> u64 {
    u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos()).expect("after 1970")
}

struct Client {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Client {
    async fn call(&self, cmd: &str, payload: Value) -> (u16, Value) {
        self.post("rpc", cmd, payload).await
    }

    /// `POST /api/PATH` with a command.
    async fn post(&self, path: &str, cmd: &str, payload: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/api/{path}", self.base))
            .header("authorization", format!("Bearer {}", self.token))
            .header("content-type", "application/json")
            .body(json!({ "cmd": cmd, "payload": payload }).to_string())
            .send()
            .await
            .expect("rpc");
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON"))
    }

    async fn ok(&self, cmd: &str, payload: Value) -> Value {
        let (status, body) = self.call(cmd, payload).await;
        assert_eq!(status, 200, "{cmd}: {body}");
        body
    }
}

async fn serve(env: &TestEnv) -> (Serving, Client) {
    // Port 0: the receiver takes free ports and says which.
    let config = env.config(
        "[settings.otlp]\nhttp = \"127.0.0.1:0\"\ngrpc = \"127.0.0.1:0\"\n\n[environments.prod]\n",
    );
    let serving = start(env, &["--config", config.to_str().expect("utf-8"), "serve"]).await;
    let client = Client {
        base: format!("http://127.0.0.1:{}", serving.port),
        token: serving.token.clone(),
        http: reqwest::Client::new(),
    };
    (serving, client)
}

/// Where the receiver listens for OTLP/HTTP, once it does.
async fn receiver(client: &Client) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let status = client.ok("get_receiver_status", json!({})).await;
        if status["state"] == "running" {
            let http = status["listening"]
                .as_array()
                .expect("listening")
                .iter()
                .find(|l| l["protocol"] == "OTLP/HTTP")
                .expect("OTLP/HTTP listens");
            return format!("http://{}", http["address"].as_str().expect("address"));
        }
        assert!(
            Instant::now() < deadline,
            "the receiver did not start: {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The trace's columns once it is stored (the receiver answers before
/// the store has it).
async fn stored_columns(client: &Client, trace_id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = client
            .call("get_trace_columns", json!({ "traceId": trace_id }))
            .await;
        if status == 200 {
            return body;
        }
        assert!(Instant::now() < deadline, "never stored: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn send(endpoint: &str, spans: Vec<Span>, service: &str) {
    let body = request(service, "prod", spans).encode_to_vec();
    let status = reqwest::Client::new()
        .post(format!("{endpoint}/v1/traces"))
        .header("content-type", "application/x-protobuf")
        .body(body)
        .send()
        .await
        .expect("POST")
        .status();
    assert_eq!(status, 200);
}

/// A checkout (trace 1): the root, a failed charge with an exception
/// that overlaps a second charge (so the second alone is on the critical
/// path), and a database call under the second.
fn checkout(t0: u64) -> Vec<Span> {
    let mut failed = span(1, 2, Some(1), "charge", t0, 10, 35);
    failed.status = Some(Status {
        code: 2,
        message: "card declined".into(),
    });
    failed.attributes = vec![string_kv("card.last4", "4242")];
    failed.events = vec![span::Event {
        time_unix_nano: t0 + 25_000_000,
        name: "exception".into(),
        attributes: vec![string_kv(
            "exception.stacktrace",
            "Declined\n  at charge (pay.js:7)",
        )],
        ..Default::default()
    }];
    let mut db = span(1, 4, Some(3), "INSERT charges", t0, 45, 40);
    db.attributes = vec![string_kv("db.system", "postgresql")];
    vec![
        span(1, 1, None, "POST /checkout", t0, 0, 100),
        failed,
        span(1, 3, Some(1), "charge", t0, 40, 50),
        db,
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_received_trace_comes_back_as_columns_a_span_in_full_and_search_hits() {
    let env = TestEnv::new();
    let (serving, client) = serve(&env).await;
    let endpoint = receiver(&client).await;
    let t0 = now_ns() - 10_000_000_000;
    send(&endpoint, checkout(t0), "checkout").await;
    let trace_id = "01".repeat(16);

    // Columns, in tree order: root, failed charge, charge, its INSERT.
    let columns = stored_columns(&client, &trace_id).await;
    assert_eq!(
        columns["spanIds"],
        format!(
            "{}{}{}{}",
            "01".repeat(8),
            "02".repeat(8),
            "03".repeat(8),
            "04".repeat(8)
        )
    );
    assert_eq!(columns["parent"], json!([-1, 0, 0, 2]));
    assert_eq!(columns["depth"], json!([0, 1, 1, 2]));
    assert_eq!(columns["startUs"], json!([0, 10_000, 40_000, 45_000]));
    assert_eq!(
        columns["durationUs"],
        json!([100_000, 35_000, 50_000, 40_000])
    );
    assert_eq!(columns["error"], json!([0, 1, 0, 0]));
    assert_eq!(columns["totalUs"], 100_000);
    // Names once each, in first use; the two charges share one.
    assert_eq!(
        columns["names"],
        json!(["POST /checkout", "charge", "INSERT charges"])
    );
    assert_eq!(columns["name"], json!([0, 1, 1, 2]));
    assert_eq!(columns["services"], json!(["checkout"]));
    // The critical path runs through the second charge and its INSERT,
    // not through the failed charge still running when the second began.
    let critical = columns["criticalUs"].as_array().expect("criticalUs");
    assert_eq!(critical[1], 0);
    assert!(critical[2].as_u64().expect("us") > 0 && critical[3].as_u64().expect("us") > 0);
    assert_eq!(columns["selfUs"][2], 10_000, "charge less its INSERT");

    // One span in full.
    let span = client
        .ok(
            "get_span",
            json!({ "traceId": trace_id, "spanId": "02".repeat(8) }),
        )
        .await;
    assert_eq!(span["status"], "error");
    assert_eq!(span["statusMessage"], "card declined");
    assert_eq!(
        span["attributes"],
        json!([{ "key": "card.last4", "value": "4242" }])
    );
    assert_eq!(span["events"][0]["name"], "exception");
    assert_eq!(span["events"][0]["offsetMs"], 15.0);
    assert!(span["events"][0]["attributes"][0]["value"]
        .as_str()
        .expect("stack")
        .contains("at charge (pay.js:7)"));
    assert!(span["resource"]
        .as_array()
        .expect("resource")
        .contains(&json!({ "key": "service.name", "value": "checkout" })));
    let (status, missing) = client
        .call(
            "get_span",
            json!({ "traceId": trace_id, "spanId": "09".repeat(8) }),
        )
        .await;
    assert_eq!((status, missing["code"].as_str()), (404, Some("notFound")));
    let (status, bad) = client
        .call("get_span", json!({ "traceId": trace_id, "spanId": "xyz" }))
        .await;
    assert_eq!(status, 400, "{bad}");
    assert!(bad["detail"].as_str().expect("detail").contains("span id"));

    // Search: an attribute as key=value, a key, an event's stack trace.
    let hits = |query: &'static str| {
        let client = &client;
        let trace_id = trace_id.clone();
        async move {
            client
                .ok(
                    "search_trace",
                    json!({ "traceId": trace_id, "query": query }),
                )
                .await["spanIds"]
                .as_str()
                .expect("spanIds")
                .to_string()
        }
    };
    assert_eq!(hits("db.system=postgresql").await, "04".repeat(8));
    assert_eq!(hits("CARD.LAST4").await, "02".repeat(8));
    assert_eq!(hits("pay.js").await, "02".repeat(8));
    assert_eq!(
        hits("charge").await,
        format!("{}{}{}", "02".repeat(8), "03".repeat(8), "04".repeat(8))
    );
    assert_eq!(hits("nothing like this").await, "");

    serving.interrupt();
    assert_eq!(serving.exited(Instant::now()).await.code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_list_filters_by_attribute_duration_range_and_window_and_sorts_slowest_first() {
    let env = TestEnv::new();
    let (serving, client) = serve(&env).await;
    let endpoint = receiver(&client).await;
    let t0 = now_ns() - 60_000_000_000;
    // Trace 1: 100 ms with card.last4 on a child; trace 2: 300 ms, newer;
    // trace 3: 30 ms, newest, the attribute on its resource.
    send(&endpoint, checkout(t0), "checkout").await;
    send(
        &endpoint,
        vec![span(2, 1, None, "GET /slow", t0, 1_000, 300)],
        "web",
    )
    .await;
    let mut quick = request(
        "web",
        "prod",
        vec![span(3, 1, None, "GET /quick", t0, 2_000, 30)],
    );
    if let Some(resource) = quick.resource_spans[0].resource.as_mut() {
        resource.attributes.push(kv(
            "card.last4",
            opentelemetry_proto::tonic::common::v1::any_value::Value::StringValue("4242".into()),
        ));
    }
    let status = reqwest::Client::new()
        .post(format!("{endpoint}/v1/traces"))
        .header("content-type", "application/x-protobuf")
        .body(quick.encode_to_vec())
        .send()
        .await
        .expect("POST")
        .status();
    assert_eq!(status, 200);

    let ids = |payload: Value| {
        let client = &client;
        async move {
            let view = client.ok("list_traces", payload).await;
            view["traces"]
                .as_array()
                .expect("traces")
                .iter()
                .map(|t| t["traceId"].as_str().expect("id")[..2].to_string())
                .collect::<Vec<_>>()
        }
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while ids(json!({})).await.len() < 3 {
        assert!(Instant::now() < deadline, "not all stored");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(ids(json!({})).await, ["03", "02", "01"]);
    assert_eq!(ids(json!({ "sort": "duration" })).await, ["02", "01", "03"]);
    assert_eq!(
        ids(json!({ "minDurationMs": 50, "maxDurationMs": 150 })).await,
        ["01"]
    );
    assert_eq!(
        ids(json!({ "attribute": "card.last4=4242" })).await,
        ["03", "01"]
    );
    assert_eq!(
        ids(json!({ "attribute": "card.last4=4242", "sort": "duration" })).await,
        ["01", "03"]
    );
    assert_eq!(
        ids(json!({ "attribute": "card.last4=1111" })).await,
        Vec::<String>::new()
    );
    // An explicit window: only trace 2 starts inside it.
    let at = |offset_ms: u64| {
        let t =
            time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(t0 + offset_ms * 1_000_000))
                .expect("time");
        t.format(&time::format_description::well_known::Rfc3339)
            .expect("rfc3339")
    };
    assert_eq!(
        ids(json!({ "from": at(500), "to": at(1_500) })).await,
        ["02"]
    );
    for (payload, says) in [
        (
            json!({ "from": at(1_500), "to": at(500) }),
            "before its end",
        ),
        (json!({ "from": at(500) }), "both from and to"),
        (json!({ "from": "yesterday", "to": at(500) }), "RFC 3339"),
    ] {
        let (status, problem) = client.call("list_traces", payload).await;
        assert_eq!(status, 400, "{problem}");
        assert!(
            problem["detail"].as_str().expect("detail").contains(says),
            "{problem}"
        );
    }
    let (status, problem) = client
        .call("list_traces", json!({ "attribute": "no equals sign" }))
        .await;
    assert_eq!(status, 400);
    assert!(
        problem["detail"]
            .as_str()
            .expect("detail")
            .contains("key=value"),
        "{problem}"
    );

    serving.interrupt();
    assert_eq!(serving.exited(Instant::now()).await.code, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exported_trace_file_opens_read_only_through_the_upload_route() {
    let env = TestEnv::new();
    let (serving, client) = serve(&env).await;
    let endpoint = receiver(&client).await;
    send(&endpoint, checkout(now_ns() - 10_000_000_000), "checkout").await;
    let trace_id = "01".repeat(16);
    let stored = stored_columns(&client, &trace_id).await;
    let export = client
        .ok("export_trace", json!({ "traceId": trace_id }))
        .await;
    let content = export["otlpJson"].as_str().expect("otlpJson").to_string();

    // Padded past the command limit (256 KiB): only /api/upload takes it.
    let padded = format!("{content}{}", " ".repeat(512 * 1024));
    let payload = json!({ "name": "checkout.json", "content": padded });
    let (status, _) = client.call("open_trace_file", payload.clone()).await;
    assert_eq!(status, 413, "/api/rpc keeps its command-sized limit");
    let (status, refused) = client.post("upload", "get_app_info", json!({})).await;
    assert_eq!(
        status, 400,
        "/api/upload takes only commands carrying a file: {refused}"
    );
    let (status, opened) = client.post("upload", "open_trace_file", payload).await;
    assert_eq!(status, 200, "{opened}");
    assert_eq!(opened["name"], "checkout.json");
    assert_eq!(opened["traces"][0]["traceId"], trace_id);
    assert_eq!(opened["traces"][0]["spans"], 4);
    let file = opened["file"].as_str().expect("handle").to_string();

    // The same trace, read from the file: the same columns, span and search.
    let from_file = client
        .ok(
            "get_trace_columns",
            json!({ "traceId": trace_id, "file": file }),
        )
        .await;
    assert_eq!(from_file, stored);
    let span = client
        .ok(
            "get_span",
            json!({ "traceId": trace_id, "spanId": "02".repeat(8), "file": file }),
        )
        .await;
    assert_eq!(span["statusMessage"], "card declined");
    let hits = client
        .ok(
            "search_trace",
            json!({ "traceId": trace_id, "query": "db.system=postgresql", "file": file }),
        )
        .await;
    assert_eq!(hits["spanIds"], "04".repeat(8));

    // A file that is not a trace, and a handle no longer open, say so.
    let (status, bad) = client
        .post(
            "upload",
            "open_trace_file",
            json!({ "name": "notes.json", "content": "{\"hello\": 1}" }),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        bad["detail"]
            .as_str()
            .expect("detail")
            .starts_with("notes.json"),
        "{bad}"
    );
    let (status, bad) = client
        .post(
            "upload",
            "open_trace_file",
            json!({ "name": "half.json", "content": "{\"resourceSpans\": [" }),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        bad["detail"].as_str().expect("detail").contains("not JSON"),
        "{bad}"
    );
    let (status, gone) = client
        .call(
            "get_trace_columns",
            json!({ "traceId": trace_id, "file": "file-999" }),
        )
        .await;
    assert_eq!(status, 404);
    assert!(gone["detail"]
        .as_str()
        .expect("detail")
        .contains("open it again"));

    serving.interrupt();
    assert_eq!(serving.exited(Instant::now()).await.code, 0);
}
