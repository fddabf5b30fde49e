//! At start (the desktop app, `readyroom serve`): a rollback whose outcome
//! was never written (Readyroom was killed between the intent and the
//! result) is settled from what its provider shows now, without waiting
//! for someone to open the Deploys view. One read per environment that
//! has such an intent; nothing for the others.

use readyroom_core::audit;
use readyroom_core::deploys::reconcile::ACTIONS;
use tokio::sync::watch;

use super::{provider, reconcile};
use crate::services::Service;
use crate::{context, Api};

const NAME: &str = "deploy-reconcile";

/// Runs once at start, then ends.
pub struct ReconcileAtStart;

impl Service for ReconcileAtStart {
    fn name(&self) -> &'static str {
        NAME
    }

    fn run(
        &self,
        api: Api,
        mut stop: watch::Receiver<bool>,
    ) -> readyroom_sources::BoxFuture<'static, ()> {
        Box::pin(async move {
            tokio::select! {
                _ = settle_all(&api) => {}
                _ = stop.changed() => {}
            }
        })
    }
}

async fn settle_all(api: &Api) {
    let Ok(config) = context::load_config(api).map(|c| c.config) else {
        return;
    };
    let Ok(store) = api.store().await else {
        return;
    };
    let log = match store.audit_log().await {
        Ok(log) => log.entries,
        Err(e) => {
            tracing::warn!("reading the audit log at start: {e}");
            return;
        }
    };
    for (name, env) in &config.environments {
        let waiting = audit::unanswered(&log)
            .into_iter()
            .any(|e| e.entry.environment == *name && ACTIONS.contains(&e.entry.action.as_str()));
        if !waiting || env.deploy.is_none() {
            continue;
        }
        let listing = match provider::open(api, env).await {
            Ok(Some(deployer)) if deployer.traits().lists => deployer.list().await,
            // A webhook or a command cannot be read back: the entry stays
            // "outcome unknown", shown as such.
            Ok(_) => continue,
            Err(e) => Err(e),
        };
        match listing {
            Ok(listing) => {
                for written in reconcile::reconcile(api, name, &log, Some(&listing)).await {
                    tracing::info!(environment = %name, "reconciled at start: {written}");
                }
            }
            Err(e) => tracing::warn!(
                environment = %name,
                "a rollback's outcome is unknown and the provider could not be read at start: {e}"
            ),
        }
    }
}
