//! The traces area's command handlers, over the local span store.

use readyroom_core::traces::{
    compare, critical_path, critical_time, from_unix_nanos, how_to_attribute, self_times,
    summarize, unix_nanos, upstream_calls, AttributeMatch, Issue, Span, SpanKind, Trace,
    TraceFilter, TraceId, TraceOrder, UpstreamCall, Upstreams,
};
use readyroom_sources::trace_query::{QueryError, Search, TraceQuery};
use readyroom_store::{Listed, SpanStore};

use super::waterfall::{columns, TraceColumns};
use super::wire::{
    AttemptRow, ComparedRow, ComparedTrace, RemoteDown, SpanChange, SpanRow, StatsGrouping,
    TraceCompareRequest, TraceComparisonView, TraceExport, TraceListRequest, TraceListRow,
    TraceListView, TraceRequest, TraceSort, TraceStatsRequest, TraceStatsView, TraceStatus,
    TraceView, UpstreamCallRow,
};
use super::{remote, remote_stats};
use crate::{context, Api, ApiError, ErrorCode};

const DEFAULT_SINCE_MINUTES: u32 = 60;
const DEFAULT_LIST_LIMIT: u32 = 50;
const MAX_LIST_LIMIT: u32 = 10_000;

pub(super) fn rfc3339(nanos: u64) -> String {
    from_unix_nanos(nanos)
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

pub(crate) async fn list_traces(api: &Api, r: TraceListRequest) -> Result<TraceListView, ApiError> {
    let config = context::load_config(api)?.config;
    let environment = context::environment(&config, r.environment.as_deref())?
        .0
        .to_string();
    let minutes = r.since_minutes.unwrap_or(DEFAULT_SINCE_MINUTES).max(1);
    let now = api.now();
    let attribute = r
        .attribute
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| {
            AttributeMatch::parse(a)
                .map_err(|e| ApiError::new(ErrorCode::InvalidRequest, shown(&e)))
        })
        .transpose()?;
    let nanos = |ms: f64| (ms.max(0.0) * 1_000_000.0) as u64;
    let filter = TraceFilter {
        service: r.service,
        route: r.route,
        failed: r.status.map(|s| s == TraceStatus::Error),
        min_duration_ns: r.min_duration_ms.map_or(0, nanos),
        max_duration_ns: r.max_duration_ms.map(nanos),
        attribute,
        order: match r.sort {
            Some(TraceSort::Duration) => TraceOrder::Slowest,
            _ => TraceOrder::Newest,
        },
        limit: r
            .limit
            .unwrap_or(DEFAULT_LIST_LIMIT)
            .clamp(1, MAX_LIST_LIMIT),
    };
    let ((from_ns, to_ns), minutes) = match window(r.from.as_deref(), r.to.as_deref())? {
        Some((from, to)) => (
            (unix_nanos(from), unix_nanos(to)),
            u32::try_from((to - from).whole_minutes().max(1)).unwrap_or(u32::MAX),
        ),
        None => (
            (
                unix_nanos(now - time::Duration::minutes(i64::from(minutes))),
                unix_nanos(now),
            ),
            minutes,
        ),
    };
    let remote = remote::source(api, &config, &environment).await?;
    let store = api.span_store().await?;
    let search = Search {
        from_ns,
        to_ns,
        filter,
    };
    let (listed, remote_down) =
        listed(api, remote.as_ref(), store, &environment, now, &search).await?;
    let note = listed.scan_stopped_at.map(|n| {
        format!("the attribute filter read the spans of the first {n} traces in this order and stopped there; narrow the window or add another filter to reach the rest")
    });
    let lines = listed.lines;
    let traces: Vec<TraceListRow> = lines
        .into_iter()
        .map(|t| TraceListRow {
            trace_id: t.trace_id.to_string(),
            start: rfc3339(t.start_ns),
            duration_ms: ms(t.duration_ns),
            root_service: t.root_service,
            root_name: t.root_name,
            route: t.route,
            spans: t.spans,
            error_spans: t.error_spans,
        })
        .collect();
    // Unattributed spans are the local receiver's; a remote store has none.
    let read_remote = remote.is_some() && remote_down.is_none();
    let store = store.filter(|_| !read_remote);
    let attribution_hint = attribution_hint(store, &environment, traces.is_empty()).await?;
    Ok(TraceListView {
        environment,
        source: if read_remote {
            remote::described(remote.as_ref())
        } else {
            remote::described(None)
        },
        remote_down,
        window_minutes: minutes,
        traces,
        attribution_hint,
        note,
    })
}

