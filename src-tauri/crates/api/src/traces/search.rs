//! Search inside one trace: the spans whose name, service, status message,
//! attributes (key, value, or `key=value`), events or resource mention a
//! text. The waterfall holds names and services itself; attributes stay
//! here until asked for.

use std::collections::HashSet;

use readyroom_core::traces::{Attributes, Span};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::handlers::stored_trace;
use super::wire::TraceRequest;
use crate::{Api, ApiError, ErrorCode};

/// Longer than any attribute search anyone types; more is a mistake.
const MAX_QUERY: usize = 256;

#[derive(Debug, Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TraceSearchRequest {
    /// The trace, and where to read it.
    #[serde(flatten)]
    #[ts(flatten)]
    pub trace: TraceRequest,
    /// Case-insensitive; `key=value` matches that attribute exactly.
    pub query: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TraceSearchView {
    /// The matching spans' ids, 16 hex digits each, concatenated.
    pub span_ids: String,
    pub matches: u32,
}

fn attributes_match(attributes: &Attributes, needle: &str) -> bool {
    attributes.0.iter().any(|(key, value)| {
        let value = value.to_string().to_lowercase();
        let key = key.to_lowercase();
        key.contains(needle) || value.contains(needle) || format!("{key}={value}") == needle
    })
}

/// Whether `span` mentions `needle` (already lower-case).
pub(crate) fn mentions(span: &Span, needle: &str) -> bool {
    span.name.to_lowercase().contains(needle)
        || span.service.to_lowercase().contains(needle)
        || span.status_message.to_lowercase().contains(needle)
        || attributes_match(&span.attributes, needle)
        || span.events.iter().any(|e| {
            e.name.to_lowercase().contains(needle) || attributes_match(&e.attributes, needle)
        })
        || attributes_match(&span.resource, needle)
}

pub(crate) async fn search_trace(
    api: &Api,
    r: TraceSearchRequest,
) -> Result<TraceSearchView, ApiError> {
    let needle = r.query.trim().to_lowercase();
    if needle.len() > MAX_QUERY {
        return Err(ApiError::new(
            ErrorCode::InvalidRequest,
            format!("a search is at most {MAX_QUERY} characters"),
        ));
    }
    let (_, spans) = stored_trace(api, &r.trace).await?;
    let mut seen = HashSet::new();
    let mut span_ids = String::new();
    let mut matches = 0u32;
    if !needle.is_empty() {
        for span in &spans {
            // The first copy of a duplicated span, as the waterfall shows.
            if seen.insert(span.span_id) && mentions(span, &needle) {
                span_ids.push_str(&span.span_id.to_string());
                matches += 1;
            }
        }
    }
    Ok(TraceSearchView { span_ids, matches })
}
