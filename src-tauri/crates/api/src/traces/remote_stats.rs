//! `traces stats` from an environment's Tempo or Jaeger: per service and
//! route, from Tempo's TraceQL metrics over the whole window; else (Jaeger,
//! or a Tempo without metrics) from a sample of whole traces, whose counts
//! are the sample's and whose rates are not known.

use std::collections::BTreeMap;

use readyroom_core::traces::{busiest_first, RouteAggregator, RouteStats, Trace, ALL_ROUTES};
use readyroom_sources::trace_query::{Engine, Instant, QueryError, TraceQuery, FAILED_REQUEST};

use super::wire::StatsGrouping;

/// Traces read when the statistics come from a sample.
const SAMPLE: u32 = 200;

pub(crate) struct RemoteStats {
    pub routes: Vec<RouteStats>,
    /// Where they came from, and how, in words.
    pub source: String,
}

const SERVICE: &str = "resource.service.name";

/// A TraceQL selection of request spans, and the labels naming its groups
/// (service, then route when grouped by route). Its failed requests are
/// the same selection `&& FAILED_REQUEST`.
struct Selection {
    spans: &'static str,
    by: &'static [&'static str],
}

/// `route_of`: `http.route`, else the span's name; the two are asked for
/// separately so that each group's quantiles are Tempo's own.
const BY_ROUTE: [Selection; 2] = [
    Selection {
        spans: "kind = server && span.http.route != nil",
        by: &[SERVICE, "span.http.route"],
    },
    Selection {
        spans: "kind = server && span.http.route = nil",
        by: &[SERVICE, "name"],
    },
];

const BY_SERVICE: [Selection; 1] = [Selection {
    spans: "kind = server",
    by: &[SERVICE],
}];

#[derive(Default)]
struct Group {
    requests: f64,
    errors: f64,
    /// Seconds, by quantile.
    p50: Option<f64>,
    p95: Option<f64>,
    p99: Option<f64>,
}

type Groups = BTreeMap<(String, String), Group>;

fn key(labels: &[(String, String)], by: &[&str]) -> (String, String) {
    let get = |k: &str| {
        labels
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let service = get(by[0]);
    let route = by.get(1).map_or_else(|| ALL_ROUTES.to_string(), |k| get(k));
    (service, route)
}

/// Folds one selection's three answers into `groups`.
fn fold(groups: &mut Groups, by: &[&str], counts: &Instant, failed: &Instant, quantiles: &Instant) {
    for s in &counts.series {
        if s.value.is_finite() {
            groups.entry(key(&s.labels, by)).or_default().requests += s.value;
        }
    }
    for s in &failed.series {
        if s.value.is_finite() {
            groups.entry(key(&s.labels, by)).or_default().errors += s.value;
        }
    }
    for s in &quantiles.series {
        let Some(p) = s.label("p").and_then(|p| p.parse::<f64>().ok()) else {
            continue;
        };
        let Some(group) = groups.get_mut(&key(&s.labels, by)) else {
            continue;
        };
        let value = s.value.is_finite().then_some(s.value);
        match p {
            p if (p - 0.50).abs() < 1e-9 => group.p50 = value,
            p if (p - 0.95).abs() < 1e-9 => group.p95 = value,
            p if (p - 0.99).abs() < 1e-9 => group.p99 = value,
            _ => {}
        }
    }
}

fn rows(groups: Groups, window_secs: f64) -> Vec<RouteStats> {
    let ms = |s: Option<f64>| s.map_or(0.0, |s| s * 1_000.0);
    let mut out: Vec<RouteStats> = groups
        .into_iter()
        .filter(|(_, g)| g.requests >= 0.5)
        .map(|((service, route), g)| {
            let requests = g.requests.round() as u64;
            let errors = (g.errors.round() as u64).min(requests);
            RouteStats {
                service,
                route,
                requests,
                errors,
                error_ratio: errors as f64 / requests as f64,
                requests_per_second: Some(if window_secs > 0.0 {
                    g.requests / window_secs
                } else {
                    0.0
                }),
                p50_ms: ms(g.p50),
                p95_ms: ms(g.p95),
                p99_ms: ms(g.p99),
            }
        })
        .collect();
    busiest_first(&mut out);
    out
}

/// Per service and route from Tempo's metrics.
async fn metrics(
    query: &TraceQuery,
    by: StatsGrouping,
    from_ns: u64,
    to_ns: u64,
    window_secs: f64,
) -> Result<Vec<RouteStats>, QueryError> {
    let selections: &[Selection] = match by {
        StatsGrouping::Route => &BY_ROUTE,
        StatsGrouping::Service => &BY_SERVICE,
    };
    let mut groups = Groups::new();
    for selection in selections {
        let by_clause = selection.by.join(", ");
        let ask = |q: String| async move { query.instant(&q, from_ns, to_ns).await };
        let (counts, failed, quantiles) = tokio::try_join!(
            ask(format!(
                "{{ {} }} | count_over_time() by ({by_clause})",
                selection.spans
            )),
            ask(format!(
                "{{ {} && {FAILED_REQUEST} }} | count_over_time() by ({by_clause})",
                selection.spans
            )),
            ask(format!(
                "{{ {} }} | quantile_over_time(duration, .5, .95, .99) by ({by_clause})",
                selection.spans
            )),
        )?;
        fold(&mut groups, selection.by, &counts, &failed, &quantiles);
    }
    Ok(rows(groups, window_secs))
}

/// Per service and route over a sample of whole traces; rates unknown.
async fn sampled(
    query: &TraceQuery,
    by: StatsGrouping,
    from_ns: u64,
    to_ns: u64,
) -> Result<(Vec<RouteStats>, usize), QueryError> {
    let traces = query
        .sample(from_ns, to_ns, "{ kind = server }", SAMPLE)
        .await?;
    let count = traces.len();
    let mut routes = RouteAggregator::default();
    for spans in traces {
        let Some(trace) = Trace::assemble(spans) else {
            continue;
        };
        for span in trace
            .spans
            .iter()
            .filter(|s| s.start_unix_nano >= from_ns && s.start_unix_nano < to_ns)
        {
            routes.add(span);
        }
    }
    let grouped = match by {
        StatsGrouping::Route => routes,
        StatsGrouping::Service => routes.by_service(),
    };
    let mut rows = grouped.finish(0.0);
    for row in &mut rows {
        row.requests_per_second = None;
    }
    Ok((rows, count))
}

pub(crate) async fn stats(
    query: &TraceQuery,
    by: StatsGrouping,
    from_ns: u64,
    to_ns: u64,
    window_secs: f64,
) -> Result<RemoteStats, QueryError> {
    let place = format!("{} at {}", query.engine().name(), query.url());
    let why = match query.engine() {
        Engine::Tempo => match metrics(query, by, from_ns, to_ns, window_secs).await {
            Ok(routes) => {
                return Ok(RemoteStats {
                    routes,
                    source: format!("{place} (TraceQL metrics)"),
                })
            }
            Err(e) if e.no_aggregate() => format!("TraceQL metrics unavailable: {e}"),
            Err(e) => return Err(e),
        },
        Engine::Jaeger => "Jaeger has no aggregate query".to_string(),
    };
    let (routes, traces) = sampled(query, by, from_ns, to_ns).await?;
    Ok(RemoteStats {
        routes,
        source: format!(
            "a sample of the newest {traces} traces from {place} ({why}): counts are the sample's, rates unknown"
        ),
    })
}
