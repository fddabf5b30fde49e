//! OTLP: trace export requests (protobuf and JSON) decoded into
//! Readyroom's spans. The receivers build on this.

mod decode;

pub use decode::{decode_request, to_spans, DecodeError, Decoded, Encoding, UNKNOWN_SERVICE};

#[cfg(test)]
mod tests;
