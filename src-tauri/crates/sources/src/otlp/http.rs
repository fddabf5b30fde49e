//! The OTLP/HTTP trace receiver (`POST /v1/traces`), following the OTLP
//! specification's receiver contract:
//! - protobuf (`application/x-protobuf`) or JSON (`application/json`)
//!   bodies, optionally gzip-compressed;
//! - 400 with a message for malformed data, 413 past the body limit, which
//!   applies to the decompressed size too (a gzip bomb is a 413, not an
//!   allocation), 415 for other encodings;
//! - 503 with `Retry-After` when too many exports are in flight or the
//!   store cannot take them now: a bounded number of requests, never an
//!   unbounded queue;
//! - partial success: how many spans were rejected, and the first reason.
//!
//! A web page can POST to loopback, so a request carrying a browser
//! `Origin` is refused unless that origin is allowed.

use std::io::Read;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};
use prost::Message;
use readyroom_core::traces::Span;
use tokio::sync::Semaphore;

use super::decode::{decode_request, to_spans, Encoding};
use crate::BoxFuture;

/// Where received spans go (the span store, in the application).
pub trait SpanSink: Send + Sync {
    /// Stores a batch whole, or fails without storing any of it. The error
    /// is shown to the sender, so it says what failed, not how.
    fn ingest(&self, spans: Vec<Span>) -> BoxFuture<'_, Result<(), String>>;
}

#[derive(Debug, Clone)]
pub struct ReceiverLimits {
    /// Largest body, compressed or not (default 16 MiB).
    pub max_body_bytes: usize,
    /// Exports handled at once; more are answered 503 (default 8).
    pub max_in_flight: usize,
    /// Browser origins allowed to send (default none).
    pub allowed_origins: Vec<String>,
}

impl Default for ReceiverLimits {
    fn default() -> Self {
        ReceiverLimits {
            max_body_bytes: 16 * 1024 * 1024,
            max_in_flight: 8,
            allowed_origins: Vec::new(),
        }
    }
}

/// How long a sender is asked to wait before retrying (both receivers).
pub(super) const RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

#[derive(Clone)]
struct Receiver {
    sink: Arc<dyn SpanSink>,
    limits: Arc<ReceiverLimits>,
    in_flight: Arc<Semaphore>,
}

/// The OTLP/HTTP routes, ready to serve.
pub fn router(sink: Arc<dyn SpanSink>, limits: ReceiverLimits) -> Router {
    let receiver = Receiver {
        sink,
        in_flight: Arc::new(Semaphore::new(limits.max_in_flight.max(1))),
        limits: Arc::new(limits),
    };
    Router::new()
        .route("/v1/traces", post(export))
        // The handler reads the body itself, capped (see `read_capped`).
        .layer(DefaultBodyLimit::disable())
        .with_state(receiver)
}

/// A failure answered as the specification asks: a `google.rpc.Status`
/// (here, its message) in the request's encoding, or text when the
/// encoding is what failed.
fn failure(status: StatusCode, encoding: Option<Encoding>, message: String) -> Response {
    let mut response = match encoding {
        Some(Encoding::Json) => (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::json!({ "code": grpc_code(status), "message": message }).to_string(),
        )
            .into_response(),
        Some(Encoding::Protobuf) => (
            status,
            [(header::CONTENT_TYPE, "application/x-protobuf")],
            rpc_status(grpc_code(status), &message),
        )
            .into_response(),
        None => (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            message,
        )
            .into_response(),
    };
    if matches!(
        status,
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS
    ) {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(RETRY_AFTER.as_secs()),
        );
    }
    response
}

fn grpc_code(status: StatusCode) -> i32 {
    match status {
        StatusCode::BAD_REQUEST | StatusCode::UNSUPPORTED_MEDIA_TYPE => 3, // INVALID_ARGUMENT
        StatusCode::PAYLOAD_TOO_LARGE => 8,                                // RESOURCE_EXHAUSTED
        StatusCode::FORBIDDEN => 7,                                        // PERMISSION_DENIED
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::TOO_MANY_REQUESTS => 14, // UNAVAILABLE
        _ => 2,                                                            // UNKNOWN
    }
}

/// `google.rpc.Status { code = 1; message = 2 }`, encoded by hand: two
/// fields do not warrant another generated type.
fn rpc_status(code: i32, message: &str) -> Vec<u8> {
    #[derive(Clone, PartialEq, prost::Message)]
    struct RpcStatus {
        #[prost(int32, tag = "1")]
        code: i32,
        #[prost(string, tag = "2")]
        message: String,
    }
    RpcStatus {
        code,
        message: message.to_string(),
    }
    .encode_to_vec()
}

fn encoding_of(headers: &HeaderMap) -> Option<Encoding> {
    let content_type = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let essence = content_type.split(';').next()?.trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/x-protobuf" | "application/protobuf" => Some(Encoding::Protobuf),
        "application/json" => Some(Encoding::Json),
        _ => None,
    }
}

/// Inflates a gzip body, stopping one byte past `limit`.
fn gunzip(body: &[u8], limit: usize) -> Result<Vec<u8>, (StatusCode, String)> {
    // OTLP protobuf inflates about 4x; starting there saves regrowing
    // (and copying) the buffer a few times, and a bomb still stops at the
    // limit.
    let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(limit));
    let mut reader = flate2::read::GzDecoder::new(body).take(limit as u64 + 1);
    reader.read_to_end(&mut out).map_err(|e| {
        (
            StatusCode::BAD_REQUEST,
            format!("the gzip body could not be decompressed: {e}"),
        )
    })?;
    if out.len() > limit {
        return Err((
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the decompressed body is larger than the limit of {limit} bytes"),
        ));
    }
    Ok(out)
}

