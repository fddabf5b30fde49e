//! The OTLP/gRPC trace receiver (`TraceService/Export` on tonic), following
//! the OTLP specification's receiver contract as the HTTP receiver does:
//! - gzip-compressed messages accepted; the message limit applies to the
//!   decompressed size too (tonic stops inflating at the limit), so a gzip
//!   bomb is RESOURCE_EXHAUSTED, not an allocation;
//! - a message past the limit, compressed or not, is RESOURCE_EXHAUSTED
//!   without RetryInfo (the specification's "do not retry");
//! - a malformed message is INVALID_ARGUMENT with a message;
//! - more than `max_in_flight` exports at once, or a store that cannot take
//!   them now, is UNAVAILABLE with RetryInfo, answered before the message is
//!   read: a bounded number of requests, never an unbounded queue;
//! - partial success: how many spans were rejected, and the first reason.
//!
//! No browser `Origin` check is needed here: a web page cannot speak gRPC
//! (HTTP/2 with trailers, in clear) to loopback, and gRPC-Web is not served.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tokio::sync::Semaphore;
use tonic::codec::CompressionEncoding;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use super::decode::to_spans;
use super::http::{ReceiverLimits, SpanSink, RETRY_AFTER};

struct Receiver {
    sink: Arc<dyn SpanSink>,
}

/// UNAVAILABLE with the delay a sender should wait (OTLP's RetryInfo).
fn unavailable(message: String) -> Status {
    Status::with_error_details(
        Code::Unavailable,
        message,
        ErrorDetails::with_retry_info(Some(RETRY_AFTER)),
    )
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, Status> {
        let decoded = to_spans(request.into_inner());
        if !decoded.spans.is_empty() {
            if let Err(why) = self.sink.ingest(decoded.spans).await {
                return Err(unavailable(format!(
                    "the spans could not be stored now ({why}); retry later"
                )));
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: (decoded.rejected > 0).then(|| ExportTracePartialSuccess {
                rejected_spans: i64::try_from(decoded.rejected).unwrap_or(i64::MAX),
                error_message: decoded.first_rejection.unwrap_or_default(),
            }),
        }))
    }
}

/// Admits at most `max_in_flight` exports; the rest are answered at once,
/// before their message is read.
async fn admit(State(in_flight): State<Arc<Semaphore>>, request: Request, next: Next) -> Response {
    let Ok(_permit) = in_flight.try_acquire_owned() else {
        return unavailable("the receiver is busy; retry after the RetryInfo delay".into())
            .into_http();
    };
    let mut response = next.run(request).await;
    recode(&mut response);
    response
}

/// tonic answers a message it cannot decode with INTERNAL and one whose
/// declared length is past the limit with OUT_OF_RANGE; OTLP senders retry
/// both (or treat the first as our fault). The receiver contract asks for
/// INVALID_ARGUMENT and RESOURCE_EXHAUSTED: non-retryable, the sender's
/// data at fault. `export` itself returns neither code, so only tonic's
/// decoding failures are recoded. Errors before the message is read are
/// "trailers-only" answers, with the status in the headers.
fn recode(response: &mut Response) {
    let Some(status) = Status::from_header_map(response.headers()) else {
        return;
    };
    let code = match status.code() {
        Code::Internal => Code::InvalidArgument,
        Code::OutOfRange => Code::ResourceExhausted,
        _ => return,
    };
    let recoded = Status::new(code, status.message().to_string());
    let headers = response.headers_mut();
    headers.remove("grpc-status");
    headers.remove("grpc-message");
    if recoded.add_header(headers).is_err() {
        // The message could not be encoded as a header: the code alone.
        headers.insert("grpc-status", HeaderValue::from(code as i32));
    }
}

/// Serves OTLP/gRPC on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    sink: Arc<dyn SpanSink>,
    limits: ReceiverLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let service = TraceServiceServer::new(Receiver { sink })
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(limits.max_body_bytes);
    let in_flight = Arc::new(Semaphore::new(limits.max_in_flight.max(1)));
    let router = tonic::service::Routes::new(service)
        .into_axum_router()
        .layer(axum::middleware::from_fn_with_state(in_flight, admit));
    tonic::transport::Server::builder()
        // A sender that stops reading cannot hold a slot for ever.
        .timeout(Duration::from_secs(60))
        .add_routes(tonic::service::Routes::from(router))
        .serve_with_incoming_shutdown(
            tonic::transport::server::TcpIncoming::from(listener),
            shutdown,
        )
        .await
        .map_err(|e| format!("the OTLP/gRPC receiver stopped: {e}"))
}
