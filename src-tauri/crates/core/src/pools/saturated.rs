//! The stretches of a pool series when requests had to wait for a
//! connection, to mark on a route's latency chart: clients waiting at the
//! pooler, callers waiting on the app's pool or every one of its
//! connections in use (the next caller waits), or the server's sessions at
//! the critical share of its usable connections.
//!
//! A stretch runs from the first sample that says so to the first sample
//! of the same source that no longer does (or its last one, when the
//! series ends there or the source became unreachable): between samples
//! nobody saw it end.

use serde::Serialize;
use ts_rs::TS;

use super::saturation::limits;
use super::series::{PoolKind, PoolSeries};

/// One stretch of saturation.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SaturatedStretch {
    /// Unix ms.
    pub from: f64,
    pub to: f64,
    /// What said so, each once: "clients waiting at the pooler", …
    pub why: Vec<String>,
}

const POOLER: &str = "clients waiting at the pooler";
const APP: &str = "the app pool full or callers waiting on it";
const SERVER: &str = "server connections at 90 % of usable or more";

/// One source's say at one time: saturated or not (`None`: unknown from
/// here on, the source was unreachable).
struct Say {
    t: f64,
    kind: PoolKind,
    saturated: Option<bool>,
}

fn slot(kind: PoolKind) -> usize {
    match kind {
        PoolKind::Server => 0,
        PoolKind::Pooler => 1,
        PoolKind::App => 2,
    }
}

fn why(kind: PoolKind) -> &'static str {
    match kind {
        PoolKind::Server => SERVER,
        PoolKind::Pooler => POOLER,
        PoolKind::App => APP,
    }
}

/// The stretches of `series` when some source said requests were waiting.
pub fn saturated_stretches(series: &PoolSeries) -> Vec<SaturatedStretch> {
    let mut says: Vec<Say> = Vec::new();
    for p in &series.server {
        let used = p.states.total() as f64;
        says.push(Say {
            t: p.t,
            kind: PoolKind::Server,
            saturated: Some(
                p.usable > 0 && used * 100.0 / p.usable as f64 >= limits::CONNECTIONS_CRITICAL,
            ),
        });
    }
    for p in &series.pooler {
        says.push(Say {
            t: p.t,
            kind: PoolKind::Pooler,
            saturated: Some(p.waiting > 0),
        });
    }
    for p in &series.app {
        says.push(Say {
            t: p.t,
            kind: PoolKind::App,
            saturated: Some(
                p.waiting.is_some_and(|w| w > 0.0)
                    || matches!((p.in_use, p.max), (Some(used), Some(max)) if max > 0.0 && used >= max),
            ),
        });
    }
    for o in &series.outages {
        says.push(Say {
            t: o.from,
            kind: o.kind,
            saturated: None,
        });
    }
    // Stable: at one time, samples before outages (as pushed).
    says.sort_by(|a, b| a.t.total_cmp(&b.t));

    let mut out: Vec<SaturatedStretch> = Vec::new();
    // Per source: whether its latest sample said saturated.
    let mut on = [false; 3];
    let mut open: Option<SaturatedStretch> = None;
    for say in says {
        let i = slot(say.kind);
        match say.saturated {
            Some(true) => {
                on[i] = true;
                let stretch = open.get_or_insert_with(|| SaturatedStretch {
                    from: say.t,
                    to: say.t,
                    why: Vec::new(),
                });
                stretch.to = stretch.to.max(say.t);
                if !stretch.why.iter().any(|w| w == why(say.kind)) {
                    stretch.why.push(why(say.kind).to_string());
                }
            }
            // No longer: the stretch reaches this sample. Unknown: it ends
            // at the last sample that said so.
            Some(false) | None => {
                if on[i] {
                    on[i] = false;
                    if let (Some(stretch), Some(false)) = (open.as_mut(), say.saturated) {
                        stretch.to = stretch.to.max(say.t);
                    }
                }
                if !on.iter().any(|&s| s) {
                    out.extend(open.take());
                }
            }
        }
    }
    out.extend(open);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pools::series::{AppPoint, Outage, PoolerPoint, ServerPoint};
    use crate::pools::StateCounts;

    fn pooler(t: f64, waiting: u64) -> PoolerPoint {
        PoolerPoint {
            t,
            waiting,
            max_wait_ms: 0.0,
            transactions_per_second: None,
            queries_per_second: None,
            wait_ms_per_second: None,
            no_rates: None,
        }
    }

    fn app(t: f64, in_use: f64, waiting: f64) -> AppPoint {
        AppPoint {
            t,
            in_use: Some(in_use),
            waiting: Some(waiting),
            max: Some(5.0),
        }
    }

    fn server(t: f64, active: u64, usable: u64) -> ServerPoint {
        ServerPoint {
            t,
            states: StateCounts {
                active,
                ..StateCounts::default()
            },
            usable,
            commits_per_second: None,
        }
    }

    #[test]
    fn a_stretch_runs_until_the_sample_that_no_longer_says_so() {
        let series = PoolSeries {
            pooler: vec![
                pooler(0.0, 0),
                pooler(1_000.0, 3),
                pooler(2_000.0, 1),
                pooler(3_000.0, 0),
            ],
            // Full with nobody waiting yet counts: the next caller waits.
            app: vec![
                app(0.0, 3.0, 0.0),
                app(2_500.0, 5.0, 0.0),
                app(4_000.0, 5.0, 2.0),
                app(5_000.0, 4.0, 0.0),
            ],
            server: vec![
                server(0.0, 10, 100),
                server(6_000.0, 95, 100),
                server(7_000.0, 50, 100),
            ],
            ..PoolSeries::default()
        };
        let s = saturated_stretches(&series);
        // The pooler's and the app's overlap into one; the server's is its own.
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!((s[0].from, s[0].to), (1_000.0, 5_000.0));
        assert_eq!(s[0].why, vec![POOLER.to_string(), APP.to_string()]);
        assert_eq!((s[1].from, s[1].to), (6_000.0, 7_000.0));
        assert_eq!(s[1].why, vec![SERVER.to_string()]);
    }

    #[test]
    fn an_outage_ends_a_stretch_at_the_last_sample_that_said_so_and_an_unended_one_stays_open() {
        let series = PoolSeries {
            pooler: vec![pooler(0.0, 2), pooler(1_000.0, 4), pooler(9_000.0, 1)],
            outages: vec![Outage {
                kind: PoolKind::Pooler,
                from: 2_000.0,
                to: 8_000.0,
                reason: "refused".into(),
            }],
            ..PoolSeries::default()
        };
        let s = saturated_stretches(&series);
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!((s[0].from, s[0].to), (0.0, 1_000.0));
        assert_eq!((s[1].from, s[1].to), (9_000.0, 9_000.0));
    }

    #[test]
    fn nothing_waiting_marks_nothing() {
        let series = PoolSeries {
            pooler: vec![pooler(0.0, 0), pooler(1_000.0, 0)],
            server: vec![server(0.0, 89, 100)],
            ..PoolSeries::default()
        };
        assert!(saturated_stretches(&series).is_empty());
    }
}
