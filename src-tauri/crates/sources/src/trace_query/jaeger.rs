//! Jaeger's `/api/v3` HTTP query API: `GET /api/v3/traces/<id>` and
//! `GET /api/v3/traces?query.service_name=...` (which answers with every
//! span of the traces it found), `GET /api/v3/services`.

use readyroom_core::traces::{Span, TraceId, TraceLine};
use serde::Deserialize;

use super::{by_trace, summarize, QueryError, Search, TraceQuery};

/// Services searched at most when no service is given (Jaeger's search
/// needs one; each is one request).
const MAX_SERVICES: usize = 20;

#[derive(Deserialize)]
struct Services {
    #[serde(default)]
    services: Vec<String>,
}

fn rfc3339(nanos: u64) -> String {
    readyroom_core::traces::from_unix_nanos(nanos)
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

async fn services(query: &TraceQuery) -> Result<Vec<String>, QueryError> {
    let url = query.endpoint("api/v3/services");
    let Some((_, body)) = query.get(url, "application/json").await? else {
        return Ok(Vec::new());
    };
    let mut value: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| query.malformed(e.to_string()))?;
    // grpc-gateway may wrap it as a stream's `result`.
    if let Some(inner) = value.get_mut("result").map(serde_json::Value::take) {
        value = inner;
    }
    let services: Services = serde_json::from_value(value)
        .map_err(|e| query.malformed(format!("the services answer does not read: {e}")))?;
    Ok(services.services)
}

pub(super) async fn search(
    query: &TraceQuery,
    search: &Search,
) -> Result<Vec<TraceLine>, QueryError> {
    let filter = &search.filter;
    let mut found = traces(query, search).await?;
    // Jaeger's tag search is per span and exact on strings; the spans are
    // here whole, so the attribute is matched as the local store does.
    if let Some(attribute) = &filter.attribute {
        found.retain(|spans| attribute.any(spans));
    }
    Ok(summarize(found, filter.route.as_deref())
        .into_iter()
        .filter(|f: &TraceLine| {
            filter
                .failed
                .is_none_or(|failed| (f.error_spans.unwrap_or(0) > 0) == failed)
                && filter.duration_fits(f.duration_ns)
        })
        .collect())
}

/// The traces a search finds, each whole (Jaeger answers with every span
/// of every trace), each once however many of its services found it.
pub(super) async fn traces(
    query: &TraceQuery,
    search: &Search,
) -> Result<Vec<Vec<Span>>, QueryError> {
    let filter = &search.filter;
    let services = match &filter.service {
        Some(service) => vec![service.clone()],
        None => {
            let mut all = services(query).await?;
            all.sort();
            all.truncate(MAX_SERVICES);
            all
        }
    };
    let mut found: Vec<Vec<Span>> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for service in services {
        let mut url = query.endpoint("api/v3/traces");
        {
            let mut pairs = url.query_pairs_mut();
            pairs
                .append_pair("query.service_name", &service)
                .append_pair("query.start_time_min", &rfc3339(search.from_ns))
                .append_pair("query.start_time_max", &rfc3339(search.to_ns))
                .append_pair("query.num_traces", &filter.limit.to_string());
            if filter.min_duration_ns > 0 {
                pairs.append_pair(
                    "query.duration_min",
                    &format!("{}us", filter.min_duration_ns.div_ceil(1_000)),
                );
            }
        }
        // 404: Jaeger found no trace.
        let Some((_, body)) = query.get(url, "application/json").await? else {
            continue;
        };
        // A trace that crosses services is found once per service.
        for spans in by_trace(query.spans_from_json(&body)?) {
            if spans.first().is_some_and(|s| seen.insert(s.trace_id)) {
                found.push(spans);
            }
        }
    }
    Ok(found)
}

pub(super) async fn trace(query: &TraceQuery, id: TraceId) -> Result<Vec<Span>, QueryError> {
    let url = query.endpoint(&format!("api/v3/traces/{id}"));
    match query.get(url, "application/json").await? {
        None => Ok(Vec::new()),
        Some((_, body)) => query.spans_from_json(&body),
    }
}
