//! Grafana Tempo's HTTP query API: `GET /api/search` with a TraceQL query
//! and `GET /api/traces/<id>` (asked for as protobuf, Tempo's documented
//! alternative to its jsonpb JSON; JSON is read too, in case a proxy
//! drops the Accept header).

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use readyroom_core::traces::{Span, TraceId, TraceLine};
use serde::Deserialize;

use super::{QueryError, Search, TraceQuery};
use crate::otlp::to_spans;

/// Tempo's search answer (only what Readyroom reads of it).
#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    traces: Vec<Hit>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Hit {
    #[serde(rename = "traceID")]
    trace_id: String,
    root_service_name: Option<String>,
    root_trace_name: Option<String>,
    /// A string of digits (jsonpb's 64-bit integers), or a number.
    start_time_unix_nano: Option<serde_json::Value>,
    /// Left out when zero.
    duration_ms: Option<u64>,
}

/// A TraceQL string literal.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The TraceQL query for `search`.
pub(super) fn traceql(search: &Search) -> Result<String, QueryError> {
    let filter = &search.filter;
    let mut conditions = Vec::new();
    if let Some(service) = &filter.service {
        conditions.push(format!("trace:rootService = {}", quoted(service)));
    }
    if let Some(route) = &filter.route {
        conditions.push(format!("span.http.route = {}", quoted(route)));
    }
    match filter.failed {
        Some(true) => conditions.push("status = error".into()),
        Some(false) => {
            return Err(QueryError::Unsupported(
                "Tempo's search cannot list only the traces without errors; leave out --status ok, or list --status error".into(),
            ))
        }
        None => {}
    }
    if filter.min_duration_ns > 0 {
        conditions.push(format!(
            "trace:duration >= {}us",
            filter.min_duration_ns.div_ceil(1_000)
        ));
    }
    if let Some(max) = filter.max_duration_ns {
        conditions.push(format!("trace:duration <= {}us", max / 1_000));
    }
    if let Some(attribute) = &filter.attribute {
        conditions.push(attribute_condition(&attribute.key, &attribute.value)?);
    }
    Ok(if conditions.is_empty() {
        "{}".into()
    } else {
        format!("{{ {} }}", conditions.join(" && "))
    })
}

/// `.key = value` on a span or its resource: TraceQL compares typed
/// values, so a number or a boolean is also tried as such.
fn attribute_condition(key: &str, value: &str) -> Result<String, QueryError> {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':');
    if !key.chars().all(plain) {
        return Err(QueryError::Unsupported(format!(
            "the attribute '{key}' cannot be searched in Tempo: TraceQL attribute names here are letters, digits and . _ - / :"
        )));
    }
    let text = format!(".{key} = {}", quoted(value));
    let typed = value.parse::<f64>().is_ok_and(f64::is_finite) || matches!(value, "true" | "false");
    Ok(if typed {
        format!("({text} || .{key} = {value})")
    } else {
        text
    })
}

/// Tempo leaves out a trace id's leading zeros in search answers.
fn trace_id(text: &str) -> Option<TraceId> {
    if text.is_empty() || text.len() > 32 {
        return None;
    }
    format!("{text:0>32}").parse().ok()
}

fn nanos(value: &serde_json::Value) -> Option<u64> {
    match value {
        serde_json::Value::String(s) => s.parse().ok(),
        v => v.as_u64(),
    }
}

pub(super) async fn search(
    query: &TraceQuery,
    search: &Search,
) -> Result<Vec<TraceLine>, QueryError> {
    find(
        query,
        &traceql(search)?,
        search.from_ns,
        search.to_ns,
        search.filter.limit,
    )
    .await
}

/// The traces TraceQL query `q` finds in `[from_ns, to_ns]`, at most `limit`.
pub(super) async fn find(
    query: &TraceQuery,
    q: &str,
    from_ns: u64,
    to_ns: u64,
    limit: u32,
) -> Result<Vec<TraceLine>, QueryError> {
    let mut url = query.endpoint("api/search");
    url.query_pairs_mut()
        .append_pair("q", q)
        .append_pair("start", &(from_ns / 1_000_000_000).to_string())
        .append_pair("end", &to_ns.div_ceil(1_000_000_000).to_string())
        .append_pair("limit", &limit.to_string());
    let Some((_, body)) = query.get(url, "application/json").await? else {
        return Ok(Vec::new());
    };
    let answer: Answer = serde_json::from_slice(&body)
        .map_err(|e| query.malformed(format!("the search answer does not read: {e}")))?;
    Ok(answer
        .traces
        .into_iter()
        .filter_map(|hit| {
            Some(TraceLine {
                trace_id: trace_id(&hit.trace_id)?,
                start_ns: hit
                    .start_time_unix_nano
                    .as_ref()
                    .and_then(nanos)
                    .unwrap_or(0),
                duration_ns: hit.duration_ms.unwrap_or(0).saturating_mul(1_000_000),
                root_service: hit.root_service_name,
                root_name: hit.root_trace_name,
                route: None,
                spans: None,
                error_spans: None,
            })
        })
        .collect())
}

pub(super) async fn trace(query: &TraceQuery, id: TraceId) -> Result<Vec<Span>, QueryError> {
    let url = query.endpoint(&format!("api/traces/{id}"));
    let Some((content_type, body)) = query.get(url, "application/protobuf").await? else {
        return Ok(Vec::new());
    };
    if content_type.contains("json") {
        return query.spans_from_json(&body);
    }
    // Tempo's `Trace` is `repeated ResourceSpans` at field 1, as OTLP's
    // export request is, so it decodes as one.
    let request = ExportTraceServiceRequest::decode(body.as_slice())
        .map_err(|e| query.malformed(format!("the trace is not OTLP protobuf: {e}")))?;
    Ok(to_spans(request).spans)
}
