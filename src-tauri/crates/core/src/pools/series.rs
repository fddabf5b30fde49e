//! The stored readings of an environment's pool sources as time series
//! for the charts: connections by state against the usable limit, the
//! pooler's waiting clients and longest wait, its transactions, queries and
//! waits per second from counter deltas, the app pool against its max, and
//! the periods each source was unreachable.
//!
//! Rates come only from two consecutive good samples with no failure
//! between them and close enough together ([`super::max_gap`]); otherwise
//! the point says why it has none (a reset, a gap), and the chart breaks
//! its line there rather than drawing through what nobody saw.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use ts_rs::TS;

use super::counters::{pooler_rates, server_rates, NoRate};
use super::sample::{AppPoolSample, PoolerSample, ServerSample, StateCounts};
use super::saturated::{saturated_stretches, SaturatedStretch};

/// One source's sample, or why there was none (what the sampler keeps).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "is")]
pub enum PoolReading {
    Server(ServerSample),
    Pooler(PoolerSample),
    App(AppPoolSample),
    Failed { source: String, reason: String },
}

impl PoolReading {
    /// How busy the reading says its source was: the figure whose peak a
    /// chart keeps when it draws one sample of many (none for a failure).
    /// The server's client sessions; the pooler's waiting clients, then
    /// the longest wait (squeezed into the fraction, so one more waiting
    /// client always counts for more); the app pool's in-use and waiting.
    pub fn load(&self) -> Option<f64> {
        match self {
            PoolReading::Server(s) => Some(s.client_connections() as f64),
            PoolReading::Pooler(p) => {
                let wait_s = p.max_wait_us() as f64 / 1e6;
                Some(p.clients_waiting() as f64 + wait_s / (1.0 + wait_s))
            }
            PoolReading::App(a) => Some(a.in_use.unwrap_or(0.0) + a.waiting.unwrap_or(0.0)),
            PoolReading::Failed { .. } => None,
        }
    }
}

/// Which source a reading is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum PoolKind {
    Server,
    Pooler,
    App,
}

/// The server at one sample.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ServerPoint {
    /// Unix ms.
    pub t: f64,
    pub states: StateCounts,
    #[ts(type = "number")]
    pub usable: u64,
    /// Commits per second since the sample before, when there is one.
    pub commits_per_second: Option<f64>,
}

/// The pooler at one sample.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PoolerPoint {
    pub t: f64,
    #[ts(type = "number")]
    pub waiting: u64,
    pub max_wait_ms: f64,
    pub transactions_per_second: Option<f64>,
    pub queries_per_second: Option<f64>,
    /// Time clients spent waiting since the sample before, ms per second.
    pub wait_ms_per_second: Option<f64>,
    /// Why the rates are missing (absent on a series' first point).
    pub no_rates: Option<NoRate>,
}

/// The app's pool at one sample.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppPoint {
    pub t: f64,
    pub in_use: Option<f64>,
    pub waiting: Option<f64>,
    pub max: Option<f64>,
}

/// A stretch of failed readings of one source.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Outage {
    pub kind: PoolKind,
    /// The first and last failed reading, unix ms.
    pub from: f64,
    pub to: f64,
    pub reason: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PoolSeries {
    pub server: Vec<ServerPoint>,
    pub pooler: Vec<PoolerPoint>,
    pub app: Vec<AppPoint>,
    pub outages: Vec<Outage>,
    /// When some source said requests were waiting for a connection
    /// (pool saturated), to mark on latency charts.
    pub saturated: Vec<SaturatedStretch>,
    /// When the window held more samples than a chart draws: each point
    /// is the busiest sample of a stretch this long, ms.
    #[ts(optional)]
    pub stretch_ms: Option<f64>,
}

fn ms(t: OffsetDateTime) -> f64 {
    (t.unix_timestamp_nanos() / 1_000_000) as f64
}

/// The series of `readings` (each source's oldest first), rates over
/// intervals no longer than `max_gap`.
pub fn series(
    readings: &[(PoolKind, OffsetDateTime, PoolReading)],
    max_gap: time::Duration,
) -> PoolSeries {
    let mut out = PoolSeries::default();
    let mut last_server: Option<&ServerSample> = None;
    let mut last_pooler: Option<&PoolerSample> = None;
    // A failure since a kind's last good sample.
    let mut broken = [false; 3];
    let slot = |kind: PoolKind| match kind {
        PoolKind::Server => 0,
        PoolKind::Pooler => 1,
        PoolKind::App => 2,
    };
    for (kind, at, reading) in readings {
        let t = ms(*at);
        match reading {
            PoolReading::Failed { reason, .. } => {
                broken[slot(*kind)] = true;
                // The same failure going on: the kind's latest outage, with
                // no good sample of the kind since it was last seen.
                let ongoing = out
                    .outages
                    .iter()
                    .rposition(|o| o.kind == *kind)
                    .filter(|&i| {
                        out.outages[i].reason == *reason
                            && open_outage(&out, *kind, out.outages[i].to)
                    });
                match ongoing {
                    Some(i) => out.outages[i].to = t,
                    None => out.outages.push(Outage {
                        kind: *kind,
                        from: t,
                        to: t,
                        reason: reason.clone(),
                    }),
                }
            }
            PoolReading::Server(s) => {
                let commits = match last_server {
                    Some(before) if !broken[0] => server_rates(before, s, max_gap)
                        .ok()
                        .map(|r| r.commits_per_second),
                    _ => None,
                };
                out.server.push(ServerPoint {
                    t,
                    states: s.states,
                    usable: s.usable_connections(),
                    commits_per_second: commits,
                });
                last_server = Some(s);
                broken[0] = false;
            }
            PoolReading::Pooler(p) => {
                let rates = match last_pooler {
                    None => None,
                    Some(_) if broken[1] => Some(Err(NoRate::Gap)),
                    Some(before) => Some(pooler_rates(before, p, max_gap)),
                };
                let (tps, qps, wait, no_rates) = match rates {
                    Some(Ok(r)) => (
                        Some(r.transactions_per_second),
                        Some(r.queries_per_second),
                        Some(r.wait_ms / r.seconds),
                        None,
                    ),
                    Some(Err(why)) => (None, None, None, Some(why)),
                    None => (None, None, None, None),
                };
                out.pooler.push(PoolerPoint {
                    t,
                    waiting: p.clients_waiting(),
                    max_wait_ms: p.max_wait_us() as f64 / 1_000.0,
                    transactions_per_second: tps,
                    queries_per_second: qps,
                    wait_ms_per_second: wait,
                    no_rates,
                });
                last_pooler = Some(p);
                broken[1] = false;
            }
            PoolReading::App(a) => {
                out.app.push(AppPoint {
                    t,
                    in_use: a.in_use,
                    waiting: a.waiting,
                    max: a.max,
                });
                broken[2] = false;
            }
        }
    }
    out.saturated = saturated_stretches(&out);
    out
}

