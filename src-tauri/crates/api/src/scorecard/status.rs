//! Each source's freshness for the status bar: "updated 4 s ago",
//! "unreachable since 10:42". Kept in memory, updated by every run.

use std::collections::BTreeMap;
use std::sync::Mutex;

use readyroom_sources::Sighting;
use time::OffsetDateTime;

use super::wire::{SourceState, SourceStatus};

#[derive(Default)]
pub(crate) struct Tracker {
    by_env: Mutex<BTreeMap<String, BTreeMap<String, SourceStatus>>>,
}

impl Tracker {
    /// Records what one run saw of each source, by the source's label.
    pub(crate) fn record(
        &self,
        environment: &str,
        now: OffsetDateTime,
        sightings: &[(&'static str, Sighting)],
    ) {
        let mut all = self.by_env.lock().unwrap_or_else(|p| p.into_inner());
        let env = all.entry(environment.to_string()).or_default();
        for (label, s) in sightings {
            let previous = env.get(*label);
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
                source: label.to_string(),
                target: s.target.clone(),
                state: if s.result.is_ok() {
                    SourceState::Ok
                } else {
                    SourceState::Unreachable
                },
                checked_at: now,
                last_ok_at,
                since,
                detail: s.result.clone().err(),
            };
            env.insert(label.to_string(), status);
        }
    }

    pub(crate) fn get(&self, environment: &str) -> Vec<SourceStatus> {
        let all = self.by_env.lock().unwrap_or_else(|p| p.into_inner());
        all.get(environment)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }
}
