//! Which requests pay for a saturated pool: each route's share of time
//! spent in connection-acquire spans, from the newest traces in the local
//! span store over a window.

use readyroom_core::pools::acquire::{waits_by_route, DEFAULT_ACQUIRE_SPANS};
use readyroom_core::traces::{unix_nanos, TraceFilter, TraceOrder};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use readyroom_core::pools::acquire::RouteWait;

use crate::{context, Api, ApiError};

/// The most traces one answer reads: enough for a share per route to mean
/// something, few enough to answer in a blink.
const TRACES_READ: u32 = 500;

#[derive(Debug, Clone, Default, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PoolWaitsRequest {
    #[serde(default)]
    #[ts(optional)]
    pub environment: Option<String>,
    /// How far back, minutes (default 15, at most 1,440).
    #[serde(default)]
    #[ts(optional)]
    pub minutes: Option<u32>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PoolWaitsView {
    pub environment: String,
    pub minutes: u32,
    /// The span names counted as waiting for a connection.
    pub span_names: Vec<String>,
    /// How many traces were read (the newest of the window).
    pub traces: u32,
    /// Whether the window held more than were read.
    pub capped: bool,
    /// Routes, the largest share first.
    pub routes: Vec<RouteWait>,
    /// The first route's p95 latency minute by minute over the window
    /// (from the span store's per-minute rollups), for a chart on which
    /// the pool's saturated stretches are marked.
    #[ts(optional)]
    pub latency: Option<RouteLatency>,
}

/// One route's latency, minute by minute.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RouteLatency {
    pub service: String,
    pub route: String,
    /// Minutes with requests, oldest first.
    pub minutes: Vec<LatencyMinute>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LatencyMinute {
    /// The minute's start, unix ms.
    pub t: f64,
    pub requests: u32,
    pub p95_ms: f64,
}

pub(crate) async fn get_pool_waits(
    api: &Api,
    r: PoolWaitsRequest,
) -> Result<PoolWaitsView, ApiError> {
    let config = context::load_config(api)?.config;
    let (name, env) = context::environment(&config, r.environment.as_deref())?;
    let minutes = r.minutes.unwrap_or(15).clamp(1, 1_440);
    let span_names = env.traces.as_ref().map_or_else(
        || {
            DEFAULT_ACQUIRE_SPANS
                .iter()
                .map(|s| s.to_string())
                .collect()
        },
        |t| t.acquire_span_names(),
    );
    let mut view = PoolWaitsView {
        environment: name.to_string(),
        minutes,
        span_names,
        traces: 0,
        capped: false,
        routes: Vec::new(),
        latency: None,
    };
    let Some(store) = api.span_store().await? else {
        return Ok(view);
    };
    let to = api.now();
    let from = to - time::Duration::minutes(i64::from(minutes));
    let filter = TraceFilter {
        order: TraceOrder::Newest,
        limit: TRACES_READ,
        ..TraceFilter::default()
    };
    let listed = store
        .traces(name, unix_nanos(from), unix_nanos(to), &filter)
        .await?;
    let mut traces = Vec::with_capacity(listed.lines.len());
    for line in &listed.lines {
        traces.push(store.trace(line.trace_id).await?);
    }
    view.traces = traces.len() as u32;
    view.capped = traces.len() as u32 >= TRACES_READ;
    view.routes = waits_by_route(traces.iter().map(Vec::as_slice), &view.span_names);
    if let Some(top) = view.routes.first() {
        let minutes = store
            .route_minutes(
                name,
                &top.service,
                &top.route,
                unix_nanos(from),
                unix_nanos(to),
            )
            .await?;
        view.latency = Some(RouteLatency {
            service: top.service.clone(),
            route: top.route.clone(),
            minutes: minutes
                .into_iter()
                .filter_map(|(minute, stats)| {
                    Some(LatencyMinute {
                        t: (minute * 60_000) as f64,
                        requests: stats.requests.min(u64::from(u32::MAX)) as u32,
                        p95_ms: stats.quantile_ms(0.95)?,
                    })
                })
                .collect(),
        });
    }
    Ok(view)
}
