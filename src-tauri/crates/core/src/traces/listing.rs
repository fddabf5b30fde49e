//! What a trace list asks for and answers with, the same whether the
//! traces come from the local span store or from Tempo or Jaeger.

use super::{Span, TraceId};

/// Which traces a list shows.
#[derive(Debug, Clone, Default)]
pub struct TraceFilter {
    /// The entry span's service.
    pub service: Option<String>,
    /// The entry span's route.
    pub route: Option<String>,
    /// `Some(true)`: only traces with an ERROR span; `Some(false)`: only without.
    pub failed: Option<bool>,
    pub min_duration_ns: u64,
    pub max_duration_ns: Option<u64>,
    /// Only traces with a span carrying this attribute (on the span, one
    /// of its events or its resource), the value compared as text.
    pub attribute: Option<AttributeMatch>,
    pub order: TraceOrder,
    pub limit: u32,
}

impl TraceFilter {
    /// Whether a trace's duration is inside the filter's range.
    pub fn duration_fits(&self, duration_ns: u64) -> bool {
        duration_ns >= self.min_duration_ns
            && self.max_duration_ns.is_none_or(|max| duration_ns <= max)
    }
}

/// `key=value`: an attribute equal to a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeMatch {
    pub key: String,
    pub value: String,
}

impl AttributeMatch {
    /// `key=value` (the first `=` splits; spaces around the key are trimmed).
    pub fn parse(text: &str) -> Result<AttributeMatch, String> {
        match text.split_once('=') {
            Some((key, value)) if !key.trim().is_empty() => Ok(AttributeMatch {
                key: key.trim().to_string(),
                value: value.to_string(),
            }),
            _ => Err(format!(
                "'{text}' is not an attribute filter: write key=value, for example http.response.status_code=500"
            )),
        }
    }

    /// Whether any of `spans` carries the attribute.
    pub fn any(&self, spans: &[Span]) -> bool {
        let equal = |attributes: &super::Attributes| {
            attributes
                .0
                .iter()
                .any(|(k, v)| *k == self.key && v.to_string() == self.value)
        };
        spans.iter().any(|s| {
            equal(&s.attributes)
                || equal(&s.resource)
                || s.events.iter().any(|e| equal(&e.attributes))
        })
    }
}

/// Which traces a limited list keeps, and its order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TraceOrder {
    #[default]
    Newest,
    Slowest,
}

/// A trace in one line.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceLine {
    pub trace_id: TraceId,
    pub start_ns: u64,
    pub duration_ns: u64,
    /// `None` where the source does not say (Tempo's search).
    pub spans: Option<u64>,
    pub error_spans: Option<u64>,
    /// The entry span's (`None` when every span has a parent: all orphans).
    pub root_service: Option<String>,
    pub root_name: Option<String>,
    pub route: Option<String>,
}