/// An explicit window (`from` and `to`, RFC 3339), when the request gives one.
fn window(
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Option<(time::OffsetDateTime, time::OffsetDateTime)>, ApiError> {
    let parse = |text: &str| {
        time::OffsetDateTime::parse(text.trim(), &time::format_description::well_known::Rfc3339)
            .map_err(|_| {
                ApiError::new(
                    ErrorCode::InvalidRequest,
                    format!(
                        "'{}' is not an RFC 3339 time (2026-11-23T10:40:00Z)",
                        shown(text)
                    ),
                )
            })
    };
    match (from, to) {
        (None, None) => Ok(None),
        (Some(from), Some(to)) => {
            let (from, to) = (parse(from)?, parse(to)?);
            if from >= to {
                return Err(ApiError::new(
                    ErrorCode::InvalidRequest,
                    "the window's start must come before its end",
                ));
            }
            Ok(Some((from, to)))
        }
        _ => Err(ApiError::new(
            ErrorCode::InvalidRequest,
            "a window needs both from and to",
        )),
    }
}

/// The traces a search finds: in the environment's Tempo or Jaeger when
/// it names one, else in the local store; a remote that does not answer
/// leaves the local store's, with since when it has failed.
async fn listed(
    api: &Api,
    remote: Option<&TraceQuery>,
    store: Option<&SpanStore>,
    environment: &str,
    now: time::OffsetDateTime,
    search: &Search,
) -> Result<(Listed, Option<RemoteDown>), ApiError> {
    let local = async |store: Option<&SpanStore>| match store {
        Some(store) => {
            store
                .traces(environment, search.from_ns, search.to_ns, &search.filter)
                .await
        }
        None => Ok(Listed::empty()),
    };
    let Some(query) = remote else {
        return Ok((local(store).await?, None));
    };
    let sighting = |result: Result<(), String>| readyroom_sources::Sighting {
        target: query.url().to_string(),
        result,
    };
    match query.search(search).await {
        Ok(lines) => {
            api.inner
                .scorecard
                .sighted(environment, now, "spans", sighting(Ok(())));
            Ok((
                Listed {
                    lines,
                    scan_stopped_at: None,
                },
                None,
            ))
        }
        // A search the engine cannot answer is the request's fault.
        Err(e @ QueryError::Unsupported(_)) => Err(e.into()),
        // Tempo or Jaeger down: say so, and show what is stored here.
        Err(e) => {
            let status = api.inner.scorecard.sighted(
                environment,
                now,
                "spans",
                sighting(Err(e.to_string())),
            );
            let down = RemoteDown {
                source: remote::described(Some(query)),
                since: status
                    .and_then(|s| s.since)
                    .map_or_else(String::new, |t| rfc3339(unix_nanos(t))),
                error: e.to_string(),
            };
            Ok((local(store).await?, Some(down)))
        }
    }
}

/// An empty answer while spans sit unattributed says how to place them.
async fn attribution_hint(
    store: Option<&SpanStore>,
    environment: &str,
    empty: bool,
) -> Result<Option<String>, ApiError> {
    let Some(store) = store.filter(|_| empty) else {
        return Ok(None);
    };
    let unattributed = store.count(None).await?;
    Ok((unattributed > 0).then(|| how_to_attribute(environment, unattributed)))
}

pub(super) fn ms(nanos: u64) -> f64 {
    nanos as f64 / 1_000_000.0
}

pub(crate) async fn get_trace_stats(
    api: &Api,
    r: TraceStatsRequest,
) -> Result<TraceStatsView, ApiError> {
    let config = context::load_config(api)?.config;
    let environment = context::environment(&config, r.environment.as_deref())?
        .0
        .to_string();
    let minutes = r.since_minutes.unwrap_or(DEFAULT_SINCE_MINUTES).max(1);
    let now = api.now();
    let by = r.by.unwrap_or_default();
    let (from_ns, to_ns) = (
        unix_nanos(now - time::Duration::minutes(i64::from(minutes))),
        unix_nanos(now),
    );
    let window_secs = f64::from(minutes) * 60.0;
    if let Some(remote) = remote::source(api, &config, &environment).await? {
        let stats = remote_stats::stats(&remote, by, from_ns, to_ns, window_secs).await?;
        return Ok(TraceStatsView {
            environment,
            source: stats.source,
            window_minutes: minutes,
            by,
            routes: stats.routes,
            attribution_hint: None,
        });
    }
    let store = api.span_store().await?;
    let routes = match store {
        None => Vec::new(),
        Some(store) => {
            let per_route = store.route_stats(&environment, from_ns, to_ns).await?;
            let grouped = match by {
                StatsGrouping::Route => per_route,
                StatsGrouping::Service => per_route.by_service(),
            };
            grouped.finish(window_secs)
        }
    };
    let attribution_hint = attribution_hint(store, &environment, routes.is_empty()).await?;
    Ok(TraceStatsView {
        environment,
        source: remote::described(None),
        window_minutes: minutes,
        by,
        routes,
        attribution_hint,
    })
}

/// Every span of the trace a request names: from an opened file when it
/// names one; else from the local store, else from the environment's
/// Tempo or Jaeger (the named environment, or the
/// default one when there is one).
pub(super) async fn stored_trace(
    api: &Api,
    r: &TraceRequest,
) -> Result<(TraceId, Vec<Span>), ApiError> {
    let id: TraceId = r.trace_id.trim().parse().map_err(|e| {
        ApiError::new(
            ErrorCode::InvalidRequest,
            format!("'{}' is not a trace id: {e}", shown(&r.trace_id)),
        )
    })?;
    if let Some(file) = &r.file {
        let spans = api.opened_files().trace(file, id).ok_or_else(|| {
            ApiError::new(
                ErrorCode::NotFound,
                format!("the file '{}' is no longer open (Readyroom keeps the last few opened files): open it again", shown(file)),
            )
        })?;
        if spans.is_empty() {
            return Err(ApiError::new(
                ErrorCode::NotFound,
                format!("the opened file has no span of trace {id}"),
            ));
        }
        return Ok((id, spans.as_ref().clone()));
    }
    if let Some(store) = api.span_store().await? {
        let spans = store.trace(id).await?;
        if !spans.is_empty() {
            return Ok((id, spans));
        }
    }
    // Without --env, a config that does not load or has no default just
    // has no remote to ask; a named environment must exist.
    let named = r.environment.as_deref();
    let config = match context::load_config(api) {
        Ok(parsed) => Some(parsed.config),
        Err(e) if named.is_some() => return Err(e),
        Err(_) => None,
    };
    let remote = match &config {
        Some(config) => match context::environment(config, named) {
            Ok((name, _)) => remote::source(api, config, name).await?,
            Err(e) if named.is_some() => return Err(e),
            Err(_) => None,
        },
        None => None,
    };
    let spans = match &remote {
        Some(remote) => remote.trace(id).await?,
        None => Vec::new(),
    };
    if spans.is_empty() {
        let place = match &remote {
            Some(_) => format!(
                "in the local span store or in {}",
                remote::described(remote.as_ref())
            ),
            None => "in the local span store".into(),
        };
        return Err(ApiError::new(
            ErrorCode::NotFound,
            format!("no span of trace {id} is stored {place}"),
        ));
    }
    Ok((id, spans))
}

pub(crate) async fn get_trace(api: &Api, r: TraceRequest) -> Result<TraceView, ApiError> {
    let (_, spans) = stored_trace(api, &r).await?;
    let trace = Trace::assemble(spans)
        .ok_or_else(|| ApiError::new(ErrorCode::Internal, "a stored trace had no spans"))?;
    Ok(view(&trace, &upstreams(api)))
}

pub(crate) async fn get_trace_columns(
    api: &Api,
    r: TraceRequest,
) -> Result<TraceColumns, ApiError> {
    let (_, spans) = stored_trace(api, &r).await?;
    let trace = Trace::assemble(spans)
        .ok_or_else(|| ApiError::new(ErrorCode::Internal, "a stored trace had no spans"))?;
    Ok(columns(&trace, &upstreams(api)))
}

pub(crate) async fn compare_traces(
    api: &Api,
    r: TraceCompareRequest,
) -> Result<TraceComparisonView, ApiError> {
    let assembled = |spans| {
        Trace::assemble(spans)
            .ok_or_else(|| ApiError::new(ErrorCode::Internal, "a stored trace had no spans"))
    };
    let request = |trace_id| TraceRequest {
        trace_id,
        environment: r.environment.clone(),
        file: None,
    };
    let (_, a_spans) = stored_trace(api, &request(r.a.clone())).await?;
    let (_, b_spans) = stored_trace(api, &request(r.b.clone())).await?;
    let (a, b) = (assembled(a_spans)?, assembled(b_spans)?);
    let comparison = compare(&a, &b);
    let side = |t: &Trace| {
        let summary = summarize(t);
        ComparedTrace {
            trace_id: t.trace_id.to_string(),
            root_service: summary.root_service,
            root_name: summary.root_name,
            duration_ms: ms(summary.duration_nanos),
        }
    };
    let (a_side, b_side) = (side(&a), side(&b));
    let note = (a_side.root_name != b_side.root_name || a_side.root_service != b_side.root_service)
        .then(|| {
            format!(
                "the traces start at different operations ({} {} and {} {}); compared anyway, but expect most spans to differ",
                a_side.root_service, a_side.root_name, b_side.root_service, b_side.root_name
            )
        });
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(TraceComparisonView {
        rows: comparison
            .rows
            .iter()
            .map(|row| ComparedRow {
                depth: count(row.depth),
                service: row.service.clone(),
                name: row.name.clone(),
                change: match (row.a, row.b) {
                    (Some(_), Some(_)) => SpanChange::Matched,
                    (Some(_), None) => SpanChange::Missing,
                    _ => SpanChange::Extra,
                },
                a_span_id: row.a.map(|i| a.spans[i].span_id.to_string()),
                b_span_id: row.b.map(|j| b.spans[j].span_id.to_string()),
                a_ms: row.a_nanos.map(ms),
                b_ms: row.b_nanos.map(ms),
                delta_ms: row.delta_nanos().map(|d| d as f64 / 1_000_000.0),
            })
            .collect(),
        matched: count(comparison.matched),
        missing: count(comparison.missing),
        extra: count(comparison.extra),
        note,
        a: a_side,
        b: b_side,
    })
}

pub(crate) async fn export_trace(api: &Api, r: TraceRequest) -> Result<TraceExport, ApiError> {
    let (id, spans) = stored_trace(api, &r).await?;
    Ok(TraceExport {
        trace_id: id.to_string(),
        otlp_json: readyroom_sources::otlp::to_json(&spans),
    })
}

/// Input echoed in an error: printable, and not a page of it.
pub(super) fn shown(text: &str) -> String {
    let text: String = text.chars().take(64).collect();
    readyroom_core::format::printable(&text)
}

pub(super) fn kind_name(kind: SpanKind) -> &'static str {
    match kind {
        SpanKind::Unspecified => "unspecified",
        SpanKind::Internal => "internal",
        SpanKind::Server => "server",
        SpanKind::Client => "client",
        SpanKind::Producer => "producer",
        SpanKind::Consumer => "consumer",
    }
}

