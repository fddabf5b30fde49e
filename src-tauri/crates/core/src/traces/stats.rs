//! Request rate, error ratio and latency percentiles per service and
//! route, from SERVER spans. Percentiles come from an HDR histogram (3
//! significant digits, microsecond resolution), so memory per route is
//! bounded however many spans are folded in, and two partial results
//! (from two stores, or two time slices) merge exactly.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::Serialize;
use ts_rs::TS;

use super::span::{Span, SpanKind, StatusCode};

/// The route a request span belongs to: `http.route`, else its name.
pub fn route_of(span: &Span) -> &str {
    span.attributes.str("http.route").unwrap_or(&span.name)
}

/// The HTTP response status of a span, by the current semantic conventions
/// or the older attribute.
pub fn http_status(span: &Span) -> Option<i64> {
    span.attributes
        .i64("http.response.status_code")
        .or_else(|| span.attributes.i64("http.status_code"))
}

/// A request failed: status ERROR, or an HTTP status of 500 or more
/// (RUBRIC.md, `rel.error_rate`).
pub fn is_failed_request(span: &Span) -> bool {
    span.status == StatusCode::Error || http_status(span).is_some_and(|s| s >= 500)
}

/// Latency and outcomes of one group of request spans.
#[derive(Debug, Clone)]
pub struct LatencyStats {
    histogram: Histogram<u64>,
    pub requests: u64,
    pub errors: u64,
}

impl Default for LatencyStats {
    fn default() -> Self {
        LatencyStats {
            // Auto-resizing: no upper bound to pick, and recording never fails.
            histogram: Histogram::new(3)
                .expect("3 significant digits is within hdrhistogram's 0..=5"),
            requests: 0,
            errors: 0,
        }
    }
}

impl LatencyStats {
    pub fn record(&mut self, duration_nanos: u64, failed: bool) {
        // Microseconds, at least 1 (an HDR histogram's lowest value).
        let _ = self.histogram.record((duration_nanos / 1_000).max(1));
        self.requests += 1;
        if failed {
            self.errors += 1;
        }
    }

    pub fn merge(&mut self, other: &LatencyStats) {
        let _ = self.histogram.add(&other.histogram);
        self.requests += other.requests;
        self.errors += other.errors;
    }

    /// The latency at `quantile` (0..=1) in milliseconds; `None` without
    /// requests.
    pub fn quantile_ms(&self, quantile: f64) -> Option<f64> {
        (self.requests > 0).then(|| self.histogram.value_at_quantile(quantile) as f64 / 1_000.0)
    }

    /// The recorded buckets, as (a value in the bucket in microseconds,
    /// count): few per group, so a rollup keeps only these.
    pub fn buckets(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.histogram
            .iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
    }

    /// Adds stored buckets and their counts (cheaper than `merge`, which
    /// walks the other histogram's whole range).
    pub fn add_buckets(
        &mut self,
        buckets: impl IntoIterator<Item = (u64, u64)>,
        requests: u64,
        errors: u64,
    ) {
        for (micros, count) in buckets {
            let _ = self.histogram.record_n(micros.max(1), count);
        }
        self.requests += requests;
        self.errors += errors;
    }

    pub fn error_ratio(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.errors as f64 / self.requests as f64)
    }
}

/// One service and route over a window, as the overview and the trace
/// checks read it (and the UI, as is).
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RouteStats {
    pub service: String,
    pub route: String,
    #[ts(type = "number")]
    pub requests: u64,
    #[ts(type = "number")]
    pub errors: u64,
    pub error_ratio: f64,
    /// Unknown when the requests are a sample's (a remote store without
    /// an aggregate query).
    pub requests_per_second: Option<f64>,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
}

/// Sorts rows busiest first (then by service and route, so equal rows
/// keep one order).
pub fn busiest_first(rows: &mut [RouteStats]) {
    rows.sort_by(|a, b| {
        b.requests
            .cmp(&a.requests)
            .then_with(|| (&a.service, &a.route).cmp(&(&b.service, &b.route)))
    });
}

/// The route of a row that sums all of a service's routes.
pub const ALL_ROUTES: &str = "*";

/// Folds SERVER spans into per-(service, route) statistics over a window
/// of `window_secs` seconds (for the rate).
#[derive(Debug, Default)]
pub struct RouteAggregator {
    groups: BTreeMap<(String, String), LatencyStats>,
}

impl RouteAggregator {
    /// Counts `span` if it is a request (SERVER kind); others are ignored.
    pub fn add(&mut self, span: &Span) {
        if span.kind != SpanKind::Server {
            return;
        }
        self.record(
            span.service.clone(),
            route_of(span).to_string(),
            span.duration_nanos(),
            is_failed_request(span),
        );
    }

    /// Counts one request already reduced to its service, route, duration
    /// and outcome (as a store reads them back).
    pub fn record(&mut self, service: String, route: String, duration_nanos: u64, failed: bool) {
        self.groups
            .entry((service, route))
            .or_default()
            .record(duration_nanos, failed);
    }

    /// Adds a stored rollup of a service and route: its buckets (see
    /// `LatencyStats::buckets`) and counts.
    pub fn add_buckets(
        &mut self,
        service: String,
        route: String,
        buckets: impl IntoIterator<Item = (u64, u64)>,
        requests: u64,
        errors: u64,
    ) {
        self.groups
            .entry((service, route))
            .or_default()
            .add_buckets(buckets, requests, errors);
    }

    /// Adds a service and route's statistics gathered elsewhere.
    pub fn add_stats(&mut self, service: String, route: String, stats: LatencyStats) {
        match self.groups.entry((service, route)) {
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(stats);
            }
            std::collections::btree_map::Entry::Occupied(mut o) => o.get_mut().merge(&stats),
        }
    }

    /// Adds another aggregator's groups (one over other requests).
    pub fn merge(&mut self, other: RouteAggregator) {
        for ((service, route), stats) in other.groups {
            self.add_stats(service, route, stats);
        }
    }

    /// The groups and their stats, to store as rollups.
    pub fn groups(&self) -> impl Iterator<Item = (&str, &str, &LatencyStats)> {
        self.groups
            .iter()
            .map(|((service, route), stats)| (service.as_str(), route.as_str(), stats))
    }

    /// The same requests per service, all its routes together (route `*`).
    pub fn by_service(&self) -> RouteAggregator {
        let mut out = RouteAggregator::default();
        for ((service, _), stats) in &self.groups {
            out.groups
                .entry((service.clone(), ALL_ROUTES.to_string()))
                .or_default()
                .merge(stats);
        }
        out
    }

    /// All requests of all routes together.
    pub fn overall(&self) -> LatencyStats {
        let mut all = LatencyStats::default();
        for stats in self.groups.values() {
            all.merge(stats);
        }
        all
    }

    /// Per route, busiest first.
    pub fn finish(&self, window_secs: f64) -> Vec<RouteStats> {
        let mut out: Vec<RouteStats> = self
            .groups
            .iter()
            .map(|((service, route), s)| RouteStats {
                service: service.clone(),
                route: route.clone(),
                requests: s.requests,
                errors: s.errors,
                error_ratio: s.error_ratio().unwrap_or(0.0),
                requests_per_second: Some(if window_secs > 0.0 {
                    s.requests as f64 / window_secs
                } else {
                    0.0
                }),
                p50_ms: s.quantile_ms(0.50).unwrap_or(0.0),
                p95_ms: s.quantile_ms(0.95).unwrap_or(0.0),
                p99_ms: s.quantile_ms(0.99).unwrap_or(0.0),
            })
            .collect();
        busiest_first(&mut out);
        out
    }
}