/// Whether the last outage of `kind` is still the current one: no good
/// sample of that kind came after it ended at `to`.
fn open_outage(out: &PoolSeries, kind: PoolKind, to: f64) -> bool {
    let after = |t: f64| t > to;
    match kind {
        PoolKind::Server => !out.server.last().is_some_and(|p| after(p.t)),
        PoolKind::Pooler => !out.pooler.last().is_some_and(|p| after(p.t)),
        PoolKind::App => !out.app.last().is_some_and(|p| after(p.t)),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;
    use time::Duration;

    use super::*;
    use crate::pools::sample::{PoolerCounters, PoolerPool};

    const T0: OffsetDateTime = datetime!(2026-11-23 10:00:00 UTC);

    fn pooler(at: OffsetDateTime, xacts: u64, wait_us: u64, waiting: u64) -> PoolReading {
        PoolReading::Pooler(PoolerSample {
            source: "pgbouncer".into(),
            at,
            pools: vec![PoolerPool {
                database: "app".into(),
                cl_waiting: waiting,
                maxwait_us: waiting * 100_000,
                ..PoolerPool::default()
            }],
            databases: Vec::new(),
            counters: vec![PoolerCounters {
                database: "app".into(),
                xact_count: xacts,
                query_count: xacts,
                wait_time_us: wait_us,
                ..PoolerCounters::default()
            }],
        })
    }

    fn failed(reason: &str) -> PoolReading {
        PoolReading::Failed {
            source: "pgbouncer".into(),
            reason: reason.into(),
        }
    }

    #[test]
    fn rates_between_good_samples_and_none_across_a_failure_or_a_restart() {
        let at = |s: i64| T0 + Duration::seconds(s);
        let readings = vec![
            (PoolKind::Pooler, at(0), pooler(at(0), 100, 0, 0)),
            (PoolKind::Pooler, at(5), pooler(at(5), 150, 2_500_000, 3)),
            (PoolKind::Pooler, at(10), failed("refused")),
            (PoolKind::Pooler, at(15), failed("refused")),
            (PoolKind::Pooler, at(20), pooler(at(20), 10, 0, 0)),
            (PoolKind::Pooler, at(25), pooler(at(25), 20, 0, 0)),
            (PoolKind::Pooler, at(30), pooler(at(30), 5, 0, 0)),
        ];
        let s = series(&readings, Duration::seconds(16));
        let p = &s.pooler;
        assert_eq!(p.len(), 5);
        assert_eq!(
            p[0].no_rates, None,
            "a first point has no rates and no reason"
        );
        assert_eq!(p[1].transactions_per_second, Some(10.0));
        assert_eq!(p[1].wait_ms_per_second, Some(500.0));
        assert_eq!(p[1].waiting, 3);
        assert_eq!(p[2].no_rates, Some(NoRate::Gap), "across the outage");
        assert_eq!(p[3].transactions_per_second, Some(2.0));
        assert_eq!(p[4].no_rates, Some(NoRate::Reset));
        assert_eq!(
            s.outages,
            vec![Outage {
                kind: PoolKind::Pooler,
                from: ms(at(10)),
                to: ms(at(15)),
                reason: "refused".into()
            }]
        );
    }

    #[test]
    fn outages_of_different_sources_or_separated_by_a_good_sample_stay_apart() {
        let at = |s: i64| T0 + Duration::seconds(s);
        let readings = vec![
            (PoolKind::Pooler, at(0), failed("refused")),
            (PoolKind::App, at(0), failed("refused")),
            (PoolKind::Pooler, at(5), pooler(at(5), 1, 0, 0)),
            (PoolKind::Pooler, at(10), failed("refused")),
        ];
        let s = series(&readings, Duration::seconds(16));
        assert_eq!(s.outages.len(), 3, "{:?}", s.outages);
    }

    #[test]
    fn samples_too_far_apart_have_no_rates() {
        let at = |s: i64| T0 + Duration::seconds(s);
        let readings = vec![
            (PoolKind::Pooler, at(0), pooler(at(0), 1, 0, 0)),
            (PoolKind::Pooler, at(60), pooler(at(60), 2, 0, 0)),
        ];
        let s = series(&readings, Duration::seconds(16));
        assert_eq!(s.pooler[1].no_rates, Some(NoRate::Gap));
    }
}