pub(super) fn issue_text(issue: &Issue) -> String {
    match issue {
        Issue::DuplicateSpanId { span_id, copies } => {
            format!("span {span_id} arrived {copies} times; the first copy is shown")
        }
        Issue::Orphan {
            span_id,
            missing_parent,
        } => format!(
            "span {span_id}'s parent {missing_parent} was never received; it is shown as a root"
        ),
        Issue::CycleBroken { span_id } => {
            format!("the parent links loop through span {span_id}; the loop was broken there")
        }
        Issue::EndsBeforeStart { span_id } => {
            format!("span {span_id} ends before it starts; it is shown as lasting 0")
        }
        Issue::OtherTrace { spans } => format!("{spans} span(s) of another trace were left out"),
    }
}

/// LLM calls, and the hosts any environment names as upstreams (a trace
/// is read without choosing an environment).
pub(super) fn upstreams(api: &Api) -> Upstreams {
    let hosts = context::load_config(api)
        .map(|parsed| {
            parsed
                .config
                .environments
                .values()
                .filter_map(|env| env.traces.as_ref())
                .flat_map(|t| t.upstream_hosts.clone())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    Upstreams::new(hosts)
}

/// Span index → (upstream call, attempt), for the spans that are attempts.
pub(super) fn attempts_by_span(
    calls: &[UpstreamCall],
) -> std::collections::HashMap<usize, (usize, usize)> {
    let mut attempt_of = std::collections::HashMap::new();
    for (c, call) in calls.iter().enumerate() {
        for (n, a) in call.attempts.iter().enumerate() {
            attempt_of.insert(a.span, (c, n));
        }
    }
    attempt_of
}

pub(super) fn call_row(trace: &Trace, call: &UpstreamCall) -> UpstreamCallRow {
    UpstreamCallRow {
        name: call.name.clone(),
        upstream: call.upstream.clone(),
        model: call.model.clone(),
        outcome: call.outcome().clone(),
        attempts: call
            .attempts
            .iter()
            .map(|a| AttemptRow {
                span_id: trace.spans[a.span].span_id.to_string(),
                outcome: a.outcome.clone(),
                duration_ms: ms(a.duration_nanos),
                wait_before_ms: a.wait_before_nanos.map(ms),
                retry_after_seconds: a.retry_after_seconds,
            })
            .collect(),
        input_tokens: call.input_tokens,
        output_tokens: call.output_tokens,
        duration_ms: ms(call.duration_nanos),
    }
}

fn view(trace: &Trace, upstreams: &Upstreams) -> TraceView {
    let summary = summarize(trace);
    let calls = upstream_calls(trace, upstreams);
    let attempt_of = attempts_by_span(&calls);
    let bounds = trace.clipped_bounds();
    let selves = self_times(trace);
    let critical = critical_time(trace, &critical_path(trace));
    let start = rfc3339(summary.start_unix_nano);
    let spans = trace
        .preorder()
        .into_iter()
        .map(|(i, depth)| {
            let span = &trace.spans[i];
            let (s, e) = bounds[i];
            SpanRow {
                span_id: span.span_id.to_string(),
                parent_span_id: span.parent_span_id.map(|p| p.to_string()),
                depth: u32::try_from(depth).unwrap_or(u32::MAX),
                service: span.service.clone(),
                name: span.name.clone(),
                kind: kind_name(span.kind).into(),
                start_offset_ms: ms(s.saturating_sub(summary.start_unix_nano)),
                duration_ms: ms(e - s),
                self_ms: ms(selves[i]),
                critical_ms: ms(critical[i]),
                error: span.is_error(),
                status_message: span.status_message.clone(),
                upstream_call: attempt_of.get(&i).map(|&(c, _)| c as u32),
                attempt: attempt_of.get(&i).map(|&(_, n)| n as u32),
            }
        })
        .collect();
    TraceView {
        trace_id: trace.trace_id.to_string(),
        root_service: summary.root_service,
        root_name: summary.root_name,
        start,
        duration_ms: ms(summary.duration_nanos),
        services: u32::try_from(summary.services).unwrap_or(u32::MAX),
        error_spans: u32::try_from(summary.error_spans).unwrap_or(u32::MAX),
        issues: trace.issues.iter().map(issue_text).collect(),
        spans,
        upstream_calls: calls.iter().map(|c| call_row(trace, c)).collect(),
    }
}
