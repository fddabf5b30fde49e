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
/// 1: postcard; 2: postcard in an LZ4 block (its length first).
const FORMAT: u8 = 2;
const PLAIN: u8 = 1;

/// A body that says it decompresses to more than this is damaged (a
/// 100,000-span trace part is a few tens of MiB).
const MAX_DECOMPRESSED: usize = 1 << 30;

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
pub(super) fn encode(spans: &[Span]) -> Result<Vec<u8>, String> {
    let mut resources: Vec<&Attributes> = Vec::new();
    let mut out = Vec::with_capacity(spans.len());
    for span in spans {
        // Spans of one batch share their resource: the pointer says so
        // before the attributes are compared.
        let resource = match resources
            .iter()
            .position(|r| std::ptr::eq(*r, &*span.resource) || **r == *span.resource)
        {
            Some(i) => i,
            None => {
                resources.push(&*span.resource);
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
    let plain = postcard::to_allocvec(&body).map_err(|e| e.to_string())?;
    // The format byte, the plain length (LE u32, as lz4_flex's
    // size-prepended blocks), then the block, compressed in place.
    let len = u32::try_from(plain.len()).map_err(|_| "the part is over 4 GiB".to_string())?;
    let mut out = vec![0; 5 + lz4_flex::block::get_maximum_output_size(plain.len())];
    out[0] = FORMAT;
    out[1..5].copy_from_slice(&len.to_le_bytes());
    let n = lz4_flex::block::compress_into(&plain, &mut out[5..]).map_err(|e| e.to_string())?;
    out.truncate(5 + n);
    Ok(out)
}

/// The spans of a stored body, with their trace id.
pub(super) fn decode(trace_id: TraceId, bytes: &[u8]) -> Result<Vec<Span>, String> {
    let inflated;
    let plain = match bytes.split_first() {
        Some((&FORMAT, rest)) => {
            let declared = rest
                .get(..4)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(|b| u32::from_le_bytes(b) as usize)
                .ok_or("the compressed body is cut short")?;
            if declared > MAX_DECOMPRESSED {
                return Err(format!(
                    "the body says it holds {declared} bytes, more than a part can"
                ));
            }
            inflated = lz4_flex::decompress_size_prepended(rest).map_err(|e| e.to_string())?;
            &inflated[..]
        }
        Some((&PLAIN, rest)) => rest,
        Some((other, _)) => {
            return Err(format!(
                "body format {other} is not one this version reads (it writes {FORMAT})"
            ))
        }
        None => return Err("the body is empty".into()),
    };
    let body: BodyIn = postcard::from_bytes(plain).map_err(|e| e.to_string())?;
    let resources: Vec<std::sync::Arc<Attributes>> = body
        .resources
        .into_iter()
        .map(std::sync::Arc::new)
        .collect();
    body.spans
        .into_iter()
        .map(|s| {
            let resource = resources.get(s.resource as usize).cloned().ok_or_else(|| {
                format!("span names resource {} of {}", s.resource, resources.len())
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

#[cfg(test)]
mod tests {
    use super::*;
    use readyroom_core::traces::Value;

    fn spans() -> Vec<Span> {
        (1..=3u8)
            .map(|i| Span {
                trace_id: TraceId([7; 16]),
                span_id: SpanId([i; 8]),
                parent_span_id: (i > 1).then_some(SpanId([1; 8])),
                service: "api".into(),
                name: format!("span {i}"),
                kind: SpanKind::Server,
                start_unix_nano: u64::from(i) * 1_000,
                end_unix_nano: u64::from(i) * 2_000,
                status: StatusCode::Error,
                status_message: "boom".into(),
                attributes: Attributes(vec![("http.route".into(), Value::String("/a".into()))]),
                events: Vec::new(),
                links: Vec::new(),
                resource: Attributes(vec![("service.name".into(), Value::String("api".into()))])
                    .into(),
            })
            .collect()
    }

    #[test]
    fn a_compressed_body_reads_back_exactly() {
        let spans = spans();
        let body = encode(&spans).expect("encode");
        assert_eq!(body[0], FORMAT);
        assert_eq!(decode(TraceId([7; 16]), &body).expect("decode"), spans);
    }

    /// Stores written before bodies were compressed keep reading.
    #[test]
    fn a_body_of_the_first_format_still_reads() {
        let spans = spans();
        let compressed = encode(&spans).expect("encode");
        let plain = lz4_flex::decompress_size_prepended(&compressed[1..]).expect("inflate");
        let mut first = vec![PLAIN];
        first.extend_from_slice(&plain);
        assert_eq!(decode(TraceId([7; 16]), &first).expect("decode"), spans);
    }

    /// A damaged body is an error saying so, never a panic or a huge
    /// allocation.
    #[test]
    fn a_damaged_body_is_refused_plainly() {
        let trace = TraceId([7; 16]);
        let mut huge = vec![FORMAT];
        huge.extend_from_slice(&u32::MAX.to_le_bytes());
        huge.extend_from_slice(&[0; 16]);
        let err = decode(trace, &huge).expect_err("refused");
        assert!(err.contains("more than a part can"), "{err}");
        let body = encode(&spans()).expect("encode");
        let cut = &body[..body.len() / 2];
        assert!(decode(trace, cut).is_err());
        assert!(decode(trace, &[FORMAT, 1]).is_err());
        assert!(decode(trace, &[]).expect_err("empty").contains("empty"));
        assert!(decode(trace, &[9, 1, 2])
            .expect_err("newer")
            .contains("format 9"));
    }
}
