use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
use prost::Message;
use readyroom_core::traces::{SpanKind, StatusCode, Value};

use super::*;

/// The OTLP specification's JSON example shape: hex ids, lowerCamelCase,
/// enums as integers, 64-bit integers as strings, plus a field this
/// version does not know (which must be ignored).
const SPEC_JSON: &str = r#"{
  "resourceSpans": [{
    "resource": { "attributes": [
      { "key": "service.name", "value": { "stringValue": "my.service" } },
      { "key": "deployment.environment.name", "value": { "stringValue": "prod" } }
    ] },
    "scopeSpans": [{
      "scope": { "name": "my.library", "version": "1.0.0" },
      "spans": [{
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": "eee19b7ec3c1b174",
        "parentSpanId": "eee19b7ec3c1b173",
        "name": "I'm a server span",
        "startTimeUnixNano": "1544712660000000000",
        "endTimeUnixNano": 1544712661000000000,
        "kind": 2,
        "attributes": [
          { "key": "my.span.attr", "value": { "intValue": "42" } },
          { "key": "http.route", "value": { "stringValue": "/v1/things" } }
        ],
        "events": [{ "timeUnixNano": "1544712660500000000", "name": "exception",
          "attributes": [{ "key": "exception.type", "value": { "stringValue": "Boom" } }] }],
        "status": { "code": 2, "message": "it broke" },
        "someFutureField": { "nested": true }
      }]
    }]
  }]
}"#;

#[test]
fn otlp_json_as_the_specification_defines_it() {
    let request = decode_request(Encoding::Json, SPEC_JSON.as_bytes()).expect("valid OTLP/JSON");
    let decoded = to_spans(request);
    assert_eq!(decoded.rejected, 0);
    let [span] = decoded.spans.as_slice() else {
        panic!("one span: {:?}", decoded.spans)
    };
    assert_eq!(
        span.trace_id.to_string(),
        "5b8efff798038103d269b633813fc60c"
    );
    assert_eq!(span.span_id.to_string(), "eee19b7ec3c1b174");
    assert_eq!(
        span.parent_span_id.map(|p| p.to_string()).as_deref(),
        Some("eee19b7ec3c1b173")
    );
    assert_eq!(span.service, "my.service");
    assert_eq!(span.kind, SpanKind::Server);
    assert_eq!(span.start_unix_nano, 1_544_712_660_000_000_000);
    assert_eq!(
        span.end_unix_nano, 1_544_712_661_000_000_000,
        "a number works too"
    );
    assert_eq!(span.status, StatusCode::Error);
    assert_eq!(span.status_message, "it broke");
    assert_eq!(span.attributes.get("my.span.attr"), Some(&Value::Int(42)));
    assert_eq!(span.attributes.str("http.route"), Some("/v1/things"));
    assert_eq!(span.events[0].name, "exception");
    assert_eq!(
        span.resource.str("deployment.environment.name"),
        Some("prod")
    );
}

pub(super) fn kv(key: &str, value: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(value) }),
        ..Default::default()
    }
}

