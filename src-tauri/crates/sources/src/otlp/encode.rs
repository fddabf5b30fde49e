//! Readyroom's spans back into an OTLP export request, so a stored trace
//! can be handed to other tools (Jaeger, Tempo, otel-desktop-viewer) as
//! OTLP/JSON, and taken back by Readyroom's own receiver unchanged.
//! (The instrumentation scope is not kept, so it is left empty.)

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{
    any_value, AnyValue, ArrayValue, KeyValue, KeyValueList,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1 as otlp;
use readyroom_core::traces::{Attributes, Span, Value};

/// One `ResourceSpans` per distinct resource, in first-seen order.
pub fn to_request(spans: &[Span]) -> ExportTraceServiceRequest {
    let mut groups: Vec<(&Attributes, Vec<otlp::Span>)> = Vec::new();
    for span in spans {
        let encoded = encode(span);
        match groups.iter_mut().find(|(r, _)| **r == *span.resource) {
            Some((_, list)) => list.push(encoded),
            None => groups.push((&*span.resource, vec![encoded])),
        }
    }
    ExportTraceServiceRequest {
        resource_spans: groups
            .into_iter()
            .map(|(resource, spans)| otlp::ResourceSpans {
                resource: Some(Resource {
                    attributes: key_values(resource),
                    ..Default::default()
                }),
                scope_spans: vec![otlp::ScopeSpans {
                    spans,
                    ..Default::default()
                }],
                ..Default::default()
            })
            .collect(),
    }
}

/// The request as OTLP/JSON.
pub fn to_json(spans: &[Span]) -> String {
    serde_json::to_string(&to_request(spans)).unwrap_or_else(|_| "{}".into())
}

fn encode(span: &Span) -> otlp::Span {
    otlp::Span {
        trace_id: span.trace_id.0.to_vec(),
        span_id: span.span_id.0.to_vec(),
        parent_span_id: span
            .parent_span_id
            .map(|p| p.0.to_vec())
            .unwrap_or_default(),
        name: span.name.clone(),
        kind: span.kind.to_otlp(),
        start_time_unix_nano: span.start_unix_nano,
        end_time_unix_nano: span.end_unix_nano,
        attributes: key_values(&span.attributes),
        events: span
            .events
            .iter()
            .map(|e| otlp::span::Event {
                time_unix_nano: e.time_unix_nano,
                name: e.name.clone(),
                attributes: key_values(&e.attributes),
                ..Default::default()
            })
            .collect(),
        links: span
            .links
            .iter()
            .map(|l| otlp::span::Link {
                trace_id: l.trace_id.0.to_vec(),
                span_id: l.span_id.0.to_vec(),
                attributes: key_values(&l.attributes),
                ..Default::default()
            })
            .collect(),
        status: Some(otlp::Status {
            code: span.status.to_otlp(),
            message: span.status_message.clone(),
        }),
        ..Default::default()
    }
}

fn key_values(attributes: &Attributes) -> Vec<KeyValue> {
    attributes
        .0
        .iter()
        .map(|(key, value)| KeyValue {
            key: key.clone(),
            value: Some(any(value)),
            ..Default::default()
        })
        .collect()
}

fn any(value: &Value) -> AnyValue {
    let inner = match value {
        Value::String(s) => any_value::Value::StringValue(s.clone()),
        Value::Bool(b) => any_value::Value::BoolValue(*b),
        Value::Int(i) => any_value::Value::IntValue(*i),
        Value::Double(d) => any_value::Value::DoubleValue(*d),
        Value::Bytes(b) => any_value::Value::BytesValue(b.clone()),
        Value::Array(items) => any_value::Value::ArrayValue(ArrayValue {
            values: items.iter().map(any).collect(),
        }),
        Value::Map(pairs) => any_value::Value::KvlistValue(KeyValueList {
            values: pairs
                .iter()
                .map(|(k, v)| KeyValue {
                    key: k.clone(),
                    value: Some(any(v)),
                    ..Default::default()
                })
                .collect(),
        }),
    };
    AnyValue { value: Some(inner) }
}
