//! A trace part's spans as stored: one postcard blob (compact, varints,
//! no field names) with each distinct resource once and the trace id
//! left to the row. JSON a span took about 950 bytes on disk with its
//! resource repeated; this takes a fraction, and encodes several times
//! faster (see the README's Decisions).

use readyroom_core::traces::{
    Attributes, Span, SpanEvent, SpanId, SpanKind, SpanLink, StatusCode, TraceId,
};
use serde::{Deserialize, Serialize};

/// The first byte of every body: bumped if the layout ever changes, so an
/// old body is read by the code that wrote it or refused plainly.
const FORMAT: u8 = 1;

#[derive(Serialize)]
struct BodyOut<'a> {
    resources: Vec<&'a Attributes>,
    spans: Vec<SpanOut<'a>>,
}

#[derive(Serialize)]
struct SpanOut<'a> {
    span_id: [u8; 8],
    parent_span_id: Option<[u8; 8]>,
    resource: u32,
    service: &'a str,
    name: &'a str,
    kind: i32,
    start_unix_nano: u64,
    end_unix_nano: u64,
    status: i32,
    status_message: &'a str,
    attributes: &'a Attributes,
    events: &'a [SpanEvent],
    links: &'a [SpanLink],
}

#[derive(Deserialize)]
struct BodyIn {
    resources: Vec<Attributes>,
    spans: Vec<SpanIn>,
}

#[derive(Deserialize)]
struct SpanIn {
    span_id: [u8; 8],
    parent_span_id: Option<[u8; 8]>,
    resource: u32,
    service: String,
    name: String,
    kind: i32,
    start_unix_nano: u64,
    end_unix_nano: u64,
    status: i32,
    status_message: String,
    attributes: Attributes,
    events: Vec<SpanEvent>,
    links: Vec<SpanLink>,
}

/// Encodes spans of one trace. A span's resource is compared with the
/// ones already kept (a batch names few), so each is stored once.
pub(super) fn encode(spans: &[&Span]) -> Result<Vec<u8>, String> {
    let mut resources: Vec<&Attributes> = Vec::new();
    let mut out = Vec::with_capacity(spans.len());
    for span in spans {
        let resource = match resources.iter().position(|r| *r == &span.resource) {
            Some(i) => i,
            None => {
                resources.push(&span.resource);
                resources.len() - 1
            }
        };
        out.push(SpanOut {
            span_id: span.span_id.0,
            parent_span_id: span.parent_span_id.map(|p| p.0),
            resource: u32::try_from(resource).map_err(|e| e.to_string())?,
            service: &span.service,
            name: &span.name,
            kind: span.kind.to_otlp(),
            start_unix_nano: span.start_unix_nano,
            end_unix_nano: span.end_unix_nano,
            status: span.status.to_otlp(),
            status_message: &span.status_message,
            attributes: &span.attributes,
            events: &span.events,
            links: &span.links,
        });
    }
    let body = BodyOut {
        resources,
        spans: out,
    };
    let bytes = vec![FORMAT];
    postcard::to_extend(&body, bytes).map_err(|e| e.to_string())
}

/// The spans of a stored body, with their trace id.
pub(super) fn decode(trace_id: TraceId, bytes: &[u8]) -> Result<Vec<Span>, String> {
    let rest = match bytes.split_first() {
        Some((&FORMAT, rest)) => rest,
        Some((other, _)) => {
            return Err(format!(
                "body format {other} is not one this version reads (it writes {FORMAT})"
            ))
        }
        None => return Err("the body is empty".into()),
    };
    let body: BodyIn = postcard::from_bytes(rest).map_err(|e| e.to_string())?;
    body.spans
        .into_iter()
        .map(|s| {
            let resource = body
                .resources
                .get(s.resource as usize)
                .cloned()
                .ok_or_else(|| {
                    format!(
                        "span names resource {} of {}",
                        s.resource,
                        body.resources.len()
                    )
                })?;
            Ok(Span {
                trace_id,
                span_id: SpanId(s.span_id),
                parent_span_id: s.parent_span_id.map(SpanId),
                service: s.service,
                name: s.name,
                kind: SpanKind::from_otlp(s.kind),
                start_unix_nano: s.start_unix_nano,
                end_unix_nano: s.end_unix_nano,
                status: StatusCode::from_otlp(s.status),
                status_message: s.status_message,
                attributes: s.attributes,
                events: s.events,
                links: s.links,
                resource,
            })
        })
        .collect()
}