pub(super) fn request(spans: Vec<Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(Resource {
                attributes: vec![kv(
                    "service.name",
                    any_value::Value::StringValue("checkout".into()),
                )],
                ..Default::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

pub(super) fn otlp_span(trace: u8, span: u8, parent: Option<u8>) -> Span {
    Span {
        trace_id: vec![trace; 16],
        span_id: vec![span; 8],
        parent_span_id: parent.map(|p| vec![p; 8]).unwrap_or_default(),
        name: format!("span {span}"),
        kind: 3,
        start_time_unix_nano: 1_000,
        end_time_unix_nano: 2_000,
        attributes: vec![kv(
            "db.system",
            any_value::Value::StringValue("postgresql".into()),
        )],
        status: Some(Status {
            code: 1,
            message: String::new(),
        }),
        ..Default::default()
    }
}

#[test]
fn protobuf_round_trips_and_invalid_ids_are_rejected_span_by_span() {
    let mut bad_parent = otlp_span(1, 4, None);
    bad_parent.parent_span_id = vec![1, 2, 3];
    let body = request(vec![
        otlp_span(1, 2, None),
        otlp_span(1, 3, Some(2)),
        otlp_span(0, 5, None), // all-zero trace id
        otlp_span(1, 0, None), // all-zero span id
        bad_parent,
    ])
    .encode_to_vec();
    let decoded = to_spans(decode_request(Encoding::Protobuf, &body).expect("valid protobuf"));
    assert_eq!(decoded.spans.len(), 2);
    assert_eq!(decoded.rejected, 3);
    assert!(
        decoded
            .first_rejection
            .as_deref()
            .is_some_and(|m| m.contains("trace id must be 16 bytes")),
        "{:?}",
        decoded.first_rejection
    );
    let child = &decoded.spans[1];
    assert_eq!(child.service, "checkout");
    assert_eq!(child.kind, SpanKind::Client);
    assert_eq!(child.status, StatusCode::Ok);
    assert_eq!(child.parent_span_id, Some(decoded.spans[0].span_id));
    assert_eq!(child.attributes.str("db.system"), Some("postgresql"));
}

#[test]
fn a_resource_without_a_service_name_is_the_sdks_unknown_service() {
    let mut req = request(vec![otlp_span(1, 2, None)]);
    req.resource_spans[0].resource = None;
    let decoded = to_spans(req);
    assert_eq!(decoded.spans[0].service, UNKNOWN_SERVICE);
}

#[test]
fn malformed_bodies_are_errors_not_empty_requests() {
    // Truncated protobuf: a length-delimited field claiming more bytes than follow.
    let body = request(vec![otlp_span(1, 2, None)]).encode_to_vec();
    assert!(decode_request(Encoding::Protobuf, &body[..body.len() - 3]).is_err());
    // A string field holding invalid UTF-8 (field 1 of Span is bytes, so
    // use the span name, field 5, inside a hand-made message).
    let mut span = otlp_span(1, 2, None);
    span.name = "x".into();
    let mut bytes = request(vec![span]).encode_to_vec();
    let at = bytes
        .iter()
        .rposition(|b| *b == b'x')
        .expect("the name byte");
    bytes[at] = 0xff;
    let err = decode_request(Encoding::Protobuf, &bytes).expect_err("invalid UTF-8");
    assert!(err.to_string().contains("OTLP/protobuf"), "{err}");
    for json in [
        "",
        "{",
        "[]",
        r#"{"resourceSpans": 3}"#,
        r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}"#,
    ] {
        let err = decode_request(Encoding::Json, json.as_bytes()).expect_err(json);
        assert!(err.to_string().contains("OTLP/JSON"), "{err}");
    }
}

#[test]
fn spans_encode_back_to_the_same_spans_through_json_and_protobuf() {
    let decoded = to_spans(decode_request(Encoding::Json, SPEC_JSON.as_bytes()).expect("valid"));
    let mut spans = decoded.spans;
    let mut second = to_spans(request(vec![
        otlp_span(1, 2, None),
        otlp_span(1, 3, Some(2)),
    ]))
    .spans;
    spans.append(&mut second);
    spans[0].attributes.0.push((
        "nested".into(),
        Value::Map(vec![(
            "list".into(),
            Value::Array(vec![Value::Bool(true), Value::Double(1.5)]),
        )]),
    ));
    let json = to_json(&spans);
    let back =
        to_spans(decode_request(Encoding::Json, json.as_bytes()).expect("our JSON is OTLP/JSON"));
    assert_eq!(back.rejected, 0);
    assert_eq!(back.spans, spans);
    let proto = to_request(&spans).encode_to_vec();
    let back = to_spans(decode_request(Encoding::Protobuf, &proto).expect("valid protobuf"));
    assert_eq!(back.spans, spans);
    // Two resources, two groups.
    assert_eq!(to_request(&spans).resource_spans.len(), 2);
}

/// A sink that holds every batch until released, counting batches that
/// reached it.
pub(super) struct HeldSink {
    pub(super) release: tokio::sync::Semaphore,
    pub(super) entered: std::sync::atomic::AtomicUsize,
}

impl SpanSink for HeldSink {
    fn ingest(
        &self,
        spans: Vec<readyroom_core::traces::Span>,
    ) -> crate::BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            self.entered
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let _ = self.release.acquire().await;
            drop(spans);
            Ok(())
        })
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn past_the_exports_in_flight_the_receiver_answers_503_with_retry_after() {
    let sink = std::sync::Arc::new(HeldSink {
        release: tokio::sync::Semaphore::new(0),
        entered: std::sync::atomic::AtomicUsize::new(0),
    });
    let limits = ReceiverLimits {
        max_in_flight: 2,
        ..ReceiverLimits::default()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = http_router(sink.clone(), limits);
    tokio::spawn(serve_http(listener, router, std::future::pending()));
    let body = request(vec![otlp_span(1, 2, None)]).encode_to_vec();
    let post = || {
        reqwest::Client::new()
            .post(format!("http://{addr}/v1/traces"))
            .header("content-type", "application/x-protobuf")
            .body(body.clone())
            .send()
    };
    // Two exports held by the sink fill the receiver.
    let held: Vec<_> = (0..2).map(|_| tokio::spawn(post())).collect();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while sink.entered.load(std::sync::atomic::Ordering::SeqCst) < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "both exports reached the sink"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // A third is refused at once, not queued.
    let busy = tokio::time::timeout(std::time::Duration::from_secs(20), post())
        .await
        .expect("answered without waiting for the held exports")
        .expect("POST");
    assert_eq!(busy.status(), 503);
    assert_eq!(
        busy.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("1")
    );
    // Released, the held exports complete and new ones are taken again.
    sink.release.add_permits(1_000);
    for h in held {
        assert_eq!(h.await.expect("join").expect("POST").status(), 200);
    }
    assert_eq!(post().await.expect("POST").status(), 200);
}
