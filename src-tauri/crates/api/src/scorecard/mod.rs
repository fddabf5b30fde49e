//! The scorecard capability's commands: run it, read it back, its history,
//! trend and each source's freshness.

mod rounds;
pub(crate) mod run;
pub(crate) use run::resolve_secrets;
mod status;
mod uptime;
pub(crate) mod watch;
mod wire;

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use readyroom_charts::{score_trend_svg, Theme};
use readyroom_core::diff::ScorecardDiff;
use readyroom_sources::Registry;
use readyroom_store::Store;

pub use wire::*;

use crate::commands::EnvironmentRequest;
use crate::{context, Api, ApiError, ErrorCode};

/// Runs listed in the trend chart, newest last.
const TREND_POINTS: u32 = 200;

/// The scorecard area's state in one API.
#[derive(Default)]
pub(crate) struct State {
    status: status::Tracker,
    /// One round of probes per environment at a time, shared by the callers
    /// that queue behind it (`rounds.rs`).
    rounds: Mutex<BTreeMap<String, Arc<rounds::Rounds>>>,
    /// Runs this process stored; the watcher announces only the others.
    own_runs: Mutex<HashSet<i64>>,
}

impl State {
    /// Records one sighting of a source outside a scorecard run (the
    /// traces commands reading Tempo or Jaeger) and returns its status,
    /// `since` kept across sightings.
    pub(crate) fn sighted(
        &self,
        environment: &str,
        now: time::OffsetDateTime,
        label: &'static str,
        sighting: readyroom_sources::Sighting,
    ) -> Option<SourceStatus> {
        self.status.record(environment, now, &[(label, sighting)]);
        self.status
            .get(environment)
            .into_iter()
            .find(|s| s.source == label)
    }

    fn rounds_for(&self, environment: &str) -> Arc<rounds::Rounds> {
        let mut all = self.rounds.lock().unwrap_or_else(|p| p.into_inner());
        all.entry(environment.to_string()).or_default().clone()
    }

    fn stored(&self, id: i64) {
        self.own_runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id);
    }

    pub(crate) fn is_own(&self, id: i64) -> bool {
        self.own_runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&id)
    }
}

/// Every source of a scorecard: production's, and the local store's. The
/// one registration point for a new source.
pub fn registry(store: &Store) -> Registry {
    Registry::new(readyroom_sources::production_sources())
        .with(Arc::new(uptime::UptimeSource {
            store: store.clone(),
        }))
        .with(Arc::new(crate::traces::evidence::SpanStoreSource {
            path: crate::traces::spans_path(store.path()),
        }))
        .with(Arc::new(crate::deploys::evidence::DeploysSource {
            store: store.clone(),
        }))
        .with(Arc::new(crate::deploys::evidence::RollbackAuditSource {
            store: store.clone(),
        }))
}

pub(crate) async fn get_scorecard(
    api: &Api,
    r: EnvironmentRequest,
) -> Result<ScorecardView, ApiError> {
    context::known_environment(api, &r.environment)?;
    let recent = api.store().await?.recent(&r.environment, 2).await?;
    let diff = match recent.cards.as_slice() {
        [latest, previous] => Some(ScorecardDiff::between(previous, latest)),
        _ => None,
    };
    Ok(ScorecardView {
        scorecard: recent.cards.into_iter().next(),
        diff,
        skipped: recent.skipped,
    })
}

pub(crate) async fn run_scorecard(
    api: &Api,
    r: EnvironmentRequest,
) -> Result<ScorecardView, ApiError> {
    run::run(api, &r.environment).await
}

pub(crate) async fn list_history(api: &Api, r: HistoryRequest) -> Result<HistoryView, ApiError> {
    if let Some(env) = &r.environment {
        context::known_environment(api, env)?;
    }
    let limit = r.limit.unwrap_or(50).min(1_000);
    let runs = api
        .store()
        .await?
        .history(r.environment.as_deref(), limit)
        .await?;
    Ok(HistoryView {
        runs: runs.into_iter().map(RunSummary::from).collect(),
    })
}

pub(crate) async fn get_trend_chart(api: &Api, r: TrendChartRequest) -> Result<Chart, ApiError> {
    context::known_environment(api, &r.environment)?;
    let mut runs = api
        .store()
        .await?
        .history(Some(&r.environment), TREND_POINTS)
        .await?;
    runs.reverse();
    let points: Vec<_> = runs
        .iter()
        .map(|run| (run.measured_at, run.score))
        .collect();
    let theme = match r.theme {
        ChartTheme::Light => Theme::Light,
        ChartTheme::Dark => Theme::Dark,
    };
    let svg = score_trend_svg(&points, theme, 720, 220)
        .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
    Ok(Chart {
        svg,
        points: points.len() as u32,
    })
}

pub(crate) async fn get_source_status(
    api: &Api,
    r: EnvironmentRequest,
) -> Result<SourcesView, ApiError> {
    Ok(SourcesView {
        sources: api.inner.scorecard.status.get(&r.environment),
    })
}
