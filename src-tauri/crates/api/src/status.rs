//! Each source's freshness for the status bar: "updated 4 s ago",
//! "unreachable since 10:42". Kept in memory, updated by every run.

use std::collections::BTreeMap;
use std::sync::Mutex;

use readyroom_core::evidence::{
    Evidence, Gathered, HttpOutcome, HttpProbe, MetricsOutcome, TlsOutcome,
};

use crate::commands::{SourceState, SourceStatus};

#[derive(Default)]
pub(crate) struct Tracker {
    by_env: Mutex<BTreeMap<String, BTreeMap<String, SourceStatus>>>,
}

/// What one run saw of one source: reachable, or why not.
struct Sighting {
    source: &'static str,
    target: String,
    result: Result<(), String>,
}

impl Tracker {
    pub(crate) fn record(&self, ev: &Evidence) {
        let now = ev.gathered_at;
        let mut all = self.by_env.lock().unwrap_or_else(|p| p.into_inner());
        let env = all.entry(ev.environment.clone()).or_default();
        for s in sightings(ev) {
            let previous = env.get(s.source);
            let last_ok_at = match (&s.result, previous) {
                (Ok(()), _) => Some(now),
                (Err(_), Some(p)) => p.last_ok_at,
                (Err(_), None) => None,
            };
            let since = match (&s.result, previous) {
                (Ok(()), _) => None,
                (Err(_), Some(p)) if p.state == SourceState::Unreachable => p.since,
                (Err(_), _) => Some(now),
            };
            let status = SourceStatus {
                source: s.source.to_string(),
                target: s.target,
                state: if s.result.is_ok() {
                    SourceState::Ok
                } else {
                    SourceState::Unreachable
                },
                checked_at: now,
                last_ok_at,
                since,
                detail: s.result.err(),
            };
            env.insert(s.source.to_string(), status);
        }
    }

    pub(crate) fn get(&self, environment: &str) -> Vec<SourceStatus> {
        let all = self.by_env.lock().unwrap_or_else(|p| p.into_inner());
        all.get(environment)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }
}

fn http(source: &'static str, probes: &[HttpProbe]) -> Option<Sighting> {
    let first = probes.first()?;
    let failure = probes.iter().find_map(|p| match &p.outcome {
        HttpOutcome::Failed(f) => Some(format!("{}: {f}", p.url)),
        HttpOutcome::Response(_) => None,
    });
    let target = if probes.len() == 1 {
        first.url.clone()
    } else {
        format!("{} URLs", probes.len())
    };
    Some(Sighting {
        source,
        target,
        result: failure.map_or(Ok(()), Err),
    })
}

fn sightings(ev: &Evidence) -> Vec<Sighting> {
    let mut out = Vec::new();
    if let Some(p) = ev.health.as_observed() {
        out.extend(http("health", p));
    }
    if let Some(p) = ev.base.as_observed() {
        out.extend(http("base URL", std::slice::from_ref(p)));
    }
    if let Some(p) = ev.auth.as_observed() {
        out.extend(http("protected URLs", p));
    }
    if let Some(t) = ev.tls.as_observed() {
        let result = match &t.outcome {
            TlsOutcome::Failed { detail } => Err(detail.clone()),
            _ => Ok(()),
        };
        out.push(Sighting {
            source: "tls",
            target: t.host.clone(),
            result,
        });
    }
    if let Some(m) = ev.metrics.as_observed() {
        let result = match &m.outcome {
            MetricsOutcome::Failed(f) => Err(f.to_string()),
            _ => Ok(()),
        };
        out.push(Sighting {
            source: "metrics",
            target: m.url.clone(),
            result,
        });
    }
    match &ev.postgres {
        Gathered::Observed { value } => out.push(Sighting {
            source: "postgres",
            target: value.source.clone(),
            result: Ok(()),
        }),
        Gathered::Unavailable { source, reason, .. } => out.push(Sighting {
            source: "postgres",
            target: source.clone(),
            result: Err(reason.clone()),
        }),
        Gathered::NotConfigured { .. } => {}
    }
    out
}
