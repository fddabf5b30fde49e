//! One span in full, for the waterfall's detail panel: its attributes,
//! events (exception stack traces among them), links and resource, which
//! the compact trace leaves out.

use readyroom_core::traces::{Attributes, Span, SpanId, StatusCode};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::handlers::{kind_name, ms, rfc3339, stored_trace};
use super::wire::TraceRequest;
use crate::{Api, ApiError, ErrorCode};

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SpanRequest {
    /// The trace, and where to read it.
    #[serde(flatten)]
    #[ts(flatten)]
    pub trace: TraceRequest,
    /// 16 hex digits.
    pub span_id: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SpanDetail {
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: Option<String>,
    pub service: String,
    pub name: String,
    pub kind: String,
    /// RFC 3339, to the nanosecond.
    pub start: String,
    pub duration_ms: f64,
    /// `unset`, `ok` or `error`.
    pub status: String,
    pub status_message: String,
    pub attributes: Vec<KeyValue>,
    pub events: Vec<SpanEventRow>,
    pub links: Vec<SpanLinkRow>,
    pub resource: Vec<KeyValue>,
}

/// An attribute with its value as text (arrays and maps in brackets).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SpanEventRow {
    /// From the span's start (negative when reported before it).
    pub offset_ms: f64,
    pub name: String,
    /// `exception.stacktrace` among them, for an exception.
    pub attributes: Vec<KeyValue>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SpanLinkRow {
    pub trace_id: String,
    pub span_id: String,
    pub attributes: Vec<KeyValue>,
}

fn pairs(attributes: &Attributes) -> Vec<KeyValue> {
    attributes
        .0
        .iter()
        .map(|(key, value)| KeyValue {
            key: key.clone(),
            value: value.to_string(),
        })
        .collect()
}

fn status_name(status: StatusCode) -> &'static str {
    match status {
        StatusCode::Unset => "unset",
        StatusCode::Ok => "ok",
        StatusCode::Error => "error",
    }
}

fn detail(span: &Span) -> SpanDetail {
    // In integers first: nanoseconds since 1970 lose precision as f64.
    let offset = |at: u64| (i128::from(at) - i128::from(span.start_unix_nano)) as f64 / 1_000_000.0;
    SpanDetail {
        trace_id: span.trace_id.to_string(),
        span_id: span.span_id.to_string(),
        parent_span_id: span.parent_span_id.map(|p| p.to_string()),
        service: span.service.clone(),
        name: span.name.clone(),
        kind: kind_name(span.kind).into(),
        start: rfc3339(span.start_unix_nano),
        duration_ms: ms(span.duration_nanos()),
        status: status_name(span.status).into(),
        status_message: span.status_message.clone(),
        attributes: pairs(&span.attributes),
        events: span
            .events
            .iter()
            .map(|e| SpanEventRow {
                offset_ms: offset(e.time_unix_nano),
                name: e.name.clone(),
                attributes: pairs(&e.attributes),
            })
            .collect(),
        links: span
            .links
            .iter()
            .map(|l| SpanLinkRow {
                trace_id: l.trace_id.to_string(),
                span_id: l.span_id.to_string(),
                attributes: pairs(&l.attributes),
            })
            .collect(),
        resource: pairs(&span.resource),
    }
}

pub(crate) async fn get_span(api: &Api, r: SpanRequest) -> Result<SpanDetail, ApiError> {
    let span_id: SpanId = r.span_id.trim().parse().map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!(
                "'{}' is not a span id: {e}",
                super::handlers::shown(&r.span_id)
            ),
        )
    })?;
    let (trace_id, spans) = stored_trace(api, &r.trace).await?;
    // The first copy, as the waterfall shows it.
    spans
        .iter()
        .find(|s| s.span_id == span_id)
        .map(detail)
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotFound,
                format!("trace {trace_id} has no span {span_id}"),
            )
        })
}
