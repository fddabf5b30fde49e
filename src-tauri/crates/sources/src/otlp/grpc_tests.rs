//! The OTLP/gRPC receiver against tonic's own client and hand-made gRPC
//! frames: what it stores, how it answers hostile messages (nothing
//! reaches the sink), and back-pressure.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::common::v1::any_value;
use prost::Message;
use tonic::codec::CompressionEncoding;
use tonic::Code;
use tonic_types::StatusExt;

use super::tests::{kv, otlp_span, request, HeldSink};
use super::*;

/// Starts the receiver on a free port with a sink that takes every batch
/// at once (`HeldSink` released in advance).
async fn receiver(limits: ReceiverLimits, sink: Arc<HeldSink>) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(serve_grpc(listener, sink, limits, std::future::pending()));
    addr
}

fn open_sink() -> Arc<HeldSink> {
    Arc::new(HeldSink {
        release: tokio::sync::Semaphore::new(1_000_000),
        entered: std::sync::atomic::AtomicUsize::new(0),
    })
}

async fn client(addr: std::net::SocketAddr) -> TraceServiceClient<tonic::transport::Channel> {
    TraceServiceClient::connect(format!("http://{addr}"))
        .await
        .expect("connect")
        .max_encoding_message_size(256 * 1024 * 1024)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gzip_export_is_stored_and_partial_success_counts_rejected_spans() {
    let sink = open_sink();
    let addr = receiver(ReceiverLimits::default(), sink.clone()).await;
    let mut bad = otlp_span(1, 3, None);
    bad.span_id = vec![0; 8];
    let answer = client(addr)
        .await
        .send_compressed(CompressionEncoding::Gzip)
        .export(request(vec![otlp_span(1, 2, None), bad]))
        .await
        .expect("exported")
        .into_inner();
    let partial = answer.partial_success.expect("a partial success");
    assert_eq!(partial.rejected_spans, 1);
    assert!(
        partial.error_message.contains("not all zero"),
        "{}",
        partial.error_message
    );
    assert_eq!(sink.entered.load(Ordering::SeqCst), 1, "one batch stored");
}

/// One gRPC message frame: compressed flag, big-endian length, bytes.
fn frame(compressed: bool, declared_len: u32, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![u8::from(compressed)];
    out.extend_from_slice(&declared_len.to_be_bytes());
    out.extend_from_slice(bytes);
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("compress");
    encoder.finish().expect("compress")
}

/// Posts raw gRPC frames over HTTP/2 and returns the `grpc-status` and
/// `grpc-message` of the answer (in its headers: an error before any
/// message is a trailers-only answer).
async fn raw_export(
    addr: std::net::SocketAddr,
    gzip_encoded: bool,
    body: Vec<u8>,
) -> (Option<i32>, String) {
    let http = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client");
    let mut post = http
        .post(format!(
            "http://{addr}/opentelemetry.proto.collector.trace.v1.TraceService/Export"
        ))
        .header("content-type", "application/grpc")
        .header("te", "trailers");
    if gzip_encoded {
        post = post.header("grpc-encoding", "gzip");
    }
    let answer = tokio::time::timeout(Duration::from_secs(30), post.body(body).send())
        .await
        .expect("answered")
        .expect("POST");
    let header = |name: &str| {
        answer
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    (
        header("grpc-status").and_then(|s| s.parse().ok()),
        header("grpc-message").unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_messages_get_a_non_retryable_status_and_nothing_is_stored() {
    let sink = open_sink();
    let limit = 1024 * 1024;
    let limits = ReceiverLimits {
        max_body_bytes: limit,
        ..ReceiverLimits::default()
    };
    let addr = receiver(limits, sink.clone()).await;
    let valid = request(vec![otlp_span(1, 2, None)]).encode_to_vec();
    let mut truncated = gzip(&valid);
    truncated.truncate(truncated.len() / 2);
    // A span name that is not UTF-8: field 1 (resource_spans) > field 2
    // (scope_spans) > field 2 (spans) > field 5 (name), each length-delimited.
    let span = [&[0x2a, 2][..], &[0xff, 0xfe]].concat();
    let scope = [&[0x12, span.len() as u8][..], &span].concat();
    let resource = [&[0x12, scope.len() as u8][..], &scope].concat();
    let not_utf8 = [&[0x0a, resource.len() as u8][..], &resource].concat();
    let cases: Vec<(&str, bool, Vec<u8>, Code)> = vec![
        (
            "malformed protobuf",
            false,
            frame(false, 4, &[0xff, 0xff, 0xff, 0xff]),
            Code::InvalidArgument,
        ),
        (
            "invalid UTF-8 in a string",
            false,
            frame(false, not_utf8.len() as u32, &not_utf8),
            Code::InvalidArgument,
        ),
        (
            "truncated gzip",
            true,
            frame(true, truncated.len() as u32, &truncated),
            Code::InvalidArgument,
        ),
        (
            "a declared length of 4 GiB",
            false,
            frame(false, u32::MAX, &valid),
            Code::ResourceExhausted,
        ),
    ];
    for (what, gzip_encoded, body, want) in cases {
        let (status, message) = raw_export(addr, gzip_encoded, body).await;
        assert_eq!(status, Some(want as i32), "{what}: {message}");
        assert!(!message.is_empty(), "{what}: a message says why");
    }

    // Through tonic's client: past the limit plain, and a gzip bomb (64
    // MiB of one repeated letter, well under the limit compressed).
    let mut big = otlp_span(1, 2, None);
    big.attributes.push(kv(
        "padding",
        any_value::Value::StringValue("x".repeat(2 * limit)),
    ));
    let plain = client(addr).await.export(request(vec![big])).await;
    let status = plain.expect_err("past the limit");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    let mut bomb = otlp_span(1, 2, None);
    bomb.attributes.push(kv(
        "padding",
        any_value::Value::StringValue("x".repeat(64 * 1024 * 1024)),
    ));
    let started = Instant::now();
    let bombed = client(addr)
        .await
        .send_compressed(CompressionEncoding::Gzip)
        .export(request(vec![bomb]))
        .await;
    let status = bombed.expect_err("a gzip bomb is refused");
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert!(
        status.get_details_retry_info().is_none(),
        "no RetryInfo: the sender must not retry"
    );
    assert!(started.elapsed() < Duration::from_secs(60));

    assert_eq!(
        sink.entered.load(Ordering::SeqCst),
        0,
        "nothing reached the store"
    );
    // The receiver still takes a valid export.
    client(addr)
        .await
        .export(request(vec![otlp_span(1, 2, None)]))
        .await
        .expect("a valid export after all that");
    assert_eq!(sink.entered.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn past_the_exports_in_flight_the_receiver_answers_unavailable_with_retry_info() {
    let sink = Arc::new(HeldSink {
        release: tokio::sync::Semaphore::new(0),
        entered: std::sync::atomic::AtomicUsize::new(0),
    });
    let limits = ReceiverLimits {
        max_in_flight: 2,
        ..ReceiverLimits::default()
    };
    let addr = receiver(limits, sink.clone()).await;
    let export = || async move {
        client(addr)
            .await
            .export(request(vec![otlp_span(1, 2, None)]))
            .await
    };
    let held: Vec<_> = (0..2).map(|_| tokio::spawn(export())).collect();
    let deadline = Instant::now() + Duration::from_secs(20);
    while sink.entered.load(Ordering::SeqCst) < 2 {
        assert!(Instant::now() < deadline, "both exports reached the sink");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let busy = tokio::time::timeout(Duration::from_secs(20), export())
        .await
        .expect("answered without waiting for the held exports")
        .expect_err("refused");
    assert_eq!(busy.code(), Code::Unavailable, "{busy:?}");
    assert_eq!(
        busy.get_details_retry_info().and_then(|r| r.retry_delay),
        Some(Duration::from_secs(1))
    );
    sink.release.add_permits(1_000);
    for h in held {
        h.await.expect("join").expect("the held export completes");
    }
    export().await.expect("taken again once released");
}
