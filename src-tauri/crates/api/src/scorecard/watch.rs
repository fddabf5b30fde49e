//! Every window sees every run: a service that watches the local store
//! for runs other Readyroom processes stored (the CLI on a schedule, the
//! desktop app, another `serve`) and announces each as `scorecardFinished`,
//! so the war-room screen follows a run started anywhere.

use std::time::Duration;

use tokio::sync::watch;

use crate::services::Service;
use crate::{Api, Event};

/// How often the store is looked at; a run shows up within this (plus a
/// query), well inside the 5 s an operator would wait.
const POLL: Duration = Duration::from_secs(1);

pub struct RunWatcher;

impl Service for RunWatcher {
    fn name(&self) -> &'static str {
        "run watcher"
    }

    fn run(
        &self,
        api: Api,
        mut stop: watch::Receiver<bool>,
    ) -> readyroom_sources::BoxFuture<'static, ()> {
        Box::pin(async move {
            let mut seen: Option<i64> = None;
            loop {
                if let Err(e) = announce_new_runs(&api, &mut seen).await {
                    tracing::debug!(error = %e, "the run watcher could not read the store; trying again");
                }
                tokio::select! {
                    _ = tokio::time::sleep(POLL) => {}
                    _ = stop.changed() => return,
                }
            }
        })
    }
}

async fn announce_new_runs(api: &Api, seen: &mut Option<i64>) -> Result<(), crate::ApiError> {
    let store = api.store().await?;
    let Some(last) = *seen else {
        // Runs stored before this process started are history, not news.
        *seen = Some(store.last_run_id().await?.unwrap_or(0));
        return Ok(());
    };
    for run in store.runs_after(last).await? {
        *seen = Some(run.id);
        if api.inner.scorecard.is_own(run.id) {
            continue;
        }
        api.emit(Event::ScorecardFinished {
            environment: run.environment,
            score: run.score,
            grade: run.grade,
        });
    }
    Ok(())
}
