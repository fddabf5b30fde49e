//! OTLP trace export requests, protobuf or JSON, into Readyroom's spans.
//!
//! A request that does not parse is malformed as a whole (the receiver
//! answers 400 and keeps nothing). Within a request that parses, a span
//! whose ids are invalid is rejected on its own and counted, for the
//! specification's partial-success answer.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::trace::v1 as otlp;
use prost::Message;
use readyroom_core::traces::{
    Attributes, Span, SpanEvent, SpanId, SpanKind, SpanLink, StatusCode, TraceId, Value,
};

/// How the body is encoded (from its Content-Type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Protobuf,
    Json,
}

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("the body is not a valid OTLP/protobuf ExportTraceServiceRequest: {0}")]
    Protobuf(#[from] prost::DecodeError),
    #[error("the body is not a valid OTLP/JSON ExportTraceServiceRequest: {0}")]
    Json(#[from] serde_json::Error),
    #[error(
        "the body is not a valid OTLP/JSON ExportTraceServiceRequest: it must be a JSON object"
    )]
    JsonNotAnObject,
}

pub fn decode_request(
    encoding: Encoding,
    body: &[u8],
) -> Result<ExportTraceServiceRequest, DecodeError> {
    Ok(match encoding {
        Encoding::Protobuf => ExportTraceServiceRequest::decode(body)?,
        Encoding::Json => {
            // serde would also take an array for a struct; OTLP/JSON is an object.
            if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
                return Err(DecodeError::JsonNotAnObject);
            }
            serde_json::from_slice(body)?
        }
    })
}

/// The spans of a request, and those rejected with why.
#[derive(Debug, Default)]
pub struct Decoded {
    pub spans: Vec<Span>,
    pub rejected: u64,
    /// The first rejection's reason (the partial-success message).
    pub first_rejection: Option<String>,
}

impl Decoded {
    fn reject(&mut self, why: String) {
        self.rejected += 1;
        self.first_rejection.get_or_insert(why);
    }
}

/// The SDKs' service name when a resource sets none.
pub const UNKNOWN_SERVICE: &str = "unknown_service";

pub fn to_spans(request: ExportTraceServiceRequest) -> Decoded {
    let mut out = Decoded::default();
    for resource_spans in request.resource_spans {
        // One resource for all its spans.
        let resource = std::sync::Arc::new(attributes(
            resource_spans
                .resource
                .map(|r| r.attributes)
                .unwrap_or_default(),
        ));
        let service = resource
            .str("service.name")
            .filter(|s| !s.is_empty())
            .unwrap_or(UNKNOWN_SERVICE)
            .to_string();
        for scope_spans in resource_spans.scope_spans {
            for span in scope_spans.spans {
                match convert(span, &service, &resource) {
                    Ok(span) => out.spans.push(span),
                    Err(why) => out.reject(why),
                }
            }
        }
    }
    out
}

fn convert(
    span: otlp::Span,
    service: &str,
    resource: &std::sync::Arc<Attributes>,
) -> Result<Span, String> {
    let trace_id = TraceId::from_bytes(&span.trace_id).ok_or_else(|| {
        format!(
            "a span's trace id must be 16 bytes, not all zero (got {} bytes)",
            span.trace_id.len()
        )
    })?;
    let span_id = SpanId::from_bytes(&span.span_id).ok_or_else(|| {
        format!(
            "a span's id must be 8 bytes, not all zero (got {} bytes)",
            span.span_id.len()
        )
    })?;
    let parent_span_id = match span.parent_span_id.len() {
        0 => None,
        _ => Some(SpanId::from_bytes(&span.parent_span_id).ok_or_else(|| {
            format!(
                "span {span_id}: a parent span id must be empty or 8 bytes, not all zero (got {} bytes)",
                span.parent_span_id.len()
            )
        })?),
    };
    let status = span.status.unwrap_or_default();
    Ok(Span {
        trace_id,
        span_id,
        parent_span_id,
        service: service.to_string(),
        name: span.name,
        kind: SpanKind::from_otlp(span.kind),
        start_unix_nano: span.start_time_unix_nano,
        end_unix_nano: span.end_time_unix_nano,
        status: StatusCode::from_otlp(status.code),
        status_message: status.message,
        attributes: attributes(span.attributes),
        events: span
            .events
            .into_iter()
            .map(|e| SpanEvent {
                time_unix_nano: e.time_unix_nano,
                name: e.name,
                attributes: attributes(e.attributes),
            })
            .collect(),
        // A link with invalid ids points nowhere; it is dropped, the span kept.
        links: span
            .links
            .into_iter()
            .filter_map(|l| {
                Some(SpanLink {
                    trace_id: TraceId::from_bytes(&l.trace_id)?,
                    span_id: SpanId::from_bytes(&l.span_id)?,
                    attributes: attributes(l.attributes),
                })
            })
            .collect(),
        resource: resource.clone(),
    })
}

fn attributes(list: Vec<KeyValue>) -> Attributes {
    Attributes(
        list.into_iter()
            .map(|kv| (kv.key, value(kv.value)))
            .collect(),
    )
}

fn value(any: Option<AnyValue>) -> Value {
    match any.and_then(|a| a.value) {
        Some(any_value::Value::StringValue(s)) => Value::String(s),
        Some(any_value::Value::BoolValue(b)) => Value::Bool(b),
        Some(any_value::Value::IntValue(i)) => Value::Int(i),
        Some(any_value::Value::DoubleValue(d)) => Value::Double(d),
        Some(any_value::Value::BytesValue(b)) => Value::Bytes(b),
        Some(any_value::Value::ArrayValue(a)) => {
            Value::Array(a.values.into_iter().map(|v| value(Some(v))).collect())
        }
        Some(any_value::Value::KvlistValue(kv)) => Value::Map(
            kv.values
                .into_iter()
                .map(|kv| (kv.key, value(kv.value)))
                .collect(),
        ),
        // Profiling's string-table reference, or no value: empty (the
        // specification says to treat it as absent).
        Some(any_value::Value::StringValueStrindex(_)) | None => Value::String(String::new()),
    }
}