/// Past the limit, up to this much more is read and discarded (for at most
/// `DRAIN_FOR`) before answering 413: closing a connection with unread
/// data resets it, and the sender would see a broken connection instead of
/// the 413 that tells it what is wrong. Nothing drained is kept.
const DRAIN_CAP: usize = 64 * 1024 * 1024;
const DRAIN_FOR: std::time::Duration = std::time::Duration::from_secs(2);

/// Reads a body of at most `limit` bytes, into one buffer sized from the
/// declared length (itself capped: a huge declared length reserves
/// nothing it does not receive), so a 1,000-span batch is copied once, not
/// regrown chunk by chunk. A body that arrives in one chunk is not copied.
async fn read_capped(
    body: Body,
    declared: Option<usize>,
    limit: usize,
) -> Result<Bytes, (StatusCode, String)> {
    use futures::StreamExt;
    let mut stream = body.into_data_stream();
    let mut first: Option<Bytes> = None;
    let mut collected: Vec<u8> = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            (
                StatusCode::BAD_REQUEST,
                format!("the body could not be read: {e}"),
            )
        })?;
        let held = first.as_ref().map_or(collected.len(), Bytes::len);
        if held + chunk.len() > limit {
            let mut drained = 0usize;
            let deadline = tokio::time::sleep(DRAIN_FOR);
            tokio::pin!(deadline);
            while drained < DRAIN_CAP {
                tokio::select! {
                    next = stream.next() => match next {
                        Some(Ok(more)) => drained += more.len(),
                        _ => break,
                    },
                    _ = &mut deadline => break,
                }
            }
            return Err((
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("the body is larger than the limit of {limit} bytes"),
            ));
        }
        match first.take() {
            None if collected.is_empty() => first = Some(chunk),
            earlier => {
                if let Some(earlier) = earlier {
                    let expected = declared
                        .unwrap_or(0)
                        .clamp(earlier.len() + chunk.len(), limit);
                    collected.reserve_exact(expected);
                    collected.extend_from_slice(&earlier);
                }
                collected.extend_from_slice(&chunk);
            }
        }
    }
    Ok(first.unwrap_or_else(|| Bytes::from(collected)))
}

async fn export(State(receiver): State<Receiver>, headers: HeaderMap, body: Body) -> Response {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !receiver.limits.allowed_origins.iter().any(|o| o == origin) {
            return failure(
                StatusCode::FORBIDDEN,
                None,
                format!("requests from the browser origin {origin:?} are refused; allow it in the receiver's settings if it should send traces"),
            );
        }
    }
    let Some(encoding) = encoding_of(&headers) else {
        return failure(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
            "send Content-Type application/x-protobuf or application/json".into(),
        );
    };
    let Ok(_permit) = receiver.in_flight.clone().try_acquire_owned() else {
        return failure(
            StatusCode::SERVICE_UNAVAILABLE,
            Some(encoding),
            "the receiver is busy; retry after the Retry-After delay".into(),
        );
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    let body = match read_capped(body, declared, receiver.limits.max_body_bytes).await {
        Ok(body) => body,
        Err((status, message)) => return failure(status, Some(encoding), message),
    };
    let content_encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase());
    let limit = receiver.limits.max_body_bytes;
    let inflated;
    let raw: &[u8] = match content_encoding.as_deref() {
        None | Some("identity") | Some("") => &body,
        Some("gzip") => {
            // Inflating is CPU work: off the async workers.
            let compressed = body.clone();
            match tokio::task::spawn_blocking(move || gunzip(&compressed, limit)).await {
                Ok(Ok(bytes)) => {
                    inflated = bytes;
                    &inflated
                }
                Ok(Err((status, message))) => return failure(status, Some(encoding), message),
                Err(e) => {
                    return failure(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        Some(encoding),
                        format!("decompressing failed: {e}"),
                    )
                }
            }
        }
        Some(other) => {
            return failure(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Some(encoding),
                format!("Content-Encoding {other:?} is not supported; send gzip or none"),
            )
        }
    };
    let request = match decode_request(encoding, raw) {
        Ok(request) => request,
        Err(e) => return failure(StatusCode::BAD_REQUEST, Some(encoding), e.to_string()),
    };
    let decoded = to_spans(request);
    if !decoded.spans.is_empty() {
        if let Err(why) = receiver.sink.ingest(decoded.spans).await {
            return failure(
                StatusCode::SERVICE_UNAVAILABLE,
                Some(encoding),
                format!("the spans could not be stored now ({why}); retry later"),
            );
        }
    }
    let answer = ExportTraceServiceResponse {
        partial_success: (decoded.rejected > 0).then(|| ExportTracePartialSuccess {
            rejected_spans: i64::try_from(decoded.rejected).unwrap_or(i64::MAX),
            error_message: decoded.first_rejection.unwrap_or_default(),
        }),
    };
    match encoding {
        Encoding::Protobuf => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/x-protobuf")],
            answer.encode_to_vec(),
        )
            .into_response(),
        Encoding::Json => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::to_string(&answer).unwrap_or_else(|_| "{}".into()),
        )
            .into_response(),
    }
}

/// Serves `router` on `listener` until `shutdown` resolves; exports in
/// flight then finish (they are bounded by `max_in_flight`).
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}
