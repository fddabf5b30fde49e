//! OTLP: trace export requests (protobuf and JSON) decoded into
//! Readyroom's spans, and the OTLP/HTTP and OTLP/gRPC receivers.

mod decode;
mod encode;
mod grpc;
mod http;
pub mod lenient;

pub use decode::{decode_request, to_spans, DecodeError, Decoded, Encoding, UNKNOWN_SERVICE};
pub use encode::{to_json, to_request};
pub use grpc::serve as serve_grpc;
pub use http::{router as http_router, serve as serve_http, ReceiverLimits, SpanSink};

#[cfg(test)]
mod grpc_tests;
#[cfg(test)]
mod tests;
