//! OTLP/JSON as trace stores' query APIs write it, turned into OTLP/JSON as
//! the specification defines it, so one decoder reads both.
//!
//! Tempo's `/api/traces/<id>` and Jaeger's older `/api/v3` marshal with Go's
//! jsonpb, which departs from the specification in documented ways
//! (grafana/tempo#5437): trace and span ids in base64 rather than hex,
//! enums as names (`SPAN_KIND_SERVER`), `batches` for `resourceSpans`; some
//! versions still say `instrumentationLibrarySpans`; grpc-gateway wraps a
//! streamed answer in `{"result": ...}` and Tempo's v2 in `{"trace": ...}`.

use base64::Engine as _;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use serde_json::{Map, Value};

/// The request that `value` holds, whichever of the dialects above it is in.
pub fn to_request(value: Value) -> Result<ExportTraceServiceRequest, String> {
    let mut root = unwrap(value);
    let Some(object) = root.as_object_mut() else {
        return Err("the answer is not a JSON object".into());
    };
    rename(object, "batches", "resourceSpans");
    if let Some(Value::Array(resources)) = object.get_mut("resourceSpans") {
        for resource in resources.iter_mut().filter_map(Value::as_object_mut) {
            rename(resource, "instrumentationLibrarySpans", "scopeSpans");
            let Some(Value::Array(scopes)) = resource.get_mut("scopeSpans") else {
                continue;
            };
            for scope in scopes.iter_mut().filter_map(Value::as_object_mut) {
                rename(scope, "instrumentationLibrary", "scope");
                let Some(Value::Array(spans)) = scope.get_mut("spans") else {
                    continue;
                };
                for span in spans.iter_mut().filter_map(Value::as_object_mut) {
                    fix_span(span);
                }
            }
        }
    }
    serde_json::from_value(root).map_err(|e| format!("the answer is not OTLP/JSON: {e}"))
}

/// The trace data inside grpc-gateway's `{"result": ...}` or Tempo v2's
/// `{"trace": ...}`.
fn unwrap(mut value: Value) -> Value {
    for wrapper in ["result", "trace"] {
        if let Some(inner) = value.get_mut(wrapper).filter(|v| v.is_object()) {
            value = inner.take();
        }
    }
    value
}

fn rename(object: &mut Map<String, Value>, from: &str, to: &str) {
    if !object.contains_key(to) {
        if let Some(v) = object.remove(from) {
            object.insert(to.to_string(), v);
        }
    }
}

fn fix_span(span: &mut Map<String, Value>) {
    fix_id(span, "traceId", 16);
    fix_id(span, "spanId", 8);
    fix_id(span, "parentSpanId", 8);
    fix_enum(span, "kind", "SPAN_KIND_");
    if let Some(Value::Object(status)) = span.get_mut("status") {
        fix_enum(status, "code", "STATUS_CODE_");
    }
    if let Some(Value::Array(links)) = span.get_mut("links") {
        for link in links.iter_mut().filter_map(Value::as_object_mut) {
            fix_id(link, "traceId", 16);
            fix_id(link, "spanId", 8);
        }
    }
}

/// An id written in base64 (jsonpb's bytes) rewritten in hex; hex ids and
/// anything else are left for the decoder to accept or reject.
fn fix_id(object: &mut Map<String, Value>, key: &str, bytes: usize) {
    let Some(Value::String(text)) = object.get_mut(key) else {
        return;
    };
    if text.is_empty() || (text.len() == bytes * 2 && text.chars().all(|c| c.is_ascii_hexdigit())) {
        return;
    }
    if let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(text.as_bytes()) {
        if raw.len() == bytes {
            *text = raw.iter().map(|b| format!("{b:02x}")).collect();
        }
    }
}

/// An enum written by name (`SPAN_KIND_SERVER`) rewritten as its number.
fn fix_enum(object: &mut Map<String, Value>, key: &str, prefix: &str) {
    let Some(Value::String(name)) = object.get(key) else {
        return;
    };
    let number = match name.strip_prefix(prefix).unwrap_or(name) {
        "UNSPECIFIED" | "UNSET" => 0,
        "INTERNAL" | "OK" => 1,
        "SERVER" | "ERROR" => 2,
        "CLIENT" => 3,
        "PRODUCER" => 4,
        "CONSUMER" => 5,
        _ => return,
    };
    object.insert(key.to_string(), Value::from(number));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::to_spans;
    use readyroom_core::traces::{SpanKind, StatusCode};

    /// Tempo's documented dialect: `batches`, base64 ids, enum names.
    #[test]
    fn tempo_jsonpb_reads_as_the_specification_would() {
        let answer = serde_json::json!({"batches": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "api"}}]},
            "scopeSpans": [{"scope": {"name": "x"}, "spans": [{
                "traceId": "AAAAAAAAAAAAAAAAAAAAAQ==",
                "spanId": "AAAAAAAAAAI=",
                "parentSpanId": "",
                "name": "GET /things",
                "kind": "SPAN_KIND_SERVER",
                "startTimeUnixNano": "1000",
                "endTimeUnixNano": "3000",
                "status": {"code": "STATUS_CODE_ERROR"}
            }]}]
        }]});
        let spans = to_spans(to_request(answer).expect("reads")).spans;
        assert_eq!(spans.len(), 1);
        let span = &spans[0];
        assert_eq!(
            span.trace_id.to_string(),
            "00000000000000000000000000000001"
        );
        assert_eq!(span.span_id.to_string(), "0000000000000002");
        assert_eq!(span.parent_span_id, None);
        assert_eq!(
            (span.kind, span.status),
            (SpanKind::Server, StatusCode::Error)
        );
        assert_eq!(
            (span.service.as_str(), span.duration_nanos()),
            ("api", 2000)
        );
    }

    /// Jaeger's grpc-gateway stream: `{"result": ...}`, hex ids, numbers.
    #[test]
    fn a_wrapped_specification_answer_reads_unchanged() {
        let answer = serde_json::json!({"result": {"resourceSpans": [{
            "resource": {},
            "instrumentationLibrarySpans": [{"spans": [{
                "traceId": "000000000000009600000000000000a0",
                "spanId": "00000000000000b4",
                "name": "foobar", "kind": 2,
                "startTimeUnixNano": "5", "endTimeUnixNano": "9",
                "status": {"code": 2}
            }]}]
        }]}});
        let spans = to_spans(to_request(answer).expect("reads")).spans;
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].span_id.to_string(), "00000000000000b4");
        assert_eq!(spans[0].status, StatusCode::Error);
    }

    #[test]
    fn what_is_not_trace_data_is_an_error_not_an_empty_trace() {
        assert!(to_request(serde_json::json!([1, 2])).is_err());
        let bad_id = serde_json::json!({"resourceSpans": [{"scopeSpans": [{"spans": [
            {"traceId": "not an id", "spanId": "00000000000000b4", "name": "x"}
        ]}]}]});
        // The decoder takes the request; the span is rejected on its own.
        let decoded = to_request(bad_id).map(to_spans);
        assert!(decoded.map_or(true, |d| d.spans.is_empty()));
    }
}
